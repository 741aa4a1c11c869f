"""The SQLite file deleted or replaced under a running daemon (a wrong ``rm``, a
cleanup script, a volume re-created, a restore copied over it).

The daemon's open connections would go on writing into a file nobody can open
again, and a restart on an empty database announces every recent item again.
So the daemon says it at once (one ERROR naming the file and what to do, one
ops notice straight from the notifiers), polls and sends nothing more, and
saves a copy of the file it still holds next to the path
(:mod:`watchtower.storage.sqlite_file`). Real daemon jobs, the local feed
server and the fake Slack; the last test runs the real process.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.daemon_process import forum_every_second, running_daemon, wait_for
from tests.e2e.one_feed_daemon import one_feed_daemon, serve_posts
from tests.e2e.test_disk_full import posts
from tests.e2e.test_reload import rss
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.logs import _FIELDS as FIELDS
from watchtower.scheduler import Daemon

pytestmark = pytest.mark.timeout(90)

LOST = "database file deleted or replaced: nothing is polled or sent"


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "data" / "watchtower.db"


@pytest.fixture
def daemon(
    database: Path,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Daemon]:
    """A started daemon on a SQLite file that announced two posts."""
    serve_posts(feeds, 0, 2)
    url = f"sqlite:///{database}"
    ops = 'ops_notify = ["slack:#ops"]'
    with one_feed_daemon(url, feeds, slack, smtp, write_config, monkeypatch, ops) as daemon:
        rounds(daemon, 1)
        assert len(posts(slack)) == 2
        yield daemon


def rounds(daemon: Daemon, n: int) -> None:
    """``n`` poll and drain rounds, a minute apart (the source due again each time)."""
    clock = daemon.app.clock
    assert isinstance(clock, Clock)
    for _ in range(n):
        clock.advance(minutes=1, seconds=1)
        daemon.poll_job()
        daemon.drain_job()
        assert daemon.app.outbox.join(20)


def remove(database: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def ops_posts(slack: FakeSlack) -> list[dict[str, Any]]:
    wanted = ("#ops", slack.channel_id("#ops"))
    return [p for p in slack.posts() if p.get("channel") in wanted]


def saved_copies(database: Path) -> list[Path]:
    return sorted(database.parent.glob(f"{database.name}.saved-*"))


def sent_in(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(
            connection.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()[0]
        )
    finally:
        connection.close()


def test_a_deleted_file_stops_the_daemon_says_so_once_and_keeps_a_copy(
    daemon: Daemon,
    database: Path,
    feeds: FeedServer,
    slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    remove(database)
    serve_posts(feeds, 100, 3)
    fetched = len(feeds.requests)
    with caplog.at_level(logging.INFO):
        rounds(daemon, 4)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [LOST], [r.getMessage() for r in errors]
    fields = getattr(errors[0], FIELDS)
    [copy] = saved_copies(database)
    assert fields["path"] == str(database) and fields["saved"] == str(copy)
    assert f"move {copy} to {database}" in fields["hint"]
    # Nothing polled into, nor sent from, a file that will be lost.
    assert len(feeds.requests) == fetched
    assert len(posts(slack)) == 2
    # Ops told once, in French, straight from the notifier.
    [notice] = ops_posts(slack)
    assert "supprimé ou remplacé" in notice["text"]
    # (Slack's escaping puts zero-width spaces around the underscores of a path.)
    shown = json.dumps(notice, ensure_ascii=False).replace("\u200b", "")
    assert f"remettez cette copie à la place de {database}" in shown and str(copy) in shown
    # The copy is the database as the daemon last wrote it: its two posts sent.
    assert sent_in(copy) == 2
    assert not any(r.exc_info for r in caplog.records), "a lost file is no traceback"
    # Still down: a read of the old file is no "database back".
    assert "database back" not in [r.getMessage() for r in caplog.records]


def test_a_file_replaced_under_the_daemon_is_not_written_either(
    daemon: Daemon, database: Path, feeds: FeedServer, slack: FakeSlack, tmp_path: Path
) -> None:
    # A restore done wrongly while the daemon runs: an older copy moved over the file.
    older = tmp_path / "older.db"
    shutil.copyfile(database, older)
    os.replace(older, database)
    serve_posts(feeds, 100, 3)
    fetched = len(feeds.requests)
    rounds(daemon, 2)
    assert len(feeds.requests) == fetched
    assert len(posts(slack)) == 2
    assert len(ops_posts(slack)) == 1
    assert len(saved_copies(database)) == 1


def test_the_running_process_logs_an_error_for_a_deleted_file(
    tmp_path: Path, feeds: FeedServer, write_config: Callable[[str], Path]
) -> None:
    """The operator's walk, with the real process: ``rm`` of the file while it runs."""
    database = tmp_path / "wt.db"
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    path = write_config(forum_every_second(database, feeds))
    log_path = tmp_path / "daemon.log"
    with running_daemon(path, log_path):
        wait_for(log_path, lambda text: "poll round" in text)
        size = len(log_path.read_text("utf-8"))
        remove(database)
        after = wait_for(log_path, lambda text: " ERROR " in text[size:])[size:]
        errors = [line for line in after.splitlines() if " ERROR " in line]
        assert any(LOST in line and str(database) in line for line in errors), after
        assert saved_copies(database), after
