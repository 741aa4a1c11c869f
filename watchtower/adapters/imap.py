"""``kind = "imap"``: an IMAP mailbox (Google Alerts e-mails, LinkedIn group digests…).

The folder is opened read-only (EXAMINE) and bodies are fetched with
``BODY.PEEK``, so nothing changes on the server unless ``mark_seen = true``.
The cursor keeps the folder's UIDVALIDITY and the last UID read: each poll
asks only for UIDs above it. When UIDVALIDITY changes (the mailbox was
rebuilt), the old UIDs mean nothing, so the newest ``max_messages`` are read
again; their item guids come from ``Message-ID``, so already-seen mails are
deduplicated downstream rather than re-alerted. The password comes from the
environment variable named by ``password_env`` and never appears in errors.
"""

from __future__ import annotations

import imaplib
import ipaddress
import os
import socket
import ssl
from typing import Any, Literal

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError
from imap_tools.mailbox import BaseMailBox
from imap_tools.query import AND, U
from pydantic import Field, model_validator

from watchtower.adapters._mail import parse_message
from watchtower.adapters._net import address_problem
from watchtower.adapters.base import FetchContext, FetchResult, Source, SourceSettings, SourceState
from watchtower.errors import PermanentError, TransientError
from watchtower.models import Item

__all__ = ["ImapSettings", "ImapSource"]

_TIMEOUT = 30.0


class ImapSettings(SourceSettings):
    """Keys of an IMAP mailbox source."""

    kind: Literal["imap"] = "imap"
    host: str = Field(min_length=1, max_length=255)
    port: int | None = Field(default=None, ge=1, le=65535)
    tls: Literal["implicit", "starttls", "none"] = "implicit"
    username: str = Field(min_length=1)
    password_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    folder: str = "INBOX"
    mark_seen: bool = False
    max_messages: int = Field(default=50, ge=1, le=1000)
    ca_file: str | None = None

    @model_validator(mode="after")
    def _plain_only_locally(self) -> ImapSettings:
        if self.tls == "none" and not self.allow_private:
            raise ValueError('tls = "none" sends the password in clear; only with allow_private')
        return self

    @property
    def effective_port(self) -> int:
        """The configured port, or 993 (implicit TLS) / 143 (STARTTLS, none)."""
        return self.port or (993 if self.tls == "implicit" else 143)


def _check_host(settings: ImapSettings) -> None:
    try:
        infos = socket.getaddrinfo(settings.host, settings.effective_port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TransientError(f"cannot resolve the mail server {settings.host} ({exc})") from None
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        problem = address_problem(address, allow_private=settings.allow_private)
        if problem is not None:
            raise PermanentError(f"refused to connect to {settings.host}: {problem}")


def _connect(settings: ImapSettings) -> BaseMailBox:
    context = ssl.create_default_context(cafile=settings.ca_file)
    port = settings.effective_port
    if settings.tls == "implicit":
        return MailBox(settings.host, port, timeout=_TIMEOUT, ssl_context=context)
    if settings.tls == "starttls":
        return MailBoxStartTls(settings.host, port, timeout=_TIMEOUT, ssl_context=context)
    return MailBoxUnencrypted(settings.host, port, timeout=_TIMEOUT)


class ImapSource(Source):
    """Reads the new messages of one folder and turns each into items."""

    kind = "imap"
    settings_model = ImapSettings

    def fetch(self, settings: ImapSettings, state: SourceState, ctx: FetchContext) -> FetchResult:
        password = os.environ.get(settings.password_env)
        if not password:
            raise PermanentError(f"the environment variable {settings.password_env} is not set")
        _check_host(settings)
        try:
            return self._fetch(settings, password, state)
        except ImapToolsError as exc:
            # imap-tools errors quote the server's answer, never the password we sent.
            message = str(exc).split("\n")[0][:200]
            if "login" in type(exc).__name__.lower():
                raise PermanentError(f"the mail server refused the login ({message})") from None
            raise TransientError(f"the mail server answered with an error ({message})") from None
        except ssl.SSLError as exc:
            raise PermanentError(f"TLS with the mail server failed ({exc.reason})") from None
        except TimeoutError:
            raise TransientError(f"the mail server did not answer within {_TIMEOUT:g}s") from None
        except (OSError, imaplib.IMAP4.error, EOFError) as exc:
            reason = str(exc).split("\n")[0][:200] or type(exc).__name__
            raise TransientError(f"cannot talk to the mail server ({reason})") from None

    def _fetch(self, settings: ImapSettings, password: str, state: SourceState) -> FetchResult:
        cursor: dict[str, Any] = dict(state.cursor)
        with _connect(settings) as mailbox:
            mailbox.login(settings.username, password, initial_folder=None)
            mailbox.folder.set(settings.folder, readonly=not settings.mark_seen)
            validity = int(mailbox.folder.status(settings.folder, ["UIDVALIDITY"])["UIDVALIDITY"])
            warnings: list[str] = []
            last = int(cursor.get("last_uid") or 0)
            if cursor.get("uidvalidity") not in (None, validity):
                warnings.append(
                    f"the folder {settings.folder} was rebuilt (UIDVALIDITY changed); "
                    f"re-reading the newest {settings.max_messages} messages"
                )
                last = 0
            uids = sorted(int(u) for u in mailbox.uids(AND(uid=U(str(last + 1), "*"))))
            # "N:*" always matches the highest UID, even below N: filter again.
            uids = [u for u in uids if u > last]
            # First poll: only the newest; catching up: oldest first.
            limit = settings.max_messages
            uids = uids[-limit:] if last == 0 else uids[:limit]
            items: list[Item] = []
            for message in (
                mailbox.fetch(
                    uid_list=[str(u) for u in uids], mark_seen=settings.mark_seen, bulk=True
                )
                if uids
                else ()
            ):
                items += parse_message(message.obj)
            new_last = max([last, *uids])
        return FetchResult(
            items, cursor={"uidvalidity": validity, "last_uid": new_last}, warnings=warnings
        )
