"""A ``run --once`` started next to a running daemon on the same SQLite file
keeps the daemon's claims: it no longer takes every claim it finds for a dead
process's (SQLite was judged "one daemon per file", yet nothing refuses a cron
job on the daemon's file): the source the daemon is fetching was fetched a
second time, the notification it was sending sent again.

On SQLite a process is judged by its host and pid, as
:meth:`~watchtower.heartbeat.Heartbeat.live_others` does; a row with this
process's own pid is an earlier process's (tests/e2e/test_dead_process_leases.py
"same pid": still released).
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.e2e.test_dead_process_leases import (  # noqa: F401  (fixtures)
    Hanging,
    config,
    forum,
    forum_items,
    kill,
    start_daemon,
    wait_mid_poll,
)
from tests.servers.http import FeedServer
from watchtower.app import App
from watchtower.config import load_config
from watchtower.scheduler import Daemon
from watchtower.storage.tables import OutboxRow

pytestmark = pytest.mark.timeout(90)


def test_a_run_once_next_to_a_live_daemon_keeps_its_claims(
    database_url: str,
    config: Path,  # noqa: F811
    forum: Hanging,  # noqa: F811
    feeds: FeedServer,
) -> None:
    process = start_daemon(config)
    app = App(load_config(config), console=io.StringIO())
    try:
        wait_mid_poll(database_url, forum, process)
        with app.db.writing() as session:
            # The daemon is sending the blog's post.
            session.execute(
                update(OutboxRow).values(
                    status="sending", attempts=1, claimed_until=app.clock() + timedelta(minutes=5)
                )
            )
        app.start()
        Daemon(app).poll_job()

        # (the daemon's own request still hangs: not logged yet)
        fetched = [path for path, _, _ in feeds.requests]
        assert "/forum.rss" not in fetched, "the forum the daemon fetches fetched again"
        assert app.outbox.drain().sent == 0, "the post the daemon sends sent again"
        assert forum_items(app) == []
        with app.db.session() as session:
            assert session.scalars(select(OutboxRow.status)).all() == ["sending"]
    finally:
        kill(process)
        app.close()
