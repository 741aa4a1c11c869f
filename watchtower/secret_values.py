"""The secret values watchtower holds, hidden wherever a text quotes them.

:mod:`watchtower.redact` hides what *looks* like a secret. A server that
echoes a password in its refusal (``535 5.7.8 authentication failed for user
veille, password hunter2``), an IMAP server's ``NO``, an HTTP error page
quoting an API key: a plain word no pattern can know is secret. So the values
read from the environment are registered here when a config is loaded
(:func:`register_loaded`: ``SLACK_BOT_TOKEN``, ``SMTP_PASSWORD``, the password
of the database URL, the variable named by every source's ``*_env`` key), and
:func:`hide`, which :func:`~watchtower.redact.redact_text` calls first, turns
each occurrence into ``***``. A reload registers again: a new value (a
rotated secret, another variable) is added, and the values registered before
stay hidden, since older errors and a replica still running the old config
quote them.

Only values of :data:`MIN_LENGTH` characters or more (surrounding spaces not
counted) are registered: a short value is a word ("acme", "veille") that would
turn ordinary text into ``***`` in every log line; eight is the least most
services accept for a password, and tokens and API keys are far longer. The
user name (``SMTP_USERNAME``, a database URL's user) is not secret: a refusal
naming it is how an operator sees which account failed; a password equal to its
own user name (``postgres:postgres``) is not registered either, as every
``status`` shows it. Besides the value itself, its common encodings are hidden:
URL-quoted, JSON- and HTML-escaped, base64 (``AUTH LOGIN`` sends the password
alone so). The base64 of SASL ``PLAIN``'s ``\\0user\\0password`` is found by
:mod:`watchtower.redact`'s own rules.

With nothing registered, :func:`hide` costs one global read; with values, a
substring test per form (faster than a regular expression's failed search on a
line that quotes none), then one compiled alternation (longest first), rebuilt
only when the set grows.
Registering is thread-safe; :func:`hide` reads one immutable snapshot.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus, unquote, urlsplit

if TYPE_CHECKING:
    from watchtower.config_models import LoadedConfig

__all__ = [
    "MASK",
    "MIN_LENGTH",
    "forget_all",
    "hide",
    "register",
    "register_loaded",
    "url_password",
]

#: Shorter values are not registered (a word would be erased from every log line).
MIN_LENGTH = 8
#: What a registered value becomes; the mask :mod:`watchtower.redact` uses for credentials.
MASK = "***"

_lock = threading.Lock()
_values: frozenset[str] = frozenset()
# The forms, longest first, and their alternation; None while nothing is
# registered (hide() is then one global read). One tuple, replaced whole:
# hide() never sees a pattern without its forms.
_state: tuple[tuple[str, ...], re.Pattern[str]] | None = None


def _forms(value: str) -> set[str]:
    """``value`` and the encodings an error may quote it in."""
    raw = value.encode()
    forms = {
        value,
        quote(value, safe=""),
        quote(value),  # "/" kept, as in a URL path
        quote_plus(value, safe=""),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        html.escape(value),
        html.escape(value, quote=False),
    }
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        forms.add(encoded.decode())
        forms.add(encoded.decode().rstrip("="))
    return {form for form in forms if len(form) >= MIN_LENGTH}


def register(values: Iterable[str | None]) -> None:
    """Hide each of ``values`` (and its encodings) from now on; ``None``, empty
    and short values (under :data:`MIN_LENGTH` characters) are skipped."""
    global _values, _state
    new: set[str] = set()
    for value in values:
        value = (value or "").strip()
        if len(value) >= MIN_LENGTH:
            new |= _forms(value)
    with _lock:
        if new <= _values:
            return
        every = _values | new
        # Longest first: a value's longer form (padded base64) is hidden whole.
        forms = tuple(sorted(every, key=lambda v: (-len(v), v)))
        _state = (forms, re.compile("|".join(map(re.escape, forms))))
        _values = frozenset(every)


def hide(text: str) -> str:
    """``text`` with every registered secret value replaced by :data:`MASK`."""
    state = _state
    if state is None:
        return text
    forms, pattern = state
    # A log line rarely quotes one: "in" per form is faster than a failed search.
    for form in forms:
        if form in text:
            return pattern.sub(MASK, text)
    return text


def forget_all() -> None:
    """Forget every registered value (for tests: the daemon keeps them all)."""
    global _values, _state
    with _lock:
        _values, _state = frozenset(), None


def url_password(url: str | None) -> str | None:
    """The password of ``url`` (``postgresql://user:password@host/db``), unquoted;
    ``None`` when it has none, or when it is its own user name."""
    if not url or "@" not in url:
        return None
    try:
        parts = urlsplit(url)
        password, user = parts.password, parts.username
    except ValueError:  # an invalid port or IPv6 address: no password to find
        return None
    if not password or password == user:
        return None
    return unquote(password)


def register_loaded(loaded: LoadedConfig) -> None:
    """Register the secret values ``loaded`` uses: ``SLACK_BOT_TOKEN``,
    ``SMTP_PASSWORD``, the database URL's password and, for every source, the
    value of each variable its ``*_env`` keys name (``password_env``,
    ``client_secret_env``, ``refresh_token_env``, ``api_key_env``)."""
    secrets = loaded.secrets
    values: list[str | None] = [
        secret.get_secret_value()
        for secret in (secrets.slack_bot_token, secrets.smtp_password)
        if secret is not None
    ]
    values.append(url_password(loaded.config.watchtower.database_url))
    for source in loaded.sources:
        for key in type(source).model_fields:
            name = getattr(source, key, None) if key.endswith("_env") else None
            if isinstance(name, str) and name:
                values.append(os.environ.get(name))
    register(values)
