"""SIGTERM during ``run --once`` (a cron job killed by its timeout, Ctrl-C): the run
ends within seconds even while a mail server trickles its answer, reports itself
incomplete, and what it found waits in the outbox for the next run."""

from __future__ import annotations

import signal
import sqlite3
import sys
from pathlib import Path

from tests.e2e.test_review_ops import (
    Process,
    TricklingServer,
    config,
    fetches,
    imap_source,
    rss,
    wait_for,
)
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack


def test_sigterm_during_run_once_with_a_hung_source_ends_promptly(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack
) -> None:
    imap = TricklingServer()
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    path = tmp_path / "watchtower.toml"
    path.write_text(
        config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack, extra=imap_source(imap)), "utf-8"
    )
    env = {"SLACK_BOT_TOKEN": slack.token, "REVIEW_IMAP_PASSWORD": "imap-secret"}
    args = [sys.executable, "-m", "watchtower", "run", "--once", "--config", str(path)]
    run = Process(args, tmp_path / "once.log", env)
    try:
        wait_for(lambda: imap.connections, "the IMAP connection")
        wait_for(lambda: fetches(feeds), "the RSS fetch")
        run.signal(signal.SIGTERM)
        code = run.wait(8.0)
        assert code is not None, f"still running 8 s after SIGTERM:\n{run.log()}"
        assert code == 1, run.log()  # incomplete: one source was not fetched
    finally:
        run.kill()
        imap.stop()
    with sqlite3.connect(tmp_path / "wt.db") as db:
        statuses = [status for (status,) in db.execute("SELECT status FROM outbox")]
    assert statuses == ["pending"]  # the RSS mention, for the next run
