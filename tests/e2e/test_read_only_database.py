"""A PostgreSQL that turned read-only (a failover left us on a standby) is a database
outage for the operator: one warning, ``/readyz`` failing with the reason, one line
when writes work again.

Real PostgreSQL, real daemon jobs: the App's connections (and the readiness
probe's) are made read-only the way a standby is, with
``default_transaction_read_only``, so every write fails with the server's own
``cannot execute … in a read-only transaction`` (SQLSTATE 25006).
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.e2e.scenario import targets
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.config import load_config
from watchtower.logs import _FIELDS as FIELDS
from watchtower.scheduler import Daemon
from watchtower.web import StatusServer

pytestmark = pytest.mark.timeout(60)

FEED = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Forum</title>'
    b"<link>https://forum.example.fr/</link><item><title>Acm\xc3\xa9 ouvre une agence</title>"
    b"<link>https://forum.example.fr/t/1</link><guid>post-1</guid></item></channel></rss>"
)


class Failover:
    """Makes the new connections of some engines read-only, as a standby's are."""

    def __init__(self, *engines: Engine) -> None:
        self.engines = engines
        self.read_only = threading.Event()
        for engine in engines:
            event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        if self.read_only.is_set():
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET default_transaction_read_only = on")
            dbapi_connection.commit()

    def switch(self, *, read_only: bool) -> None:
        """Fail over (or back): the pooled connections go, new ones reach the other server."""
        if read_only:
            self.read_only.set()
        else:
            self.read_only.clear()
        for engine in self.engines:
            engine.dispose()


def readyz(server: StatusServer) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(server.url + "/readyz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_read_only_postgresql_is_an_outage_until_writes_work_again(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("a read-only transaction is PostgreSQL's (SQLite's read-only disk: web tests)")
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    feeds.resources["/forum.rss"] = Resource(FEED, "application/rss+xml")
    path = write_config(
        targets(database_url, slack, smtp)
        + f"""
[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
every = "1s"
allow_private = true
"""
    )
    app = App(load_config(path), console=io.StringIO())
    app.start()
    daemon = Daemon(app)
    server = StatusServer(app, "127.0.0.1:0", lambda: None).start()
    failover = Failover(app.db.engine, server.probe)
    try:
        daemon.poll_job()
        daemon.drain_job()
        app.outbox.join(10)
        assert len(slack.posts()) == 1
        assert readyz(server)[0] == 200

        failover.switch(read_only=True)
        with caplog.at_level(logging.INFO):
            for _ in range(3):
                time.sleep(1.1)  # the source is due again
                daemon.poll_job()
                daemon.drain_job()
                app.outbox.join(10)
            down, body = readyz(server)
            outage = list(caplog.records)
            caplog.clear()

            failover.switch(read_only=False)
            time.sleep(1.1)
            daemon.poll_job()
            daemon.drain_job()
            app.outbox.join(10)
            back, _ = readyz(server)
            recovery = list(caplog.records)
    finally:
        server.stop()
        app.close()

    def shown(records: list[logging.LogRecord]) -> list[str]:
        return [f"{r.levelname} {r.name} {r.getMessage()}" for r in records if r.levelno >= 30]

    # One line from the jobs, one from /readyz (which logs its changes), over 3 rounds.
    warnings = shown(outage)
    assert warnings == [
        "WARNING watchtower.database database read-only",
        "WARNING watchtower.web not ready",
    ], warnings
    [line] = [r for r in outage if r.getMessage() == "database read-only"]
    assert "read-only" in str(getattr(line, FIELDS)["error"])
    assert not any(r.exc_info for r in outage), "an outage is no traceback"
    assert down == 503
    assert body["ready"] is False and "read-only" in json.dumps(body), body
    assert back == 200
    assert [
        r.getMessage() for r in recovery if r.name in ("watchtower.database", "watchtower.web")
    ] == [
        "database back",
        "ready again",
    ]
    assert shown(recovery) == []
