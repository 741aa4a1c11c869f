"""Reading e-mails from an open IMAP folder: sizes first, then bodies in bounded
FETCH batches, an e-mail over ``max_message_bytes`` in part.

A FETCH that fails on the way (the server times out, cuts the connection,
answers BAD) ends the read with :class:`FetchFailed`, naming the UIDs that
FETCH asked for: everything before them was read, and the connection is not
used again. E-mails suspected of such a failure (``suspects``) are fetched one
at a time, each with its subject first, so that the next failure names one
e-mail (:mod:`._imap_stuck` decides when it is skipped). :meth:`Reader.vouch`
asks for the start of an e-mail read at an earlier check: whether the server
sends bodies at all, before one that fails is skipped.
"""

from __future__ import annotations

import imaplib
import itertools
import re
from collections.abc import Collection, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from imap_tools.mailbox import BaseMailBox

from watchtower.adapters._imap_session import server_errors
from watchtower.adapters._mail import mail_subject
from watchtower.errors import SourceError

if TYPE_CHECKING:
    from watchtower.adapters._imap_settings import ImapSettings

__all__ = ["FetchFailed", "Message", "Reader"]

#: ``(uid, raw e-mail, arrival)``.
Message = tuple[int, bytes, datetime | None]

#: E-mails asked for in one FETCH, at most; their sizes add up to at most twice
#: ``max_message_bytes`` (sizes are asked first).
_FETCH_CHUNK = 25
#: Bytes of an earlier e-mail asked for to see that the server sends bodies.
_VOUCH_BYTES = 65_536
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
#: What a FETCH raises when the conversation breaks: a timeout or a cut
#: connection (OSError, EOFError), an abort or a BAD answer (IMAP4.error).
_BROKEN = (OSError, EOFError, imaplib.IMAP4.error)


class FetchFailed(Exception):
    """A FETCH of ``uids`` failed after login, SELECT and SEARCH had worked;
    ``error`` is what broke (a timeout, a cut connection, a BAD answer)."""

    def __init__(
        self, uids: list[int], reason: str, error: BaseException, subject: str | None = None
    ) -> None:
        super().__init__(reason)
        self.uids = uids
        self.reason = reason
        self.error = error
        self.subject = subject


def _arrival(meta: bytes) -> datetime | None:
    match = _INTERNALDATE.search(meta)
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    except (ValueError, UnicodeDecodeError):
        return None


def _fetched(data: list[Any]) -> Iterator[Message]:
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
    """``uid -> RFC822.SIZE`` from a ``UID FETCH (UID RFC822.SIZE …)`` answer."""
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


def megabytes(size: int) -> str:
    """``size`` bytes in words: ``"5.0 MB"``."""
    return f"{size / 1_000_000:.1f} MB"


class Reader:
    """One poll of one folder: the e-mails to read and what to report."""

    def __init__(self, mailbox: BaseMailBox, settings: ImapSettings, timeout: float) -> None:
        self.mailbox = mailbox
        self.settings = settings
        self.timeout = timeout
        self.warnings: list[str] = []
        #: A FETCH broke the conversation: no LOGOUT (it would wait again).
        self.broken = False
        #: A FETCH was answered: the server sends what it is asked, in general.
        self.answered = False
        #: The highest UID whose body (or part of it) the server sent in this check.
        self.sent: int | None = None
        # BODY[] sets \Seen; BODY.PEEK[] does not.
        self.body = "BODY" if settings.mark_seen else "BODY.PEEK"

    def _reason(self, exc: BaseException) -> str:
        """``exc`` in the words a failed check would use ("the mail server did not answer…")."""
        try:
            with server_errors(self.settings, self.timeout):
                raise exc
        except SourceError as error:  # server_errors maps every _BROKEN error
            return error.message
        return type(exc).__name__  # pragma: no cover - unreachable

    def _uid_fetch(
        self, uids: list[int], parts: str, subject: str | None = None
    ) -> list[Any] | None:
        """The answer's data, ``None`` when the server says NO; :class:`FetchFailed`
        when the conversation breaks."""
        try:
            status, data = self.mailbox.client.uid("FETCH", ",".join(map(str, uids)), parts)
        except _BROKEN as exc:
            self.broken = True
            raise FetchFailed(uids, self._reason(exc), exc, subject) from None
        self.answered = True
        return list(data) if status == "OK" else None

    def _fetch(self, uids: list[int], subject: str | None = None) -> list[Message] | None:
        data = self._uid_fetch(uids, f"(UID INTERNALDATE {self.body}[])", subject)
        if data is None:
            return None
        found = list(_fetched(data))
        for uid, _, _ in found:
            self._got(uid)
        return found

    def _got(self, uid: int) -> None:
        self.sent = uid if self.sent is None else max(self.sent, uid)

    def vouch(self, uid: int | None) -> bool:
        """Whether the server sends the start of e-mail ``uid`` (one it sent at an
        earlier check), never marking it \\Seen; ``False`` when it is gone.
        :class:`FetchFailed` when the conversation breaks: no body is sent at all."""
        if uid is None:
            return False
        data = self._uid_fetch([uid], f"(UID BODY.PEEK[]<0.{_VOUCH_BYTES}>)")
        if not any(found == uid and raw for found, raw, _ in _fetched(data or [])):
            return False
        self._got(uid)
        return True

    def _sizes(self, uids: list[int]) -> dict[int, int]:
        """Each e-mail's size, asked in one cheap FETCH before any body is read."""
        data = self._uid_fetch(uids, "(UID RFC822.SIZE)") if uids else None
        return {} if data is None else _sizes(data)

    def _size_and_subject(self, uid: int) -> tuple[int | None, str | None]:
        """One suspect's size and subject (header field only, never \\Seen)."""
        data = self._uid_fetch([uid], "(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subject = None
        for entry in data or ():
            if isinstance(entry, tuple) and len(entry) > 1 and isinstance(entry[1], bytes):
                subject = mail_subject(entry[1]) or None
        return _sizes(data or []).get(uid), subject

    def messages(
        self, uids: list[int], suspects: Collection[int] = (), probe: int | None = None
    ) -> Iterator[Message]:
        """Each e-mail of ``uids``, in order; one the server refuses to send (NO) is
        skipped with a warning, one over ``max_message_bytes`` is read in part,
        ``suspects`` are fetched one at a time. ``probe`` (one of ``uids``) is
        fetched alone before them: whether the server sends another e-mail than
        the suspect about to be skipped.

        Each FETCH answer holds at most twice ``max_message_bytes``: memory stays
        bounded however big the e-mails or the backlog.
        """
        cap = self.settings.max_message_bytes
        if probe is not None:
            yield from self._alone(probe)
            uids = [uid for uid in uids if uid != probe]
        # Suspects are where the last check stopped: the first UIDs to read.
        alone = list(itertools.takewhile(lambda uid: uid in suspects, uids))
        for uid in alone:
            yield from self._alone(uid)
        ordinary = uids[len(alone) :]
        sizes = self._sizes(ordinary)
        for chunk, too_big in _batches(ordinary, sizes, cap):
            if too_big:
                yield from self._in_part(chunk[0], sizes.get(chunk[0]))
                continue
            found = self._fetch(chunk)
            if found is not None:
                yield from found
                continue
            for uid in chunk:  # find the one the server cannot send
                yield from self._one(uid)

    def _alone(self, uid: int) -> Iterator[Message]:
        """A suspect: its size and subject, then its body, each in its own FETCH."""
        size, subject = self._size_and_subject(uid)
        if size is not None and size > self.settings.max_message_bytes:
            yield from self._in_part(uid, size)
            return
        yield from self._one(uid, subject)

    def _one(self, uid: int, subject: str | None = None) -> Iterator[Message]:
        single = self._fetch([uid], subject)
        if single is None:
            self.warnings.append(
                f"e-mail UID {uid} in {self.settings.folder} skipped: "
                "the mail server cannot send it"
            )
        yield from single or ()

    def _in_part(self, uid: int, size: int | None) -> Iterator[Message]:
        """An e-mail over the cap: its header and the first ``max_message_bytes`` of
        its body (the text parts come before the attachments in practice), with a
        warning naming it; never the whole of it."""
        cap, folder = self.settings.max_message_bytes, self.settings.folder
        shown = megabytes(size) if size is not None else "of unknown size"
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
                f"max_message_bytes ({megabytes(cap)}), and the mail server cannot send its header"
            )
            return
        self._got(uid)
        subject = mail_subject(head) or "(no subject)"
        self.warnings.append(
            f'e-mail UID {uid} in {folder} ("{subject[:100]}") is {shown}, over '
            f"max_message_bytes ({megabytes(cap)}): only its header and first "
            f"{megabytes(cap)} were read"
        )
        yield uid, head + text, arrived
