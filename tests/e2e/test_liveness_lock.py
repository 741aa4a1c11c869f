"""The liveness lock of each process (PostgreSQL): whether another process is
live, as the processes starting judge it (:meth:`Heartbeat.live_others`).

Review findings, each taking a live replica for dead (its claims then released,
its notifications sent twice by the process starting):

* a probe on the very server connection holding a live lock (a pooler in
  transaction mode hands it any) got the lock: a session never waits on its
  own locks. A probe now reads ``pg_locks``;
* the watcher thread died for good on an error it did not expect (the workers'
  pool exhausted, ``sqlalchemy.exc.TimeoutError``, while all reconnect after a
  restart): the lock, once lost, was never taken again;
* a process holds its lock from start but writes its row at its first round:
  one starting meanwhile judged itself alone;
* a 0.3.1 ``run --once`` (id ``once:<host>``, no lock) was judged by a lock;
* :meth:`LivenessLock.close` waited for a check stuck in a reconnect.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy.exc
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session

from tests.conftest import PG_URL, _pg_schema_url
from watchtower.heartbeat import Heartbeat
from watchtower.storage import liveness
from watchtower.storage.daemons import upsert_daemon
from watchtower.storage.db import Database
from watchtower.storage.liveness import LOCK_SPACE, LivenessLock, free_locks, lock_key

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(not PG_URL, reason="PostgreSQL: set WATCHTOWER_TEST_DATABASE_URL"),
]

MINUTES = timedelta(minutes=5)


@pytest.fixture
def make_db() -> Iterator[Callable[[], Database]]:
    """Databases in schemas of their own, migrated, disposed at the end."""
    made: list[tuple[Database, Iterator[str]]] = []

    def make() -> Database:
        schemas = _pg_schema_url(PG_URL or "")
        db = Database(next(schemas))
        db.upgrade()
        made.append((db, schemas))
        return db

    yield make
    for db, schemas in made:
        db.dispose()
        for _ in schemas:
            pass


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = create_engine((PG_URL or "").replace("postgresql://", "postgresql+psycopg://"))
    yield engine
    engine.dispose()


def backend(lock: LivenessLock) -> int:
    assert lock._connection is not None
    return int(lock._connection.scalar(text("SELECT pg_backend_pid()")))


def terminate(engine: Engine, pid: int) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def held_elsewhere(engine: Engine, daemon_id: str) -> bool:
    with Session(engine) as session:
        return not free_locks(session, [daemon_id])


def test_a_probe_on_the_holders_own_server_connection_sees_it_held(engine: Engine) -> None:
    """A pooler in transaction mode may run the probe on the server connection
    that holds a live replica's lock: it is held all the same."""
    with engine.connect() as raw:
        connection: Connection = raw.execution_options(isolation_level="AUTOCOMMIT")
        key = {"space": LOCK_SPACE, "key": lock_key("live-replica")}  # schema public
        assert connection.scalar(text("SELECT pg_try_advisory_lock_shared(:space, :key)"), key)
        try:
            with Session(bind=connection) as session:
                assert free_locks(session, ["live-replica", "dead-one"]) == {"dead-one"}
        finally:
            connection.scalar(text("SELECT pg_advisory_unlock_shared(:space, :key)"), key)


def test_the_lock_is_taken_again_past_a_full_pool_and_any_error(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The workers' pool is full (all reconnecting after a restart): the lock has
    an engine of its own. A check that raises what nobody expected (a pool
    timeout, anything) is logged, and the next check comes."""
    monkeypatch.setattr(liveness, "KEEP_EVERY", 0.1)
    url = (PG_URL or "").replace("postgresql://", "postgresql+psycopg://")
    full = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    hog = full.connect()
    lock = LivenessLock(full, "pool-victim")
    try:
        lock.take()  # the workers' pool has no room
        failures = [sqlalchemy.exc.TimeoutError("QueuePool limit reached"), RuntimeError("?")]
        connect = lock.engine.connect

        def flaky() -> Connection:
            if failures:
                raise failures.pop(0)
            return connect()

        monkeypatch.setattr(lock.engine, "connect", flaky)
        watcher = lock._watcher
        assert watcher is not None
        with caplog.at_level(logging.INFO, logger="watchtower.heartbeat"):
            terminate(engine, backend(lock))
            assert wait_for(
                lambda: not failures and lock.held and held_elsewhere(engine, "pool-victim")
            )
        assert watcher.is_alive()
        messages = [r.getMessage() for r in caplog.records]
        assert "liveness lock check failed" in messages  # the RuntimeError
        assert messages[-1] == "liveness lock taken again"
    finally:
        lock.close()
        hog.close()
        full.dispose()
    assert wait_for(lambda: not held_elsewhere(engine, "pool-victim"))


def test_a_lock_lost_on_a_connection_that_still_answers_is_taken_again(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """Behind a pooler in transaction mode the lock's statements reach any server
    connection, and the one holding the lock may be closed: told once, and the
    lock held again on whichever answers."""
    lock = LivenessLock(engine, "pooled")
    lock.take()
    try:
        assert lock._connection is not None
        lock._connection.execute(text("SELECT pg_advisory_unlock_all()"))  # as if closed
        assert not held_elsewhere(engine, "pooled")
        with caplog.at_level(logging.WARNING, logger="watchtower.heartbeat"):
            lock.keep()
            lock._backend = -1  # another server connection answers
            lock.keep()
        assert held_elsewhere(engine, "pooled")
        warned = [r.getMessage() for r in caplog.records]
        assert len(warned) == 1 and "connection pooler in transaction mode" in warned[0]
    finally:
        lock.close()


def test_close_does_not_wait_for_a_check_stuck_in_a_reconnect(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check reconnecting through a network cut lasts up to a minute: the
    shutdown does not wait for it, and the check lets go of the lock once done."""
    monkeypatch.setattr(liveness, "CLOSE_WAIT", 0.2, raising=False)
    lock = LivenessLock(engine, "stuck")
    lock.take()
    under_way, ended = threading.Event(), threading.Event()

    def check() -> None:  # holds the lock's mutex as a reconnect does
        with lock._mutex:
            under_way.set()
            ended.wait(3)

    thread = threading.Thread(target=check)
    thread.start()
    under_way.wait(5)
    started = time.monotonic()
    lock.close()
    waited = time.monotonic() - started
    ended.set()
    thread.join()
    assert waited < 2
    assert held_elsewhere(engine, "stuck")  # until the check ends
    lock.keep()  # the check ends: closed, it lets go
    assert not lock.held and wait_for(lambda: not held_elsewhere(engine, "stuck"))


def test_a_process_starting_sees_one_whose_row_is_not_written_yet(
    make_db: Callable[[], Database],
) -> None:
    """A holds its lock from start, its row comes at its first round: B, starting
    meanwhile, is not alone. A process of another schema is another instance's."""
    db, other_instance = make_db(), make_db()
    now = datetime.now(UTC)
    a = Heartbeat("a.toml", MINUTES, now)
    b = Heartbeat("b.toml", MINUTES, now)
    elsewhere = Heartbeat("c.toml", MINUTES, now)
    a.hold(db)
    elsewhere.hold(other_instance)
    try:
        others = b.live_others(db, now)
        assert [row.mode for row in others] == ["starting"] and not b.alone(db, now)
        assert not b.config_behind(db, now)  # no config known: not a newer one
        a.start(db, now)
        assert [row.id for row in b.live_others(db, now)] == [a.id]
    finally:
        a.close()
        elsewhere.close()
    assert wait_for(lambda: b.alone(db, now))  # A gone (its server process ends)


def test_a_0_3_1_run_once_is_judged_by_host_and_pid_and_a_new_one_by_its_lock(
    make_db: Callable[[], Database],
) -> None:
    db = make_db()
    now = datetime.now(UTC)
    old = Heartbeat("old.toml", MINUTES, now, version="0.3.1")
    old.mode, old.id, old.host = "once", "once:cron-host", "cron-host"  # 0.3.1's id
    row = old._row(now)
    with db.writing() as session:
        upsert_daemon(session, row, row)
    new = Heartbeat("new.toml", MINUTES, now)
    assert [r.id for r in new.live_others(db, now)] == ["once:cron-host"]

    once = Heartbeat("cron.toml", MINUTES, now)
    once.start(db, now, once=True)
    assert once.id.startswith("once@")
    assert once.id in [r.id for r in new.live_others(db, now)]
    once.close()  # killed: its lock is dropped with its connection
    assert wait_for(lambda: once.id not in [r.id for r in new.live_others(db, now)])
