"""What an operator sees of sources put off behind a hung feed of their site: the
note under each source in ``status``, dated by when it was put off (not by a
success it never had); the round's count in its log line, the heartbeat and
status's "last round" line; a metric; and ``run --once`` fetching them again at
its end, once the hung fetch is done, and saying so in its table.

Same servers and config as :mod:`tests.e2e.test_host_busy` (one loopback site,
one slot per host).
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from rich.console import Console

from tests.e2e.test_host_busy import (  # noqa: F401 (fixtures)
    OTHERS,
    Clock,
    due,
    release,
    rows,
    rss,
    start,
)
from tests.servers.http import FeedServer, Resource, answering_after
from watchtower.app import App
from watchtower.metrics import build_registry
from watchtower.progress import run_once_with_progress
from watchtower.scheduler import Daemon
from watchtower.status_daemons import daemon_liveness
from watchtower.status_report import status_report
from watchtower.status_text import render_report

Start = Callable[[FeedServer, tuple[str, ...], str], tuple[App, Clock]]


def put_off_count(app: App, clock: Clock, name: str) -> float:
    value = build_registry(app.db, clock).get_sample_value(
        "watchtower_polls_total", {"source": name, "outcome": "put_off"}
    )
    return value or 0.0


@pytest.mark.timeout(90)
def test_status_dates_the_put_off_note_and_counts_the_round(
    feeds: FeedServer,
    start: Start,  # noqa: F811 (the fixture)
    release: threading.Event,  # noqa: F811 (fixture) after start: set before the app closes
    caplog: pytest.LogCaptureFixture,
) -> None:
    feeds.handlers["/lent.rss"] = answering_after(lambda: release.wait(60), rss("lent"))
    for name in OTHERS:
        feeds.resources[f"/{name}.rss"] = Resource(rss(name))
    app, clock = start(feeds, ("lent", *OTHERS), "30s")
    app.http.host_wait = 0.3  # shorter than the hung fetch's deadline: it keeps the slot
    daemon = Daemon(app)
    before = put_off_count(app, clock, "alerte-1")
    caplog.set_level(logging.INFO, logger="watchtower")

    due(app, OTHERS, clock.now + timedelta(hours=1))
    app.poller.poll()  # the hung feed alone: it holds the site's one slot
    put_off_at = clock.now
    due(app, OTHERS, clock.now)
    daemon.poll_job()  # a round of the daemon: its log line
    [line] = [r for r in caplog.records if r.getMessage() == "poll round"]
    fields = getattr(line, "wt_fields", {})
    assert (fields["sources"], fields["ok"], fields["failed"], fields["put_off"]) == (3, 0, 0, 3)
    assert put_off_count(app, clock, "alerte-1") == before + 1

    clock.now += timedelta(minutes=1)  # the daemon still counts as running
    with app.db.session() as session:
        report = status_report(session, app.loaded, clock.now)
    shown = {s["name"]: s for s in report["sources"]}
    assert {shown[n]["put_off_at"] for n in OTHERS} == {put_off_at}  # status --json
    assert shown["lent"]["put_off_at"] is None
    report["daemon"].update(daemon_liveness(None))  # as `watchtower status` does
    text = render_report(report, clock.now)
    note = (
        "      waiting for other fetches of 127.0.0.1: put off to the next round at "
        "2026-11-02 10:00 CET (1m ago), not counted as a failure\n"
    )
    assert text.count(note) == len(OTHERS), text
    assert "last warning" not in text
    assert "3 sources, 0 ok, 0 failed, 3 put off" in text
    release.set()


@pytest.mark.timeout(90)
def test_run_once_fetches_the_sources_put_off_again_once_the_hung_fetch_is_done(
    feeds: FeedServer,
    start: Start,  # noqa: F811 (the fixture)
    release: threading.Event,  # noqa: F811 (fixture) after start: set before the app closes
    caplog: pytest.LogCaptureFixture,
) -> None:
    arrived = threading.Event()
    feeds.handlers["/lent.rss"] = answering_after(
        lambda: (arrived.set(), release.wait(60)), rss("lent")
    )
    for name in OTHERS:
        feeds.resources[f"/{name}.rss"] = Resource(rss(name))
    app, clock = start(feeds, ("lent", *OTHERS), "2s")
    app.http.host_wait = 0.3
    caplog.set_level(logging.INFO, logger="watchtower")
    # The hung feed first, alone: it holds the site's slot when the run starts (a
    # run's own sources start in no set order), and times out 2s later.
    due(app, OTHERS, clock.now + timedelta(hours=1))
    earlier = threading.Thread(target=app.poller.poll)
    earlier.start()
    assert arrived.wait(30)

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=200, color_system=None)
    assert run_once_with_progress(Daemon(app), console=console) == 0
    earlier.join(30)
    out = screen.getvalue()
    for name in OTHERS:
        row = "\n".join(line for line in out.splitlines() if f" {name} " in line)
        assert "ok on retry (put off first: waiting for other fetches of 127.0.0.1)" in row
        assert rows(app)[name]["last_success_at"] is not None
        assert rows(app)[name]["last_warning"] is None
    # The hung feed's failure, recorded by its own round during the run, is listed too.
    assert "sources: 3 ok, 1 failed · items 6" in out
    assert "put off" not in out.split("sources:")[1]  # none left put off
    [finished] = [r for r in caplog.records if r.getMessage() == "run finished"]
    fields = getattr(finished, "wt_fields", {})
    assert (fields["sources"], fields["ok"], fields["failed"]) == (3, 3, 0)
    assert "put_off" not in fields
    with app.db.session() as session:
        report = status_report(session, app.loaded, clock.now)
    report["daemon"].update(daemon_liveness(None))
    text = render_report(report, clock.now)
    assert "3 sources, 3 ok, 0 failed" in text
    assert "put off" not in text
