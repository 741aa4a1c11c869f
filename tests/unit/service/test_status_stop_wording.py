"""How ``watchtower status`` words a daemon that no longer runs: stopped cleanly
(SIGTERM, ``systemctl stop``) reads as a stop, never as a crash ("NOT SEEN",
which says crashed, hung or killed), and a killed one never as a clean stop.
Both exit 1: nobody polls the configured sources (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.clock import Clock
from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config

EMPTY_FEED = b'<rss version="2.0"><channel><title>t</title></channel></rss>'


@pytest.fixture
def setup(
    database_url: str, feeds: FeedServer, write_config: Callable[[str], Path]
) -> Iterator[tuple[Path, Callable[..., App]]]:
    feeds.resources["/f.xml"] = Resource(EMPTY_FEED)
    path = write_config(f"""
[watchtower]
database_url = "{database_url}"
default_notify = ["console:"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/f.xml")}"
allow_private = true
""")
    apps: list[App] = []

    def build(clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> App:
        app = App(load_config(path), clock=clock, console=io.StringIO())
        app.start()
        apps.append(app)
        return app

    yield path, build
    for app in apps:
        app.close()


def status(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["status", "--config", str(path)])
    return code, capsys.readouterr().out.splitlines()


def test_a_clean_stop_reads_as_a_stop_not_as_a_crash(
    setup: tuple[Path, Callable[..., App]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, build = setup
    app = build()
    app.poller.poll()
    app.poller.heartbeat.stopped(app.db, app.clock())

    code, lines = status(path, capsys)
    assert code == 1  # nobody polls: the exit table's "a failure", as documented
    assert lines[0].startswith("Daemon: NOT RUNNING: stopped cleanly "), lines
    assert " · stopped cleanly " in lines[1], lines
    assert not any("NOT SEEN" in line or "killed" in line for line in lines), lines


def test_a_clean_stop_long_ago_is_still_a_stop(
    setup: tuple[Path, Callable[..., App]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Its heartbeat is far older than the staleness limit: still not "NOT SEEN"."""
    path, build = setup
    clock = Clock(datetime.now(UTC) - timedelta(hours=3))
    app = build(clock)
    app.poller.poll()
    clock.now += timedelta(minutes=1)
    app.poller.heartbeat.stopped(app.db, clock())

    code, lines = status(path, capsys)
    assert code == 1
    assert lines[0].startswith("Daemon: NOT RUNNING: stopped cleanly "), lines
    assert "(2h ago)" in lines[0], lines
    assert not any("NOT SEEN" in line for line in lines), lines


def test_a_killed_daemon_does_not_read_as_stopped(
    setup: tuple[Path, Callable[..., App]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A row of this host whose process is gone, never stopped cleanly."""
    path, build = setup
    app = build()
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    app.poller.heartbeat.pid = int(ended.stdout)  # a process that ended without a stop
    app.poller.poll()
    app.close()  # no clean stop written; on PostgreSQL its liveness lock is freed

    code, lines = status(path, capsys)
    assert code == 1
    assert lines[0].startswith("Daemon: NOT RUNNING: process "), lines
    assert " · ended without a clean stop: process " in lines[1], lines
    assert "(killed?)" in lines[1] and " · stopped" not in lines[1], lines
