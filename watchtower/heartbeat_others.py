"""The other watchtower processes that share the database, as this one sees them
(:class:`OtherProcesses`, a part of :class:`~watchtower.heartbeat.Heartbeat`).

Whether another process still runs (:meth:`OtherProcesses.live_others`, the one
place that decides it) matters to a process starting: the claims a dead one
left are released at once (:meth:`OtherProcesses.alone`), and to one sending a
notification for a target its config does not name: a replica whose config
names it may have queued it (:meth:`OtherProcesses.named_elsewhere`, by
``config_targets``: the digests of the targets each running config names
(:func:`target_digest`), written at start and at each reload applied; for a
replica of 0.3.1, by when it loaded its config,
:meth:`OtherProcesses.config_behind`). On PostgreSQL each process holds a
liveness lock from before its row exists until it ends
(:mod:`watchtower.storage.liveness`), which tells a killed process on any host,
with any pid; on SQLite, a process of this host whose pid is gone, or taken
since by a process started after the row's last heartbeat, is dead
(:func:`~watchtower.local_process.gone_reason`, the rule ``status`` and
``db downgrade`` follow too).
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from watchtower.local_process import gone_reason
from watchtower.storage.daemons import daemon_rows
from watchtower.storage.liveness import held_keys, lock_key
from watchtower.storage.tables import DaemonRow

if TYPE_CHECKING:
    from watchtower.heartbeat import Elsewhere
    from watchtower.storage.db import Database

__all__ = ["OtherProcesses", "stale_after", "target_digest"]

#: The id of a process of 0.3.1 or before: a daemon's 32 hex digits (since then
#: a UUID with its dashes), a ``run --once``'s ``once:<host>`` (since then
#: ``once@<host>``). It held no liveness lock, so in a rolling upgrade it is
#: judged by its host and pid, as then.
_UNLOCKED_ID = re.compile(r"[0-9a-f]{32}|once:.*", re.DOTALL)


def target_digest(target: str) -> str:
    """The SHA-256 hex digest of ``target`` as ``config_targets`` records it: a
    webhook URL holds its token, and the table is read by ``status``."""
    return hashlib.sha256(target.encode()).hexdigest()


def stale_after(poll_interval_s: float) -> timedelta:
    """How long a daemon may go without a heartbeat before ``status`` says "not
    seen": a round ends at most about two ``poll_interval`` apart (it waits one
    for slow sources), so three ticks and two minutes of slack."""
    return timedelta(seconds=3 * poll_interval_s + 120)


class OtherProcesses:
    """What :class:`~watchtower.heartbeat.Heartbeat`, which sets these attributes,
    knows of the other processes that use its database."""

    id: str
    host: str
    pid: int
    config_loaded_at: datetime

    def live_others(self, db: Database, now: datetime) -> list[DaemonRow]:
        """The other processes that may still use the database, the most recently
        seen first: each row not stopped, seen within :func:`stale_after`, and not
        known dead. Known dead: on PostgreSQL, nobody holds its liveness lock (it
        was killed, on any host, whatever its pid); on SQLite, and for a process
        of a version without the lock, a process of this host whose pid is gone
        or is another process's now, started after the row's last heartbeat
        (:func:`~watchtower.local_process.gone_reason`; this process's own pid
        again, pid 1 in a container, cannot be told from a live one).

        On PostgreSQL, a process that holds its lock but has no row yet (it
        started, its first round has not ended) is live too: a row of mode
        ``starting`` (not stored) stands for it."""
        with db.session() as session:
            every = daemon_rows(session, targets=True)
            # After the rows: a process takes its lock before writing its row, so
            # a row read has its lock seen here, as long as its process lives.
            held = held_keys(session) if db.postgres else set()
        rows = [
            row
            for row in every
            if row.id != self.id
            and row.stopped_at is None
            and now - row.seen_at <= stale_after(row.poll_interval_s)
        ]
        by_lock = {r.id for r in rows if db.postgres and not _UNLOCKED_ID.fullmatch(r.id)}
        live = [
            row
            for row in rows
            if (
                lock_key(row.id) in held
                if row.id in by_lock
                else gone_reason(row.host, row.pid, row.seen_at) is None
            )
        ]
        known = {lock_key(row.id) for row in every} | {lock_key(self.id)}
        return live + [_starting(key, now) for key in sorted(held - known)]

    def config_behind(self, db: Database, now: datetime) -> bool:
        """Whether another running daemon loaded its config after this one did.
        Replicas read their own copy of the file, updated one after the other: a
        target this process's config does not name may then be one a newer config
        added, not one an older config had."""
        return any(
            row.mode == "daemon"
            and row.config_loaded_at is not None
            and row.config_loaded_at > self.config_loaded_at
            for row in self.live_others(db, now)
        )

    def named_elsewhere(self, db: Database, now: datetime, target: str) -> Elsewhere:
        """Whether another live daemon (:meth:`live_others`) runs a config that
        names ``target``, one this process's config does not name: ``named``, it
        is that replica's to send (a rolling update: it has the newer file, or
        the older one not updated yet). Else ``newer`` if a replica of 0.3.1
        (no ``config_targets``) loaded its config after this one did
        (:meth:`config_behind`, the rule then), else ``nobody``: re-address it.

        Asked at each claim of such a row: a replica that died or reloaded
        since no longer keeps it."""
        digest = target_digest(target)
        others = [row for row in self.live_others(db, now) if row.mode == "daemon"]
        if any(row.config_targets and digest in row.config_targets for row in others):
            return "named"
        if any(
            row.config_targets is None
            and row.config_loaded_at is not None
            and row.config_loaded_at > self.config_loaded_at
            for row in others
        ):
            return "newer"
        return "nobody"

    def alone(self, db: Database, now: datetime) -> bool:
        """Whether no other watchtower process uses the database now
        (:meth:`live_others`): what the processes that died left claimed can be
        released."""
        return not self.live_others(db, now)


def _starting(key: int, now: datetime) -> DaemonRow:
    """A process known only by the liveness lock it holds (key ``key``), its row
    not written yet: not stored, never a replica whose config is asked."""
    return DaemonRow(
        id=f"lock:{key}", mode="starting", host="", pid=0, version="", config="",
        poll_interval_s=0.0, started_at=now, seen_at=now,
    )  # fmt: skip
