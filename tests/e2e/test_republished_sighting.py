"""A story seen again on its own site, under a new address: "Republié sur", not "Aussi vu sur".

Under the lemonde.example message, "Aussi vu sur lemonde.example" read as a
bug: the site republishing its article under a new address (an updated text),
or the same article listed by a second feed of the site under another URL, is
a place the story was already seen at. Its thread reply says "Republié sur
lemonde.example (nouvelle adresse)", and the message's "Vu sur N sites" counter
does not move (a copy on another site still says "Aussi vu sur" and counts).
Folded into a digest with its story's message, it is no second site there
either ("vu sur 2 sites" was the count of the feeds that gave the rows).

Real parts on loopback: the feed server, the fake Slack Web API, SQLite; the
daemon's own poll and drain on an injected clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from tests.e2e import test_digest_weekly as weekly
from tests.e2e.alerting_helpers import Clock, base_config, make_app
from tests.e2e.crisis_day import Article
from tests.e2e.test_digest_quiet_days import Daemons
from tests.e2e.test_syndicated_copies import (
    LEFIGARO,
    LEMONDE,
    TEXT,
    TITLE,
    counters,
    poll,
    reply_sites,
    sightings,
    sources,
)
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App

week = weekly.week  # the fixture: a weekly digest "mon 08:30" ("target" to change it)

#: The article updated by its site: a word changed, the same story.
UPDATED = TEXT.replace("est saturé", "est débordé")
assert UPDATED != TEXT


def feed(*articles: tuple[str, str]) -> Resource:
    """An RSS feed of the dispatch's title at each ``(link, text)``."""
    items = "".join(
        f"<item><title>{TITLE}</title><link>{escape(link)}</link><guid>{escape(link)}</guid>"
        f"<description>{escape(text)}</description></item>"
        for link, text in articles
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
    )
    return Resource(body.encode(), "application/rss+xml")


def only_post(slack: FakeSlack) -> dict[str, Any]:
    [top] = slack.posts()
    return top


def test_a_site_republishing_its_article_under_a_new_address_says_so(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    feeds.resources["/lemonde"] = feed((LEMONDE, TEXT))
    app = app_for(sources(feeds, lemonde="rss"))
    poll(app, clock)
    feeds.resources["/lemonde"] = feed((LEMONDE + "-mise-a-jour", UPDATED), (LEMONDE, TEXT))
    poll(app, clock)

    top = only_post(slack)
    [reply] = slack.replies(top["ts"])
    assert reply["text"] == (
        f"Republié sur lemonde.example (nouvelle adresse)\u00a0: <{LEMONDE}-mise-a-jour|{TITLE}>"
    )
    assert "Aussi vu" not in str(slack.messages)
    # One site: the message has no counter, and no update gave it one.
    assert counters(top) == [] and sightings(app) == [1]


def test_the_same_article_through_a_second_feed_under_another_url(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """The site's economy feed lists the updated article at its section's address."""
    feeds.resources["/une"], feeds.resources["/eco"] = feed((LEMONDE, TEXT)), feed()
    app = app_for(sources(feeds, une="rss", eco="rss"))
    poll(app, clock)
    section = "https://www.lemonde.example/economie/article/panne-acme"
    feeds.resources["/eco"] = feed((section, UPDATED))
    poll(app, clock)

    top = only_post(slack)
    assert reply_sites(slack, top) == ["Republié sur lemonde.example (nouvelle adresse)"]
    assert counters(top) == [] and sightings(app) == [1]


def test_after_a_copy_elsewhere_the_counter_stays_at_two_sites(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """lemonde, then lefigaro's copy ("Aussi vu", 2 sites), then lefigaro's update
    under a new address: "Republié sur lefigaro.example", still 2 sites."""
    feeds.resources["/lemonde"], feeds.resources["/lefigaro"] = feed((LEMONDE, TEXT)), feed()
    app = app_for(sources(feeds, lemonde="rss", lefigaro="rss"))
    poll(app, clock)
    feeds.resources["/lefigaro"] = feed((LEFIGARO, TEXT))
    poll(app, clock)
    feeds.resources["/lefigaro"] = feed((LEFIGARO + "-maj", UPDATED), (LEFIGARO, TEXT))
    poll(app, clock)

    top = only_post(slack)
    assert reply_sites(slack, top) == [
        "Aussi vu sur lefigaro.example",
        "Republié sur lefigaro.example (nouvelle adresse)",
    ]
    assert counters(top) == ["2 sites"]  # as chat.update left it
    assert "3 sites" not in str(slack.messages)
    assert sightings(app) == [2]


def test_in_english(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    feeds.resources["/lemonde"] = feed((LEMONDE, TEXT))
    text = base_config(database_url, slack, smtp, sources(feeds, lemonde="rss"))
    app = make_app(write_config(text.replace('language = "fr"', 'language = "en"')), clock)
    try:
        poll(app, clock)
        feeds.resources["/lemonde"] = feed((LEMONDE + "-update", UPDATED), (LEMONDE, TEXT))
        poll(app, clock)
    finally:
        app.close()

    top = only_post(slack)
    [reply] = slack.replies(top["ts"])
    assert reply["text"].startswith("Republished on lemonde.example (new address): ")


def test_a_page_republished_on_its_site_is_no_second_site_in_the_digest(
    week: Callable[..., tuple[Daemons, weekly.Feeds]], slack: FakeSlack
) -> None:
    """lemonde's article, then the same site's updated page under a new address
    through another feed: its thread reply is held with the story's message and
    folded into the digest, one line, with no "vu sur 2 sites"."""
    run, news = week(target="slack:#direction")
    start, digest_time, dispatch = weekly.START, weekly.DIGEST_TIME, weekly.DISPATCH
    run.until(start + timedelta(days=1), every=timedelta(hours=12))  # Tuesday
    text = "Banque Acmé annonce une nouvelle offre de crédit immobilier à taux fixe."
    first = Article(run.clock.now, "lemonde.example", "credit", dispatch, text)
    news.add(first, "lemonde")
    run.until(start + timedelta(days=2), every=timedelta(hours=12))  # Wednesday
    updated = text.replace("taux fixe", "taux bas")
    news.add(Article(run.clock.now, "lemonde.example", "credit-maj", dispatch, updated), "lesechos")
    run.until(digest_time + timedelta(minutes=1), every=timedelta(hours=12))

    [post] = [p for p in slack.posts() if "Résumé" in p["text"]]
    [brand] = [b["text"]["text"] for b in post["blocks"] if "Banque Acmé*" in str(b.get("text"))]
    [line] = [line for line in brand.splitlines() if dispatch in line]
    assert "vu sur" not in line, line
    [summary] = run.summaries()
    assert [i["story"] for i in summary.payload["summary"]["items"]] == [
        summary.payload["summary"]["items"][0]["story"]
    ] * 2  # the story's message and its republished page, both in this digest
