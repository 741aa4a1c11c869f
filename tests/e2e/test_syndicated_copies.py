"""A dispatch copied on many sites: each copy is a sighting, and the story's counter
counts sites ("Vu sur N sites"), not the feeds that listed them.

What the crisis day showed (``test_crisis_day.py``): the same text on two sites
listed by one feed (an aggregator, a Google Alert) was taken for that feed
re-posting, so no "Aussi vu sur" reply; and "Vu sur 7 sources" counted the
feeds, while the dispatch was on 30 sites.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock, base_config, make_app
from tests.e2e.crisis_day import google_redirect
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.storage.tables import StoryRow

TITLE = "Panne géante chez Acmé : des milliers de clients privés de leurs comptes"
TEXT = (
    "Depuis ce mercredi matin, les clients d'Acmé ne peuvent plus se connecter à leur "
    "application ni payer par carte, et le service client est saturé."
)
LEMONDE = "https://www.lemonde.example/eco/panne-acme"
LEFIGARO = "https://www.lefigaro.example/eco/panne-acme"


def rss(*links: str, guids: tuple[str, ...] = ()) -> Resource:
    """An RSS feed listing the dispatch at each of ``links`` ("" for an item
    without a link, whose guid is then ``guids[i]``)."""
    items = "".join(
        f"<item><title>{TITLE}</title>"
        + (f"<link>{link}</link><guid>{link}</guid>" if link else "")
        + (f'<guid isPermaLink="false">{guids[i]}</guid>' if not link else "")
        + f"<description>{TEXT}</description></item>"
        for i, link in enumerate(links)
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
    )
    return Resource(body.encode(), "application/rss+xml")


def alert(*links: str) -> Resource:
    """A Google Alerts feed listing the dispatch at ``links``, through Google's redirects."""
    entries = "".join(
        f"<entry><id>tag:google.com,2013:googlealerts/feed:{i}</id>"
        f'<title type="html">{TITLE}</title>'
        f'<link href="{google_redirect(link).replace("&", "&amp;")}"></link>'
        "<published>2026-03-04T10:00:00Z</published><updated>2026-03-04T10:00:00Z</updated>"
        f'<content type="html">{TEXT}</content></entry>'
        for i, link in enumerate(links)
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>tag:google.com,2005:alerts/acme</id><title>Google Alert</title>{entries}</feed>"
    )
    return Resource(body.encode(), "application/atom+xml")


def sources(feeds: FeedServer, **kinds: str) -> str:
    """``[[sources]]`` named by ``kinds`` (name -> kind), each at ``/<name>``."""
    return "".join(
        f'\n[[sources]]\nname = "{name}"\nkind = "{kind}"\nurl = "{feeds.url("/" + name)}"\n'
        "allow_private = true\n"
        for name, kind in kinds.items()
    )


def poll(app: App, clock: Clock) -> None:
    """One poll, then the drains of the next two minutes (a counter-only update
    waits for the minute boundary)."""
    app.poller.poll(all_sources=True)
    for _ in range(3):
        app.outbox.drain()
        clock.advance(minutes=1)


def counters(message: dict[str, Any], word: str = "Vu sur") -> list[str]:
    return re.findall(rf"{word} (\d+ \w+)", str(message.get("blocks")))


def reply_sites(slack: FakeSlack, top: dict[str, Any]) -> list[str]:
    return [r["text"].split("\u00a0: ")[0] for r in slack.replies(top["ts"])]


def sightings(app: App) -> list[int]:
    with app.db.session() as session:
        return list(session.scalars(select(StoryRow.sightings)))


# ------------------------------------------------------------ copies are sightings
def test_an_identical_copy_on_another_site_replies_in_the_thread(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    feeds.resources["/a"], feeds.resources["/b"] = rss(LEMONDE), rss()
    app = app_for(sources(feeds, a="rss", b="rss"))
    poll(app, clock)
    feeds.resources["/b"] = rss(LEFIGARO)  # the AFP copy
    poll(app, clock)

    [top] = slack.posts()
    assert reply_sites(slack, top) == ["Aussi vu sur lefigaro.example"]
    assert counters(top) == ["2 sites"]


def test_one_feed_listing_the_copy_on_two_sites_replies_for_the_second(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """An aggregator (or a Google Alert) lists the AFP dispatch on lemonde and lefigaro:
    same text, two addresses, two sites. It was taken for one feed re-posting."""
    feeds.resources["/agg"] = rss(LEMONDE, LEFIGARO)
    app = app_for(sources(feeds, agg="rss"))
    poll(app, clock)

    [top] = slack.posts()
    assert reply_sites(slack, top) == ["Aussi vu sur lefigaro.example"]
    assert counters(top) == ["2 sites"]
    assert sightings(app) == [2]


def test_a_google_alert_listing_the_copy_on_two_sites_replies_for_the_second(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    feeds.resources["/alerte"] = alert()
    app = app_for(sources(feeds, alerte="google_alerts"))
    poll(app, clock)
    feeds.resources["/alerte"] = alert(LEMONDE, LEFIGARO)
    poll(app, clock)

    [top] = slack.posts()
    assert reply_sites(slack, top) == ["Aussi vu sur lefigaro.example"]


def test_a_feed_relisting_its_item_under_a_new_url_on_the_same_site_is_a_repost(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    feeds.resources["/a"] = rss(LEMONDE)
    app = app_for(sources(feeds, a="rss"))
    poll(app, clock)
    feeds.resources["/a"] = rss(LEMONDE + "-2", LEMONDE)  # republished under a new URL
    poll(app, clock)

    [top] = slack.posts()
    assert slack.replies(top["ts"]) == [] and counters(top) == []
    assert sightings(app) == [1]


def test_the_thread_reply_cap_holds_for_copies_listed_by_one_feed(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """Eight sites in one feed: ``max_thread_replies`` replies, the counter says 8."""
    feeds.resources["/agg"] = rss(*(f"https://www.site{i}.example/panne" for i in range(8)))
    app = app_for(sources(feeds, agg="rss") + "\n[dedup]\nmax_thread_replies = 3\n")
    poll(app, clock)

    [top] = slack.posts()
    assert reply_sites(slack, top) == [f"Aussi vu sur site{i}.example" for i in (1, 2, 3)]
    assert counters(top)[-1:] == ["8 sites"]
    assert sightings(app) == [8]


# ------------------------------------------------------- the counter counts sites
def test_the_counter_counts_sites_not_the_feeds_that_listed_them(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """The site's own feed, two Google Alerts of its article (links unwrapped to
    lemonde), one of them also of the lefigaro copy: two sites, not three feeds."""
    feeds.resources["/lemonde"] = rss(LEMONDE)
    feeds.resources["/alerte1"] = feeds.resources["/alerte2"] = alert()
    app = app_for(sources(feeds, lemonde="rss", alerte1="google_alerts", alerte2="google_alerts"))
    poll(app, clock)
    feeds.resources["/alerte1"] = alert(LEMONDE)
    feeds.resources["/alerte2"] = alert(LEMONDE, LEFIGARO)
    poll(app, clock)

    [top] = slack.posts()
    assert reply_sites(slack, top) == ["Aussi vu sur lefigaro.example"]
    assert counters(top) == ["2 sites"]
    assert sightings(app) == [2]


def test_a_forum_post_seen_through_two_feeds_is_one_site(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """The forum's feed and one topic's feed list the same post: one place, no counter."""
    post = "https://forum-conso.example/viewtopic.php?t=900&amp;p=9001"
    feeds.resources["/forum"], feeds.resources["/topic"] = rss(post), rss()
    app = app_for(sources(feeds, forum="rss", topic="rss"))
    poll(app, clock)
    feeds.resources["/topic"] = rss(post)
    poll(app, clock)

    [top] = slack.posts()
    assert slack.replies(top["ts"]) == [] and counters(top) == []
    assert sightings(app) == [1]


def test_items_without_an_address_count_their_source_as_the_place(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """No link (an e-mail digest, a feed without links): the source is all there is."""
    feeds.resources["/lettre-a"] = rss("", guids=("a-1",))
    feeds.resources["/lettre-b"] = rss()
    app = app_for(sources(feeds, **{"lettre-a": "rss", "lettre-b": "rss"}))
    poll(app, clock)
    feeds.resources["/lettre-b"] = rss("", guids=("b-1",))
    feeds.resources["/lettre-a"] = rss("", "", guids=("a-1", "a-2"))  # its own, again
    poll(app, clock)

    [top] = slack.posts()
    assert reply_sites(slack, top) == ["Aussi vu sur lettre-b"]
    assert counters(top) == ["2 sites"]
    assert sightings(app) == [2]


def test_the_counter_in_english(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    feeds.resources["/agg"] = rss(LEMONDE, LEFIGARO)
    text = base_config(database_url, slack, smtp, sources(feeds, agg="rss"))
    app = make_app(write_config(text.replace('language = "fr"', 'language = "en"')), clock)
    try:
        poll(app, clock)
    finally:
        app.close()

    [top] = slack.posts()
    [reply] = slack.replies(top["ts"])
    assert reply["text"].startswith("Also seen on lefigaro.example: ")
    assert counters(top, "Seen on") == ["2 sites"]


def test_a_repost_from_a_new_place_only_updates_the_counter(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """Two feeds giving the same ``t.co`` link (no site known: each feed is its
    place): no reply, the message already links there, but two places."""
    link = "https://t.co/AbC123"
    feeds.resources["/a"], feeds.resources["/b"] = rss(link), rss()
    app = app_for(sources(feeds, a="rss", b="rss"))
    poll(app, clock)
    feeds.resources["/b"] = rss(link)
    poll(app, clock)

    [top] = slack.posts()
    assert slack.replies(top["ts"]) == []
    assert counters(top) == ["2 sites"]
