"""A ``run --once`` (``make once`` to try the config) vouches that something polls
only until a daemon is seen after it: a killed daemon makes ``status`` exit 1 at
once, not a day later. Real rows, a real dead pid of this host."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchtower.status_daemons import instances_report
from watchtower.status_report import polled_recently
from watchtower.storage.db import Database
from watchtower.storage.tables import DaemonRow

HOST = socket.gethostname()
NOW = datetime.now(UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'wt.db'}")
    database.upgrade()
    try:
        yield database
    finally:
        database.dispose()


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def record(db: Database, mode: str, pid: int, seen_ago: timedelta) -> None:
    seen_at = NOW - seen_ago
    with db.writing() as session:
        session.add(
            DaemonRow(
                id=f"{mode}@{HOST}" if mode == "once" else f"{HOST}:{pid}", mode=mode,
                host=HOST, pid=pid, version="0.7.0", config="wt.toml", poll_interval_s=5.0,
                started_at=seen_at - timedelta(minutes=2), seen_at=seen_at,
            )
        )  # fmt: skip


def seen(db: Database) -> bool:
    with db.session() as session:
        return polled_recently(instances_report(session, NOW))


@pytest.mark.parametrize(
    ("once_ago", "daemon_ago", "expected"),
    [
        (timedelta(minutes=6), timedelta(seconds=3), False),  # the daemon died after it
        (timedelta(minutes=6), None, True),  # cron's run --once alone
        (timedelta(seconds=30), timedelta(hours=2), True),  # a run --once after the daemon
        (timedelta(hours=26), None, False),  # older than a day
    ],
)
def test_a_run_once_vouches_only_until_a_daemon_came_after_it(
    db: Database, once_ago: timedelta, daemon_ago: timedelta | None, expected: bool
) -> None:
    record(db, "once", 4242, once_ago)
    if daemon_ago is not None:
        record(db, "daemon", dead_pid(), daemon_ago)
    assert seen(db) is expected
