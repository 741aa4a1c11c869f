"""Reviews as a customer-service team meets them: the real daemon, one cycle at
a time, against an agency page and an App Store feed served on 127.0.0.1, a
fake Slack and an SMTP server. Every new bad review must reach ``#avis`` and
the team's mailbox with its stars; an edited rating must not go unseen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from tests.french import nb
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.cli import main
from watchtower.storage.engines import make_engine

APP_LINK = "https://apps.apple.com/fr/app/banque-acme/id1400000000"


def config(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    language: str,
    backlog: str = "all",
) -> str:
    return f"""
[watchtower]
backlog = "{backlog}"
database_url = "{database_url}"
language = "{language}"

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"

[email]
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
starttls = false
from = "veille@acme.example"

[[brands]]
name = "Acmé"
terms = ["Banque Acmé"]

[[rules]]
name = "avis-negatifs"
brands = ["Acmé"]
query = 'rating:<=2'
notify = ["slack:#avis", "email:sav@acme.example"]

[[sources]]
name = "agence-lyon"
kind = "reviews"
url = "{feeds.url("/avis")}"
allow_private = true
brands = ["Acmé"]

[[sources]]
name = "appli"
kind = "reviews"
url = "{feeds.url("/app.json")}"
allow_private = true
brands = ["Acmé"]
"""


def appstore(*reviews: dict[str, str]) -> bytes:
    """An App Store customer-review feed (JSON)."""
    entries = [
        {
            "author": {"name": {"label": r["author"]}, "label": ""},
            "updated": {"label": "2026-11-24T10:21:07-07:00"},
            "im:rating": {"label": r["rating"]},
            "im:version": {"label": r.get("version", "5.12.0")},
            "id": {"label": r["id"]},
            "title": {"label": r["title"]},
            "content": {"label": r["text"], "attributes": {"type": "text"}},
            "link": {"attributes": {"rel": "related", "href": APP_LINK}},
        }
        for r in reviews
    ]
    return json.dumps({"feed": {"entry": entries}}).encode()


def agency(*reviews: dict[str, Any]) -> bytes:
    data = {
        "@context": "https://schema.org",
        "@type": "BankOrCreditUnion",
        "name": "Banque Acm&eacute; – agence Lyon",
        "review": list(reviews),
    }
    return (
        '<html lang="fr"><head><script type="application/ld+json">'
        + json.dumps(data, ensure_ascii=False)
        + "</script></head><body></body></html>"
    ).encode()


def average_page(average: str, best: str = "5") -> bytes:
    """The agency's page with its average rating and no review."""
    return agency().replace(
        b'"review": []',
        b'"aggregateRating": {"@type": "AggregateRating", "ratingValue": "%s", '
        b'"bestRating": "%s", "reviewCount": "57"}' % (average.encode(), best.encode()),
    )


def jsonld_review(author: str, rating: str, body: str, **more: str) -> dict[str, Any]:
    return {
        "@type": "Review",
        "author": {"@type": "Person", "name": author},
        "datePublished": "2026-11-20",
        "reviewRating": {"@type": "Rating", "ratingValue": rating},
        "reviewBody": body,
        **more,
    }


@pytest.fixture
def run(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., None]:
    """One cycle of the daemon on what ``feeds`` serves (an empty agency page and
    App Store feed unless a test serves others)."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    feeds.resources.setdefault("/avis", Resource(agency(), "text/html; charset=utf-8"))
    feeds.resources.setdefault("/app.json", Resource(appstore(), "application/json"))

    def run_once(language: str = "fr", backlog: str = "all") -> None:
        path = write_config(config(database_url, feeds, slack, smtp, language, backlog))
        assert main(["run", "--once", "--config", str(path)]) == 0

    return run_once


def query(database_url: str, sql: str) -> list[Any]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sqlalchemy.text(sql)).all())
    finally:
        engine.dispose()


def mail_text(message: Any) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_a_review_whose_author_lowers_only_the_stars_reaches_the_bad_review_rule(
    run: Callable[..., None],
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    database_url: str,
) -> None:
    """4★ "Correct" becomes 1★ with the same words: a bad review now, not to be lost."""
    served = {"id": "77", "author": "Claire_B", "title": "Correct", "text": "L'appli marche."}
    feeds.resources["/app.json"] = Resource(appstore(dict(served, rating="4")), "application/json")
    run()
    assert [p["channel"] for p in slack.posts()] == ["#veille"]  # a 4★ mention
    assert smtp.messages == []

    feeds.resources["/app.json"] = Resource(appstore(dict(served, rating="1")), "application/json")
    run()

    assert query(database_url, "SELECT rating FROM items") == [(1.0,)]
    assert [p["channel"] for p in slack.posts()] == ["#veille", "#avis"]
    assert "★☆☆☆☆ 1/5" in str(slack.posts()[1]["blocks"])
    [mail] = smtp.messages
    assert nb("Note : ★☆☆☆☆ 1/5") in mail_text(mail)

    # Polled again unchanged: nothing more.
    run()
    assert len(slack.posts()) == 2 and len(smtp.messages) == 1


def test_a_bad_review_rated_again_keeps_its_stored_rating_and_its_thread_up_to_date(
    run: Callable[..., None],
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    database_url: str,
) -> None:
    """1★, then 4★ after the agency called back, then 1★ again: the stored rating
    follows (``test-rule --stored`` reads it), and each change is told."""
    served = {"id": "78", "author": "tom.r", "title": "Virement bloqué", "text": "Trois jours."}
    feeds.resources["/app.json"] = Resource(appstore(dict(served, rating="1")), "application/json")
    run()
    [post] = slack.posts()
    assert post["channel"] == "#avis"

    feeds.resources["/app.json"] = Resource(appstore(dict(served, rating="4")), "application/json")
    run()
    assert query(database_url, "SELECT rating FROM items") == [(4.0,)]
    # No longer a bad review: a mention for the default channel, with its stars…
    [_, mention] = slack.posts()
    assert mention["channel"] == "#veille"
    assert "★★★★☆ 4/5" in str(mention["blocks"])
    # … and who read the 1★ in #avis sees the 4★ in its thread.
    told = nb(f"Modifié sur apps.apple.com : <{APP_LINK}|Virement bloqué> · ")
    assert [r["text"] for r in slack.replies(post["ts"])] == [told + "★★★★☆ 4/5"]

    feeds.resources["/app.json"] = Resource(appstore(dict(served, rating="1")), "application/json")
    run()
    assert query(database_url, "SELECT rating FROM items") == [(1.0,)]
    # Back under the rule: a reply in each thread, saying the stars; not taken
    # for the first 1★ (a different edit).
    assert [r["text"] for r in slack.replies(post["ts"])] == [
        told + "★★★★☆ 4/5",
        told + "★☆☆☆☆ 1/5",
    ]
    assert [r["text"] for r in slack.replies(mention["ts"])] == [told + "★☆☆☆☆ 1/5"]
    assert len(slack.posts()) == 2
    assert len(smtp.messages) == 1  # e-mail: one message per story

    run()  # unchanged: nothing more
    assert len(slack.replies()) == 3 and len(slack.posts()) == 2


LONG = "Attente interminable au guichet, conseiller injoignable depuis trois semaines. " * 30


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", {"rating": "Note", "author": "Auteur", "version": "Version de l'appli"}),
        ("en", {"rating": "Rating", "author": "Author", "version": "App version"}),
    ],
)
def test_new_bad_reviews_reach_slack_and_mail_with_stars_author_and_version(
    run: Callable[..., None],
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    language: str,
    words: dict[str, str],
) -> None:
    """A page whose review says its rating "2/5" and escapes its names
    ("Jos&eacute;"), a long text; an App Store review of version 5.12.1."""
    feeds.resources["/avis"] = Resource(
        agency(jsonld_review("Jos&eacute; &amp; Marie 😡", "2/5", LONG)),
        "text/html; charset=utf-8",
    )
    feeds.resources["/app.json"] = Resource(
        appstore(
            {
                "id": "90",
                "author": "Claire_B",
                "title": "Plante au démarrage",
                "text": "Depuis la mise à jour.",
                "rating": "1",
                "version": "5.12.1",
            }
        ),
        "application/json",
    )
    run(language)

    posts = {("agence" if "Jos" in p["text"] else "appli"): p for p in slack.posts()}
    assert {p["channel"] for p in posts.values()} == {"#avis"}  # both under the rule
    page = json.dumps(posts["agence"]["blocks"], ensure_ascii=False)
    assert "Banque Acmé – agence Lyon · ★★☆☆☆ 2/5 · José &amp; Marie 😡" in page
    colon = "\u00a0: " if language == "fr" else ": "
    assert f"*{words['rating']}{colon.rstrip()}* ★★☆☆☆ 2/5" in page
    assert "★★☆☆☆ 2/5" in page and "&amp;eacute;" not in page
    assert "…" in page and LONG not in page  # the long text is cut, the title links
    assert f"<{feeds.url('/avis')}|" in page
    app = json.dumps(posts["appli"]["blocks"], ensure_ascii=False)
    assert f"*{words['version']}{colon.rstrip()}* 5.12.1" in app and "★☆☆☆☆ 1/5" in app
    assert f"<{APP_LINK}|Plante au démarrage>" in app

    mails = {("agence" if "Jos" in m["Subject"] else "appli"): m for m in smtp.messages}
    assert len(mails) == 2
    agence = mail_text(mails["agence"])
    assert "José & Marie 😡" in mails["agence"]["Subject"]
    assert f"{words['rating']}{colon}★★☆☆☆ 2/5" in agence
    assert f"{words['author']}{colon}José & Marie 😡" in agence
    assert "…" in agence and feeds.url("/avis") in agence
    appli = mail_text(mails["appli"])
    assert f"{words['version']}{colon}5.12.1" in appli
    assert f"{words['author']}{colon}Claire_B" in appli


def test_adding_a_page_that_writes_dates_20_11_2026_announces_only_new_reviews(
    run: Callable[..., None], feeds: FeedServer, slack: FakeSlack, smtp: SmtpServer
) -> None:
    """The page's history is not news on its first poll (``backlog``): its dates
    must be read for that, or every bad review ever written is sent at once."""
    old = [
        jsonld_review(
            f"Client {n}", "1", f"Attente au guichet n°{n}.", datePublished=f"0{n}/03/2025"
        )
        for n in range(1, 6)
    ]
    feeds.resources["/avis"] = Resource(agency(*old), "text/html; charset=utf-8")
    run(backlog="3d")
    assert slack.posts() == [] and smtp.messages == []

    today = datetime.now(UTC).strftime("%d/%m/%Y")
    new = jsonld_review("Nadia", "2", "Conseiller injoignable.", datePublished=today)
    feeds.resources["/avis"] = Resource(agency(new, *old[:4]), "text/html; charset=utf-8")
    run(backlog="3d")
    [post] = slack.posts()
    assert post["channel"] == "#avis" and "Nadia" in post["text"]
    assert f"Publié le {today}" in json.dumps(post["blocks"], ensure_ascii=False)
    [mail] = smtp.messages
    assert "Nadia" in mail["Subject"]


def test_a_new_average_s_reply_says_the_score_once(
    run: Callable[..., None], feeds: FeedServer, slack: FakeSlack
) -> None:
    """The average's title holds its score: its edit reply adds no second one."""

    feeds.resources["/avis"] = Resource(average_page("1,9"), "text/html; charset=utf-8")
    run()
    [post] = slack.posts()
    feeds.resources["/avis"] = Resource(average_page("1,7"), "text/html; charset=utf-8")
    run()
    [reply] = slack.replies(post["ts"])
    assert reply["text"].endswith("|Banque Acmé – agence Lyon · ★ 1,7/5>"), reply["text"]


def test_an_average_that_reads_the_same_out_of_5_is_no_news(
    run: Callable[..., None], feeds: FeedServer, slack: FakeSlack, database_url: str
) -> None:
    """3.1/10 then 3.2/10: 1.55 then 1.6 out of 5, both shown "1,6/5"."""
    feeds.resources["/avis"] = Resource(average_page("3,1", "10"), "text/html; charset=utf-8")
    run()
    [post] = slack.posts()
    feeds.resources["/avis"] = Resource(average_page("3,2", "10"), "text/html; charset=utf-8")
    run()
    assert slack.replies() == [] and len(slack.posts()) == 1
    # Still read as it was; a real change is told.
    assert query(database_url, "SELECT rating FROM items") == [(1.55,)]
    feeds.resources["/avis"] = Resource(average_page("2,6", "10"), "text/html; charset=utf-8")
    run()
    assert len(slack.replies(post["ts"])) == 1


def test_a_review_that_scrolls_off_the_newest_ten_and_comes_back_is_not_announced_again(
    run: Callable[..., None], feeds: FeedServer, slack: FakeSlack, smtp: SmtpServer
) -> None:
    """Pages list the newest reviews only; a reload may list an older one again."""
    reviews = [
        jsonld_review(f"Client {n}", "1", f"Attente n°{n}.", datePublished=f"2026-11-{n:02}")
        for n in range(1, 12)
    ]
    feeds.resources["/avis"] = Resource(agency(*reviews[1:]), "text/html; charset=utf-8")
    run()
    assert len(slack.posts()) == 10 and len(smtp.messages) == 10
    feeds.resources["/avis"] = Resource(agency(*reviews[:10]), "text/html; charset=utf-8")
    run()
    feeds.resources["/avis"] = Resource(agency(*reviews[1:]), "text/html; charset=utf-8")
    run()
    # Client 1 was new once; the one that scrolled off and came back was not.
    assert len(slack.posts()) == 11 and len(smtp.messages) == 11
    assert sum("Client 11" in p["text"] for p in slack.posts()) == 1


FIXTURES = Path(__file__).parents[1] / "fixtures" / "reviews_cs"


def test_a_review_site_page_tells_each_review_with_its_headline_and_agency(
    run: Callable[..., None], feeds: FeedServer, slack: FakeSlack, smtp: SmtpServer
) -> None:
    """A review site's ``@graph``: reviews point at the business by ``@id``."""
    html = (FIXTURES / "trustpilot_like_graph.html").read_bytes()
    feeds.resources["/avis"] = Resource(html, "text/html; charset=utf-8")
    run()

    # The 1★ goes to #avis; the 5★ and the average (2.1/5, not ≤ 2) to #veille.
    assert sorted(p["channel"] for p in slack.posts()) == ["#avis", "#veille", "#veille"]
    [bad] = [json.dumps(p, ensure_ascii=False) for p in slack.posts() if p["channel"] == "#avis"]
    assert "|Conseiller injoignable>" in bad
    assert nb("*Avis sur :* Banque Acmé") in bad and nb("*Auteur :* Sophie L.") in bad
    assert "Trois semaines d'attente" in bad and "&#39;" not in bad
    assert "Publié le 25/11/2026" in bad
    [mail] = smtp.messages
    assert mail["Subject"] == nb("[veille] Mention – Acmé : Conseiller injoignable")
    assert nb("Avis sur : Banque Acmé") in mail_text(mail)


def test_stars_an_older_watchtower_could_not_read_are_stored_without_a_word(
    run: Callable[..., None],
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    database_url: str,
) -> None:
    """After an upgrade, a review stored without its "2/5" is read again with it:
    the rating is stored (for `test-rule --stored`), nobody is told of an edit."""
    served = jsonld_review("Paul", "2/5", "Conseiller jamais disponible.")
    feeds.resources["/avis"] = Resource(agency(served), "text/html; charset=utf-8")
    run()
    posts, mails = len(slack.posts()), len(smtp.messages)
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:  # as the older parser stored it
            conn.execute(sqlalchemy.text("UPDATE items SET rating = NULL"))
    finally:
        engine.dispose()
    # The page changes (a new good review), so it is read again, not a 304.
    happy = jsonld_review("Léa", "5/5", "Accueil parfait à l'agence.")
    feeds.resources["/avis"] = Resource(agency(served, happy), "text/html; charset=utf-8")

    run()

    ratings = query(database_url, "SELECT author, rating FROM items ORDER BY id")
    assert ratings == [("Paul", 2.0), ("Léa", 5.0)]
    new_posts = slack.posts()[posts:]
    assert len(new_posts) == 1 and "Léa" in str(new_posts[0])  # only the new review
    assert slack.replies() == []  # no "Modifié" under Paul's review
    assert len(smtp.messages) == mails
