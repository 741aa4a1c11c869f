"""``kind = "imap"``: an IMAP mailbox (Google Alerts e-mails, LinkedIn group digests…).

The folder is opened read-only (EXAMINE) and bodies are fetched with
``BODY.PEEK``, so nothing changes on the server unless ``mark_seen = true``.

The cursor keeps the folder's UIDVALIDITY, the last UID read and ``read_until``,
the start of the last check that left nothing unread: each poll asks only for
UIDs above the last one. When UIDVALIDITY changes (the mailbox was rebuilt or
moved to another server), the old UIDs mean nothing, so the newest
``max_messages`` are read again, and those dated more than a day before
``read_until`` are skipped: they were read before, and their items may have been
pruned since, so they would be announced again. The day of margin keeps a mail
that was delivered late; items read again in it are the same items (their guid
comes from ``Message-ID``) and are not announced twice.

One e-mail that cannot be read is skipped with a warning naming its UID; the
cursor moves past it, so it never blocks the mails after it. A warning also
says when e-mails were left unread: older than the newest ``max_messages`` on
the first check, or still waiting while a backlog is caught up. While catching
up, the result says ``more``, so the poller checks again at its next round
(``poll_interval``) instead of after ``every``, ``max_messages`` at a time.

Sizes are asked first (``RFC822.SIZE``, one FETCH): bodies are then fetched in
batches bounded in count and bytes, and an e-mail over ``max_message_bytes`` (a
40 MB attachment) is read in part, its header and the start of its body, with a
warning naming its UID, subject and size; it never blocks the mails after it.

A folder the server refuses (renamed, deleted, a typo) is an error that names
the folders that do exist.

The password comes from the environment variable named by ``password_env`` and
never appears in errors. Connecting and every read wait at most ``[watchtower]
request_timeout``, which the injected HTTP fetcher carries (``ctx.http.timeout``).
Connecting, logging in (AUTHENTICATE PLAIN for a password outside ASCII) and
naming failures: :mod:`._imap_session`.
"""

from __future__ import annotations

import contextlib
import os
import re
import ssl
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, Literal

from imap_tools.mailbox import BaseMailBox
from imap_tools.query import AND, U
from pydantic import Field, field_validator, model_validator

from watchtower.adapters._imap_session import (
    bare_host,
    ca_file_problem,
    check_host,
    connect,
    login,
    open_folder,
    server_errors,
    tls_context,
)
from watchtower.adapters._mail import mail_subject, parse_email
from watchtower.adapters.base import FetchContext, FetchResult, Source, SourceSettings, SourceState
from watchtower.errors import PermanentError
from watchtower.models import Item

__all__ = ["ImapSettings", "ImapSource", "ca_file_problem"]

#: E-mails asked for in one FETCH, at most; their sizes add up to at most twice
#: ``max_message_bytes`` (sizes are asked first).
_FETCH_CHUNK = 25
#: After a UIDVALIDITY change, e-mails dated this long before ``read_until`` are
#: still read again (delivery can lag behind the Date header).
_REREAD_MARGIN = timedelta(days=1)
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


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
    max_message_bytes: int = Field(
        default=5_000_000,
        ge=10_000,
        le=100_000_000,
        description="An e-mail larger than this (a big attachment) is read in part: its "
        "header and this many bytes of its body, with a warning naming it.",
    )
    ca_file: str | None = Field(
        default=None,
        description="PEM file of CAs to trust; a relative path is read from the config's folder.",
    )

    @field_validator("host")
    @classmethod
    def _bare_host(cls, value: str) -> str:
        return bare_host(value)

    @model_validator(mode="after")
    def _plain_only_locally(self) -> ImapSettings:
        if self.tls == "none" and not self.allow_private:
            raise ValueError('tls = "none" sends the password in clear; only with allow_private')
        return self

    @property
    def effective_port(self) -> int:
        """The configured port, or 993 (implicit TLS) / 143 (STARTTLS, none)."""
        return self.port or (993 if self.tls == "implicit" else 143)


def _arrival(meta: bytes) -> datetime | None:
    match = _INTERNALDATE.search(meta)
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    except (ValueError, UnicodeDecodeError):
        return None


def _fetched(data: list[Any]) -> Iterator[tuple[int, bytes, datetime | None]]:
    """``(uid, raw e-mail, arrival)`` of each message in a UID FETCH answer."""
    for index, entry in enumerate(data):
        if not isinstance(entry, tuple) or len(entry) < 2 or not isinstance(entry[1], bytes):
            continue
        after = data[index + 1] if index + 1 < len(data) else b""
        meta = bytes(entry[0]) + b" " + (after if isinstance(after, bytes) else b"")
        uid = _UID.search(meta)
        if uid is not None:
            yield int(uid.group(1)), entry[1], _arrival(meta)


def _sizes(data: list[Any]) -> dict[int, int]:
    """``uid -> RFC822.SIZE`` from a ``UID FETCH (UID RFC822.SIZE)`` answer."""
    sizes: dict[int, int] = {}
    for entry in data:
        meta = entry[0] if isinstance(entry, tuple) else entry
        if not isinstance(meta, bytes):
            continue
        uid, size = _UID.search(meta), _SIZE.search(meta)
        if uid is not None and size is not None:
            sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def _batches(uids: list[int], sizes: dict[int, int], cap: int) -> Iterator[tuple[list[int], bool]]:
    """``uids`` in order, as FETCH batches of at most :data:`_FETCH_CHUNK` e-mails
    and ``2 * cap`` bytes; ``(batch, True)`` is one e-mail over ``cap``, read in
    part. An unknown size counts as ``cap``."""
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, cap)
        if size > cap:
            if batch:
                yield batch, False
                batch, total = [], 0
            yield [uid], True
            continue
        if batch and (len(batch) >= _FETCH_CHUNK or total + size > 2 * cap):
            yield batch, False
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch, False


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


class _Reader:
    """One poll of one folder: the e-mails to read, their items, what to report."""

    def __init__(self, mailbox: BaseMailBox, settings: ImapSettings) -> None:
        self.mailbox = mailbox
        self.settings = settings
        self.warnings: list[str] = []
        # BODY[] sets \Seen; BODY.PEEK[] does not.
        self.body = "BODY" if settings.mark_seen else "BODY.PEEK"

    def _uid_fetch(self, uids: list[int], parts: str) -> list[Any] | None:
        status, data = self.mailbox.client.uid("FETCH", ",".join(map(str, uids)), parts)
        return list(data) if status == "OK" else None

    def _fetch(self, uids: list[int]) -> list[tuple[int, bytes, datetime | None]] | None:
        data = self._uid_fetch(uids, f"(UID INTERNALDATE {self.body}[])")
        return None if data is None else list(_fetched(data))

    def _sizes(self, uids: list[int]) -> dict[int, int]:
        """Each e-mail's size, asked in one cheap FETCH before any body is read."""
        data = self._uid_fetch(uids, "(UID RFC822.SIZE)") if uids else None
        return {} if data is None else _sizes(data)

    def messages(self, uids: list[int]) -> Iterator[tuple[int, bytes, datetime | None]]:
        """Each e-mail of ``uids``, in order; one the server refuses to send is
        skipped with a warning, one over ``max_message_bytes`` is read in part.

        Each FETCH answer holds at most twice ``max_message_bytes``: memory stays
        bounded however big the e-mails or the backlog.
        """
        cap = self.settings.max_message_bytes
        sizes = self._sizes(uids)
        for chunk, too_big in _batches(uids, sizes, cap):
            if too_big:
                yield from self._in_part(chunk[0], sizes.get(chunk[0]))
                continue
            found = self._fetch(chunk)
            if found is not None:
                yield from found
                continue
            for uid in chunk:  # find the one the server cannot send
                single = self._fetch([uid])
                if single is None:
                    self.warnings.append(
                        f"e-mail UID {uid} in {self.settings.folder} skipped: "
                        "the mail server cannot send it"
                    )
                yield from single or ()

    def _in_part(self, uid: int, size: int | None) -> Iterator[tuple[int, bytes, datetime | None]]:
        """An e-mail over the cap: its header and the first ``max_message_bytes`` of
        its body (the text parts come before the attachments in practice), with a
        warning naming it; never the whole of it."""
        cap, folder = self.settings.max_message_bytes, self.settings.folder
        shown = _megabytes(size) if size is not None else "of unknown size"
        data = self._uid_fetch(
            [uid], f"(UID INTERNALDATE {self.body}[HEADER]<0.{cap}> {self.body}[TEXT]<0.{cap}>)"
        )
        head, text, arrived = b"", b"", None
        for entry in data or ():
            meta = entry[0] if isinstance(entry, tuple) else entry
            if not isinstance(meta, bytes):
                continue
            arrived = arrived or _arrival(meta)
            if isinstance(entry, tuple) and isinstance(entry[1], bytes):
                if b"HEADER]" in meta.upper():
                    head = entry[1]
                elif b"TEXT]" in meta.upper():
                    text = entry[1]
        if not head:
            self.warnings.append(
                f"e-mail UID {uid} in {folder} skipped: it is {shown}, over "
                f"max_message_bytes ({_megabytes(cap)}), and the mail server cannot send its header"
            )
            return
        subject = mail_subject(head) or "(no subject)"
        self.warnings.append(
            f'e-mail UID {uid} in {folder} ("{subject[:100]}") is {shown}, over '
            f"max_message_bytes ({_megabytes(cap)}): only its header and first "
            f"{_megabytes(cap)} were read"
        )
        yield uid, head + text, arrived

    def items(self, uid: int, raw: bytes) -> list[Item] | None:
        """The items of one e-mail; ``None`` (and a warning) when it cannot be read."""
        try:
            return parse_email(raw)
        except Exception as exc:  # one malformed e-mail must never block the mailbox
            self.warnings.append(
                f"e-mail UID {uid} in {self.settings.folder} skipped: it cannot be read "
                f"({type(exc).__name__})"
            )
            return None


def _time(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


class ImapSource(Source):
    """Reads the new messages of one folder and turns each into items."""

    kind = "imap"
    settings_model = ImapSettings

    def fetch(self, settings: ImapSettings, state: SourceState, ctx: FetchContext) -> FetchResult:
        password = os.environ.get(settings.password_env)
        if not password:
            params = {"variable": settings.password_env}
            raise PermanentError(code="password_env_missing", params=params)
        context = None if settings.tls == "none" else tls_context(settings.ca_file)
        check_host(settings)
        timeout = ctx.http.timeout  # [watchtower] request_timeout
        with server_errors(settings, timeout):
            result = self._fetch(settings, password, context, state, ctx)
        return result

    def _fetch(
        self,
        settings: ImapSettings,
        password: str,
        context: ssl.SSLContext | None,
        state: SourceState,
        ctx: FetchContext,
    ) -> FetchResult:
        mailbox = connect(settings, context, ctx.http.timeout)
        try:
            login(mailbox, settings.username, password)
            result = self._read(_Reader(mailbox, settings), state, ctx.now())
        except BaseException:
            # No LOGOUT: on a dead or silent connection it would fail or wait
            # again, and its error would replace the real one.
            with contextlib.suppress(Exception):
                mailbox.client.shutdown()
            raise
        with contextlib.suppress(Exception):  # everything is read: a failed goodbye is harmless
            mailbox.logout()
        return result

    def _read(self, reader: _Reader, state: SourceState, started: datetime) -> FetchResult:
        mailbox, settings = reader.mailbox, reader.settings
        cursor = state.cursor
        open_folder(mailbox, settings.folder, readonly=not settings.mark_seen)
        validity = int(mailbox.folder.status(settings.folder, ["UIDVALIDITY"])["UIDVALIDITY"])
        last = int(cursor.get("last_uid") or 0)
        read_until = _time(cursor.get("read_until"))
        rebuilt = cursor.get("uidvalidity") not in (None, validity)
        if rebuilt:
            last = 0
        # "N:*" always matches the highest UID, even below N: filter again.
        found = sorted(
            u for u in map(int, mailbox.uids(AND(uid=U(str(last + 1), "*")))) if u > last
        )
        # First poll: only the newest; catching up: oldest first.
        limit = settings.max_messages
        uids = found[-limit:] if last == 0 else found[:limit]
        cutoff = read_until - _REREAD_MARGIN if rebuilt and read_until else None
        items: list[Item] = []
        old = 0
        for uid, raw, arrived in reader.messages(uids):
            found_items = reader.items(uid, raw)
            if found_items is None:
                continue
            # Dated by its Date header, else by its arrival; undated e-mails are read.
            dated = (found_items[0].published if found_items else None) or arrived
            if cutoff is not None and dated is not None and dated < cutoff:
                old += 1
                continue
            items += found_items
        if rebuilt:
            note = (
                f"; {old} of them, dated before the last complete check, were skipped"
                if old
                else ""
            )
            reader.warnings.insert(
                0,
                f"the folder {settings.folder} was rebuilt (UIDVALIDITY changed): "
                f"re-read its newest {len(uids)} e-mails{note}",
            )
        left = len(found) - len(uids)
        if left > 0 and last == 0 and not rebuilt:
            reader.warnings.append(
                f"first check of {settings.folder}: read its newest {len(uids)} e-mails; "
                f"the {left} older ones are not read (max_messages = {limit})"
            )
        elif left > 0 and last:
            reader.warnings.append(
                f"{left} more e-mails wait in {settings.folder}: "
                f"{limit} are read per check (max_messages)"
            )
        caught_up = last == 0 or len(found) <= limit
        until = started if caught_up else read_until
        new_cursor: dict[str, Any] = {"uidvalidity": validity, "last_uid": max([last, *uids])}
        if until is not None:
            new_cursor["read_until"] = until.isoformat()
        # Catching up: the poller checks again at its next round, not after `every`.
        more = bool(last) and left > 0
        return FetchResult(items, cursor=new_cursor, warnings=reader.warnings, more=more)
