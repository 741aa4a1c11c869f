"""Whether another process of this host still runs, for a process starting
(:meth:`~watchtower.heartbeat_others.OtherProcesses.live_others`): a row whose
pid another process took since (started after the row's last heartbeat) is a
dead process's, by the rule ``status`` and ``db downgrade`` follow
(:func:`watchtower.local_process.gone_reason`). It counted as live: a daemon
restarted after a crash kept waiting for the leases of a process long gone.

Real processes, real rows, SQLite and PostgreSQL (on PostgreSQL, rows with the
ids of a version without liveness lock, which are judged by host and pid)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from watchtower.heartbeat import Heartbeat
from watchtower.local_process import started_at
from watchtower.storage.db import Database
from watchtower.storage.tables import DaemonRow

HOST = socket.gethostname()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A real process of this host, running for the test."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def record(db: Database, id: str, pid: int, seen_at: datetime) -> None:
    """A daemon's heartbeat row of this host, last seen at ``seen_at``, never stopped."""
    with db.writing() as session:
        session.add(
            DaemonRow(
                id=id, mode="daemon", host=HOST, pid=pid, version="0.3.1", config="wt.toml",
                poll_interval_s=60.0, started_at=seen_at - timedelta(hours=1), seen_at=seen_at,
            )
        )  # fmt: skip


def live_ids(db: Database, now: datetime) -> list[str]:
    me = Heartbeat("wt.toml", timedelta(seconds=60), now)
    return [row.id for row in me.live_others(db, now)]


def test_a_pid_taken_by_a_process_started_after_the_last_heartbeat_is_dead(
    db: Database, sleeper: subprocess.Popen[bytes]
) -> None:
    now = datetime.now(UTC)
    # Heard of 2 minutes ago (fresh: stale after 5 min), its pid now another's.
    record(db, "a" * 32, sleeper.pid, now - timedelta(minutes=2))
    if started_at(sleeper.pid) is None:
        pytest.skip("no /proc: a pid's start time cannot be read here")

    assert live_ids(db, now) == []
    assert Heartbeat("wt.toml", timedelta(seconds=60), now).alone(db, now)


def test_a_pid_whose_process_ran_before_the_last_heartbeat_is_live(
    db: Database, sleeper: subprocess.Popen[bytes]
) -> None:
    now = datetime.now(UTC) + timedelta(seconds=1)  # after the process's start
    record(db, "b" * 32, sleeper.pid, now)

    assert live_ids(db, now) == ["b" * 32]
    assert not Heartbeat("wt.toml", timedelta(seconds=60), now).alone(db, now)
