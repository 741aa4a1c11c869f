"""A failing source whose fetch settings were fixed while the daemon was stopped
is fetched at the next start, as after a reload (``sources.fetch_key``): the
backoff the old settings earned (up to 6 hours) does not hide the fix. A change
that only schedules it (``every``) keeps the backoff, as on a reload."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from tests.clock import Clock
from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.config import load_config
from watchtower.storage.tables import SourceRow

FEED = (
    b'<rss version="2.0"><channel><title>t</title><item><title>Acm\xc3\xa9 ouvre</title>'
    b"<link>https://ex.fr/1</link><guid>g1</guid><description>Texte.</description>"
    b"</item></channel></rss>"
)


def _config(database_url: str, url: str, source_keys: str) -> str:
    return f"""
[watchtower]
backlog = "all"
database_url = "{database_url}"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "flux"
kind = "rss"
url = "{url}"
every = "10m"
{source_keys}
"""


def _fail_until_backed_off(app: App, clock: Clock) -> datetime:
    """Poll as the daemon does, each time the source is due, until its backoff
    is far longer than its ``every``; stopped a minute later: its next check."""
    for _ in range(6):
        app.poller.poll()
        with app.db.session() as session:
            row = session.scalars(select(SourceRow)).one()
        next_check = row.next_check_at.replace(tzinfo=UTC)
        if row.consecutive_failures < 6:
            clock.now = next_check
    assert row.consecutive_failures == 6
    clock.now += timedelta(minutes=1)
    assert next_check > clock.now + timedelta(minutes=30)
    return next_check


def _restart(path: Path, clock: Clock) -> tuple[App, SourceRow]:
    app = App(load_config(path), clock=clock)
    app.start()
    app.poller.poll()
    with app.db.session() as session:
        row = session.scalars(select(SourceRow)).one()
    return app, row


def test_allow_private_added_while_stopped_is_fetched_at_start(
    database_url: str, feeds: FeedServer, write_config: Callable[[str], Path]
) -> None:
    feeds.resources["/f.xml"] = Resource(FEED)
    url = feeds.url("/f.xml")
    clock = Clock()
    # As the error said: the feed is at a private address and allow_private is missing.
    path = write_config(_config(database_url, url, ""))
    app = App(load_config(path), clock=clock)
    app.start()
    _fail_until_backed_off(app, clock)
    app.close()
    assert feeds.statuses("/f.xml") == []  # refused before any request

    write_config(_config(database_url, url, "allow_private = true"))
    app, row = _restart(path, clock)
    try:
        assert feeds.statuses("/f.xml") == [200]
        assert row.consecutive_failures == 0 and row.items_total == 1
    finally:
        app.close()


def test_only_every_changed_while_stopped_keeps_the_backoff(
    database_url: str, feeds: FeedServer, write_config: Callable[[str], Path]
) -> None:
    feeds.resources["/f.xml"] = Resource(b"down", status=503)
    url = feeds.url("/f.xml")
    clock = Clock()
    path = write_config(_config(database_url, url, "allow_private = true"))
    app = App(load_config(path), clock=clock)
    app.start()
    next_check = _fail_until_backed_off(app, clock)
    app.close()
    failed = len(feeds.statuses("/f.xml"))

    feeds.resources["/f.xml"] = Resource(FEED)
    write_config(
        _config(database_url, url, 'allow_private = true\nevery = "2m"').replace(
            'every = "10m"\n', ""
        )
    )
    app, row = _restart(path, clock)
    try:
        assert len(feeds.statuses("/f.xml")) == failed  # not fetched: still backing off
        assert row.next_check_at.replace(tzinfo=UTC) == next_check
    finally:
        app.close()
