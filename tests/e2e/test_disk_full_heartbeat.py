"""A disk so full that the daemon's heartbeat cannot be written: what the daemon
logs, and what ``watchtower status`` tells the operator.

A real full disk: the SQLite database on a small tmpfs filled by a file until
the kernel says ENOSPC (root only: skipped where nothing can be mounted; the
wording without a mount is in
``tests/unit/service/test_status_heartbeat_disk_full.py``). The real daemon's
poll job, the local feed server and the fake Slack (ops told directly).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.scenario import targets
from tests.e2e.test_disk_full import feed
from tests.e2e.test_disk_full_status import fill, small_disk
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.logs import _FIELDS as FIELDS
from watchtower.scheduler import Daemon
from watchtower.storage.daemons import daemon_rows
from watchtower.storage.tables import DaemonRow

__all__ = ["small_disk"]  # the fixture, imported to be used here

pytestmark = pytest.mark.timeout(90)


def test_a_heartbeat_refused_by_a_full_disk_is_logged_once_and_status_says_why(
    small_disk: Path,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    feeds.resources["/a.rss"] = Resource(feed(0, 3), "application/rss+xml")
    source = f'[[sources]]\nname = "a"\nkind = "rss"\nurl = "{feeds.url("/a.rss")}"\n'
    source += 'every = "1h"\nallow_private = true\n'  # polled once: then only heartbeats
    url = f"sqlite:///{small_disk / 'watchtower.db'}"
    text = targets(url, slack, smtp, 'ops_notify = ["slack:#ops"]')
    path = write_config(text + '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n' + source)
    # The daemon's last heartbeat that fitted was ten minutes ago (stale: 3 ticks + 2 min).
    clock = Clock(datetime.now(UTC) - timedelta(minutes=10))
    app = App(load_config(path), clock=clock)
    try:
        app.start()
        daemon = Daemon(app)
        daemon.poll_job()
        [row] = daemon_rows_of(app)
        last_beat = row.seen_at
        # A daemon's WAL may still take a few heartbeats in place; the heartbeat
        # fails once the WAL must grow: truncated here, the next one must.
        with app.db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        filler = fill(small_disk)
        clock.now = datetime.now(UTC)
        with caplog.at_level(logging.INFO, logger="watchtower.database"):
            for _ in range(5):  # five beats: none written, the daemon goes on
                daemon.poll_job()
        [row] = daemon_rows_of(app)
        assert row.seen_at == last_beat  # really refused, not a heartbeat that fitted

        code, out, err = status_err(path, capsys)
        os.unlink(filler)
        daemon.poll_job()  # space is back: the next beat is written
        back, after, _ = status_err(path, capsys)
    finally:
        app.close()

    # The log: one line for five refused heartbeats, naming the cause and what to do.
    [line] = [r for r in caplog.records if r.module == "outage"]
    assert line.getMessage() == "database full"
    fields = getattr(line, FIELDS)
    assert (fields["job"], fields["error"]) == ("poll", "database or disk is full")
    assert fields["hint"].startswith("free disk space")
    # Ops are told once, directly (the outbox cannot take a row).
    assert len([m for m in slack.messages if m["channel"] == "#ops"]) == 1

    # status: the stale heartbeat is explained, not "start the service"; still exit 1.
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("Daemon: heartbeat cannot be written: disk full (last heartbeat ")
    assert "(10m ago)); a running daemon resumes by itself once space is freed · " in lines[0]
    assert "(heartbeat cannot be written: disk full)" in lines[1]
    assert " · disk FULL: " in out and "NOT SEEN" not in out
    assert "no heartbeat seen recently: heartbeat cannot be written: disk full" in err
    assert "free some space: a running daemon resumes by itself, no restart" in err
    assert "start the service" not in err

    # Space freed: the same daemon's heartbeat is written again, and status is happy.
    assert back == 0
    assert after.startswith("Daemon: running (1 instance, last heartbeat ")


def daemon_rows_of(app: App) -> list[DaemonRow]:
    with app.db.session() as session:
        return list(daemon_rows(session))


def status_err(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``status``'s exit code, stdout and stderr (its log lines)."""
    capsys.readouterr()
    code = main(["status", "--config", str(path)])
    out, err = capsys.readouterr()
    return code, out, err
