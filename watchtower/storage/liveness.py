"""Whether another watchtower process is alive, on PostgreSQL: its liveness lock.

A ``daemons`` row says a process started and when it was last seen, not that it
still runs: a daemon killed (``kill -9``, an OOM kill, a container restarted)
leaves a fresh row behind. Its host and pid tell only on the same host, and not
when the new process has the same pid (pid 1 in a container). So each process
holds, on a connection of its own kept for its whole life, a session-level
advisory lock keyed on its row's id (:class:`LivenessLock`); another process
asks PostgreSQL whether the lock is held (:func:`free_locks`). The server drops
a session's locks the moment its socket closes, which a killed process's
kernel does at once, on any host.

Key space: the two-``int4`` form of the advisory lock functions, whose keys
PostgreSQL keeps apart from the one-``bigint`` form that serialises migrations
(:data:`~watchtower.storage.db.MIGRATION_LOCK`) and story assignment
(:data:`~watchtower.pipeline.dedup.STORY_LOCK`). The first key is
:data:`LOCK_SPACE`, the second a hash of the row id. Holders take the lock
*shared*: two rows whose ids hash alike (or two ``run --once`` of one host, one
row) both hold it, and a process that probes it with an exclusive try sees it
held as long as any of them lives. A collision can only make a dead process
look alive: its claims then wait for their lease, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
import weakref
from collections.abc import Iterable

import sqlalchemy.exc
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from watchtower.logs import kv

__all__ = ["KEEP_EVERY", "LOCK_SPACE", "LivenessLock", "free_locks", "lock_key"]

log = logging.getLogger("watchtower.heartbeat")

#: The first key of every liveness lock ("wtdm": watchtower daemon), an ``int4``.
LOCK_SPACE = 0x7774646D
#: How many times, :data:`TAKE_PAUSE` seconds apart, taking the lock is tried:
#: only a probe (a few milliseconds) holds it otherwise.
TAKE_TRIES = 40
TAKE_PAUSE = 0.05
#: Seconds between two checks of the lock's connection: a failover or a killed
#: backend is noticed, and the lock taken again, within this much.
KEEP_EVERY = 5.0

_TAKE = text("SELECT pg_try_advisory_lock_shared(:space, :key)")
# Transaction-level: released at the end of the caller's transaction whatever
# happens, so a probe never leaves the lock of a dead process held.
_PROBE = text("SELECT pg_try_advisory_xact_lock(:space, :key)")


def lock_key(daemon_id: str) -> int:
    """The second key of ``daemon_id``'s lock: a non-negative ``int4`` from its hash."""
    digest = hashlib.blake2b(daemon_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


def free_locks(session: Session, ids: Iterable[str]) -> set[str]:
    """The ``ids`` whose liveness lock no process holds (PostgreSQL only): their
    process ended. Each probe holds the lock until ``session``'s transaction ends."""
    free = set()
    for daemon_id in ids:
        if session.scalar(_PROBE, {"space": LOCK_SPACE, "key": lock_key(daemon_id)}):
            free.add(daemon_id)
    return free


class LivenessLock:
    """This process's liveness lock, held on a connection of its own.

    A thread checks that connection every :data:`KEEP_EVERY` seconds; when the
    server or the network dropped it (a failover, ``pg_terminate_backend``,
    ``idle_session_timeout``), it connects and takes the lock again, with a
    warning: meanwhile a process starting would take this one for dead.
    """

    def __init__(self, engine: Engine, daemon_id: str) -> None:
        self.engine = engine
        self.daemon_id = daemon_id
        self._connection: Connection | None = None
        self._mutex = threading.Lock()
        self._closed = threading.Event()
        self._lost = False  # warned once per loss, not at every check
        self._watcher: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None

    def take(self) -> None:
        """Connect and take the lock, then keep it; raise when the database cannot
        be reached or the lock stays taken (the start fails as it would anyway)."""
        with self._mutex:
            self._closed.clear()
            if self._connection is None:
                self._connection = self._connect()
            if self._watcher is None:
                # A weak reference: a lock nobody holds any more (a test's) is let go.
                self._watcher = threading.Thread(
                    target=_watch,
                    args=(weakref.ref(self), self._closed),
                    name="liveness-lock",
                    daemon=True,
                )
                self._watcher.start()

    def keep(self) -> None:
        """Take the lock again if its connection was lost; a failure is logged
        once, and tried again at the next check."""
        with self._mutex:
            if self._closed.is_set():
                return
            if self._connection is not None:
                try:
                    self._connection.execute(text("SELECT 1"))
                    return
                except sqlalchemy.exc.DBAPIError:
                    self._drop()
                    log.warning(
                        "liveness lock lost with its database connection: taking it again",
                        extra=kv(daemon=self.daemon_id),
                    )
            try:
                self._connection = self._connect()
            except (sqlalchemy.exc.DBAPIError, TimeoutError) as exc:
                if not self._lost:
                    log.warning(
                        "liveness lock not held: a process starting now takes this one for dead",
                        extra=kv(daemon=self.daemon_id, error=type(exc).__name__),
                    )
                self._lost = True
                return
            self._lost = False
            log.info("liveness lock taken again", extra=kv(daemon=self.daemon_id))

    def rekey(self, daemon_id: str) -> None:
        """Hold the lock of ``daemon_id`` instead (``run --once`` takes its host's
        row); the new one is taken before the old one goes."""
        if daemon_id == self.daemon_id:
            return
        old = LivenessLock(self.engine, self.daemon_id)
        with self._mutex:
            old._connection, self._connection = self._connection, None
            self.daemon_id = daemon_id
        try:
            self.take()
        finally:
            old.close()

    def close(self) -> None:
        """Drop the lock: its connection is closed, not returned to the pool (a
        session-level lock would stay held on a pooled connection)."""
        self._closed.set()
        with self._mutex:
            self._drop()
            self._watcher = None

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(sqlalchemy.exc.DBAPIError):  # broken: nothing is held
                connection.invalidate()
                connection.close()

    def _connect(self) -> Connection:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        key = {"space": LOCK_SPACE, "key": lock_key(self.daemon_id)}
        try:
            for _ in range(TAKE_TRIES):
                if connection.scalar(_TAKE, key):
                    return connection
                time.sleep(TAKE_PAUSE)
        except BaseException:
            connection.invalidate()
            connection.close()
            raise
        connection.invalidate()
        connection.close()
        raise TimeoutError(f"liveness lock of {self.daemon_id} stays taken")


def _watch(ref: weakref.ref[LivenessLock], closed: threading.Event) -> None:
    """The watcher thread of a :class:`LivenessLock` (until it is closed or gone)."""
    while not closed.wait(KEEP_EVERY):
        lock = ref()
        if lock is None:
            return
        lock.keep()
        del lock
