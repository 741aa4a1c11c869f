"""What a daemon running for months must not pile up or hang on (found by ``scripts/soak.py``).

Silent HTTP clients, notifiers replaced by reloads, a database server that never
answers, finished rows never pruned by a daemon that never lives an hour.
"""

from __future__ import annotations

import gc
import io
import json
import logging
import socket
import sqlite3
import threading
import time
import urllib.request
import weakref
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.exposition import generate_latest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.scenario import ACME_FR
from tests.servers.http import FeedServer, Resource
from tests.servers.smtp import silent_server
from watchtower.app import RETIRED_NOTIFIER_KEEP, App
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.metrics import build_registry
from watchtower.outage import outage_reason
from watchtower.scheduler import CLEANUP_FIRST, Daemon
from watchtower.storage.db import Database
from watchtower.storage.engines import CONNECT_TIMEOUT
from watchtower.web import REQUEST_TIMEOUT, StatusServer


@pytest.fixture
def app(tmp_path: Path, write_config: Callable[[str], Path], clock: Clock) -> Iterator[App]:
    path = write_config(
        f"""
[watchtower]
database_url = "sqlite:///{tmp_path / "wt.db"}"
default_notify = ["console:#veille"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]
"""
    )
    started = App(load_config(path), clock=clock, console=io.StringIO())
    started.start()
    try:
        yield started
    finally:
        started.close()


def test_a_client_that_never_sends_its_request_is_disconnected(app: App) -> None:
    """A connection left silent (a lost TCP health check) must not hold a thread for ever."""
    server = StatusServer(app, "127.0.0.1:0", lambda: None).start()
    try:
        host, port = server.httpd.server_address[:2]
        silent = [socket.create_connection((str(host), port)) for _ in range(5)]
        for connection in silent:
            # Far longer than the server's limit: the server hangs up first.
            connection.settimeout(REQUEST_TIMEOUT + 30)
            assert connection.recv(1) == b""
            connection.close()
        with urllib.request.urlopen(server.url + "/livez", timeout=10) as answer:
            assert answer.status == 200
    finally:
        server.stop()


def test_notifiers_replaced_by_reloads_are_released(app: App, clock: Clock) -> None:
    """Each reload builds new notifiers; the old ones are closed and dropped once
    surely idle, instead of piling up until the process exits."""
    first = weakref.ref(app.notifier_for("console"))
    app.reload(load_config(app.loaded.path))
    gc.collect()
    assert first() is not None  # may still be mid-send in the drain thread
    for _ in range(3):  # a config edited now and then for months
        app.notifier_for("console")
        clock.advance(seconds=(RETIRED_NOTIFIER_KEEP + timedelta(minutes=1)).total_seconds())
        app.reload(load_config(app.loaded.path))
    gc.collect()
    assert first() is None


def test_a_postgresql_server_that_never_answers_fails_the_connection() -> None:
    """A database host that accepts the connection and then says nothing (a hung
    server, a half-dead network path) is an outage the daemon reports and retries,
    not a poll or drain job blocked for ever."""
    with silent_server() as port:
        db = Database(f"postgresql://watchtower@127.0.0.1:{port}/watchtower")
        outcome: list[BaseException | None] = []

        def connect() -> None:
            try:
                with db.engine.connect():
                    outcome.append(None)
            except Exception as exc:
                outcome.append(exc)

        attempt = threading.Thread(target=connect, daemon=True)
        attempt.start()
        attempt.join(CONNECT_TIMEOUT + 30)  # far longer than the limit
        db.dispose()
    assert outcome, "connecting to a silent server never gave up"
    assert outage_reason(outcome[0]) is not None  # logged as "database unreachable"


FORUM_CONFIG = """
[watchtower]
backlog = "all"  # the fixture's posts are dated in the past
database_url = "sqlite:///{db}"
default_notify = ["console:#veille"]
retention = "1s"
poll_interval = "1s"
drain_interval = "1s"

[[brands]]
name = "Acmé"
terms = ["Acmé", "Banque Acmé"]

[[sources]]
name = "forum-conso"
kind = "rss"
url = "{url}"
every = "1h"
allow_private = true
"""


def finished_notifications(db_path: Path) -> int:
    with sqlite3.connect(db_path) as connection:
        return int(
            connection.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()[0]
        )


@pytest.fixture
def forum(tmp_path: Path, feeds: FeedServer, write_config: Callable[[str], Path]) -> Path:
    feeds.resources["/forum.rss"] = Resource(ACME_FR, "application/rss+xml")
    db = tmp_path / "forum.db"
    write_config(FORUM_CONFIG.format(db=db, url=feeds.url("/forum.rss")), "forum.toml")
    return db


def test_run_once_from_cron_prunes_what_retention_lets_go(
    forum: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``run --once`` from cron may be the only watchtower there is: it prunes too."""
    config = str(tmp_path / "forum.toml")
    assert main(["run", "--once", "--config", config]) == 0
    assert "run finished" in capsys.readouterr().err
    time.sleep(1.5)  # past the 1 s retention of the notifications just sent
    assert main(["run", "--once", "--config", config]) == 0
    assert finished_notifications(forum) == 0


def test_a_daemon_restarted_often_still_prunes(forum: Path, tmp_path: Path) -> None:
    """Not only an hour after start: a daemon that never lives an hour must prune too."""
    app = App(load_config(tmp_path / "forum.toml"), console=io.StringIO())
    app.start()
    daemon = Daemon(app)
    thread = threading.Thread(target=daemon.run_forever, daemon=True)
    thread.start()
    try:
        sent = pruned = False
        deadline = time.monotonic() + CLEANUP_FIRST.total_seconds() + 60
        while time.monotonic() < deadline and not pruned:
            count = finished_notifications(forum)
            sent = sent or count > 0
            pruned = sent and count == 0
            time.sleep(0.5)
        assert sent, "nothing was delivered"
        assert pruned, "the sent notifications were kept past their retention"
    finally:
        daemon.stop.set()
        thread.join(timeout=30)
        app.close()


def test_metrics_say_why_the_database_state_is_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A scrape whose database query fails for a reason other than an outage (here:
    a database without watchtower's tables) logs it instead of dropping the outbox
    and source gauges silently."""
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    db = Database(f"sqlite:///{empty}")
    try:
        registry = build_registry(db, lambda: datetime.now(UTC))
        with caplog.at_level(logging.ERROR, logger="watchtower.metrics"):
            text = generate_latest(registry).decode()
    finally:
        db.dispose()
    assert "watchtower_outbox_depth{" not in text
    assert any("/metrics" in record.getMessage() for record in caplog.records)


def test_a_daemon_stopped_cleanly_says_stopped_in_status(
    forum: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After SIGTERM or Ctrl-C, ``status`` says "stopped": not "running" until the
    heartbeat goes stale, then "not seen" as if the daemon had died."""
    config = str(tmp_path / "forum.toml")
    app = App(load_config(Path(config)), console=io.StringIO())
    app.start()
    daemon = Daemon(app)
    thread = threading.Thread(target=daemon.run_forever, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not app.poller.heartbeat.started:
            time.sleep(0.2)
        assert app.poller.heartbeat.started, "the daemon never polled"
    finally:
        daemon.stop.set()
        thread.join(timeout=30)
        app.close()
    capsys.readouterr()
    assert main(["status", "--json", "--config", config]) == 1  # nobody polls now
    [instance] = json.loads(capsys.readouterr().out)["daemon"]["instances"]
    assert instance["state"] == "stopped"


def test_metrics_keep_no_series_of_removed_sources_nor_created_samples(
    forum: Path, tmp_path: Path, write_config: Callable[[str], Path]
) -> None:
    """A daemon running for months exports the sources it has, once each: not every
    source it ever had, and not a ``*_created`` sample beside each series."""
    path = tmp_path / "forum.toml"
    app = App(load_config(path), console=io.StringIO())
    app.start()
    try:
        app.poller.poll(all_sources=True)
        registry = build_registry(app.db, app.clock)
        before = generate_latest(registry).decode()
        assert 'watchtower_items_fetched_total{source="forum-conso"} ' in before
        assert "_created" not in before

        text = path.read_text("utf-8")
        path.write_text(text.replace('name = "forum-conso"', 'name = "forum-renamed"'), "utf-8")
        app.reload(load_config(path))
        app.poller.poll(all_sources=True)
        after = generate_latest(registry).decode()
    finally:
        app.close()
    counted = ("items_fetched", "new_items", "mentions", "polls")
    removed = [
        line
        for line in after.splitlines()
        if line.startswith(tuple(f"watchtower_{name}_total{{" for name in counted))
        and 'source="forum-conso"' in line
    ]
    assert removed == []
    assert 'watchtower_items_fetched_total{source="forum-renamed"} ' in after
