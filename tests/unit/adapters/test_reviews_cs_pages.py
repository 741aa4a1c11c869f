"""reviews, as a customer-service team reads them: ratings written as text
("4/5", "8 / 10", "4,5 sur 5"), and HTML entities left in JSON-LD names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from watchtower.adapters.reviews import parse_jsonld_reviews, parse_reviews
from watchtower.config import BrandConfig, RuleConfig
from watchtower.pipeline.match import Matcher

PAGE = "https://avis.example.fr/banque-acme-lyon"
FIXTURES = Path(__file__).parents[2] / "fixtures" / "reviews_cs"
# The guid the code before dates like "20/11/2026" were read gave such a review.
GUID_20_11_2026 = "47301978e76409d0614a"


def page(data: dict[str, Any]) -> str:
    return (
        '<html lang="fr"><head><script type="application/ld+json">'
        + json.dumps({"@context": "https://schema.org", **data}, ensure_ascii=False)
        + "</script></head><body></body></html>"
    )


def agency(*reviews: dict[str, Any], name: str = "Banque Acmé Lyon", **more: Any) -> str:
    return page({"@type": "BankOrCreditUnion", "name": name, "review": list(reviews), **more})


def review(
    rating: Any, author: str = "Karim", date: str = "2026-11-20", **more: Any
) -> dict[str, Any]:
    return {
        "@type": "Review",
        "author": {"@type": "Person", "name": author},
        "datePublished": date,
        "reviewRating": rating,
        "reviewBody": "Attente interminable au guichet.",
        **more,
    }


@pytest.mark.parametrize(
    ("rating", "out_of_five", "shown"),
    [
        ({"ratingValue": "4/5"}, 4.0, "★★★★☆ 4/5"),
        ({"ratingValue": "2 / 5"}, 2.0, "★★☆☆☆ 2/5"),
        ({"ratingValue": "4,5/5"}, 4.5, "★★★★★ 4.5/5"),
        ({"ratingValue": "8/10"}, 4.0, "★★★★☆ 8/10"),
        ({"ratingValue": "12 sur 20"}, 3.0, "★★★☆☆ 12/20"),
        ({"ratingValue": "4.5 out of 5"}, 4.5, "★★★★★ 4.5/5"),
        ({"ratingValue": "1 étoile"}, 1.0, "★☆☆☆☆ 1/5"),
        ({"ratingValue": "3 étoiles"}, 3.0, "★★★☆☆ 3/5"),
        ({"ratingValue": "2★"}, 2.0, "★★☆☆☆ 2/5"),
        # The scale written in the value wins over a bestRating it contradicts.
        ({"ratingValue": "4/5", "bestRating": "10"}, 4.0, "★★★★☆ 4/5"),
        # A bare "2/5" instead of a Rating object.
        ("2/5", 2.0, "★★☆☆☆ 2/5"),
        # Still read as before.
        ({"ratingValue": "4,5"}, 4.5, "★★★★★ 4.5/5"),
        ({"ratingValue": "15", "bestRating": "20"}, 3.75, "★★★★☆ 15/20"),
        ({"ratingValue": 7, "bestRating": 10}, 3.5, "★★★★☆ 7/10"),
    ],
)
def test_a_rating_written_as_text_is_read_with_its_scale(
    rating: Any, out_of_five: float, shown: str
) -> None:
    [item] = parse_jsonld_reviews(agency(review(rating)), PAGE)
    assert item.rating == out_of_five
    assert item.title == f"Banque Acmé Lyon · {shown} · Karim"


@pytest.mark.parametrize(
    "value", ["bien", "4/0", "4/5/5", "1e999999", "NaN", "", "4 sur", "note : 4/5 svp"]
)
def test_text_that_is_no_rating_gives_none(value: str) -> None:
    [item] = parse_jsonld_reviews(agency(review({"ratingValue": value})), PAGE)
    assert item.rating is None
    assert "★" not in item.title


def test_a_review_rated_2_5_in_text_is_caught_by_a_rating_rule() -> None:
    """Before, "2/5" was no rating: the rule ``rating:<=2`` never saw the review."""
    brand = BrandConfig(name="Acmé", terms=["Banque Acmé"])
    rule = RuleConfig(name="avis-negatifs", brands=["Acmé"], query="rating:<=2")
    matcher = Matcher([brand], [rule])
    html = agency(review({"ratingValue": "2/5"}), name="Banque Acmé – agence Lyon")
    [item] = parse_jsonld_reviews(html, PAGE)
    assert [m.rule for m in matcher.match(item, "agence-lyon")] == ["avis-negatifs"]


def test_entities_in_names_are_decoded_and_identities_kept() -> None:
    """Sites often HTML-escape JSON-LD strings: "Jos&eacute; &amp; Marie"."""
    html = agency(
        review({"ratingValue": "1"}, author="Jos&eacute; &amp; Marie 😡"),
        name="Banque Acm&eacute; Lyon",
        aggregateRating={"@type": "AggregateRating", "ratingValue": "2,4", "reviewCount": "12"},
    )
    item, aggregate = parse_jsonld_reviews(html, PAGE)
    assert item.author == "José & Marie 😡"
    assert item.title == "Banque Acmé Lyon · ★☆☆☆☆ 1/5 · José & Marie 😡"
    assert item.extra["subject"] == "Banque Acmé Lyon"
    assert aggregate.title == "Banque Acmé Lyon · ★ 2.4/5"
    assert aggregate.extra["subject"] == "Banque Acmé Lyon"
    # The guids are those of the names as written, as stored before: a review
    # already announced is not announced again.
    assert item.guid == f"review:{PAGE}#ac9545e540e31debf2bf"
    assert aggregate.guid == f"aggregate:{PAGE}#Banque Acm&eacute; Lyon"


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("20/11/2026", "2026-11-20"),
        ("20.11.2026", "2026-11-20"),
        ("20 novembre 2026", "2026-11-20"),
        ("Nov 20, 2026", "2026-11-20"),
        ("2026-11-20T14:03:00+01:00", "2026-11-20"),
    ],
)
def test_a_date_written_as_pages_show_it_is_read(written: str, day: str) -> None:
    [item] = parse_jsonld_reviews(agency(review({"ratingValue": "1"}, date=written)), PAGE)
    assert item.published is not None
    assert item.published.date().isoformat() == day


def test_reading_more_dates_keeps_the_guids_of_reviews_already_stored() -> None:
    """The guid is made from the date as before (as written when it was not read)."""
    html = agency(review({"ratingValue": "1"}, author="Karim", date="20/11/2026"))
    [item] = parse_jsonld_reviews(html, PAGE)
    assert item.guid == f"review:{PAGE}#{GUID_20_11_2026}"


@pytest.mark.parametrize(
    ("language", "tag"),
    [
        ("fr-FR", "fr-FR"),
        ({"@type": "Language", "name": "French", "alternateName": "fr"}, "fr"),
        ({"@type": "Language", "name": "en"}, "en"),
        (["en", "fr"], "en"),
        ("French", None),
        ({"@type": "Language", "name": "Français"}, None),
    ],
)
def test_in_language_is_a_language_tag_or_nothing(language: Any, tag: str | None) -> None:
    """A ``Language`` object used to become the text "{'@type': 'Language', …}":
    shown as the review's language, and never matched by ``lang:fr``."""
    [item] = parse_jsonld_reviews(agency(review("1", inLanguage=language)), PAGE)
    assert item.lang == tag


def test_a_review_site_graph_with_references_names_the_business_and_the_headline() -> None:
    """Review sites put their reviews in an ``@graph``, each pointing at the
    business with ``itemReviewed: {"@id": …}``, its title in ``headline``."""
    html = (FIXTURES / "trustpilot_like_graph.html").read_bytes()
    page_url = "https://avis.example.com/review/acme.fr"
    aggregate, bad, good = parse_reviews(html, page_url, "text/html; charset=utf-8")
    assert (bad.title, bad.author, bad.rating, bad.lang) == (
        "Conseiller injoignable",
        "Sophie L.",
        1.0,
        "fr",
    )
    assert bad.text == "Trois semaines d'attente pour une carte bloquée, personne au téléphone."
    assert bad.extra["subject"] == good.extra["subject"] == "Banque Acmé"
    assert (good.title, good.rating, good.lang) == ("Very helpful staff", 5.0, "en")
    assert bad.guid == "https://avis.example.com/#/schema/Review/acme.fr/6740a1"
    assert aggregate.title == "Banque Acmé · ★ 2.1/5"
    assert aggregate.guid == f"aggregate:{page_url}#Banque Acmé"


def test_a_review_without_headline_pointing_at_its_business_is_titled_with_it() -> None:
    """The made-up title names the business, so the brand is found in it."""
    data = {
        "@graph": [
            {"@id": "#agence", "@type": "BankOrCreditUnion", "name": "Banque Acmé Lyon"},
            {
                "@type": "Review",
                "itemReviewed": {"@id": "#agence"},
                "author": "Karim",
                "datePublished": "2026-11-20",
                "reviewRating": {"ratingValue": "2"},
                "reviewBody": "Attente.",
            },
        ]
    }
    [item] = parse_jsonld_reviews(page(data), PAGE)
    assert item.title == "Banque Acmé Lyon · ★★☆☆☆ 2/5 · Karim"
    brand = BrandConfig(name="Acmé", terms=["Banque Acmé"])
    assert [m.brand for m in Matcher([brand], []).match(item, "avis")] == ["Acmé"]
