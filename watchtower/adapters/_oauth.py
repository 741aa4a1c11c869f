"""OAuth 2.0 access tokens for a mailbox read with AUTHENTICATE XOAUTH2
(Microsoft 365, Google Workspace, Gmail).

Two grants, as the providers document them:

* client credentials (RFC 6749 §4.4): Microsoft 365 app-only access, the app's
  ``client_id`` and secret, scope ``https://outlook.office365.com/.default``;
* refresh token (§6): Google, a refresh token obtained once by consent, with
  the app's ``client_id`` (and secret), scope ``https://mail.google.com/``.

A token is kept in memory (never in the database, never logged) until a
minute before its ``expires_in`` (a tenth of it for short-lived ones), and
shared by the sources using the same app, secret and scope. After a refused
login, :meth:`TokenCache.forget` drops it so that the next one is new.

The token request is the shared client's form POST
(:meth:`~watchtower.adapters._http.HttpFetcher.post_form`: the URL checked,
addresses refused unless ``allow_private``, an overall deadline of
``[watchtower] request_timeout``, the answer capped, failures typed), without
redirects (the secret is in the body) nor cookies. The endpoint refusing the
app or the grant (``invalid_client``, ``invalid_grant``…) is a
:class:`PermanentError` saying what to fix; a 5xx, a 429, a timeout or a
connection failure is a :class:`TransientError` naming the token server, not
"the site". A request that waited too long for other fetches of the token
server's site keeps its ``host_busy`` error: it was never sent, and the poll
puts the source off to the next round (:mod:`watchtower.poll_deferral`) as it
does a feed's fetch. No message quotes what was sent.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from watchtower.adapters._http import HttpFetcher, Response, retry_after_seconds
from watchtower.errors import PermanentError, TransientError

__all__ = ["OAuthApp", "Token", "TokenCache", "xoauth2"]

#: A token is renewed this long before it expires (at most a tenth of its life).
RENEW_BEFORE = timedelta(seconds=60)
#: Bytes of a token endpoint's answer read at most (a JSON object of a few kB).
MAX_ANSWER = 64_000

#: What the operator has to do when the endpoint answers another ``error``
#: (RFC 6749 §5.2) than ``invalid_client`` or ``invalid_grant``, which have
#: their own codes. Any 4xx is permanent: retrying cannot fix it.
_FIXES = {
    "unauthorized_client": "check client_id and tenant (the app must be registered there)",
    "invalid_scope": "check scope",
    "unsupported_grant_type": "the token server does not offer this grant",
}
_FIX = "check token_url, client_id, tenant and scope"


def xoauth2(user: str, token: str) -> bytes:
    """The SASL XOAUTH2 initial response (sent base64-encoded by imaplib)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


@dataclass(frozen=True)
class OAuthApp:
    """Who asks for a token, and how: the refresh-token grant when
    ``refresh_token`` is set, the client-credentials grant otherwise."""

    token_url: str
    client_id: str
    client_secret: str | None = field(repr=False)  # never in a traceback or a log
    refresh_token: str | None = field(repr=False)
    scope: str | None
    #: Names of the environment variables, for error messages.
    secret_env: str | None = None
    refresh_env: str | None = None
    allow_private: bool = False

    @property
    def grant(self) -> str:
        return "refresh_token" if self.refresh_token else "client_credentials"

    def key(self) -> tuple[str, ...]:
        """Which cached token this app may use: a changed secret gets a new one."""
        secret = hashlib.sha256(
            f"{self.client_secret}\x00{self.refresh_token}".encode()
        ).hexdigest()
        return (self.token_url, self.client_id, self.scope or "", self.grant, secret)

    def form(self) -> dict[str, str]:
        """The token request's body."""
        form = {"grant_type": self.grant, "client_id": self.client_id}
        if self.client_secret:
            form["client_secret"] = self.client_secret
        if self.refresh_token:
            form["refresh_token"] = self.refresh_token
        if self.scope:
            form["scope"] = self.scope
        return form


@dataclass(frozen=True)
class Token:
    """An access token and when it stops being used; ``fresh`` when just issued."""

    value: str
    renew_at: datetime
    fresh: bool

    def __repr__(self) -> str:  # never the token itself, in a traceback or a log
        return f"Token(renew_at={self.renew_at.isoformat()}, fresh={self.fresh})"


class TokenCache:
    """Access tokens by app, kept until shortly before they expire; thread-safe."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, ...], Token] = {}
        self._lock = threading.Lock()

    def get(self, app: OAuthApp, http: HttpFetcher, now: datetime) -> Token:
        """A valid token for ``app``: the cached one, else a new one from its endpoint."""
        key = app.key()
        with self._lock:
            cached = self._tokens.get(key)
        if cached is not None and now < cached.renew_at:
            return Token(cached.value, cached.renew_at, fresh=False)
        token = request_token(app, http, now)
        with self._lock:
            self._tokens[key] = token
        return token

    def forget(self, app: OAuthApp, token: Token) -> None:
        """Drop ``token`` (the server refused it): the next :meth:`get` asks for a new one."""
        with self._lock:
            cached = self._tokens.get(app.key())
            if cached is not None and cached.value == token.value:
                del self._tokens[app.key()]


def request_token(app: OAuthApp, http: HttpFetcher, now: datetime) -> Token:
    """Ask ``app.token_url`` for a new access token; raise a typed :class:`SourceError`."""
    host = urlsplit(app.token_url).hostname or "?"
    response = _post(app, http, host)
    status, answer = response.status, _json(response.content)
    if status == 200:
        value = answer.get("access_token") if answer is not None else None
        if answer is None or not isinstance(value, str) or not value:
            problem = "answered without an access token"
            raise PermanentError(code="oauth_bad_answer", params={"host": host, "problem": problem})
        lifetime = _lifetime(answer)
        margin = min(RENEW_BEFORE, lifetime / 10)
        return Token(value, now + lifetime - margin, fresh=True)
    if status == 429 or status >= 500:
        retry_after = retry_after_seconds(response.headers.get("retry-after"))
        params = {"host": host, "status": status}
        raise TransientError(code="oauth_server_error", params=params, retry_after=retry_after)
    error = answer.get("error") if answer is not None else None
    error = error if isinstance(error, str) and error.isascii() else ""
    said = _description(answer)
    params = {"host": host, "status": status, "said": f": {said}" if said else ""}
    if error == "invalid_client":
        variable = app.secret_env or "client_secret_env"
        raise PermanentError(code="oauth_invalid_client", params={**params, "variable": variable})
    if error == "invalid_grant" and app.refresh_env:
        raise PermanentError(
            code="oauth_invalid_grant", params={**params, "variable": app.refresh_env}
        )
    params.update(error=f", {error[:50]}" if error else "", fix=_FIXES.get(error, _FIX))
    raise PermanentError(code="oauth_refused", params=params)


def _lifetime(answer: dict[str, object]) -> timedelta:
    """``expires_in`` as a duration; an hour when absent or nonsense (the usual one)."""
    raw = answer.get("expires_in")
    try:
        seconds = float(raw) if isinstance(raw, int | float | str) else 3600.0
    except ValueError:
        seconds = 3600.0
    if not 0 < seconds < 366 * 86_400:
        seconds = 3600.0
    return timedelta(seconds=seconds)


def _json(body: bytes) -> dict[str, object] | None:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeError):
        return None
    return value if isinstance(value, dict) else None


def _description(answer: dict[str, object] | None) -> str:
    """The first line of ``error_description`` (Microsoft's AADSTS…), at most 200 characters."""
    said = answer.get("error_description") if answer is not None else None
    if not isinstance(said, str):
        return ""
    return said.strip().split("\n")[0][:200]


def _post(app: OAuthApp, http: HttpFetcher, host: str) -> Response:
    """POST the token request; its answer, of any status but a redirect.

    The fetcher's failures say "the site" or "the server": those of the network
    and of the answer's size are said again of the token server, for the IMAP
    source's operator. A refused address or URL keeps its own words.
    """
    try:
        response = http.post_form(
            app.token_url,
            app.form(),
            accept="application/json",
            allow_private=app.allow_private,
            max_bytes=MAX_ANSWER,
        )
    except TransientError as exc:
        if exc.code == "host_busy":  # HttpFetcher._host_slot's
            # Queued behind our own fetches of the token server's site, never sent:
            # the poll puts the source off, as it does a feed fetch, not a failure.
            raise
        if exc.code in ("timeout", "timeout_total"):
            params = {"host": host, "seconds": http.timeout}
            raise TransientError(code="oauth_timeout", params=params) from None
        params = {"host": host, "reason": exc.params.get("reason", exc.message)}
        raise TransientError(code="oauth_unreachable", params=params) from None
    except PermanentError as exc:
        if exc.code != "too_large":
            raise
        problem = "sent an oversized answer"
        raise PermanentError(
            code="oauth_bad_answer", params={"host": host, "problem": problem}
        ) from None
    if 300 <= response.status < 400:
        problem = f"redirects ({response.status}): write its final address as token_url"
        raise PermanentError(code="oauth_bad_answer", params={"host": host, "problem": problem})
    return response
