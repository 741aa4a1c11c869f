"""The contract :func:`~watchtower.storage.dead_claims.left_claims` relies on to
tell a source's claim from its schedule: a claim made by the real claim query
(:func:`~watchtower.storage.queries.claim_due_sources`) is a claim left, and
any outcome recorded after it (a success, quiet or with news; a failure; a
deferral behind other fetches of its site) is not — whatever the outcome puts
its next check at. One rule decides (``queries.leased``): a writer that
changed how it sets ``next_check_at`` or ``last_attempt_at`` would make a
process starting release a live claim, or keep a dead one's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock
from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.config import load_config
from watchtower.poll_deferral import record_put_off
from watchtower.poll_outcome import PollStats
from watchtower.storage.dead_claims import left_claims
from watchtower.storage.queries import LEASE, claim_due_sources, release_leases
from watchtower.storage.tables import SourceRow

pytestmark = pytest.mark.timeout(60)


def rss(*guids: str) -> bytes:
    items = "".join(
        f"<item><title>Article {g}</title><link>https://news.example.fr/{g}</link>"
        f"<guid>{g}</guid></item>"
        for g in guids
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        f"<link>https://news.example.fr/</link>{items}</channel></rss>"
    ).encode()


SOURCES = ("news", "quiet", "down", "busy")


@pytest.fixture
def app(
    database_url: str, feeds: FeedServer, write_config: Callable[[str], Path], clock: Clock
) -> App:
    feeds.resources["/news.rss"] = Resource(rss("a", "b"), "application/rss+xml")
    feeds.resources["/quiet.rss"] = Resource(rss(), "application/rss+xml")
    feeds.resources["/down.rss"] = Resource(b"boom", "text/plain", status=500)
    feeds.resources["/busy.rss"] = Resource(rss("c"), "application/rss+xml")
    sources = "".join(
        f"""
[[sources]]
name = "{name}"
kind = "rss"
url = "{feeds.url(f"/{name}.rss")}"
every = "10m"
allow_private = true
"""
        for name in SOURCES
    )
    path = write_config(
        f"""
[watchtower]
database_url = "{database_url}"
backlog = "all"
default_notify = ["console:#veille"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]
{sources}"""
    )
    app = App(load_config(path), clock=clock)
    app.start()
    return app


def ids(app: App) -> dict[str, int]:
    with app.db.session() as session:
        return {name: id_ for name, id_ in session.execute(select(SourceRow.name, SourceRow.id))}


def scheduled_later(app: App, clock: Clock) -> set[str]:
    """The sources whose next check lies ahead: a claim, or an outcome's schedule."""
    with app.db.session() as session:
        names = session.scalars(
            select(SourceRow.name).where(SourceRow.next_check_at > clock())
        ).all()
    return set(names)


def left(app: App, clock: Clock) -> dict[int, object]:
    with app.db.session() as session:
        return dict(left_claims(session, clock()).sources)


def test_a_claim_is_a_claim_left_and_a_recorded_outcome_is_not(app: App, clock: Clock) -> None:
    by_name = ids(app)
    try:
        claimed_at = clock()
        with app.db.writing() as session:
            claims = claim_due_sources(session, claimed_at, LEASE, 100)
        assert {c.name for c in claims} == set(SOURCES)
        assert left(app, clock) == {by_name[name]: claimed_at for name in SOURCES}

        # A deferral (its site busy with our other fetches) of a new claim of "busy".
        with app.db.writing() as session:
            release_leases(session, clock())
        clock.advance(seconds=1)
        with app.db.writing() as session:
            [busy] = claim_due_sources(session, clock(), LEASE, 100, skip={"news", "quiet", "down"})
        assert set(left(app, clock)) == {by_name["busy"]}
        clock.advance(seconds=3)
        settings = app.source_settings("busy")
        assert settings is not None
        record_put_off(app.db, busy, settings, "127.0.0.1", clock(), PollStats())
        assert left(app, clock) == {}

        # A real poll round: a success with news, a quiet one, a failure.
        clock.advance(seconds=1)
        stats = app.poller.poll(all_sources=False)
        assert (stats.ok, stats.failed) == (3, 1)
        assert scheduled_later(app, clock) == set(SOURCES)  # all scheduled ahead...
        assert left(app, clock) == {}  # ...none of them a claim
        clock.advance(minutes=30)  # all due: claimed again, left again
        with app.db.writing() as session:
            claims = claim_due_sources(session, clock(), LEASE, 100)
        assert set(left(app, clock)) == {c.id for c in claims} == set(by_name.values())
        assert all(when == clock() for when in left(app, clock).values())
    finally:
        app.close()
