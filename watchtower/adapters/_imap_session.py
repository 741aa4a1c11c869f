"""Talking to an IMAP server: where (``host`` checks), how (TLS, CA file), who
(login), and what a failure means in plain words. Resolving the name and
connecting to the address checked: :mod:`._imap_connect`.

* ``host`` is a name or an address; a URL (``imaps://…``) or ``name:port`` is
  refused with the keys to write instead.
* An unreadable ``ca_file`` is a permanent error, found before any connection.
* A user name or password outside ASCII is sent with AUTHENTICATE PLAIN (UTF-8):
  IMAP's LOGIN cannot carry it.
* ``auth = "oauth2"`` logs in with AUTHENTICATE XOAUTH2 (:func:`login_xoauth2`):
  an access token (:mod:`._oauth`) in place of the password.
* Every connect and every read waits at most ``timeout`` seconds: the
  daemon passes ``[watchtower] request_timeout``, the same bound as for HTTP.
* :func:`server_errors` turns every failure into a
  :class:`~watchtower.errors.SourceError` that says what happened (a timeout,
  a cut connection, a refused login, a TLS failure), quoting the server's
  answer and never what was sent.
"""

from __future__ import annotations

import contextlib
import imaplib
import ipaddress
import os
import re
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from imap_tools.errors import (
    ImapToolsError,
    MailboxFolderSelectError,
    UnexpectedCommandStatusError,
)
from imap_tools.mailbox import BaseMailBox

from watchtower.adapters._imap_connect import check_host, connect
from watchtower.adapters._oauth import OAuthApp, Token, TokenCache, xoauth2
from watchtower.errors import PermanentError, SourceError, TransientError

if TYPE_CHECKING:
    from watchtower.adapters._imap_settings import ImapSettings
    from watchtower.adapters.base import FetchContext

__all__ = [
    "OAUTH_KEYS",
    "bare_host",
    "ca_file_problem",
    "check_host",
    "connect",
    "credentials",
    "login",
    "login_oauth",
    "login_problem",
    "login_xoauth2",
    "open_folder",
    "server_errors",
    "tls_context",
]

_HOST_PORT = re.compile(r"\[?([^\[\]\s/]+?)\]?:(\d{1,5})")


def bare_host(value: str) -> str:
    """``value`` if it is a host name or an address; a URL or ``name:port`` gets a hint."""
    if "://" in value:
        parts = urlsplit(value)
        try:
            port = parts.port
        except ValueError:
            port = None
        hint = f'host = "{parts.hostname or "imap.example.fr"}"'
        if port:
            hint += f" and port = {port}"
        raise ValueError(
            f"must be the mail server's name, not a URL: write {hint} "
            '(tls = "implicit" | "starttls" | "none" chooses the encryption)'
        )
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(value)
        return value  # an IPv4 or IPv6 address (":" is fine there)
    match = _HOST_PORT.fullmatch(value)
    if match:
        raise ValueError(
            f'must be the server\'s name without a port: write host = "{match.group(1)}" '
            f"and port = {match.group(2)}"
        )
    if any(c.isspace() or c in "/@[]:?#" for c in value):
        raise ValueError("must be a host name such as imap.example.fr, or an IP address")
    return value


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying TLS context trusting ``ca_file`` (else the system's CAs)."""
    try:
        return ssl.create_default_context(cafile=ca_file)
    except FileNotFoundError:
        raise PermanentError(code="ca_file_missing", params={"path": ca_file}) from None
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None)
        params = {"path": ca_file, "reason": reason or type(exc).__name__}
        raise PermanentError(code="ca_file_unreadable", params=params) from None


def ca_file_problem(ca_file: str) -> str | None:
    """Why ``ca_file`` cannot be used to check the mail server, or ``None``."""
    try:
        tls_context(ca_file)
    except SourceError as exc:
        return exc.message
    return None


def _first_line(value: Any) -> str:
    return str(value).split("\n")[0][:200]


# Dovecot's timing suffix: "Mailbox doesn't exist: X (0.001 + 0.000 secs)."
_TIMING = re.compile(r"\s*\([\d.+ ]+secs\)\.?$")


def _server_words(exc: Exception) -> str:
    """What the server said (``Mailbox doesn't exist: Alertes``), not imap-tools'
    wrapping (``Response status "OK" expected, but "NO" received. Data: [b'…']``)."""
    if isinstance(exc, UnexpectedCommandStatusError):
        data = exc.command_result[1] if len(exc.command_result) > 1 else None
        lines = [
            line.decode("utf-8", "replace") if isinstance(line, bytes) else str(line)
            for line in (data if isinstance(data, list) else [data])
            if line
        ]
        said = _TIMING.sub("", " ".join(lines).strip())
        if said:
            return _first_line(said)
    return _first_line(exc)


#: Folder names quoted in the "folder not found" error, at most.
_LISTED_FOLDERS = 20


def open_folder(mailbox: BaseMailBox, folder: str, readonly: bool) -> None:
    """SELECT (or EXAMINE) ``folder``; when the server refuses it (renamed, deleted,
    a typo), the error names the folders that do exist."""
    try:
        mailbox.folder.set(folder, readonly=readonly)
    except MailboxFolderSelectError as exc:
        names: list[str] = []
        with contextlib.suppress(ImapToolsError, imaplib.IMAP4.error):
            names = sorted(info.name for info in mailbox.folder.list())
        shown = ", ".join(names[:_LISTED_FOLDERS]) + (" …" if len(names) > _LISTED_FOLDERS else "")
        params = {"folder": folder, "reason": _server_words(exc), "folders": shown or "?"}
        raise TransientError(code="imap_folder_missing", params=params) from None


def login(mailbox: BaseMailBox, username: str, password: str) -> None:
    """LOGIN, or AUTHENTICATE PLAIN when the name or password is not ASCII."""
    if username.isascii() and password.isascii():
        mailbox.login(username, password, initial_folder=None)
        return
    if "AUTH=PLAIN" not in mailbox.client.capabilities:
        raise PermanentError(code="imap_login_not_ascii")
    try:
        mailbox.login_utf8(username, password, initial_folder=None)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:  # the server's answer
        params = {"reason": _first_line(exc)}
        raise PermanentError(code="imap_login_refused", params=params) from None


def login_xoauth2(mailbox: BaseMailBox, username: str, token: str) -> str | None:
    """AUTHENTICATE XOAUTH2 with ``token``: ``None`` once logged in, else the
    server's refusal in its words (the caller may try a new token)."""
    if "AUTH=XOAUTH2" not in mailbox.client.capabilities:
        raise PermanentError(code="imap_no_xoauth2")
    challenges: list[bytes] = []

    def respond(challenge: bytes) -> bytes:
        challenges.append(challenge)
        # A refusal comes as a second challenge (a JSON error): the answer to it
        # is empty (RFC 7628 §3.2.3), never the token again.
        return xoauth2(username, token) if len(challenges) == 1 else b""

    try:
        mailbox.client.authenticate("XOAUTH2", respond)
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:  # the server's answer, never what was sent
        return _first_line(exc) or "refused"
    return None


#: Keys that only ``auth = "oauth2"`` uses.
OAUTH_KEYS = (
    "provider",
    "tenant",
    "token_url",
    "client_id",
    "client_secret_env",
    "refresh_token_env",
    "scope",
)


def login_problem(settings: ImapSettings) -> str | None:
    """What is missing or extra for the chosen ``auth``, or ``None``."""
    oauth_keys = [key for key in OAUTH_KEYS if getattr(settings, key) is not None]
    if settings.auth == "password":
        if oauth_keys:
            return f'{", ".join(oauth_keys)}: only with auth = "oauth2"'
        if settings.password_env is None:
            return (
                "password_env is required: the name of the environment variable holding "
                'the password (or auth = "oauth2" for Microsoft 365 and Google)'
            )
        return None
    if settings.password_env is not None:
        return 'password_env is not used with auth = "oauth2": remove it'
    if settings.client_id is None:
        return 'auth = "oauth2" needs client_id (the app\'s ID)'
    if settings.provider is None and settings.token_url is None:
        return (
            'auth = "oauth2" needs provider = "microsoft" (with tenant) or "google", or token_url'
        )
    if settings.provider == "microsoft" and settings.tenant is None:
        return (
            'provider = "microsoft" needs tenant: the directory (tenant) ID or the '
            "domain, e.g. entreprise.onmicrosoft.com"
        )
    if settings.tenant is not None and settings.provider != "microsoft":
        return 'tenant: only with provider = "microsoft"'
    if settings.provider == "google" and settings.refresh_token_env is None:
        return (
            'provider = "google" needs refresh_token_env: Google gives mailbox tokens '
            "through a refresh token (client credentials are Microsoft's)"
        )
    if settings.refresh_token_env is None and settings.client_secret_env is None:
        return (
            'auth = "oauth2" needs client_secret_env (client credentials, Microsoft 365) '
            "or refresh_token_env (Google)"
        )
    return None


def _env(name: str | None) -> str:
    """The secret in the environment variable ``name``; a permanent error when unset."""
    value = os.environ.get(name or "")
    if not value:
        raise PermanentError(code="password_env_missing", params={"variable": name})
    return value


def credentials(settings: ImapSettings) -> str | OAuthApp:
    """The password, or the app asking for access tokens (``auth = "oauth2"``), its
    secrets read from the environment; a permanent error naming an unset variable."""
    if settings.auth == "password":
        return _env(settings.password_env)
    assert settings.client_id is not None  # login_problem
    secret = _env(settings.client_secret_env) if settings.client_secret_env else None
    refresh = _env(settings.refresh_token_env) if settings.refresh_token_env else None
    return OAuthApp(
        token_url=settings.oauth_token_url,
        client_id=settings.client_id,
        client_secret=secret,
        refresh_token=refresh,
        scope=settings.oauth_scope,
        secret_env=settings.client_secret_env,
        refresh_env=settings.refresh_token_env,
        allow_private=settings.allow_private,
    )


def login_oauth(
    mailbox: BaseMailBox,
    username: str,
    app: OAuthApp,
    token: Token,
    tokens: TokenCache,
    ctx: FetchContext,
) -> None:
    """AUTHENTICATE XOAUTH2 with ``token``; a cached token the server refuses
    (revoked, expired early) is replaced once by a new one, a new one refused is
    a permanent error (the app may not read this mailbox)."""
    refused = login_xoauth2(mailbox, username, token.value)
    if refused is None:
        return
    tokens.forget(app, token)
    if not token.fresh:
        token = tokens.get(app, ctx.http, ctx.now())
        refused = login_xoauth2(mailbox, username, token.value)
        if refused is None:
            return
        tokens.forget(app, token)
    raise PermanentError(code="imap_token_refused", params={"user": username, "reason": refused})


@contextlib.contextmanager
def server_errors(settings: ImapSettings, timeout: float) -> Iterator[None]:
    """Turn any failure of the conversation into a :class:`SourceError` in plain words.

    ``timeout`` is the one :func:`connect` was given, named when it ran out.
    """
    try:
        yield
    except SourceError:
        raise
    except ImapToolsError as exc:
        # imap-tools errors quote the server's answer, never the password we sent.
        params = {"reason": _server_words(exc), "folder": settings.folder}
        if "login" in type(exc).__name__.lower():
            raise PermanentError(code="imap_login_refused", params=params) from None
        code = "imap_error"
        if isinstance(exc, MailboxFolderSelectError):  # open_folder names the folders
            code, params["folders"] = "imap_folder_missing", "?"
        raise TransientError(code=code, params=params) from None
    except TimeoutError:
        raise TransientError(code="imap_timeout", params={"seconds": timeout}) from None
    except ConnectionRefusedError:
        port = {"port": settings.effective_port}
        raise TransientError(code="imap_connect_refused", params=port) from None
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError, ConnectionError, EOFError):
        raise TransientError(code="imap_closed") from None
    except imaplib.IMAP4.abort as exc:
        params = {"reason": _first_line(exc)}
        raise TransientError(code="imap_closed_reason", params=params) from None
    except ssl.SSLError as exc:
        reason = exc.reason or exc.strerror or type(exc).__name__
        raise PermanentError(code="imap_tls_failed", params={"reason": reason}) from None
    except UnicodeError as exc:  # never quote it: it may hold what we tried to send
        params = {"kind": type(exc).__name__}
        raise PermanentError(code="imap_encoding", params=params) from None
    except (OSError, imaplib.IMAP4.error) as exc:
        params = {"reason": _first_line(exc) or type(exc).__name__}
        raise TransientError(code="imap_unreachable", params=params) from None
