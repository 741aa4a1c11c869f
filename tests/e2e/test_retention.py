"""Retention: what a source still lists is never pruned, so it is never notified twice.

A review page, an App Store feed or an HTML list keeps its old entries for
months. Pruning them by when they were first fetched made the next poll take
them for new ones and alert again; an item is pruned only once its source has
stopped listing it for ``retention``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock, make_app, rows
from tests.e2e.scenario import targets
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.storage.tables import ItemRow

REVIEWS = {
    "r1": "Banque Acmé : deux prélèvements pour un seul achat, remboursé après un mois.",
    "r2": "Conseillère Acmé très à l'écoute, ouverture de compte en dix minutes.",
    "r3": "L'application Acmé plante à chaque virement depuis la mise à jour de mars.",
}


def rss(*guids: str) -> bytes:
    entries = "".join(
        f"""
    <item>
      <title>Avis {guid}</title>
      <link>https://avis.example.fr/acme/{guid}</link>
      <guid>{guid}</guid>
      <description>{REVIEWS[guid]}</description>
    </item>"""
        for guid in guids
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>Avis clients Acmé</title>
    <link>https://avis.example.fr/acme</link>
    <description>Les avis, les plus récents d'abord</description>{entries}
  </channel>
</rss>""".encode()


@pytest.fixture
def app_with(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[str], App]]:
    """A started App (simulated clock) polling one review feed, with ``retention``."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    apps: list[App] = []

    def build(retention: str) -> App:
        text = f"""
{targets(database_url, slack, smtp, f'retention = "{retention}"')}
[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "avis-acme"
kind = "rss"
url = "{feeds.url("/avis.xml")}"
every = "10m"
allow_private = true
"""
        app = make_app(write_config(text), clock)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()


def serve(feeds: FeedServer, *guids: str) -> None:
    feeds.resources["/avis.xml"] = Resource(rss(*guids), "application/rss+xml")


def poll(app: App) -> None:
    app.poller.poll(all_sources=True)
    app.outbox.drain()


def notified(slack: FakeSlack) -> list[str]:
    """The reviews Slack was told about, in order."""
    return [m["text"] for m in slack.messages]


def stored(app: App) -> list[str]:
    with app.db.session() as session:
        return sorted(session.scalars(select(ItemRow.guid)))


def test_reviewers_repro_short_retention_then_cleanup(
    app_with: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """The review's repro: ``retention = "2s"``, run, cleanup, touch the feed, run."""
    app = app_with("2s")
    serve(feeds, "r1", "r2")
    poll(app)
    assert len(notified(slack)) == 2
    assert {r.status for r in rows(app)} == {"sent"}

    clock.advance(seconds=3)
    assert app.cleanup() == (2, 0)  # the sent notifications go; the listed reviews stay

    serve(feeds, "r3", "r1", "r2")  # touched: a new review on top
    poll(app)
    texts = notified(slack)
    assert len(texts) == 3 and "Avis r3" in texts[2]
    assert [r.payload["title"] for r in rows(app)] == ["Avis r3"]  # nothing queued again


@pytest.mark.parametrize("meanwhile", ["unchanged-304", "new-review-200", "failing"])
def test_listed_reviews_outlive_retention_and_are_not_notified_again(
    app_with: Callable[[str], App],
    feeds: FeedServer,
    slack: FakeSlack,
    clock: Clock,
    meanwhile: str,
) -> None:
    """Four months later the page still lists the reviews: whether the polls in
    between were answered 304, brought a new review or failed, none is alerted again."""
    app = app_with("90d")
    serve(feeds, "r1", "r2")
    poll(app)
    assert len(notified(slack)) == 2

    if meanwhile == "failing":
        feeds.resources["/avis.xml"] = Resource(b"maintenance", status=503)
    for month in range(4):
        clock.advance(days=30)
        if meanwhile == "new-review-200" and month == 1:
            serve(feeds, "r3", "r1", "r2")
        poll(app)
        app.cleanup()
    assert len(notified(slack)) == (3 if meanwhile == "new-review-200" else 2)
    if meanwhile == "unchanged-304":
        assert feeds.statuses("/avis.xml") == [200, 304, 304, 304, 304]

    serve(feeds, "r1", "r3", "r2")  # touched: a 200 listing every review
    poll(app)
    texts = notified(slack)
    assert len(texts) == 3 and "Avis r3" in texts[2], texts
    assert stored(app) == ["r1", "r2", "r3"]


def test_a_review_the_page_stopped_listing_is_pruned_after_retention(
    app_with: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    app = app_with("90d")
    serve(feeds, "r1", "r2")
    poll(app)

    clock.advance(days=10)
    serve(feeds, "r3", "r2")  # r1 was taken down by the site
    poll(app)
    assert len(notified(slack)) == 3

    clock.advance(days=70)
    poll(app)  # 304: the page is as it was 70 days ago
    assert app.cleanup() == (0, 0)  # r1 was last listed 80 days ago
    assert stored(app) == ["r1", "r2", "r3"]

    clock.advance(days=15)
    poll(app)
    assert app.cleanup() == (2, 1)  # r1 (95 days) and the two first notifications go
    assert stored(app) == ["r2", "r3"]

    clock.advance(days=200)
    poll(app)
    app.cleanup()
    assert stored(app) == ["r2", "r3"]  # still listed: kept, however old
    assert [r.payload["title"] for r in rows(app)] == []
    assert len(notified(slack)) == 3
    assert feeds.statuses("/avis.xml") == [200, 200, 304, 304, 304]
