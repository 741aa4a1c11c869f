"""Reviews and stories: a review is its own story, even without an address of its own.

App Store reviews all link to their app, and JSON-LD reviews without a ``url``
carry the page's: such a URL (``Item.shared_url``) must not merge different
reviews into one story, which would leave the later ones unannounced. Articles
syndicated under one URL still make one story.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from tests.conftest import CORPUS
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.cli import main
from watchtower.storage.engines import make_engine

APP_LINK = "https://itunes.apple.com/fr/review?id=1400000000&type=Purple%20Software"
LOCAL_BUSINESS = (CORPUS / "reviews" / "synthetic_localbusiness_graph_comments.html").read_bytes()


def config(database_url: str, feeds: FeedServer, slack: FakeSlack, sources: dict[str, str]) -> str:
    """Brand "Acme Banque", a rule for bad ratings to #avis, one source per ``name: kind:path``."""
    blocks = "".join(
        f"""
[[sources]]
name = "{name}"
kind = "{spec.split(":", 1)[0]}"
url = "{feeds.url(spec.split(":", 1)[1])}"
allow_private = true
"""
        for name, spec in sources.items()
    )
    return f"""
[watchtower]
backlog = "all"  # the fixtures are real feeds from past years
database_url = "{database_url}"
language = "fr"

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"

[[brands]]
name = "Acme Banque"
terms = ["Acme Banque", "Banque Acme"]

[[rules]]
name = "avis-negatifs"
brands = ["Acme Banque"]
query = "rating:<=2"
notify = ["slack:#avis"]
{blocks}"""


def appstore(*reviews: dict[str, str]) -> bytes:
    """An App Store customer-review feed (JSON) whose entries all link to the same app."""
    entries = [
        {
            "author": {"name": {"label": r["author"]}, "label": ""},
            "updated": {"label": "2026-03-04T10:21:07-07:00"},
            "im:rating": {"label": r["rating"]},
            "im:version": {"label": "5.12.0"},
            "id": {"label": r["id"]},
            "title": {"label": r["title"]},
            "content": {"label": r["text"], "attributes": {"type": "text"}},
            "link": {"attributes": {"rel": "related", "href": APP_LINK}},
        }
        for r in reviews
    ]
    return json.dumps({"feed": {"entry": entries}}).encode()


def review(id_: str, author: str, title: str, text: str, rating: str = "1") -> dict[str, str]:
    return {"id": id_, "author": author, "title": title, "text": text, "rating": rating}


@pytest.fixture
def run(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[dict[str, str]], None]:
    """Run one cycle with these sources (``name: "kind:/path"``) on the served resources."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)

    def run_once(sources: dict[str, str]) -> None:
        path = write_config(config(database_url, feeds, slack, sources))
        assert main(["run", "--once", "--config", str(path)]) == 0

    return run_once


def query(database_url: str, sql: str) -> list[Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sqlalchemy.text(sql)).all())
    finally:
        engine.dispose()


def story_of(database_url: str) -> dict[str, int]:
    return dict(query(database_url, "SELECT guid, story_id FROM items"))


def top_level_keys(database_url: str) -> list[str]:
    """The outbox's story parents (one per story and target), not thread replies."""
    rows = query(database_url, "SELECT dedup_key FROM outbox WHERE dedup_key NOT LIKE '%:%:%'")
    return sorted(key for (key,) in rows)


def test_two_app_store_reviews_are_two_stories_and_two_notifications(
    run: Callable[[dict[str, str]], None],
    feeds: FeedServer,
    slack: FakeSlack,
    database_url: str,
) -> None:
    feeds.resources["/app.json"] = Resource(
        appstore(
            review("1", "Claire_B", "Impossible de me connecter", "Acme Banque plante."),
            review("2", "tom.r", "Virement bloqué", "Acme Banque refuse mes virements."),
        ),
        "application/json",
    )
    run({"app": "reviews:/app.json"})

    stories = story_of(database_url)
    assert stories.keys() == {"appstore:1", "appstore:2"}
    assert stories["appstore:1"] != stories["appstore:2"]
    assert len(top_level_keys(database_url)) == 2
    posts = slack.posts()
    assert [p["channel"] for p in posts] == ["#avis", "#avis"]
    assert any("Impossible de me connecter" in p["text"] for p in posts)
    assert any("Virement bloqué" in p["text"] for p in posts)


def test_identical_short_reviews_by_two_people_are_two_stories(
    run: Callable[[dict[str, str]], None],
    feeds: FeedServer,
    slack: FakeSlack,
    database_url: str,
) -> None:
    feeds.resources["/app.json"] = Resource(
        appstore(
            review("1", "Claire_B", "Nul", "Acme Banque, nul."),
            review("2", "tom.r", "Nul", "Acme Banque, nul."),
        ),
        "application/json",
    )
    run({"app": "reviews:/app.json"})

    stories = story_of(database_url)
    assert len(set(stories.values())) == 2
    assert len(slack.posts()) == 2 and slack.replies() == []


def test_the_same_review_from_two_sources_is_one_story(
    run: Callable[[dict[str, str]], None],
    feeds: FeedServer,
    slack: FakeSlack,
    database_url: str,
) -> None:
    """The App Store's JSON and XML feeds of one app: each review is one story, seen twice."""
    for suffix, kind in (("json", "application/json"), ("xml", "application/atom+xml")):
        body = (CORPUS / "reviews" / f"synthetic_appstore_customerreviews.{suffix}").read_bytes()
        feeds.resources[f"/app.{suffix}"] = Resource(body, kind)
    run({"app-json": "reviews:/app.json", "app-xml": "reviews:/app.xml"})

    rows = query(database_url, "SELECT guid, story_id FROM items ORDER BY id")
    assert len(rows) == 4
    by_guid: dict[str, set[int]] = {}
    for guid, story in rows:
        by_guid.setdefault(guid, set()).add(story)
    assert all(len(stories) == 1 for stories in by_guid.values())
    assert len({s for stories in by_guid.values() for s in stories}) == 2
    # The 1-star review names the bank: one message. The other feed gives the same
    # review on the same site (apps.apple.com): a repost, no reply, still one site.
    [post] = slack.posts()
    assert "Impossible de me connecter" in post["text"]
    assert slack.replies(post["ts"]) == []
    assert query(database_url, "SELECT sightings FROM stories") == [(1,), (1,)]


def test_a_review_without_url_and_the_aggregate_are_separate_stories(
    run: Callable[[dict[str, str]], None],
    feeds: FeedServer,
    slack: FakeSlack,
    database_url: str,
) -> None:
    """The page's 4-star review has no ``url``; it names the bank only through its subject."""
    feeds.resources["/avis"] = Resource(LOCAL_BUSINESS, "text/html; charset=utf-8")
    run({"avis": "reviews:/avis"})

    rows = query(database_url, "SELECT guid, title, story_id FROM items ORDER BY id")
    assert len(rows) == 3
    assert len({story for _, _, story in rows}) == 3
    titles = [title for _, title, _ in rows]
    assert titles[0] == "Banque Acme – agence Lyon Part-Dieu · ★ 1.6/5"
    assert titles[2] == "Banque Acme – agence Lyon Part-Dieu · ★★★★☆ 4/5 · Karim"
    # The aggregate (1.55/5) goes to #avis by the rule, the 4-star review to the
    # default channel; the 2/10 review does not name the bank.
    assert sorted(p["channel"] for p in slack.posts()) == ["#avis", "#veille"]
    assert len(top_level_keys(database_url)) == 2
    assert "Karim" in next(p for p in slack.posts() if p["channel"] == "#veille")["text"]


def test_a_new_average_is_an_edit_of_the_aggregate_not_a_new_story(
    run: Callable[[dict[str, str]], None],
    feeds: FeedServer,
    slack: FakeSlack,
    database_url: str,
) -> None:
    feeds.resources["/avis"] = Resource(LOCAL_BUSINESS, "text/html; charset=utf-8")
    run({"avis": "reviews:/avis"})
    [aggregate_post] = [p for p in slack.posts() if p["channel"] == "#avis"]

    # One more review, the average the same to one decimal: nothing to say.
    newer = LOCAL_BUSINESS.replace(b'"ratingCount": "57"', b'"ratingCount": "58"')
    newer = newer.replace(b'"ratingValue": "3,1"', b'"ratingValue": "3,12"')
    assert newer.count(b'"3,12"') == 1
    feeds.resources["/avis"] = Resource(newer, "text/html; charset=utf-8")
    run({"avis": "reviews:/avis"})
    assert slack.replies(aggregate_post["ts"]) == []

    # A new average: one reply under the aggregate, no new story.
    lower = newer.replace(b'"ratingValue": "3,12"', b'"ratingValue": "2,6"')
    feeds.resources["/avis"] = Resource(lower, "text/html; charset=utf-8")
    run({"avis": "reviews:/avis"})

    rows = query(database_url, "SELECT title FROM items WHERE guid LIKE 'aggregate:%'")
    assert rows == [("Banque Acme – agence Lyon Part-Dieu · ★ 1.3/5",)]
    assert len(query(database_url, "SELECT id FROM stories")) == 3
    assert len(slack.posts()) == 2  # no new top-level message
    [reply] = slack.replies(aggregate_post["ts"])
    assert "1,3/5" in reply["text"]  # on the /5 scale, with the French decimal mark


def _rss(title: str, link: str, description: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{title}</title><link>https://example.fr/</link>
<item><title>{title}</title><link>{link}</link><guid>{title}</guid>
<description>{description}</description></item></channel></rss>""".encode()


def test_two_feeds_with_the_same_article_url_are_one_story(
    run: Callable[[dict[str, str]], None],
    feeds: FeedServer,
    slack: FakeSlack,
    database_url: str,
) -> None:
    """Regression guard: ordinary items are still grouped by their (canonical) URL, even
    when their titles and texts share nothing."""
    article = "https://journal-eco.fr/finance/acme-banque-resultats.html"
    feeds.resources["/a.xml"] = Resource(
        _rss("Acme Banque publie ses résultats", article, "Bénéfice en hausse.")
    )
    feeds.resources["/b.xml"] = Resource(
        _rss("Revue de presse", article + "?utm_source=rss&amp;utm_medium=feed", "Acme Banque.")
    )
    run({"presse-a": "rss:/a.xml", "presse-b": "rss:/b.xml"})

    stories = story_of(database_url)
    assert len(stories) == 2 and len(set(stories.values())) == 1
    # A sighting from a second source, but at the story's very address: no reply
    # ("Aussi vu sur journal-eco.fr" under the journal-eco.fr message says nothing),
    # and still one site.
    assert query(database_url, "SELECT sightings FROM stories") == [(1,)]
    [post] = slack.posts()
    assert slack.replies(post["ts"]) == []


def test_a_bad_review_that_does_not_name_the_brand_is_caught_by_its_source(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A review page of one's own agency: its reviews seldom say the brand's name."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    feeds.resources["/app.json"] = Resource(
        appstore(
            review("1", "Claire_B", "Trois rendez-vous annulés", "Je change de banque."),
            review("2", "Marc", "Parfait", "Rien à redire.", rating="5"),
        ),
        "application/json",
    )
    text = config(database_url, feeds, slack, {"avis-app": "reviews:/app.json"})
    about = text.replace("allow_private = true", 'allow_private = true\nbrands = ["Acme Banque"]')
    assert main(["run", "--once", "--config", str(write_config(about))]) == 0

    # Neither review names "Acme Banque"; both are about it, by their source.
    by_channel = sorted((m["channel"], m["text"]) for m in slack.posts())
    assert [c for c, _ in by_channel] == ["#avis", "#veille"]  # the 1-star rule; the 5-star
    assert "Trois rendez-vous annulés" in by_channel[0][1]
    assert "Parfait" in by_channel[1][1]
    # No word of the text made them mentions: no "Termes" line, not an empty one.
    details = [json.dumps(m["blocks"], ensure_ascii=False) for m in slack.posts()]
    assert all("Marque" in d and "Termes" not in d for d in details), details
