"""A PostgreSQL connection lost while a source's items are recorded (a server
restart, ``pg_terminate_backend``, a failover) is a database outage, not a
failure of that source: one "database unreachable" line, no "processing failed"
traceback, no failure counted against the source (a restart would otherwise
tell ops that every source is down), no SQL in its last error, and the source
due again at once (found by ``scripts/soak.py``).

Real PostgreSQL: the App's own connection is terminated by the server while it
inserts the items.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, select

from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.config import load_config
from watchtower.scheduler import Daemon
from watchtower.storage.tables import ITEMS, SOURCES

pytestmark = pytest.mark.timeout(60)

FEED = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Forum</title>'
    b"<link>https://forum.example.fr/</link><item><title>Acm\xc3\xa9 ouvre une agence</title>"
    b"<link>https://forum.example.fr/t/1</link><guid>post-1</guid></item></channel></rss>"
)


class Terminator:
    """Has the server terminate the connection that inserts items, once."""

    def __init__(self, app: App, url: str) -> None:
        self.url = url
        self.armed = threading.Event()
        event.listen(app.db.engine, "before_cursor_execute", self._before)

    def _before(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.armed.is_set() and statement.lstrip().upper().startswith("INSERT INTO ITEMS"):
            self.armed.clear()
            pid = conn.connection.dbapi_connection.info.backend_pid
            with psycopg.connect(self.url, autocommit=True) as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_lost_while_recording_is_an_outage_not_a_source_failure(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a connection terminated by the server is PostgreSQL's")
    feeds.resources["/forum.rss"] = Resource(FEED, "application/rss+xml")
    path = write_config(
        f"""
[watchtower]
database_url = "{database_url}"
backlog = "all"
default_notify = ["console:#veille"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
every = "1h"
allow_private = true
"""
    )
    app = App(load_config(path), console=io.StringIO())
    app.start()
    daemon = Daemon(app)
    terminator = Terminator(app, database_url)
    try:
        terminator.armed.set()
        with caplog.at_level(logging.INFO):
            daemon.poll_job()
        assert not terminator.armed.is_set(), "the items were never inserted"
        said = [(r.levelname, r.getMessage()) for r in caplog.records]
        assert ("ERROR", "processing failed") not in said
        assert not [m for level, m in said if m == "source failed"]
        assert [m for _, m in said if m.startswith("database unreachable")] != []
        with app.db.session() as session:
            source = session.execute(
                select(
                    SOURCES.c.consecutive_failures, SOURCES.c.last_error, SOURCES.c.next_check_at
                )
            ).one()
        assert (source.consecutive_failures, source.last_error) == (0, None)
        assert source.next_check_at <= app.clock()  # due again at once, not after its lease

        daemon.poll_job()  # the connection is back: the items are recorded
        with app.db.session() as session:
            assert session.execute(select(ITEMS.c.title)).scalars().all() == [
                "Acmé ouvre une agence"
            ]
    finally:
        app.close()
