"""A normal stop (SIGTERM, Ctrl-C) while a source answers slowly.

The operator stops the daemon while one source's server trickles its answer: the
stop is normal, so the log says at INFO which source's fetch was abandoned (no
WARNING that reads like a fault), and that source is due at the next start (its
lease released), not ten minutes later. Real daemon loop, real local feed
server (SQLite and PostgreSQL).
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.servers.http import FeedServer, Resource, answering_after
from tests.servers.smtp import silent_server
from watchtower.app import App
from watchtower.config import load_config
from watchtower.scheduler import Daemon
from watchtower.storage.tables import SourceRow

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Acme ouvre une agence</title><link>https://a.example/1</link>
<guid>1</guid></item></channel></rss>"""


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # the slow server's thread ends with the test


@pytest.fixture
def app(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    release: threading.Event,
) -> Iterator[App]:
    feeds.resources["/fast.xml"] = Resource(FEED)
    feeds.handlers["/slow.xml"] = answering_after(lambda: release.wait(60), FEED)
    path = write_config(
        f"""
[watchtower]
database_url = "{database_url}"
default_notify = ["console:"]
backlog = "all"
poll_interval = "1h"

[[brands]]
name = "Acme"
terms = ["Acme"]

[[sources]]
name = "fast-feed"
kind = "rss"
url = "{feeds.url("/fast.xml")}"
allow_private = true

[[sources]]
name = "slow-forum"
kind = "rss"
url = "{feeds.url("/slow.xml")}"
allow_private = true
"""
    )
    started = App(load_config(path), console=io.StringIO())
    started.start()
    try:
        yield started
    finally:
        started.close()


def stop_while_slow(app: App) -> Daemon:
    """Run the daemon until the slow source's fetch runs and the fast one is done,
    then stop it as SIGTERM does."""
    daemon = Daemon(app)
    thread = threading.Thread(target=daemon.run_forever, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with app.db.session() as session:
                fast = session.scalar(
                    select(SourceRow.last_success_at).where(SourceRow.name == "fast-feed")
                )
            if fast is not None and app.poller.fetching():
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the slow fetch never started")
    finally:
        daemon.stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    return daemon


def test_a_normal_stop_during_a_slow_fetch_is_info_and_names_the_source(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")

    daemon = stop_while_slow(app)

    assert daemon.abandoned  # the process still ends at once (cli: _exit_now)
    mine = [r for r in caplog.records if r.name.startswith("watchtower")]
    warnings = [r.getMessage() for r in mine if r.levelno >= logging.WARNING]
    assert warnings == []  # a normal stop is not a fault
    [abandoned] = [r for r in mine if "abandoned" in r.getMessage()]
    assert abandoned.levelno == logging.INFO
    fields = getattr(abandoned, "wt_fields", {})
    assert fields["sources"] == "slow-forum"  # which source, not only "fetches"
    assert "due at the next start" in abandoned.getMessage()


def test_the_abandoned_source_is_due_at_the_next_start_not_after_its_lease(
    app: App,
) -> None:
    stop_while_slow(app)
    stopped = datetime.now(UTC)

    with app.db.session() as session:
        rows = {r.name: r for r in session.scalars(select(SourceRow))}
    slow = rows["slow-forum"].next_check_at
    assert slow is not None
    if slow.tzinfo is None:  # SQLite gives back naive UTC
        slow = slow.replace(tzinfo=UTC)
    assert slow <= stopped  # due now: the next start fetches it first thing
    fast = rows["fast-feed"].next_check_at
    assert fast is not None and fast.replace(tzinfo=UTC) > stopped  # its own schedule


def test_a_stop_that_leaves_a_delivery_in_flight_still_warns(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Not a slow fetch: an e-mail caught mid-send to an SMTP server that never
    answers is a real problem (its outcome unknown until its lease ends)."""
    caplog.set_level(logging.INFO, logger="watchtower")
    feeds.resources["/fast.xml"] = Resource(FEED)
    with silent_server() as port:
        path = write_config(
            f"""
[watchtower]
database_url = "{database_url}"
default_notify = ["email:veille@example.fr"]
backlog = "all"
poll_interval = "1h"
drain_interval = "1s"

[email]
smtp_host = "127.0.0.1"
smtp_port = {port}
starttls = false
from = "watchtower@example.fr"

[[brands]]
name = "Acme"
terms = ["Acme"]

[[sources]]
name = "fast-feed"
kind = "rss"
url = "{feeds.url("/fast.xml")}"
allow_private = true
"""
        )
        app = App(load_config(path), console=io.StringIO())
        app.start()
        daemon = Daemon(app)
        thread = threading.Thread(target=daemon.run_forever, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not app.outbox.busy():
                time.sleep(0.1)
            assert app.outbox.busy() == ["email"], "the e-mail was never sent"
        finally:
            daemon.stop.set()
            thread.join(timeout=30)
            app.close()

    assert "outbox email" in daemon.abandoned
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.getMessage() == "stopped with work still running"
    assert "outbox email" in getattr(warning, "wt_fields", {})["running"].split(",")
    assert not [r for r in caplog.records if "slow fetch" in r.getMessage()]
