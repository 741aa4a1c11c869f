"""Taking the liveness lock (PostgreSQL): once, and a refusal says who holds it.

Probes read ``pg_locks`` and every watchtower process takes its lock shared,
so nothing of watchtower ever holds one exclusively: a take refused means
another program holds that very key. It used to be tried 40 times and end in
a bare ``TimeoutError("... stays taken")``; it now fails at once, naming the
daemon id and the PostgreSQL server process holding the lock. The watcher
thread that takes a lost lock again says the same and keeps trying.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from tests.conftest import PG_URL
from watchtower.storage.liveness import LOCK_SPACE, LivenessLock, LivenessLockHeld, lock_key

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.skipif(not PG_URL, reason="PostgreSQL: set WATCHTOWER_TEST_DATABASE_URL"),
]


@pytest.fixture
def engine() -> Iterator[Engine]:
    engine = create_engine((PG_URL or "").replace("postgresql://", "postgresql+psycopg://"))
    yield engine
    engine.dispose()


@pytest.fixture
def other(engine: Engine) -> Iterator[Connection]:
    """Another program's session (schema ``public``, as the locks below)."""
    with engine.connect() as raw:
        yield raw.execution_options(isolation_level="AUTOCOMMIT")


def fields(record: logging.LogRecord) -> dict[str, Any]:
    return dict(getattr(record, "wt_fields", {}))


def hold_exclusively(connection: Connection, daemon_id: str, *, wait: bool = False) -> int:
    """Take ``daemon_id``'s liveness lock exclusively on ``connection``; its backend
    pid. ``wait``: while a server process just terminated still holds it shared."""
    key = {"space": LOCK_SPACE, "key": lock_key(daemon_id)}
    take = text("SELECT pg_try_advisory_lock(:space, :key)")
    for _ in range(200 if wait else 0):
        if connection.scalar(take, key):
            break
        time.sleep(0.05)
    else:
        assert connection.scalar(take, key)
    return int(connection.scalar(text("SELECT pg_backend_pid()")))


def test_a_lock_another_program_holds_is_refused_at_once_naming_its_holder(
    engine: Engine, other: Connection
) -> None:
    holder = hold_exclusively(other, "daemon-held")
    lock = LivenessLock(engine, "daemon-held")
    try:
        with pytest.raises(LivenessLockHeld) as refused:
            lock.take()
    finally:
        lock.close()
    assert refused.value.holders == [holder]
    message = str(refused.value)
    assert "daemon-held" in message
    assert f"server process {holder}" in message
    assert not lock.held and lock._watcher is None  # nothing kept: the start fails


def test_two_processes_with_one_id_both_hold_it(engine: Engine) -> None:
    """Two ``run --once`` of one host share ``once@<host>``: taken shared, both
    hold it (and it stays held while either lives)."""
    first, second = LivenessLock(engine, "once@cron"), LivenessLock(engine, "once@cron")
    try:
        first.take()
        second.take()
        assert first.held and second.held
    finally:
        first.close()
        second.close()


def test_the_watcher_says_who_holds_a_lock_it_cannot_take_again_and_keeps_trying(
    engine: Engine, other: Connection, caplog: pytest.LogCaptureFixture
) -> None:
    lock = LivenessLock(engine, "daemon-lost")
    lock.take()
    assert lock._connection is not None
    backend = lock._connection.scalar(text("SELECT pg_backend_pid()"))
    # Its server process ends (a failover, pg_terminate_backend): the lock is lost.
    other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    try:
        holder = hold_exclusively(other, "daemon-lost", wait=True)
        with caplog.at_level(logging.INFO, logger="watchtower.heartbeat"):
            lock.keep()  # the check finds the connection dead, the take refused
            lock.keep()  # said once
            assert not lock.held
            other.execute(text("SELECT pg_advisory_unlock_all()"))
            lock.keep()
        assert lock.held
    finally:
        lock.close()
    said = [(r.levelname, r.getMessage(), fields(r).get("error", "")) for r in caplog.records]
    refusals = [entry for entry in said if "another program holds it" in entry[1]]
    assert len(refusals) == 1 and refusals[0][0] == "WARNING"
    assert f"server process {holder}" in refusals[0][2]
    assert said[-1][1] == "liveness lock taken again"
