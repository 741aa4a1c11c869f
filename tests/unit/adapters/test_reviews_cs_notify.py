"""What a customer-service team reads of an App Store review: the item as the
adapter gives it, through the outbox payload, rendered for Slack, e-mail and
the console — its stars, author and app version; an edited review's reply
says its stars now."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.french import nb
from watchtower.adapters.reviews import parse_reviews
from watchtower.models import Notification
from watchtower.notify.email_render import mention_email
from watchtower.notify.plain import plain_text, reply_text
from watchtower.notify.slack_render import item_blocks, reply_blocks
from watchtower.pipeline.delivery import Claimed, Verdict, notification_for
from watchtower.pipeline.normalise_items import prepare
from watchtower.pipeline.runner import payload_for

APP = "https://apps.apple.com/fr/app/banque-acme/id1400000000"
FEED = "https://itunes.apple.com/fr/rss/customerreviews/id=1400000000/sortBy=mostRecent/json"


def appstore_feed(rating: str, version: str = "5.12.1") -> bytes:
    entry = {
        "author": {"name": {"label": "Claire_B"}, "label": ""},
        "updated": {"label": "2026-11-24T10:21:07-07:00"},
        "im:rating": {"label": rating},
        "im:version": {"label": version},
        "id": {"label": "11900000001"},
        "title": {"label": "Plante au démarrage"},
        "content": {"label": "Depuis la mise à jour.", "attributes": {"type": "text"}},
        "link": {"attributes": {"rel": "related", "href": APP}},
    }
    return json.dumps({"feed": {"entry": [entry]}}).encode()


def notification(rating: str, story: dict[str, Any] | None = None) -> Notification:
    """The review as the notifier gets it from its outbox row."""
    [prepared] = prepare(parse_reviews(appstore_feed(rating), FEED, "application/json"))
    payload = payload_for(prepared, "appli-ios")
    payload.update(brands=["Acmé"], rules=["avis-negatifs"], severity="warning")
    payload["story"] = story or {"id": 1, "first": True, "sightings": 1, "edited": False}
    row = Claimed(1, "slack:#avis", payload, 0, "warning", datetime(2026, 11, 24, tzinfo=UTC))
    return notification_for(row, Verdict())


@pytest.mark.parametrize(
    ("language", "version"), [("fr", "Version de l'appli"), ("en", "App version")]
)
def test_the_app_version_is_shown_with_the_stars_and_the_author(
    language: str, version: str
) -> None:
    n = notification("1")
    colon = "\u00a0: " if language == "fr" else ": "
    blocks, _ = item_blocks(n, language, "Europe/Paris")
    details = json.dumps(blocks, ensure_ascii=False)
    assert "★☆☆☆☆ 1/5" in details
    assert f"*{version}{colon.rstrip()}* 5.12.1" in details
    text, html = mention_email(n, language, "Europe/Paris", n.title)
    assert f"{version}{colon}5.12.1" in text
    assert "5.12.1" in html
    assert f"{version}{colon}5.12.1" in plain_text(n, language, "Europe/Paris").body


def test_a_review_without_a_version_has_no_version_line() -> None:
    [prepared] = prepare(parse_reviews(appstore_feed("2", version=""), FEED, "application/json"))
    assert "app_version" not in payload_for(prepared, "appli-ios")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", nb(f"Modifié sur apps.apple.com : <{APP}|Plante au démarrage> · ★★★★☆ 4/5")),
        ("en", f"Edited on apps.apple.com: <{APP}|Plante au démarrage> · ★★★★☆ 4/5"),
    ],
)
def test_an_edited_review_s_reply_says_its_stars_now(language: str, expected: str) -> None:
    edited = {"id": 1, "first": False, "sightings": 0, "edited": True}
    _, text = reply_blocks(notification("4", edited), language)
    assert text == expected


def test_an_edited_review_s_console_reply_says_its_stars_now() -> None:
    edited = {"id": 1, "first": False, "sightings": 0, "edited": True}
    assert reply_text(notification("4", edited), "fr") == nb(
        f"Modifié sur apps.apple.com : Plante au démarrage · ★★★★☆ 4/5 — {APP}"
    )


def test_a_later_sighting_s_reply_has_no_stars() -> None:
    """Only an edit can have changed the stars; "Aussi vu sur" stays as it was."""
    seen = {"id": 1, "first": False, "sightings": 2, "edited": False}
    _, text = reply_blocks(notification("4", seen), "fr")
    assert text == nb(f"Aussi vu sur apps.apple.com : <{APP}|Plante au démarrage>")
    assert reply_text(notification("4", seen), "fr") == nb(
        f"Aussi vu sur apps.apple.com : Plante au démarrage — {APP}"
    )


PAGE = "https://avis.example.fr/banque-acme-lyon"


def page_review(headline: str | None) -> Notification:
    """A JSON-LD review of the Lyon agency, with or without a headline."""
    data = {
        "@context": "https://schema.org",
        "@type": "BankOrCreditUnion",
        "name": "Banque Acmé – agence Lyon",
        "review": [
            {
                "@type": "Review",
                "author": "Karim",
                "datePublished": "2026-11-20",
                "reviewRating": {"ratingValue": "2"},
                "reviewBody": "Conseiller injoignable.",
                **({"headline": headline} if headline else {}),
            }
        ],
    }
    html = f'<script type="application/ld+json">{json.dumps(data)}</script>'.encode()
    [prepared] = prepare(parse_reviews(html, PAGE, "text/html; charset=utf-8"))
    payload = payload_for(prepared, "agence-lyon")
    payload.update(brands=["Acmé"], rules=["avis-negatifs"], severity="warning")
    payload["story"] = {"id": 2, "first": True, "sightings": 1, "edited": False}
    row = Claimed(2, "slack:#avis", payload, 0, "warning", datetime(2026, 11, 24, tzinfo=UTC))
    return notification_for(row, Verdict())


@pytest.mark.parametrize(("language", "reviewed"), [("fr", "Avis sur"), ("en", "Review of")])
def test_a_review_with_a_headline_says_which_agency_it_is_about(
    language: str, reviewed: str
) -> None:
    n = page_review("Jamais de réponse")
    colon = "\u00a0: " if language == "fr" else ": "
    blocks, _ = item_blocks(n, language, "Europe/Paris")
    details = json.dumps(blocks, ensure_ascii=False)
    assert f"*{reviewed}{colon.rstrip()}* Banque Acmé – agence Lyon" in details
    text, _ = mention_email(n, language, "Europe/Paris", n.title)
    assert f"{reviewed}{colon}Banque Acmé – agence Lyon" in text
    assert f"{reviewed}{colon}Banque Acmé" in plain_text(n, language, "Europe/Paris").body


def test_a_title_that_names_the_agency_has_no_line_to_repeat_it() -> None:
    n = page_review(None)
    assert n.title == "Banque Acmé – agence Lyon · ★★☆☆☆ 2/5 · Karim"
    blocks, _ = item_blocks(n, "fr", "Europe/Paris")
    assert "Avis sur" not in json.dumps(blocks, ensure_ascii=False)
    assert "Avis sur" not in mention_email(n, "fr", "Europe/Paris", n.title)[0]
