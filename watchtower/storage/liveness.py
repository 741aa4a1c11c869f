"""Whether another watchtower process is alive, on PostgreSQL: its liveness lock.

A ``daemons`` row says a process started and when it was last seen, not that it
still runs: a daemon killed (``kill -9``, an OOM kill, a container restarted)
leaves a fresh row behind. Its host and pid tell only on the same host, and not
when the new process has the same pid (pid 1 in a container). So each process
holds, on a connection of its own kept for its whole life, a session-level
advisory lock keyed on its row's id (:class:`LivenessLock`); another process
reads ``pg_locks`` to know which are held (:func:`held_keys`, :func:`free_locks`).
The server drops a session's locks the moment its socket closes, which a
killed process's kernel does at once, on any host. A host that vanishes (power
cut, network gone) closes nothing: the server keeps the session, and the lock,
until its TCP keepalives give up, which :func:`~watchtower.storage.engines.make_engine`
bounds to about a minute on every session, this one too
(:data:`~watchtower.storage.engines.SERVER_KEEPALIVES`; the server's defaults
are the host's, 2 h 11 min on Linux). Until then that process looks alive, and
its claims wait.

Key space: the two-``int4`` form of the advisory lock functions, whose keys
PostgreSQL keeps apart from the one-``bigint`` form that serialises migrations
(:data:`~watchtower.storage.db.MIGRATION_LOCK`) and story assignment
(:data:`~watchtower.pipeline.dedup.STORY_LOCK`). The first key is the schema's
(:func:`lock_space`: :data:`LOCK_SPACE` for ``public``), so instances kept in
several schemas of one database do not see each other's processes; the second
a hash of the row id. Holders take the lock *shared*: two rows whose ids hash
alike both hold it. A collision can only make a dead process look alive: its
claims then wait for their lease, as before.

A probe reads ``pg_locks`` rather than trying the lock: behind a pooler in
transaction mode, a try on the very server connection holding a live
process's lock would succeed (a session never waits on its own locks). So no
watchtower process ever holds a liveness lock exclusively, and taking one
shared is refused only when another program holds that key exclusively: it is
tried once, and :class:`LivenessLockHeld` names that program's server process.
Two processes with one id (two ``run --once`` of one host: ``once@<host>``)
both hold it, shared.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import weakref
from collections.abc import Iterable
from typing import Any

import sqlalchemy.exc
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

from watchtower.errors import WatchtowerError
from watchtower.logs import kv
from watchtower.storage.engines import make_engine

__all__ = [
    "KEEP_EVERY",
    "LOCK_SPACE",
    "LivenessLock",
    "LivenessLockHeld",
    "free_locks",
    "held_keys",
    "lock_key",
    "lock_space",
]

log = logging.getLogger("watchtower.heartbeat")

#: The first key of the liveness locks of schema ``public`` ("wtdm": watchtower
#: daemon), an ``int4``.
LOCK_SPACE = 0x7774646D
#: Seconds between two checks of the lock's connection: a failover or a killed
#: backend is noticed, and the lock taken again, within this much.
KEEP_EVERY = 5.0
#: Seconds :meth:`LivenessLock.close` waits for a check under way (a reconnect
#: during a network cut lasts up to a minute): the process ends anyway.
CLOSE_WAIT = 1.0

_TAKE = text("SELECT pg_try_advisory_lock_shared(:space, :key), pg_backend_pid()")
_SCHEMA = text("SELECT current_schema()")
# Advisory locks are per database; pg_locks lists the whole cluster's.
_GRANTED = """
    FROM pg_locks
    WHERE locktype = 'advisory' AND objsubid = 2 AND granted
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND classid::bigint = :space"""
_HELD = text(f"SELECT DISTINCT objid::bigint {_GRANTED}")
# Who holds one key exclusively (what refuses a shared take), by server process.
_EXCLUSIVE = text(
    f"SELECT DISTINCT pid {_GRANTED} AND objid::bigint = :key AND mode = 'ExclusiveLock'"
    " ORDER BY pid"
)
# One statement, so one server connection even behind a pooler: which backend
# answers, whether it holds this lock, whether any backend does.
_CHECK = text(
    "SELECT pg_backend_pid(),"
    f" EXISTS (SELECT 1 {_GRANTED} AND objid::bigint = :key AND pid = pg_backend_pid()),"
    f" EXISTS (SELECT 1 {_GRANTED} AND objid::bigint = :key)"
)


def _int4(value: str) -> int:
    """A non-negative ``int4`` from the hash of ``value``."""
    digest = hashlib.blake2b(value.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


class LivenessLockHeld(WatchtowerError):
    """Another program holds this process's liveness lock exclusively (a
    watchtower process takes it shared only): ``holders``, the PostgreSQL server
    processes (``pg_stat_activity.pid``) holding it, empty if it let go since."""

    def __init__(self, daemon_id: str, space: int, key: int, holders: list[int]) -> None:
        self.daemon_id = daemon_id
        self.holders = holders
        by = (
            "server process " + ", ".join(str(pid) for pid in holders)
            if holders
            else "a session that has let go of it since"
        )
        super().__init__(
            f"the liveness lock of watchtower process {daemon_id} (advisory lock"
            f" ({space}, {key})) is held exclusively by PostgreSQL {by}; watchtower"
            " takes it shared only, so another program holds it"
            " (pg_stat_activity says which)"
        )


def lock_key(daemon_id: str) -> int:
    """The second key of ``daemon_id``'s lock: a non-negative ``int4`` from its hash."""
    return _int4(daemon_id)


def lock_space(schema: str | None) -> int:
    """The first key of the liveness locks of the processes using ``schema``."""
    return LOCK_SPACE if schema in (None, "public") else _int4(f"wtdm:{schema}")


def _space_of(executor: Session | Connection) -> int:
    return lock_space(executor.scalar(_SCHEMA))


def held_keys(session: Session) -> set[int]:
    """The second keys of the liveness locks held now (PostgreSQL only), by any
    backend, in the key space of ``session``'s schema."""
    space = _space_of(session)
    return {int(key) for key in session.scalars(_HELD, {"space": space})}


def free_locks(session: Session, ids: Iterable[str]) -> set[str]:
    """The ``ids`` whose liveness lock no process holds (PostgreSQL only): their
    process ended."""
    held = held_keys(session)
    return {daemon_id for daemon_id in ids if lock_key(daemon_id) not in held}


class LivenessLock:
    """This process's liveness lock, held on a connection of its own.

    That connection comes from an engine of its own, without a pool: the workers'
    pool, exhausted while they all reconnect, cannot keep the lock from being
    taken again. A thread checks the connection every :data:`KEEP_EVERY`
    seconds; when the server or the network dropped it (a failover,
    ``pg_terminate_backend``, ``idle_session_timeout``), it connects and takes
    the lock again, with a warning: meanwhile a process starting would take
    this one for dead.
    """

    def __init__(self, engine: Engine, daemon_id: str) -> None:
        self.engine = make_engine(engine.url.render_as_string(hide_password=False), pooled=False)
        self.daemon_id = daemon_id
        self._connection: Connection | None = None
        self._backend: int | None = None  # the server process holding the lock
        self._space = LOCK_SPACE  # its schema's (lock_space), known once connected
        self._mutex = threading.Lock()
        self._closed = threading.Event()
        self._lost = False  # warned once per loss, not at every check
        self._pooled = False  # warned once: a pooler in transaction mode
        self._watcher: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None

    def take(self) -> None:
        """Connect and take the lock, then keep it; raise when the database cannot
        be reached (the start fails as it would anyway), or
        :class:`LivenessLockHeld` when another program holds the lock."""
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
        """Check the lock, and take it again if its connection was lost; a failure
        is logged once, and tried again at the next check."""
        with self._mutex:
            try:
                if not self._closed.is_set():
                    self._keep()
            finally:
                if self._closed.is_set():  # closed meanwhile, without waiting: let go
                    self._drop()

    def _keep(self) -> None:
        if self._connection is not None and self._check(self._connection):
            return
        try:
            self._connection = self._connect()
        except LivenessLockHeld as exc:
            # Its holder makes this process look live meanwhile: said, not fatal.
            if not self._lost:
                log.warning(
                    "liveness lock not held: another program holds it",
                    extra=kv(daemon=self.daemon_id, error=str(exc)),
                )
            self._lost = True
            return
        except sqlalchemy.exc.SQLAlchemyError as exc:
            if not self._lost:
                log.warning(
                    "liveness lock not held: a process starting now takes this one for dead",
                    extra=kv(daemon=self.daemon_id, error=type(exc).__name__),
                )
            self._lost = True
            return
        self._lost = False
        log.info("liveness lock taken again", extra=kv(daemon=self.daemon_id))

    def _check(self, connection: Connection) -> bool:
        """Whether ``connection`` still works (the lock then stays held, or is
        held again behind a pooler); else it is dropped."""
        key = self._key()
        try:
            backend, mine, anyone = connection.execute(_CHECK, key).one()
            if backend == self._backend and mine:
                return True
            # Another server process answers, or ours no longer holds the lock:
            # a pooler in transaction mode hands this connection's statements to
            # any server connection, and may close the one holding the lock.
            if not self._pooled:
                log.warning(
                    "a connection pooler in transaction mode is between watchtower and"
                    " PostgreSQL: the liveness lock is unreliable, claims of dead"
                    " processes will wait their lease",
                    extra=kv(daemon=self.daemon_id),
                )
                self._pooled = True
            if not anyone:  # held again, on whichever server connection answers
                connection.execute(_TAKE, key)
            return True
        except sqlalchemy.exc.SQLAlchemyError:
            self._drop()
            log.warning(
                "liveness lock lost with its database connection: taking it again",
                extra=kv(daemon=self.daemon_id),
            )
            return False

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
        """Drop the lock: its connection is closed, not kept (a session-level lock
        stays held as long as its connection). Waits at most :data:`CLOSE_WAIT`
        for a check under way: that one lets go of what it connects once done,
        and the process's end closes its socket anyway."""
        self._closed.set()
        if not self._mutex.acquire(timeout=CLOSE_WAIT):
            return
        try:
            self._drop()
            self._watcher = None
        finally:
            self._mutex.release()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except sqlalchemy.exc.SQLAlchemyError:  # broken: nothing is held
                pass

    def _key(self) -> dict[str, Any]:
        return {"space": self._space, "key": lock_key(self.daemon_id)}

    def _connect(self) -> Connection:
        """A connection of its own holding the lock, taken once: only another
        program's exclusive hold refuses it (:class:`LivenessLockHeld`)."""
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            self._space = _space_of(connection)
            key = self._key()
            taken, self._backend = connection.execute(_TAKE, key).one()
            if taken:
                return connection
            holders = [int(pid) for pid in connection.scalars(_EXCLUSIVE, key)]
        except BaseException:
            connection.invalidate()
            connection.close()
            raise
        connection.invalidate()
        connection.close()
        raise LivenessLockHeld(self.daemon_id, key["space"], key["key"], holders)


def _watch(ref: weakref.ref[LivenessLock], closed: threading.Event) -> None:
    """The watcher thread of a :class:`LivenessLock` (until it is closed or gone):
    whatever a check raises is logged, and the next check comes."""
    while not closed.wait(KEEP_EVERY):
        lock = ref()
        if lock is None:
            return
        try:
            lock.keep()
        except Exception:
            log.exception("liveness lock check failed", extra=kv(daemon=lock.daemon_id))
        del lock
