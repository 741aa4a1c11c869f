"""Undated reviews edited by their author: the real daemon, one cycle at a time,
against an agency page served on 127.0.0.1 and a fake Slack (see
``test_review_cs``). A review without a date has a guid made from its text;
its author's edit must be an edit of it ("Modifié", stars included), not a
second review, also for reviews stored by a version that did not remember them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy

from tests.e2e.test_review_cs import agency, jsonld_review, query
from tests.e2e.test_review_cs import run as run  # the fixture the tests use (explicit re-export)
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.storage.engines import make_engine

HTML = "text/html; charset=utf-8"
FIRST = "Attente longue au guichet, conseiller peu aimable."
EDITED = FIRST + " Et en plus ils m'ont raccroché au nez, honteux."


def undated(author: str, rating: str, body: str) -> dict[str, Any]:
    return jsonld_review(author, rating, body, datePublished="")


def serve(feeds: FeedServer, *reviews: dict[str, Any]) -> None:
    feeds.resources["/avis"] = Resource(agency(*reviews), HTML)


def items(database_url: str) -> list[tuple[str, float]]:
    return [(r[0], r[1]) for r in query(database_url, "SELECT text, rating FROM items")]


def test_an_undated_review_rewritten_with_fewer_stars_is_an_edit_not_a_new_review(
    run: Callable[..., None], feeds: FeedServer, slack: FakeSlack, database_url: str
) -> None:
    serve(feeds, undated("Karim", "3", FIRST))
    run()
    [post] = slack.posts()
    assert post["channel"] == "#veille"

    serve(feeds, undated("Karim", "1", EDITED))
    run()
    # One review, now 1★ with its new words: the bad-review rule hears of it,
    # and the thread of the first message says it was edited.
    assert items(database_url) == [(EDITED, 1.0)]
    assert [p["channel"] for p in slack.posts()] == ["#veille", "#avis"]
    [reply] = slack.replies(post["ts"])
    assert reply["text"].startswith("Modifié sur ")

    run()  # unchanged: nothing more
    assert len(slack.posts()) == 2 and len(slack.replies()) == 1


def test_an_undated_review_rewritten_after_an_upgrade_is_an_edit(
    run: Callable[..., None], feeds: FeedServer, slack: FakeSlack, database_url: str
) -> None:
    """A page stored by a version that remembered nothing (an empty cursor):
    its undated reviews are not announced again, and an edit is an edit."""
    serve(feeds, undated("Karim", "3", FIRST), undated("Lucie", "4", "Très bon accueil."))
    run()
    assert len(slack.posts()) == 2
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:  # the cursor as the older version left it
            conn.execute(sqlalchemy.text("UPDATE sources SET cursor = '{}'"))
    finally:
        engine.dispose()

    run()
    assert len(slack.posts()) == 2  # nothing announced again

    serve(feeds, undated("Karim", "3", EDITED), undated("Lucie", "4", "Très bon accueil."))
    run()
    assert len(slack.posts()) == 2
    assert sorted(items(database_url)) == [(EDITED, 3.0), ("Très bon accueil.", 4.0)]
    assert [r["text"][:11] for r in slack.replies()] == ["Modifié sur"]


def test_an_edited_review_stays_itself_when_its_author_writes_a_second_one(
    run: Callable[..., None], feeds: FeedServer, slack: FakeSlack, database_url: str
) -> None:
    serve(feeds, undated("Karim", "3", FIRST))
    run()
    serve(feeds, undated("Karim", "3", EDITED))
    run()
    second = "Deuxième visite : même accueil, rien n'a changé."
    serve(feeds, undated("Karim", "2", second), undated("Karim", "3", EDITED))
    run()
    assert sorted(items(database_url)) == sorted([(EDITED, 3.0), (second, 2.0)])
    # The new review is one new message (in #avis: 2★); the edited one is not
    # announced again.
    assert [p["channel"] for p in slack.posts()] == ["#veille", "#avis"]
    assert "Deuxième visite" in str(slack.posts()[1]["blocks"])


def test_two_undated_reviews_by_one_author_stay_two_reviews(
    run: Callable[..., None], feeds: FeedServer, slack: FakeSlack, database_url: str
) -> None:
    """Guard: an anchor shared by two reviews of the page merges nothing."""
    serve(feeds, undated("Client", "1", "Carte bloquée."), undated("Client", "1", "Frais cachés."))
    run()
    assert len(items(database_url)) == 2
    assert len([p for p in slack.posts() if p["channel"] == "#avis"]) == 2
