"""``kind = "imap"``: an IMAP mailbox (Google Alerts e-mails, LinkedIn group digests…).

The folder is opened read-only (EXAMINE) and bodies are fetched with
``BODY.PEEK``, so nothing changes on the server unless ``mark_seen = true``.

The cursor keeps the folder's UIDVALIDITY, the last UID read and ``read_until``,
the start of the last check that left nothing unread: each poll asks only for
UIDs above the last one. ``sent``, the last e-mail the server did send, is kept
when it is not the last UID (that one was skipped). When UIDVALIDITY changes
(the mailbox was rebuilt or moved to another server), the old UIDs mean
nothing, so the newest ``max_messages`` are read again, and those dated more
than a day before ``read_until`` are skipped: they were read before, and their
items may have been pruned since, so they would be announced again. The day
of margin keeps a mail that was delivered late; items read again in it are the
same items (their guid comes from ``Message-ID``) and are not announced twice.

One e-mail that cannot be read is skipped with a warning naming its UID; the
cursor moves past it, so it never blocks the mails after it. One the server
never manages to send (a FETCH that times out, or that makes the server hang
up or answer BAD, while login, SELECT and SEARCH work) is retried alone at the
next checks and skipped after three in a row, with a warning naming its UID,
subject and folder, logged once and shown by ``status`` for a day (a
``reminder``); the e-mails before it are read at once, those after it once it is
skipped. It is skipped only at a check where the server sent another e-mail
(the start of one read before, asked for first): a server that breaks on every
body skips nothing, its checks fail as the source's usual failure, while
several e-mails in a row that it never sends are each skipped, the newest
included (:mod:`._imap_stuck`). A warning also says when e-mails were left
unread: older than the newest
``max_messages`` on the first check, or still waiting while a backlog is
caught up. While catching up, the result says ``more``, so the
poller checks again at its next round (``poll_interval``) instead of after
``every``, ``max_messages`` at a time (``run --once`` reads on at once).

Sizes are asked first (``RFC822.SIZE``, one FETCH): bodies are then fetched in
batches bounded in count and bytes, and an e-mail over ``max_message_bytes`` (a
40 MB attachment) is read in part, its header and the start of its body, with a
warning naming its UID, subject and size; it never blocks the mails after it.

A folder the server refuses (renamed, deleted, a typo) is an error that names
the folders that do exist.

The password comes from the environment variable named by ``password_env`` and
never appears in errors. With ``auth = "oauth2"`` (Microsoft 365, Google) the
login is AUTHENTICATE XOAUTH2 with an access token (:mod:`._oauth`), asked for
before connecting and kept by :attr:`ImapSource.tokens` until shortly before
it expires. Connecting and every read wait at most ``[watchtower]
request_timeout``, which the injected HTTP fetcher carries (``ctx.http.timeout``);
the server's name is resolved once, within that time, and the connection goes
to the address checked (:mod:`._imap_connect`).
Connecting, logging in (AUTHENTICATE PLAIN for a password outside ASCII) and
naming failures: :mod:`._imap_session`; the FETCHes: :mod:`._imap_reader`; the
keys: :mod:`._imap_settings`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from imap_tools.query import AND, U

from watchtower.adapters._imap_reader import FetchFailed, Reader
from watchtower.adapters._imap_session import (
    ca_file_problem,
    check_host,
    connect,
    credentials,
    login,
    login_oauth,
    open_folder,
    server_errors,
    tls_context,
)
from watchtower.adapters._imap_settings import ImapSettings
from watchtower.adapters._imap_stuck import (
    NOTES_KEPT,
    SKIP_AFTER,
    Stop,
    Stuck,
    after_failure,
    reminders,
)
from watchtower.adapters._mail import parse_email
from watchtower.adapters._oauth import OAuthApp, TokenCache
from watchtower.adapters.base import FetchContext, FetchResult, Source, SourceState
from watchtower.models import Item

__all__ = ["ImapSettings", "ImapSource", "ca_file_problem"]

#: After a UIDVALIDITY change, e-mails dated this long before ``read_until`` are
#: still read again (delivery can lag behind the Date header).
_REREAD_MARGIN = timedelta(days=1)


def _time(value: Any) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


@dataclass(frozen=True)
class _Chunk:
    """What one check reads: the UIDs found above the cursor, the ones read now,
    and how older re-read e-mails are told apart after a UIDVALIDITY change."""

    validity: int
    found: list[int]
    uids: list[int]
    last: int
    rebuilt: bool
    cutoff: datetime | None


class ImapSource(Source):
    """Reads the new messages of one folder and turns each into items."""

    kind = "imap"
    settings_model = ImapSettings

    def __init__(self) -> None:
        # Access tokens of auth = "oauth2" sources, shared by those of one app.
        self.tokens = TokenCache()

    def fetch(self, settings: ImapSettings, state: SourceState, ctx: FetchContext) -> FetchResult:
        secret = credentials(settings)
        context = None if settings.tls == "none" else tls_context(settings.ca_file)
        timeout = ctx.http.timeout  # [watchtower] request_timeout
        addresses = check_host(settings, ctx.http.lookups, timeout)
        with server_errors(settings, timeout):
            result = self._fetch(settings, secret, context, addresses, state, ctx)
        return result

    def _fetch(
        self,
        settings: ImapSettings,
        secret: str | OAuthApp,
        context: ssl.SSLContext | None,
        addresses: list[str],
        state: SourceState,
        ctx: FetchContext,
    ) -> FetchResult:
        # The token first: a token server that is down opens no IMAP connection.
        token = (
            self.tokens.get(secret, ctx.http, ctx.now()) if isinstance(secret, OAuthApp) else None
        )
        mailbox = connect(settings, context, ctx.http.timeout, addresses)
        reader = Reader(mailbox, settings, ctx.http.timeout)
        try:
            if isinstance(secret, str):
                login(mailbox, settings.username, secret)
            else:
                assert token is not None
                login_oauth(mailbox, settings.username, secret, token, self.tokens, ctx)
            result = self._read(reader, state, ctx.now())
        except BaseException:
            reader.broken = True
            raise
        finally:
            # No LOGOUT after a failure: on a dead or silent connection it would
            # fail or wait again, and its error would replace the real one.
            if reader.broken:
                with contextlib.suppress(Exception):
                    mailbox.client.shutdown()
        if not reader.broken:
            with contextlib.suppress(Exception):  # all is read: a failed goodbye is harmless
                mailbox.logout()
        return result

    def _chunk(self, reader: Reader, cursor: dict[str, Any]) -> _Chunk:
        """Open the folder and choose the UIDs this check reads."""
        mailbox, settings = reader.mailbox, reader.settings
        open_folder(mailbox, settings.folder, readonly=not settings.mark_seen)
        validity = int(mailbox.folder.status(settings.folder, ["UIDVALIDITY"])["UIDVALIDITY"])
        last = int(cursor.get("last_uid") or 0)
        read_until = _time(cursor.get("read_until"))
        rebuilt = cursor.get("uidvalidity") not in (None, validity)
        cutoff = None if rebuilt else _time(cursor.get("reread_cutoff"))
        if rebuilt:
            last = 0
            cutoff = read_until - _REREAD_MARGIN if read_until else None
        # "N:*" always matches the highest UID, even below N: filter again.
        found = sorted(
            u for u in map(int, mailbox.uids(AND(uid=U(str(last + 1), "*")))) if u > last
        )
        # First poll: only the newest; catching up: oldest first.
        limit = settings.max_messages
        uids = found[-limit:] if last == 0 else found[:limit]
        return _Chunk(validity, found, uids, last, rebuilt, cutoff)

    def _read(self, reader: Reader, state: SourceState, started: datetime) -> FetchResult:
        settings = reader.settings
        cursor = state.cursor
        chunk = self._chunk(reader, cursor)
        stuck = None if chunk.rebuilt else Stuck.of(cursor.get("stuck"))
        good = _known_good(cursor, chunk)
        by_uid: list[tuple[int, list[Item]]] = []
        old = 0
        stop: Stop | None = None
        probe: int | None = None
        suspects = stuck.suspects(chunk.uids) if stuck else set()
        try:
            # The check that would skip an e-mail first sees that the server sends
            # bodies: an earlier e-mail's start, else the next e-mail (see _imap_stuck).
            if stuck is not None and _deciding(stuck, chunk) and not reader.vouch(good):
                probe = _probe(stuck, chunk)
                if probe is not None and probe not in chunk.uids:  # max_messages = 1
                    chunk = dataclasses.replace(chunk, uids=[*chunk.uids, probe])
            for uid, raw, arrived in reader.messages(chunk.uids, suspects, probe):
                found_items = _items(reader, uid, raw)
                if found_items is None:
                    continue
                # Dated by its Date header, else by its arrival; undated e-mails are read.
                dated = (found_items[0].published if found_items else None) or arrived
                if chunk.cutoff is not None and dated is not None and dated < chunk.cutoff:
                    old += 1
                    continue
                by_uid.append((uid, found_items))
        except FetchFailed as failed:
            if not reader.answered:
                # Not one FETCH answered (the earlier e-mail's start, the sizes, a
                # subject): the server, not one e-mail. The check fails as any
                # other, and counts nothing.
                raise failed.error from None
            if failed.uids == [probe]:
                # The e-mail after the one about to be skipped fails as well, none
                # was sent: the server, not one e-mail (see _imap_stuck).
                raise failed.error from None
            waiting = sum(u > failed.uids[-1] for u in chunk.found)
            vouched = reader.sent is not None  # the server sent a body in this check
            stop = after_failure(
                failed, stuck, chunk.last, settings.folder, waiting, started, vouched
            )
            if stop.skipped is not None and probe is not None:
                # The probe, read before the skipped e-mail, is the next UID after it.
                stop = dataclasses.replace(stop, last_uid=max(stop.last_uid, probe))
        # In the mailbox's order, the probe (read first) in its place.
        items = [item for _, found in sorted(by_uid, key=lambda pair: pair[0]) for item in found]
        if chunk.rebuilt:
            note = (
                f"; {old} of them, dated before the last complete check, were skipped"
                if old
                else ""
            )
            reader.warnings.insert(
                0,
                f"the folder {settings.folder} was rebuilt (UIDVALIDITY changed): "
                f"re-read its newest {len(chunk.uids)} e-mails{note}",
            )
        if stop is not None:
            reader.warnings.append(stop.warning)
        else:
            _backlog_warning(reader, chunk)
        sent = reader.sent if reader.sent is not None else good
        new_cursor = _new_cursor(cursor, chunk, stuck, stop, started, sent)
        # E-mails skipped at earlier checks: status shows them, the log said them once.
        notes, shown = reminders(cursor.get("skipped"), started)
        if stop is not None and stop.skipped is not None:
            notes = [*notes, stop.skipped][-NOTES_KEPT:]
        if notes:
            new_cursor["skipped"] = notes
        left = sum(u > new_cursor["last_uid"] for u in chunk.found)
        if stop is None:
            # Catching up: the poller checks again at its next round, not after `every`.
            more = bool(chunk.last) and left > 0
        else:
            # Past a skipped e-mail, the rest is read at the next round; an e-mail
            # retried waits for `every` (the server may be busy for a while).
            more = stop.skipped is not None and left > 0
        return FetchResult(
            items, cursor=new_cursor, warnings=reader.warnings, reminders=shown, more=more
        )


def _deciding(stuck: Stuck, chunk: _Chunk) -> bool:
    """Whether this check skips ``stuck`` if it fails again (it is read first)."""
    if stuck.first != stuck.last or stuck.failures < SKIP_AFTER - 1:
        return False
    return bool(chunk.uids) and chunk.uids[0] == stuck.first


def _known_good(cursor: dict[str, Any], chunk: _Chunk) -> int | None:
    """An e-mail the server sent at an earlier check (the cursor's ``sent``, else
    the last one read), to see that it still sends bodies; ``None`` if none."""
    if chunk.rebuilt:
        return None
    try:
        good = int(cursor.get("sent") or chunk.last)
    except (TypeError, ValueError):
        return None
    return good if 0 < good <= chunk.last else None


def _probe(stuck: Stuck, chunk: _Chunk) -> int | None:
    """The e-mail fetched first at the check that would skip ``stuck`` when no
    earlier one can be: the next one after it, if any."""
    return next((uid for uid in chunk.found if uid > stuck.first), None)


def _items(reader: Reader, uid: int, raw: bytes) -> list[Item] | None:
    """The items of one e-mail; ``None`` (and a warning) when it cannot be read."""
    try:
        return parse_email(raw)
    except Exception as exc:  # one malformed e-mail must never block the mailbox
        reader.warnings.append(
            f"e-mail UID {uid} in {reader.settings.folder} skipped: it cannot be read "
            f"({type(exc).__name__})"
        )
        return None


def _backlog_warning(reader: Reader, chunk: _Chunk) -> None:
    """Say when e-mails were left unread by a check that read all it chose to."""
    folder, limit = reader.settings.folder, reader.settings.max_messages
    left = len(chunk.found) - len(chunk.uids)
    if left > 0 and chunk.last == 0 and not chunk.rebuilt:
        reader.warnings.append(
            f"first check of {folder}: read its newest {len(chunk.uids)} e-mails; "
            f"the {left} older ones are not read (max_messages = {limit})"
        )
    elif left > 0 and chunk.last:
        reader.warnings.append(
            f"{left} more e-mails wait in {folder}: {limit} are read per check (max_messages)"
        )


def _new_cursor(
    cursor: dict[str, Any],
    chunk: _Chunk,
    stuck: Stuck | None,
    stop: Stop | None,
    started: datetime,
    sent: int | None,
) -> dict[str, Any]:
    """The cursor after a check (see the module docstring); ``sent`` is the last
    e-mail the server sent, kept only when it is not ``last_uid``."""
    if stop is None:
        last_uid = max([chunk.last, *chunk.uids])
        still = stuck.after(last_uid) if stuck else None
    else:
        last_uid, still = stop.last_uid, stop.stuck
    new: dict[str, Any] = {"uidvalidity": chunk.validity, "last_uid": last_uid}
    if sent is not None and sent != last_uid:
        # last_uid is a skipped e-mail, or one the server refused (NO): not proof.
        new["sent"] = sent
    if still is not None:
        new["stuck"] = still.cursor()
    caught_up = stop is None and (chunk.last == 0 or len(chunk.found) == len(chunk.uids))
    until = started if caught_up else _time(cursor.get("read_until"))
    if until is not None:
        new["read_until"] = until.isoformat()
    if chunk.cutoff is not None and not caught_up:
        # A rebuilt folder read in several checks: the rest is told apart the same way.
        new["reread_cutoff"] = chunk.cutoff.isoformat()
    return new
