"""The put-off note says how the *last* fetch of a source went: a later failure or
success replaces it, so ``status`` never shows "put off to the next round" next to
(or instead of) what happened since.

Same servers and config as :mod:`tests.e2e.test_host_busy` (one loopback site,
one slot per host, a feed the test holds hung).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import update

from tests.e2e.test_host_busy import (  # noqa: F401 (fixtures)
    NOTE,
    OTHERS,
    Clock,
    due,
    release,
    rows,
    rss,
    start,
    wait_for_fetches,
)
from tests.servers.http import FeedServer, Resource, answering_after
from watchtower.app import App
from watchtower.status_daemons import daemon_liveness
from watchtower.status_report import status_report
from watchtower.status_text import render_report
from watchtower.storage.tables import SOURCES

Start = Callable[[FeedServer, tuple[str, ...], str], tuple[App, Clock]]


def status_text(app: App, clock: Clock) -> str:
    with app.db.session() as session:
        report = status_report(session, app.loaded, clock.now)
    report["daemon"].update(daemon_liveness(None))  # as `watchtower status` does
    return render_report(report, clock.now, every_source=True)


def block(text: str, name: str) -> str:
    """A source's lines in ``status``: its own, and those under it."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(f"  {name} "))
    end = first + 1
    while end < len(lines) and lines[end].startswith("      "):
        end += 1
    return "\n".join(lines[first:end])


def put_off_behind_a_hung_feed(
    feeds: FeedServer, build: Start, hung_until: threading.Event
) -> tuple[App, Clock]:
    """The sources of :data:`OTHERS` put off once behind the hung feed, which is then
    released; no fetch left running."""
    feeds.handlers["/lent.rss"] = answering_after(lambda: hung_until.wait(60), rss("lent"))
    for name in OTHERS:
        feeds.resources[f"/{name}.rss"] = Resource(rss(name))
    app, clock = build(feeds, ("lent", *OTHERS), "30s")
    app.http.host_wait = 0.3  # shorter than the hung fetch's deadline: it keeps the slot
    due(app, OTHERS, clock.now + timedelta(hours=1))
    app.poller.poll()  # the hung feed alone: it holds the site's one slot
    due(app, OTHERS, clock.now)
    assert app.poller.poll().put_off == len(OTHERS)
    assert {rows(app)[n]["last_warning"] for n in OTHERS} == {NOTE}
    hung_until.set()
    wait_for_fetches(app)
    return app, clock


@pytest.mark.timeout(90)
def test_a_failure_after_a_put_off_replaces_the_note(
    feeds: FeedServer,
    start: Start,  # noqa: F811 (the fixture)
    release: threading.Event,  # noqa: F811 (fixture) after start: set before the app closes
) -> None:
    app, clock = put_off_behind_a_hung_feed(feeds, start, release)
    feeds.resources["/alerte-1.rss"] = Resource(b"down", status=503)  # now really failing
    clock.now += timedelta(minutes=5)

    stats = app.poller.poll()
    assert (stats.sources, stats.ok, stats.failed, stats.put_off) == (3, 2, 1, 0)
    found = rows(app)
    assert found["alerte-1"]["consecutive_failures"] == 1
    assert found["alerte-1"]["last_warning"] is None  # the note was the fetch before
    text = status_text(app, clock)
    assert "put off" not in text, text
    assert "waiting for other fetches" not in text, text
    shown = block(text, "alerte-1")
    assert "errors 1" in shown
    assert "last error (0s ago): " in shown


@pytest.mark.timeout(90)
def test_a_failure_keeps_a_warning_of_the_last_success(
    feeds: FeedServer,
    start: Start,  # noqa: F811 (the fixture)
    release: threading.Event,  # noqa: F811 (fixture) after start: set before the app closes
) -> None:
    """Only the put-off note goes: any other warning is dated by the success that
    gave it, which a later failure does not make wrong."""
    feeds.resources["/alerte-1.rss"] = Resource(rss("alerte-1"))
    app, clock = start(feeds, ("alerte-1",), "30s")
    app.poller.poll()
    with app.db.writing() as session:  # as a success with a warning leaves it
        session.execute(update(SOURCES).values(last_warning="2 items without a link"))
    feeds.resources["/alerte-1.rss"] = Resource(b"down", status=503)
    clock.now += timedelta(hours=2)
    assert app.poller.poll().failed == 1
    assert rows(app)["alerte-1"]["last_warning"] == "2 items without a link"
    release.set()


@pytest.mark.timeout(90)
def test_a_put_off_after_a_failure_is_the_latest_outcome(
    feeds: FeedServer,
    start: Start,  # noqa: F811 (the fixture)
    release: threading.Event,  # noqa: F811 (fixture) after start: set before the app closes
) -> None:
    """A failing source then put off: still failing (the put-off counts nothing),
    and the note says its last fetch was put off, dated then."""
    feeds.handlers["/lent.rss"] = answering_after(lambda: release.wait(60), rss("lent"))
    feeds.resources["/alerte-1.rss"] = Resource(b"down", status=503)
    app, clock = start(feeds, ("lent", "alerte-1"), "30s")
    app.http.host_wait = 0.3
    due(app, ("lent",), clock.now + timedelta(hours=1))
    assert app.poller.poll().failed == 1  # alerte-1 alone
    clock.now += timedelta(hours=2)
    due(app, ("alerte-1",), clock.now + timedelta(hours=1))
    app.poller.poll()  # the hung feed alone: it holds the slot
    due(app, ("alerte-1",), clock.now)
    assert app.poller.poll().put_off == 1

    found = rows(app)["alerte-1"]
    assert (found["consecutive_failures"], found["last_warning"]) == (1, NOTE)
    text = status_text(app, clock)
    shown = block(text, "alerte-1")
    assert "errors 1" in shown
    assert "put off to the next round at 2026-11-02 12:00 CET (0s ago)" in shown
    release.set()


@pytest.mark.timeout(90)
def test_run_once_records_a_quiet_retry_of_a_source_put_off(
    feeds: FeedServer,
    start: Start,  # noqa: F811 (the fixture)
    release: threading.Event,  # noqa: F811 (fixture) after start: set before the app closes
) -> None:
    """Sources already read once answer 304 when ``run --once`` fetches them again
    after they were put off: a quiet success, stored in a batch. The run writes
    that batch too, or the note, the lease and the old success would stay."""
    arrived = threading.Event()
    for name in ("lent", *OTHERS):
        feeds.resources[f"/{name}.rss"] = Resource(rss(name))
    app, clock = start(feeds, ("lent", *OTHERS), "2s")
    app.http.host_wait = 0.3
    assert app.poller.poll(all_sources=True).ok == 4  # their ETags stored
    clock.now += timedelta(hours=2)

    def hang() -> None:
        arrived.set()
        release.wait(60)

    feeds.handlers["/lent.rss"] = answering_after(hang, rss("lent"))
    # The hung feed first, alone: it holds the site's slot when the run starts, and
    # times out 2s later (then the run fetches the others again).
    due(app, OTHERS, clock.now + timedelta(hours=1))
    earlier = threading.Thread(target=app.poller.poll)
    earlier.start()
    assert arrived.wait(30)

    stats = app.poller.poll(all_sources=True)
    earlier.join(30)
    assert (stats.ok, stats.failed, stats.put_off, stats.not_modified) == (3, 0, 0, 3)
    found = rows(app)
    for name in OTHERS:
        assert found[name]["last_warning"] is None
        assert found[name]["last_success_at"] == clock.now
        assert found[name]["next_check_at"] > clock.now + timedelta(minutes=30)  # its `every`
    assert "put off" not in status_text(app, clock)
