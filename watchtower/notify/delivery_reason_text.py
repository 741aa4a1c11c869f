"""What a delivery failure says in the reader's language (ops notices), from the
catalogue of :mod:`watchtower.notify.delivery_errors_text`.

The notifiers raise with a :class:`~watchtower.errors.DeliveryReason`
(:meth:`~watchtower.errors.DeliveryReason.of`): the English text with its code
and params, which the hooks that tell ops
(:class:`~watchtower.pipeline.delivery.DeliveryHooks`) carry through the
outage bookkeeping; :func:`reason_text` says it in the reader's language from
the code, so rewording an English template never changes a French notice.
A reason that comes as a bare string (one queued before codes travelled, a
notifier that gives none) falls back on :func:`reason_in`, which reads the
code and params back from the English (each template is also a pattern). A
reason neither knows — a rare failure, a remote server's own words — is shown
in English as it is: nothing is lost.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from functools import cache
from typing import Any

from watchtower.errors import DeliveryReason
from watchtower.notify._text import local_time_text
from watchtower.notify.delivery_errors_text import DELIVERY_ERRORS, delivery_error_text

__all__ = ["reason_in", "reason_text"]

_SINCE = "%Y-%m-%d %H:%M UTC"  # how target_outages writes an outage's start


@cache
def _patterns() -> list[tuple[int, str, re.Pattern[str], dict[str, str]]]:
    """Each code's English template as a pattern: (literal length, code, pattern,
    field → format spec), the most literal first (the most specific wins)."""
    found = []
    for code, templates in DELIVERY_ERRORS.items():
        regex, specs, literal = [], {}, 0
        for text, name, spec, _ in string.Formatter().parse(templates["en"]):
            regex.append(re.escape(text))
            literal += len(text)
            if name is not None:
                regex.append(f"(?P<{name}>.+?)" if name not in specs else f"(?P={name})")
                specs[name] = spec or ""
        found.append((literal, code, re.compile("".join(regex), re.DOTALL), specs))
    return sorted(found, key=lambda entry: -entry[0])


def _read(code: str, match: re.Match[str], specs: dict[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, spec in specs.items():
        value: Any = match.group(name)
        if spec:  # a number written with a format: read it back as one
            try:
                value = float(value) if spec.endswith(("g", "f")) else int(value)
            except ValueError:
                raise LookupError(code) from None
        params[name] = value
    return params


def reason_text(reason: str | DeliveryReason, language: str, timezone: str = "UTC") -> str:
    """``reason`` said in ``language``: from its code and params when it has them
    (its English words play no part), else read back from its English text
    (:func:`reason_in`); the English text for ``language`` English.

    An outage's start (``since``) is shown in ``timezone``, as every time a
    reader sees, in English too: "refused since 2026-11-26 20:38 (CET)", not
    the bookkeeping's UTC beside local times everywhere else in the notice.
    """
    if isinstance(reason, str) or reason.code is None:
        return reason_in(str(reason), language, timezone)
    if language == "en" and not _has_since(reason):
        return reason.text
    params = _localised(dict(reason.params), language, timezone)
    return delivery_error_text(reason.code, params, language)


def _has_since(reason: DeliveryReason) -> bool:
    """Whether ``reason`` (or the cause it quotes) holds an outage's start."""
    cause = reason.params.get("reason")
    return "since" in reason.params or (isinstance(cause, DeliveryReason) and _has_since(cause))


def _localised(params: dict[str, Any], language: str, timezone: str) -> dict[str, Any]:
    """An outage's ``since`` in the reader's zone, its cause in their language."""
    if isinstance(params.get("since"), str):
        try:
            when = datetime.strptime(params["since"], _SINCE).replace(tzinfo=UTC)
        except ValueError:  # not the outage bookkeeping's: shown as it is
            pass
        else:
            params["since"] = local_time_text(when, language, timezone)
    if isinstance(params.get("reason"), str | DeliveryReason):
        params["reason"] = reason_text(params["reason"], language, timezone)
    return params


def reason_in(reason: str, language: str, timezone: str = "UTC", *, _depth: int = 0) -> str:
    """``reason``, an English delivery reason, said in ``language``; as it is when
    no catalogue template matches it (or ``language`` is English). The fallback
    of :func:`reason_text` for a reason that comes without its code.

    An outage's start (``since``) is shown in ``timezone``, as every time a
    reader sees.
    """
    if language == "en" or _depth > 2:  # an outage's cause is one level down, no more
        return reason
    for _, code, pattern, specs in _patterns():
        match = pattern.fullmatch(reason)
        if match is None:
            continue
        try:
            params = _read(code, match, specs)
        except LookupError:
            continue
        if "since" in params:
            try:
                when = datetime.strptime(params["since"], _SINCE).replace(tzinfo=UTC)
            except ValueError:  # not the outage bookkeeping's prefix after all
                continue
            params["since"] = local_time_text(when, language, timezone)
        if "reason" in params:
            params["reason"] = reason_in(params["reason"], language, timezone, _depth=_depth + 1)
        return delivery_error_text(code, params, language)
    return reason
