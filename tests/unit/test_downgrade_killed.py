"""``watchtower db downgrade`` after a daemon of this host was killed (``kill -9``,
an OOM kill): its heartbeat row is recent for minutes, but its process is gone
(:func:`watchtower.local_process.gone_reason`), so it is not counted as running
and the output says so. A daemon of another host still counts on its heartbeat;
on PostgreSQL one holding its liveness lock runs, whatever its pid looks like
here. Real processes, real rows, SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.storage.db import Database, head_revision, revisions
from watchtower.storage.liveness import LivenessLock
from watchtower.storage.tables import DaemonRow

HOST = socket.gethostname()
BRANDS = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'


def killed_pid() -> int:
    """A process started, killed with SIGKILL and reaped, as systemd would."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    process.kill()
    process.wait()
    return process.pid


def record(db: Database, id: str, host: str, pid: int) -> None:
    """A daemon's heartbeat row, seen just now, never stopped."""
    now = datetime.now(UTC)
    with db.writing() as session:
        session.add(
            DaemonRow(
                id=id, mode="daemon", host=host, pid=pid, version="0.6.0", config="wt.toml",
                poll_interval_s=60.0, started_at=now - timedelta(minutes=5), seen_at=now,
            )
        )  # fmt: skip


def prepared(tmp_path: Path, database_url: str) -> tuple[list[str], Database]:
    path = tmp_path / "watchtower.toml"
    path.write_text(f'[watchtower]\ndatabase_url = "{database_url}"\n{BRANDS}', "utf-8")
    db = Database(database_url)
    db.upgrade()
    return ["--config", str(path)], db


def schema(db: Database) -> str | None:
    return db.existing_revision()


PREVIOUS = revisions()[revisions().index(head_revision()) - 1]


def test_a_daemon_of_this_host_killed_does_not_hold_back_a_downgrade(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, db = prepared(tmp_path, database_url)
    try:
        pid = killed_pid()
        record(db, "a" * 32, HOST, pid)
        capsys.readouterr()

        assert main(["db", "downgrade", PREVIOUS, *config]) == 0
        out, err = capsys.readouterr()
        assert f"process {pid} of this host is not running (killed?); not counted\n" in out
        assert "still run" not in err
        done = f"database downgraded from schema {head_revision()} to {PREVIOUS}: "
        assert out.splitlines()[-1].startswith(done), out
        assert schema(db) == PREVIOUS
    finally:
        db.dispose()


def test_another_hosts_daemon_still_counts_and_the_killed_one_is_named(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, db = prepared(tmp_path, database_url)
    try:
        pid = killed_pid()
        record(db, "a" * 32, HOST, pid)
        record(db, "b" * 32, "replica-2.example", pid)  # the same number, elsewhere
        capsys.readouterr()

        assert main(["db", "downgrade", PREVIOUS, *config]) == 1
        err = capsys.readouterr().err
        assert err.startswith(
            "1 watchtower daemon(s) still run on this database (replica-2.example pid "
            f"{pid}, last heartbeat 0s ago; process {pid} of this host is not running "
            "(killed?); not counted): stop every one first"
        ), err
        assert "--force" in err
        assert schema(db) == head_revision()
    finally:
        db.dispose()


def test_a_daemon_of_this_host_still_running_is_counted(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, db = prepared(tmp_path, database_url)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        record(db, "a" * 32, HOST, alive.pid)
        capsys.readouterr()

        assert main(["db", "downgrade", PREVIOUS, *config]) == 1
        err = capsys.readouterr().err
        assert err.startswith(
            f"1 watchtower daemon(s) still run on this database ({HOST} pid {alive.pid}, "
        ), err
        assert "not counted" not in err
        assert schema(db) == head_revision()
    finally:
        alive.kill()
        alive.wait()
        db.dispose()


def test_on_postgresql_a_held_liveness_lock_counts_whatever_the_pid(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another container with this host's name: its pid means nothing here, its
    liveness lock says it runs."""
    if not database_url.startswith("postgresql"):
        pytest.skip("liveness locks are PostgreSQL's")
    config, db = prepared(tmp_path, database_url)
    lock = LivenessLock(db.engine, "c" * 32)
    try:
        pid = killed_pid()
        record(db, "c" * 32, HOST, pid)
        lock.take()
        capsys.readouterr()

        assert main(["db", "downgrade", PREVIOUS, *config]) == 1
        err = capsys.readouterr().err
        assert err.startswith(
            f"1 watchtower daemon(s) still run on this database ({HOST} pid {pid}, "
        ), err
        assert "not counted" not in err
    finally:
        lock.close()
        db.dispose()
