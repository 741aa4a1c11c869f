"""The checks on single values of the configuration file, as pydantic validators.

Time zones, notification targets (:data:`Target`), digest and quiet-hours
schedules, listen addresses, sender addresses, brand terms
(:data:`BrandTerm`), rule lists and pack rules: each check raises
``ValueError`` with the message the user sees at the key's line.
:mod:`watchtower.config_models` attaches them to its fields.
"""

from __future__ import annotations

import contextlib
import email.utils
import ipaddress
from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, WithJsonSchema

from watchtower.config_messages import schedule_hint, zone_hint
from watchtower.notify.registry import TARGET_KINDS

__all__ = [
    "BrandTerm",
    "Target",
    "check_digest",
    "check_listen_address",
    "check_matchable",
    "check_pack_rule",
    "check_sender",
    "check_timezone",
    "check_window",
    "not_empty",
]


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}{zone_hint(value)}") from None
    return value


def _target(value: str) -> str:
    kind, sep, address = value.partition(":")
    if not sep or kind not in TARGET_KINDS:
        kinds = ", ".join(f"'{k}:…'" for k in TARGET_KINDS)
        raise ValueError(f"unknown target {value!r}; use one of {kinds}")
    try:
        TARGET_KINDS[kind].validate_address(address)
    except ValueError as exc:
        hint = ""
        if kind == "slack" and address and address[0] not in "#@":
            hint = f"; did you mean 'slack:#{address.strip()}'?"
        raise ValueError(f"{exc}{hint}") from None
    return value


Target = Annotated[
    str,
    AfterValidator(_target),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^(" + "|".join(TARGET_KINDS) + "):",
            "description": "'slack:#channel', 'email:someone@example.fr', 'console:' "
            "or 'apprise:URL'",
        }
    ),
]


def check_digest(value: str) -> str:
    from watchtower.timewindows import parse_digest

    try:
        parse_digest(value)
    except ValueError as exc:
        raise ValueError(f"{exc}{schedule_hint(value, parse_digest)}") from None
    return value


def check_window(value: str) -> str:
    from watchtower.timewindows import parse_window

    try:
        parse_window(value)
    except ValueError as exc:
        raise ValueError(f"{exc}{schedule_hint(value, parse_window)}") from None
    return value


def in_clear_over_network(url: str) -> bool:
    """Whether a request to ``url`` crosses a network unencrypted: http:// to a
    host other than this machine."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    local = host == "localhost"
    with contextlib.suppress(ValueError):
        local = local or ipaddress.ip_address(host).is_loopback
    return parts.scheme.lower() != "https" and not local


def check_slack_api_url(url: str) -> str:
    """``[slack] api_url``: https, or http to this machine only (a local proxy,
    the tests' fake Slack): every call carries the bot token."""
    if in_clear_over_network(url):
        raise ValueError("api_url over http:// sends the Slack bot token in clear; use https://")
    return url


def check_listen_address(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"expected HOST:PORT such as '127.0.0.1:8080', got {value!r}")
    return value


def check_sender(value: str) -> str:
    """``[email] from``: an address, with an optional display name; refused at
    ``check`` rather than by the SMTP server at the first alert."""
    _, address = email.utils.parseaddr(value)
    local, at, domain = address.rpartition("@")
    if "\n" in value or "\r" in value or not (local and at and domain) or " " in address:
        raise ValueError(
            f'not a sender address: {value!r}; write from = "veille@example.fr" or '
            f'from = "Veille Acmé <veille@example.fr>"'
        )
    return value


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("a term cannot be blank")
    return value


#: Checked one by one, so that an error names the term (``terms[2]``).
BrandTerm = Annotated[str, AfterValidator(_non_blank)]


def check_matchable(value: str) -> str:
    """A term the matcher can use (``BA``, ``acme.fr``), for keys that
    ``config_refs`` does not check (``match_case``)."""
    from watchtower.pipeline.match.query import QuerySyntaxError, parse_term

    try:
        parse_term(value)
    except QuerySyntaxError as exc:
        message = str(exc)
        short = message.split(": ", 1)[-1] if message.startswith("column") else message
        raise ValueError(short) from None
    return value


def not_empty(what: str) -> Callable[[list[str] | None], list[str] | None]:
    """A check that ``[]`` (which matches no ``what``: the rule would never fire) is refused."""

    def check(value: list[str] | None) -> list[str] | None:
        if value == []:
            raise ValueError(
                f"an empty list matches no {what}: the rule would never fire; "
                f"remove the key to match every {what}"
            )
        return value

    return check


def check_pack_rule(value: str) -> str:
    from watchtower.packs import pack_rule

    pack_rule(value)  # ValueError: unknown, with the known ones
    return value
