"""Review pages as the French web writes them, through the real daemon, one
cycle at a time (see ``test_review_cs``): a page of 500 reviews announces
only the one added since, and a review a page gives twice (once with fewer
fields) is announced once. Synthetic pages, served on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.e2e.test_review_cs import agency, jsonld_review, query
from tests.e2e.test_review_cs import run as run  # the fixture the tests use (explicit re-export)
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack

HTML = "text/html; charset=utf-8"


def old_review(n: int) -> dict[str, Any]:
    return jsonld_review(
        f"Client {n}",
        str(1 + n % 5),
        f"Avis numéro {n}.",
        datePublished=f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}",
    )


def test_a_page_of_500_reviews_announces_only_the_new_one(
    run: Callable[..., None], feeds: FeedServer, slack: FakeSlack, database_url: str
) -> None:
    history = [old_review(n) for n in range(500)]
    feeds.resources["/avis"] = Resource(agency(*history), HTML)
    run(backlog="3d")  # the page's history: recorded, not announced
    assert slack.posts() == []
    assert query(database_url, "SELECT count(*) FROM items") == [(500,)]

    today = datetime.now(UTC).date().isoformat()
    new = jsonld_review("Zoé", "1", "Carte bloquée depuis une semaine.", datePublished=today)
    feeds.resources["/avis"] = Resource(agency(new, *history), HTML)
    run(backlog="3d")
    posts = slack.posts()
    assert posts and all("Zoé" in json.dumps(p, ensure_ascii=False) for p in posts)
    assert {p["channel"] for p in posts} == {"#avis"}
    assert query(database_url, "SELECT count(*) FROM items") == [(501,)]


def test_a_review_given_twice_with_fewer_fields_is_announced_once(
    run: Callable[..., None], feeds: FeedServer, slack: FakeSlack, database_url: str
) -> None:
    full = jsonld_review("Karim", "1", "Conseiller injoignable.", name="Déçu")
    alone = jsonld_review(
        "Karim",
        "1",
        "Conseiller injoignable.",
        itemReviewed={"@type": "BankOrCreditUnion", "name": "Banque Acmé – agence Lyon"},
    )
    page = agency(full).replace(
        b"</head>",
        b'<script type="application/ld+json">'
        + json.dumps({"@context": "https://schema.org", **alone}).encode()
        + b"</script></head>",
    )
    feeds.resources["/avis"] = Resource(page, HTML)
    run()
    posts = slack.posts()
    assert [p["channel"] for p in posts] == ["#avis"]
    assert query(database_url, "SELECT title FROM items") == [("Déçu",)]


def test_a_review_with_a_nul_character_is_stored(
    run: Callable[..., None], feeds: FeedServer, slack: FakeSlack, database_url: str
) -> None:
    """A ``"\\u0000"`` in one review's JSON failed the source at every poll on
    PostgreSQL (text columns refuse NUL), and every review of the page with it."""
    nul = jsonld_review("Karim", "1", "Carte refus\u00e9e\u0000 deux fois.")
    other = jsonld_review("Lucie", "2", "Attente au guichet.")
    feeds.resources["/avis"] = Resource(agency(nul, other), HTML)
    run()
    assert sorted(query(database_url, "SELECT text FROM items")) == [
        ("Attente au guichet.",),
        ("Carte refusée deux fois.",),
    ]
    assert len(slack.posts()) == 2
