"""A running watchtower's record of its own life, for ``watchtower status``.

``status`` is another process (another machine, even): it cannot ask the daemon
unless ``[watchtower] http`` is set, so each watchtower process keeps one row of
the ``daemons`` table up to date — one upsert per event:

* at its first poll round (``started_at``, host, pid, version);
* at the end of each poll round (``seen_at``: the heartbeat; and the counts of
  the last round that fetched something);
* after each config reload, applied or refused (:mod:`watchtower.reload`);
* at a clean stop (``stopped_at``, :meth:`Heartbeat.stopped`).

Whether another process still runs, and whether a replica's config names a
target, is :mod:`watchtower.heartbeat_others` (a part of :class:`Heartbeat`).

``status`` judges the rows with :func:`instance_state`: a daemon whose heartbeat
is older than :func:`stale_after` (a few poll ticks) is "not seen"; rows not
seen for :data:`FORGET_AFTER` are pruned by the next process that starts, and
hourly by every running one. ``run --once`` keeps one row per host (a cron job
does not add a row per run), which counts as recent for :data:`ONCE_RECENT`.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from watchtower import __version__
from watchtower.heartbeat_others import OtherProcesses, stale_after, target_digest
from watchtower.logs import kv
from watchtower.redact import redact_text
from watchtower.sanitise import printable
from watchtower.storage.daemons import forget_daemons, upsert_daemon
from watchtower.storage.liveness import LivenessLock
from watchtower.storage.tables import DaemonRow

if TYPE_CHECKING:
    from watchtower.errors import ConfigProblem
    from watchtower.storage.db import Database

__all__ = [
    "FORGET_AFTER",
    "ONCE_RECENT",
    "Elsewhere",
    "Heartbeat",
    "instance_state",
    "refusal_reason",
]

log = logging.getLogger("watchtower.heartbeat")

#: Rows of processes not seen for this long are deleted.
FORGET_AFTER = timedelta(days=2)
#: A ``run --once`` (cron) counts as recent this long after its last round: a daily job.
ONCE_RECENT = timedelta(hours=25)
#: A running process prunes forgotten rows at most this often.
PRUNE_EVERY = timedelta(hours=1)
#: The refusal reason stored for ``status`` is cut to this many characters.
REASON_MAX = 500
#: How many refused-config problems the stored reason quotes.
REASONS_QUOTED = 3


#: Whether another live daemon may have queued a row for a target this config
#: does not name (:meth:`Heartbeat.named_elsewhere`): ``named`` (its config
#: names it: the row is that replica's to send), ``newer`` (a replica of 0.3.1,
#: which does not say what it names, loaded its config after this one), or
#: ``nobody``.
Elsewhere = Literal["named", "newer", "nobody"]


def instance_state(row: DaemonRow, now: datetime) -> str:
    """``running``, ``stopped`` (cleanly), ``not seen`` (no heartbeat for
    :func:`stale_after`: dead, hung, or cut from the database), or for a
    ``run --once``: ``ran`` (within :data:`ONCE_RECENT`) or ``not seen``."""
    quiet = now - row.seen_at
    if row.mode == "once":
        return "ran" if quiet <= ONCE_RECENT else "not seen"
    if row.stopped_at is not None:
        return "stopped"
    return "running" if quiet <= stale_after(row.poll_interval_s) else "not seen"


def refusal_reason(problems: list[ConfigProblem]) -> str:
    """What ``status`` shows about a refused config: the first problems, one line.

    Redacted as the ops notice is (a problem quotes the refused value, and a
    source URL may hold a password), without control characters, and cut.
    """
    shown = [printable(redact_text(str(p)), keep="") for p in problems[:REASONS_QUOTED]]
    text = "; ".join(shown) or "?"
    if len(problems) > REASONS_QUOTED:
        text += f" (+{len(problems) - REASONS_QUOTED} more)"
    if len(text) > REASON_MAX:
        text = text[: REASON_MAX - 1] + "…"
    return text


class Heartbeat(OtherProcesses):
    """This process's row in ``daemons`` (the other processes: :class:`OtherProcesses`).

    Each method is one upsert; a row missing (the first event, or pruned by
    mistake) is created with what is known. Writes go through
    :meth:`Database.writing`; a failure raises, as any write of the caller's job.
    """

    def __init__(
        self,
        config_path: str,
        poll_interval: timedelta,
        started_at: datetime,
        *,
        version: str = __version__,
        targets: Iterable[str] = (),
    ) -> None:
        # Its form tells the processes that hold a liveness lock (_UNLOCKED_ID).
        self.id = str(uuid.uuid4())
        #: The code this process runs, for ``status`` to tell replicas apart.
        self.version = version
        self.mode = "daemon"
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.config_path = config_path
        self.poll_interval_s = poll_interval.total_seconds()
        self.started_at = started_at
        #: When the config this process runs was loaded (start, then each reload applied).
        self.config_loaded_at = started_at
        #: What the running config names (:func:`target_digest`, sorted): one
        #: membership test per question, and no secret in the table.
        self.config_targets = _digests(targets)
        self.started = False
        self._pruned_at: datetime | None = None
        self._liveness: LivenessLock | None = None

    def _row(self, now: datetime) -> dict[str, Any]:
        """Every column a new row needs."""
        return {
            "id": self.id,
            "mode": self.mode,
            "host": self.host[:255],
            "pid": self.pid,
            "version": self.version[:50],
            "config": self.config_path,
            "poll_interval_s": self.poll_interval_s,
            "started_at": self.started_at,
            "seen_at": now,
            "round_sources": 0,
            "round_ok": 0,
            "round_failed": 0,
            "round_put_off": 0,
            # The config read at start is the one running until a reload says otherwise.
            "config_loaded_at": self.started_at,
            "config_targets": self.config_targets,
        }

    def _write(self, db: Database, now: datetime, changes: dict[str, Any]) -> None:
        with db.writing() as session:
            upsert_daemon(session, {**self._row(now), **changes}, changes)

    def start(self, db: Database, now: datetime, *, once: bool = False) -> None:
        """Record this process as started (its first poll round), and prune rows
        of processes gone for :data:`FORGET_AFTER`.

        ``once``: a ``run --once``, whose row is its host's (a cron job reuses it).
        """
        if once:
            # Not 0.3.1's "once:<host>": that row's process holds no lock.
            self.mode, self.id = "once", f"once@{self.host}"[:64]
        # Before the row: a row another process can see always has its lock.
        self.hold(db)
        identity = self._row(now)
        changes = {k: identity[k] for k in ("mode", "host", "pid", "version", "config")}
        changes |= {
            "poll_interval_s": self.poll_interval_s,
            "started_at": self.started_at,
            "seen_at": now,
            "stopped_at": None,
            "config_targets": self.config_targets,
        }
        if once:  # the row of the host's previous run: nothing of it holds any more
            changes |= {
                "round_at": None,
                "round_sources": 0,
                "round_ok": 0,
                "round_failed": 0,
                "round_put_off": 0,
                "config_loaded_at": self.started_at,
                "config_refused_at": None,
                "config_refused": None,
            }
        self._write(db, now, changes)
        # Only once written: the next round (or drain) writes it again before
        # claiming (a process starting would take one without a row for dead).
        self.started = True
        self._prune(db, now)

    def round_ended(
        self, db: Database, now: datetime, sources: int, ok: int, failed: int, put_off: int = 0
    ) -> None:
        """The heartbeat: a poll round ended. The counts are kept from the last
        round that fetched something (most rounds find no source due); ``put_off``:
        sources neither ok nor failed, put off behind other fetches of their site."""
        if not self.started:
            self.start(db, now)
        changes: dict[str, Any] = {"seen_at": now, "stopped_at": None}
        if sources:
            changes |= {
                "round_at": now,
                "round_sources": sources,
                "round_ok": ok,
                "round_failed": failed,
                "round_put_off": put_off,
            }
        self._write(db, now, changes)
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            self._prune(db, now)

    def config_loaded(
        self,
        db: Database,
        now: datetime,
        *,
        applied: bool = True,
        targets: Iterable[str] | None = None,
    ) -> None:
        """A reload succeeded: the config read ``now`` runs, naming ``targets``
        (``None``: the same as before). ``applied=False``: the refused edit was
        undone, and the config running stays as loaded before."""
        changes: dict[str, Any] = {"config_refused_at": None, "config_refused": None}
        if applied:
            self.config_loaded_at = now
            changes["config_loaded_at"] = now
            if targets is not None:
                self.config_targets = _digests(targets)
                changes["config_targets"] = self.config_targets
        self._write(db, now, changes)

    def config_refused(self, db: Database, now: datetime, reason: str) -> None:
        """A reload was refused; ``reason`` from :func:`refusal_reason` (no secret)."""
        self._write(db, now, {"config_refused_at": now, "config_refused": reason})

    def hold(self, db: Database) -> None:
        """Take this process's liveness lock (PostgreSQL; nothing on SQLite), kept
        until :meth:`close`. Before this process's row and its first claim (the
        start, then :meth:`start`): another process that sees the row sees the
        lock. A ``run --once`` moves it to its host's row (:meth:`start`)."""
        if not db.postgres:
            return
        if self._liveness is None:
            self._liveness = LivenessLock(db.engine, self.id)
        if self._liveness.daemon_id != self.id:
            self._liveness.rekey(self.id)
        self._liveness.take()

    def close(self) -> None:
        """Let go of the liveness lock (the process ends)."""
        if self._liveness is not None:
            self._liveness.close()

    def stopped(self, db: Database, now: datetime) -> None:
        """A clean stop: ``status`` shows "stopped", not "not seen"."""
        self._write(db, now, {"stopped_at": now})

    def _prune(self, db: Database, now: datetime) -> None:
        self._pruned_at = now
        with db.writing() as session:
            forgotten = forget_daemons(session, now - FORGET_AFTER, keep=self.id)
        if forgotten:
            log.info("forgot processes not seen for a long time", extra=kv(rows=forgotten))


def _digests(targets: Iterable[str]) -> list[str]:
    return sorted({target_digest(target) for target in targets})
