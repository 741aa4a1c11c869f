"""How ``watchtower status`` judges a heartbeat row by its process
(:mod:`watchtower.local_process`, :func:`watchtower.status_daemons.instances_report`):
a row of this host whose pid is gone, or now another process's (started after
the row's last heartbeat), is "gone"; a row of another host, or whose process
still runs, keeps the heartbeat's rule. Real processes, real rows."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchtower.status_daemons import instances_report
from watchtower.storage.db import Database
from watchtower.storage.tables import DaemonRow

HOST = socket.gethostname()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'wt.db'}")
    database.upgrade()
    try:
        yield database
    finally:
        database.dispose()


def child() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def dead_pid() -> int:
    process = child()
    process.kill()
    process.wait()
    return process.pid


def record(db: Database, id: str, host: str, pid: int, seen_at: datetime) -> None:
    with db.writing() as session:
        session.add(
            DaemonRow(
                id=id, mode="daemon", host=host, pid=pid, version="0.5.0", config="wt.toml",
                poll_interval_s=3600.0, started_at=seen_at - timedelta(minutes=1),
                seen_at=seen_at,
            )
        )  # fmt: skip


def states(db: Database, now: datetime) -> dict[str, tuple[str, str | None]]:
    with db.session() as session:
        return {i["id"]: (i["state"], i["gone"]) for i in instances_report(session, now)}


def test_a_dead_pid_of_this_host_is_gone_another_hosts_keeps_its_heartbeat(
    db: Database,
) -> None:
    now = datetime.now(UTC)
    pid = dead_pid()
    record(db, "here", HOST, pid, now - timedelta(seconds=10))
    record(db, "there", "another-host", pid, now - timedelta(seconds=10))
    assert states(db, now) == {
        "here": ("gone", f"process {pid} is not running (killed?)"),
        "there": ("running", None),
    }


def test_a_live_process_is_running_and_its_pid_reused_since_is_gone(db: Database) -> None:
    from watchtower.local_process import started_at

    process = child()
    try:
        time.sleep(0.2)
        begun = started_at(process.pid)
        assert begun is not None
        now = datetime.now(UTC)
        record(db, "alive", HOST, process.pid, now)  # heard of after its start: the same
        # Heard of an hour before this process started: the pid went to another one.
        record(db, "reused", HOST, process.pid, begun - timedelta(hours=1))
        found = states(db, now)
    finally:
        process.kill()
        process.wait()
    assert found["alive"] == ("running", None)
    state, why = found["reused"]
    assert state == "gone" and why is not None
    assert why.startswith(f"process {process.pid} is not running (killed?); pid {process.pid} ")


def test_this_process_another_host_and_no_pid_are_never_judged_gone() -> None:
    from watchtower.local_process import gone_reason

    assert gone_reason(HOST, os.getpid(), datetime(2020, 1, 1, tzinfo=UTC)) is None
    assert gone_reason("another-host", dead_pid(), datetime.now(UTC)) is None
    assert gone_reason(HOST, 0, datetime.now(UTC)) is None
