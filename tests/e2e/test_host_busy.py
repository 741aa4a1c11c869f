"""Several sources on one site and a hung feed there: the sources that waited for
the site's slot are put off, not failed (no failure counted, no backoff, no
"source down" alert), polled again and not one item lost; the hung feed itself,
and a site really down, still alert.

All the sources are on one loopback server (one host to the fetcher), with one
slot per host (``per_host_concurrency = 1``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.clock import Clock
from tests.servers.http import FeedServer, Resource, answering_after
from watchtower.app import App
from watchtower.config import load_config
from watchtower.poll_deferral import WAITING
from watchtower.status_daemons import daemon_liveness
from watchtower.status_report import status_report
from watchtower.status_text import render_report
from watchtower.storage.tables import SOURCES, ItemRow, OutboxRow, SourceRow

OTHERS = ("alerte-1", "alerte-2", "alerte-3")
NOTE = WAITING.format(host="127.0.0.1")


def rss(name: str) -> bytes:
    items = "".join(
        f"<item><title>Acmé dans {name}, n°{i}</title><link>https://ex.fr/{name}/{i}</link>"
        f"<guid>{name}-{i}</guid></item>"
        for i in range(2)
    )
    return f'<rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'.encode()


def config(database_url: str, feeds: FeedServer, names: tuple[str, ...], timeout: str) -> str:
    sources = "".join(
        f"""
[[sources]]
name = "{name}"
kind = "rss"
url = "{feeds.url(f"/{name}.rss")}"
every = "1h"
allow_private = true
"""
        for name in names
    )
    return f"""
[watchtower]
backlog = "all"
database_url = "{database_url}"
ops_notify = ["console:#ops"]
source_alert_after = 2
per_host_concurrency = 1
request_timeout = "{timeout}"
poll_interval = "5s"

[[brands]]
name = "Acmé"
terms = ["Acmé"]
{sources}"""


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of the test: no hung server thread outlives it."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def start(
    database_url: str, write_config: Callable[[str], Path]
) -> Iterator[Callable[[FeedServer, tuple[str, ...], str], tuple[App, Clock]]]:
    apps: list[App] = []

    def build(feeds: FeedServer, names: tuple[str, ...], timeout: str) -> tuple[App, Clock]:
        clock = Clock()
        app = App(
            load_config(write_config(config(database_url, feeds, names, timeout))), clock=clock
        )
        apps.append(app)
        app.start()
        return app, clock

    yield build
    for app in apps:
        app.close()


def rows(app: App) -> dict[str, dict[str, Any]]:
    """Each source's row, by name."""
    with app.db.session() as session:
        return {r["name"]: dict(r) for r in session.execute(select(SOURCES)).mappings()}


def alerts(app: App) -> list[str]:
    """The source-health notices queued for ops, as ``name:state``."""
    with app.db.session() as session:
        keys = session.scalars(
            select(OutboxRow.dedup_key)
            .where(OutboxRow.dedup_key.like("ops:source:%"))
            .order_by(OutboxRow.id)
        )
        return [":".join(k.split(":")[2:4]) for k in keys]


def items(app: App, name: str) -> int:
    with app.db.session() as session:
        source = session.scalars(select(SourceRow.id).where(SourceRow.name == name)).one()
        return len(list(session.scalars(select(ItemRow.id).where(ItemRow.source_id == source))))


def due(app: App, names: tuple[str, ...], when: datetime) -> None:
    with app.db.writing() as session:
        session.execute(update(SOURCES).where(SOURCES.c.name.in_(names)).values(next_check_at=when))


def wait_for_fetches(app: App) -> None:
    """Until no fetch runs in the background (bounded by the test's timeout)."""
    finished = threading.Event()
    while app.poller.fetching():
        finished.wait(0.05)


@pytest.mark.timeout(90)
def test_sources_queued_behind_a_hung_feed_of_their_site_are_put_off_not_failed(
    feeds: FeedServer,
    start: Callable[[FeedServer, tuple[str, ...], str], tuple[App, Clock]],
    release: threading.Event,  # after start: set before the app closes
    caplog: pytest.LogCaptureFixture,
) -> None:
    feeds.handlers["/lent.rss"] = answering_after(lambda: release.wait(60), rss("lent"))
    for name in OTHERS:
        feeds.resources[f"/{name}.rss"] = Resource(rss(name))
    app, clock = start(feeds, ("lent", *OTHERS), "30s")
    # Shorter than the hung fetch's own deadline, so that it still holds the slot.
    app.http.host_wait = 0.3
    caplog.set_level(logging.INFO)

    due(app, OTHERS, clock.now + timedelta(hours=1))
    first = app.poller.poll()  # the hung feed alone: it holds the site's one slot
    assert (first.sources, first.running) == (1, 1)
    due(app, OTHERS, clock.now)
    for _ in range(3):  # more rounds than source_alert_after
        stats = app.poller.poll()
        assert (stats.sources, stats.failed, stats.running) == (3, 0, 0)

    found = rows(app)
    for name in OTHERS:
        row = found[name]
        assert (row["consecutive_failures"], row["failing_since"]) == (0, None)
        assert row["last_error"] is None
        assert row["last_warning"] == NOTE
        assert row["next_check_at"] == clock.now  # due: the next round claims it
    assert alerts(app) == []
    http_lines = [r for r in caplog.records if r.name == "watchtower.http"]
    assert [(r.levelno, getattr(r, "wt_fields", {}).get("host")) for r in http_lines] == [
        (logging.WARNING, "127.0.0.1")
    ]
    assert not [r for r in caplog.records if r.getMessage() == "source failed"]

    with app.db.session() as session:
        report = status_report(session, app.loaded, clock.now)
    shown = {s["name"]: s for s in report["sources"]}
    assert {shown[n]["state"] for n in OTHERS} == {"never checked"}  # not "failing"
    assert {shown[n]["last_warning"] for n in OTHERS} == {NOTE}
    report["daemon"].update(daemon_liveness(None))  # as `watchtower status` does
    text = render_report(report, clock.now)
    dated = NOTE.replace("next round,", "next round at 2026-11-02 10:00 CET (0s ago),")
    assert text.count(f"      {dated}\n") == len(OTHERS)

    release.set()  # the hung feed answers: the site is free
    wait_for_fetches(app)
    ended = [r for r in caplog.records if r.name == "watchtower.http"][1:]
    assert [(r.levelno, r.getMessage()) for r in ended] == [
        (logging.INFO, "site free again after fetches waited for it")
    ]
    assert getattr(ended[0], "wt_fields", {})["sources"] == 3
    again = app.poller.poll()
    assert (again.sources, again.ok, again.failed) == (3, 3, 0)
    found = rows(app)
    for name in ("lent", *OTHERS):
        assert found[name]["last_success_at"] is not None
        assert found[name]["last_warning"] is None  # the note goes with the first success
        assert items(app, name) == 2  # nothing lost
    assert alerts(app) == []


@pytest.mark.timeout(90)
def test_a_pile_up_behind_a_hung_feed_fails_only_the_hung_feed(
    feeds: FeedServer,
    start: Callable[[FeedServer, tuple[str, ...], str], tuple[App, Clock]],
    release: threading.Event,  # after start: set before the app closes
) -> None:
    """With the default bound (twice the request timeout), the sources queued behind
    the hung fetch of their site all get their turn once it times out; the hung feed
    fails each time and alerts, the others never count a failure."""
    feeds.handlers["/lent.rss"] = answering_after(lambda: release.wait(60), rss("lent"))
    for name in OTHERS:
        feeds.resources[f"/{name}.rss"] = Resource(rss(name))
    app, clock = start(feeds, ("lent", *OTHERS), "2s")
    due(app, ("lent",), clock.now - timedelta(minutes=1))  # claimed first: the slot is its

    for _ in range(2):  # source_alert_after
        app.poller.poll(all_sources=True)
        clock.now += timedelta(hours=2)
        found = rows(app)
        for name in OTHERS:
            assert found[name]["consecutive_failures"] == 0, found[name]["last_error"]

    found = rows(app)
    assert found["lent"]["consecutive_failures"] == 2
    assert found["lent"]["last_error"] == "the server took longer than 2s to send its answer"
    assert alerts(app) == ["lent:down"]
    for name in OTHERS:
        # Fetched, or put off and fetched at the next round (a slow machine): never lost.
        if found[name]["last_success_at"] is None:
            app.poller.poll()
        assert items(app, name) == 2


@pytest.mark.timeout(120)
def test_a_site_really_down_still_alerts_each_of_its_sources(
    feeds: FeedServer,
    start: Callable[[FeedServer, tuple[str, ...], str], tuple[App, Clock]],
    release: threading.Event,  # after start: set before the app closes
) -> None:
    """Every feed of the site hangs: each round one fetch reaches it and fails, the
    others are put off and go first at the next round, so each source reaches the
    server in its turn, counts its own failures and alerts, once."""
    names = ("un", "deux", "trois")
    for name in names:
        feeds.handlers[f"/{name}.rss"] = answering_after(lambda: release.wait(60), rss(name))
    app, clock = start(feeds, names, "1s")
    app.http.host_wait = 0.3  # one fetch reaches the site per round

    for _ in range(30):
        if not app.poller.poll().sources:  # only the failed ones are left, backing off
            clock.now += timedelta(hours=2)
        if len(alerts(app)) == len(names):
            break
    assert sorted(alerts(app)) == sorted(f"{n}:down" for n in names)
    found = rows(app)
    for name in names:
        assert found[name]["alert_reason"] == "failing"
        assert found[name]["consecutive_failures"] >= 2  # each its own, from the server
