"""Through the real poller: a time an ``html`` page writes without a zone is in
``[watchtower] timezone`` (the poller hands it to the adapter), or in the source's own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.config import load_config
from watchtower.storage.tables import ItemRow

PAGE = """<html><body><article class="news"><h2><a href="/a/1">Banque Acmé ouvre à Lyon</a></h2>
<time>25 novembre 2026 à 14h32</time></article></body></html>"""


@pytest.mark.parametrize(
    ("watchtower_zone", "source_zone", "utc_hour"),
    [
        ("America/New_York", "", 19),  # 14:32 in New York is 19:32 UTC
        ("Europe/Paris", "", 13),
        ("America/New_York", 'timezone = "Asia/Tokyo"', 5),  # the source's own zone wins
    ],
)
def test_a_page_time_is_read_in_the_configured_zone(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    watchtower_zone: str,
    source_zone: str,
    utc_hour: int,
) -> None:
    feeds.resources["/actus"] = Resource(PAGE.encode(), "text/html; charset=utf-8")
    path = write_config(f"""
[watchtower]
database_url = "{database_url}"
timezone = "{watchtower_zone}"
backlog = "all"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "actus"
kind = "html"
url = "{feeds.url("/actus")}"
item = "article.news"
title = "h2 a"
date = "time"
allow_private = true
{source_zone}
""")
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    app = App(load_config(path), clock=lambda: now)
    try:
        app.start()
        stats = app.poller.poll(all_sources=True)
        assert stats.ok == 1, stats.errors
        with app.db.session() as session:
            [published] = session.scalars(select(ItemRow.published_at)).all()
    finally:
        app.close()
    assert published is not None
    assert published.replace(tzinfo=published.tzinfo or UTC) == datetime(
        2026, 11, 25, utc_hour, 32, tzinfo=UTC
    )
