"""Talking to an IMAP server: where (``host`` checks), how (TLS, CA file), who
(login), and what a failure means in plain words.

* ``host`` is a name or an address; a URL (``imaps://…``) or ``name:port`` is
  refused with the keys to write instead.
* An unreadable ``ca_file`` is a permanent error, found before any connection.
* A user name or password outside ASCII is sent with AUTHENTICATE PLAIN (UTF-8):
  IMAP's LOGIN cannot carry it.
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
import re
import socket
import ssl
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import (
    ImapToolsError,
    MailboxFolderSelectError,
    UnexpectedCommandStatusError,
)
from imap_tools.mailbox import BaseMailBox

from watchtower.adapters._net import address_refusal
from watchtower.errors import PermanentError, SourceError, TransientError

if TYPE_CHECKING:
    from watchtower.adapters.imap import ImapSettings

__all__ = [
    "bare_host",
    "ca_file_problem",
    "check_host",
    "connect",
    "login",
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


def check_host(settings: ImapSettings) -> None:
    """Refuse a server whose address is not allowed (private, loopback…)."""
    try:
        infos = socket.getaddrinfo(settings.host, settings.effective_port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        params = {"host": settings.host, "reason": str(exc)}
        raise TransientError(code="imap_dns", params=params) from None
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        refusal = address_refusal(address, allow_private=settings.allow_private)
        if refusal is not None:
            shown, problem = refusal
            params = {"host": settings.host, "problem": problem, "address": shown}
            raise PermanentError(code="host_address_refused", params=params)


def connect(settings: ImapSettings, context: ssl.SSLContext | None, timeout: float) -> BaseMailBox:
    """An open connection (TLS as configured), not logged in yet.

    ``timeout`` bounds the connection and each read on it, in seconds.
    """
    port = settings.effective_port
    if settings.tls == "implicit":
        return MailBox(settings.host, port, timeout=timeout, ssl_context=context)
    if settings.tls == "starttls":
        if port == 993:  # imap-tools refuses it (ValueError): say what to change
            raise PermanentError(code="imap_starttls_port")
        return MailBoxStartTls(settings.host, port, timeout=timeout, ssl_context=context)
    return MailBoxUnencrypted(settings.host, port, timeout=timeout)


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
