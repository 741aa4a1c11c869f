"""``watchtower db downgrade`` after a daemon of this host was killed (``kill -9``,
an OOM kill): its heartbeat row is recent for minutes, but its process is gone
(:func:`watchtower.local_process.gone_reason`), so it is not counted as running
and the output says so. A daemon of another host still counts on its heartbeat;
on PostgreSQL one holding its liveness lock runs, whatever its pid looks like
here: ``status`` judges by the same rule (:mod:`watchtower.daemon_census`).
Real processes, real rows, SQLite and PostgreSQL."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.status_daemons import instances_report
from watchtower.storage.db import Database, head_revision, revisions
from watchtower.storage.liveness import LivenessLock
from watchtower.storage.tables import DaemonRow

HOST = socket.gethostname()
BRANDS = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
#: The schema a downgrade goes back to.
PREVIOUS = revisions()[revisions().index(head_revision()) - 1]


def killed_pid() -> int:
    """A process started, killed with SIGKILL and reaped, as systemd would."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    process.kill()
    process.wait()
    return process.pid


class Instance:
    """A watchtower config on a database at the latest schema, and the
    ``db downgrade`` it runs (:func:`instance`)."""

    def __init__(
        self, tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "watchtower.toml"
        path.write_text(f'[watchtower]\ndatabase_url = "{database_url}"\n{BRANDS}', "utf-8")
        self.config = ["--config", str(path)]
        self.db = Database(database_url)
        self.db.upgrade()
        self.capsys = capsys

    def record(self, id: str, host: str, pid: int) -> None:
        """A daemon's heartbeat row, seen just now, never stopped."""
        now = datetime.now(UTC)
        with self.db.writing() as session:
            session.add(
                DaemonRow(
                    id=id, mode="daemon", host=host, pid=pid, version="0.6.0", config="wt.toml",
                    poll_interval_s=60.0, started_at=now - timedelta(minutes=5), seen_at=now,
                )
            )  # fmt: skip

    def downgrade(self) -> tuple[int, str, str]:
        """``db downgrade PREVIOUS``: its exit status, stdout and stderr."""
        self.capsys.readouterr()
        code = main(["db", "downgrade", PREVIOUS, *self.config])
        out, err = self.capsys.readouterr()
        return code, out, err

    def refused_for_one(self, host: str, pid: int) -> None:
        """``db downgrade`` is refused for one daemon that runs, ``host`` pid
        ``pid``, none named gone."""
        code, _, err = self.downgrade()
        assert code == 1
        assert err.startswith(
            f"1 watchtower daemon(s) still run on this database ({host} pid {pid}, "
        ), err
        assert "not counted" not in err

    def schema(self) -> str | None:
        return self.db.existing_revision()


@pytest.fixture
def instance(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Iterator[Instance]:
    instance = Instance(tmp_path, database_url, capsys)
    try:
        yield instance
    finally:
        instance.db.dispose()


def test_a_daemon_of_this_host_killed_does_not_hold_back_a_downgrade(instance: Instance) -> None:
    pid = killed_pid()
    instance.record("a" * 32, HOST, pid)

    code, out, err = instance.downgrade()
    assert code == 0
    assert f"process {pid} of this host is not running (killed?); not counted\n" in out
    assert "still run" not in err
    done = f"database downgraded from schema {head_revision()} to {PREVIOUS}: "
    assert out.splitlines()[-1].startswith(done), out
    assert instance.schema() == PREVIOUS


def test_another_hosts_daemon_still_counts_and_the_killed_one_is_named(
    instance: Instance,
) -> None:
    pid = killed_pid()
    instance.record("a" * 32, HOST, pid)
    instance.record("b" * 32, "replica-2.example", pid)  # the same number, elsewhere

    code, _, err = instance.downgrade()
    assert code == 1
    # the heartbeat's age is the wall clock's: a second may pass on a busy host
    assert re.match(
        r"1 watchtower daemon\(s\) still run on this database \(replica-2\.example pid "
        rf"{pid}, last heartbeat [0-2]s ago; process {pid} of this host is not running "
        r"\(killed\?\); not counted\): stop every one first",
        err,
    ), err
    assert "--force" in err
    assert instance.schema() == head_revision()


def test_a_daemon_of_this_host_still_running_is_counted(instance: Instance) -> None:
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        instance.record("a" * 32, HOST, alive.pid)

        instance.refused_for_one(HOST, alive.pid)
        assert instance.schema() == head_revision()
    finally:
        alive.kill()
        alive.wait()


def test_on_postgresql_a_held_liveness_lock_counts_whatever_the_pid(
    database_url: str, instance: Instance
) -> None:
    """Another container with this host's name: its pid means nothing here, its
    liveness lock says it runs."""
    if not database_url.startswith("postgresql"):
        pytest.skip("liveness locks are PostgreSQL's")
    lock = LivenessLock(instance.db.engine, "c" * 32)
    try:
        pid = killed_pid()
        instance.record("c" * 32, HOST, pid)
        lock.take()

        instance.refused_for_one(HOST, pid)
    finally:
        lock.close()


def test_status_shows_gone_the_daemons_a_downgrade_does_not_count(instance: Instance) -> None:
    """One rule for both: a killed daemon of this host is gone and not counted,
    one of another host and one still running here count."""
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        pid = killed_pid()
        instance.record("a" * 32, HOST, pid)
        instance.record("b" * 32, "replica-2.example", pid)
        instance.record("c" * 32, HOST, alive.pid)
        with instance.db.session() as session:
            report = instances_report(session, datetime.now(UTC))
        code, _, err = instance.downgrade()
    finally:
        alive.kill()
        alive.wait()
    assert {i["id"][0]: (i["state"], i["gone"]) for i in report} == {
        "a": ("gone", f"process {pid} is not running (killed?)"),
        "b": ("running", None),
        "c": ("running", None),
    }
    assert code == 1
    assert err.startswith("2 watchtower daemon(s) still run on this database ("), err
    assert f"; process {pid} of this host is not running (killed?); not counted)" in err
