"""Source health: one ops message when a source breaks or goes quiet, one when it heals."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.clock import Clock
from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.config import load_config
from watchtower.storage.tables import OutboxRow, SourceRow


def feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>Nouvelle n°{i} sur Acmé</title><link>https://ex.fr/{i}</link>"
        f"<guid>g{i}</guid><description>Texte {i} différent du reste, numéro {i}.</description>"
        "</item>"
        for i in range(n)
    )
    return f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.fixture
def app(
    database_url: str, feeds: FeedServer, write_config: Callable[[str], Path]
) -> Iterator[tuple[App, Clock]]:
    feeds.resources["/f.xml"] = Resource(feed(1))
    path = write_config(f"""
[watchtower]
backlog = "all"  # the fixtures are real feeds from past years
database_url = "{database_url}"
ops_notify = ["console:#ops"]
source_alert_after = 2
silence_factor = 5
silence_min = "6h"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "flux"
kind = "rss"
url = "{feeds.url("/f.xml")}"
every = "1h"
allow_private = true
""")
    clock = Clock()
    application = App(load_config(path), clock=clock)
    application.start()
    yield application, clock
    application.close()


def ops_rows(app: App) -> list[str]:
    with app.db.session() as session:
        keys = session.scalars(
            select(OutboxRow.dedup_key)
            .where(OutboxRow.dedup_key.like("ops:source:%"))
            .order_by(OutboxRow.id)
        )
        return [k.split(":")[3] for k in keys]


def test_failing_source_alerts_once_then_recovers(
    app: tuple[App, Clock], feeds: FeedServer
) -> None:
    application, clock = app
    feeds.resources["/f.xml"] = Resource(b"down", status=503)
    for _ in range(5):
        application.poller.poll(all_sources=True)
        clock.now += timedelta(minutes=10)
    assert ops_rows(application) == ["down"]
    with application.db.session() as session:
        row = session.scalars(select(SourceRow)).one()
        assert row.alert_reason == "failing" and row.consecutive_failures == 5

    feeds.resources["/f.xml"] = Resource(feed(1))
    application.poller.poll(all_sources=True)
    application.poller.poll(all_sources=True)
    assert ops_rows(application) == ["down", "up"]


def test_silent_source_is_flagged_once(app: tuple[App, Clock], feeds: FeedServer) -> None:
    application, clock = app
    for n in range(1, 8):  # a new item every hour: the usual rhythm is 1h
        feeds.resources["/f.xml"] = Resource(feed(n))
        application.poller.poll(all_sources=True)
        clock.now += timedelta(hours=1)
    assert application.check_silence() == 0  # one quiet hour is nothing

    clock.now += timedelta(hours=3)
    application.poller.poll(all_sources=True)  # 304: reachable, nothing new
    assert application.check_silence() == 0  # 4h < silence_min

    clock.now += timedelta(hours=4)
    assert application.check_silence() == 1  # 8h > 5 × 1h and > 6h
    assert application.check_silence() == 0  # said once
    assert ops_rows(application) == ["silent"]

    feeds.resources["/f.xml"] = Resource(feed(9))
    application.poller.poll(all_sources=True)
    assert ops_rows(application) == ["silent", "up"]


def test_a_quiet_success_is_recorded_when_the_round_ends(
    app: tuple[App, Clock], feeds: FeedServer
) -> None:
    """304s and fetches with nothing new are written together, at the end of the round."""
    application, clock = app
    application.poller.poll(all_sources=True)  # 200: one new item
    feeds.resources["/f.xml"] = Resource(b"boom", status=500)
    clock.now += timedelta(hours=1)
    application.poller.poll(all_sources=True)  # one failure, below source_alert_after
    feeds.resources["/f.xml"] = Resource(feed(1))
    clock.now += timedelta(hours=1)
    stats = application.poller.poll(all_sources=True)  # 304: nothing new

    assert (stats.ok, stats.new_items) == (1, 0)
    with application.db.session() as session:
        row = session.scalars(select(SourceRow)).one()
        assert row.last_success_at == clock.now
        assert row.consecutive_failures == 0 and row.last_error is None
        # Past the 10-minute lease taken by the claim: the success's own schedule.
        assert timedelta(minutes=50) <= row.next_check_at - clock.now <= timedelta(minutes=70)
        assert row.items_total == 1
    assert ops_rows(application) == []
