"""reviews: schema.org subtypes of Review and AggregateRating, arrays and IRIs as types.

``UserReview``, ``CriticReview``, ``EmployerReview`` are ``Review``s
(https://schema.org/UserReview); ``EmployerAggregateRating`` is an
``AggregateRating``. A page writing them lost every review silently (the
business is reviewable, so no ``no_reviews`` error either). A type given as
a list or as a full IRI is read the same.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from watchtower.adapters.reviews import read_jsonld_reviews

URL = "https://avis.example.fr/banque-acme-lyon"


def _page(data: object) -> str:
    return (
        f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head></html>'
    )


def _business(*reviews: dict[str, Any]) -> str:
    return _page(
        {
            "@context": "https://schema.org",
            "@type": "LocalBusiness",
            "name": "Banque Acme Lyon",
            "review": list(reviews),
        }
    )


def _review(kind: Any, author: str = "Karim", rating: int = 1) -> dict[str, Any]:
    return {
        "@type": kind,
        "author": {"@type": "Person", "name": author},
        "datePublished": "2026-11-20",
        "reviewRating": {"@type": "Rating", "ratingValue": rating},
        "reviewBody": "Une arnaque, aucun conseiller ne répond.",
    }


def test_user_and_critic_reviews_are_items() -> None:
    page = _business(
        _review("UserReview", "Karim", 1),
        {**_review("CriticReview", "60 Millions", 2), "reviewBody": "Frais élevés."},
    )
    items, reviewable = read_jsonld_reviews(page, URL)
    assert reviewable
    assert sorted((i.author, i.rating) for i in items) == [("60 Millions", 2.0), ("Karim", 1.0)]


@pytest.mark.parametrize(
    "kind",
    [
        "EmployerReview",
        "ReviewNewsArticle",
        ["Review", "Thing"],
        ["Thing", "UserReview"],
        "http://schema.org/Review",
        "https://schema.org/UserReview",
        "schema:CriticReview",
        " Review ",
    ],
)
def test_each_way_of_writing_a_review_type(kind: Any) -> None:
    items, _ = read_jsonld_reviews(_business(_review(kind)), URL)
    assert [(i.author, i.rating) for i in items] == [("Karim", 1.0)]


@pytest.mark.parametrize("kind", ["ClaimReview", "MediaReview", "Rating", "Thing"])
def test_fact_checks_and_other_types_are_no_reviews(kind: str) -> None:
    items, _ = read_jsonld_reviews(_business(_review(kind)), URL)
    assert items == []


def test_employer_aggregate_rating_is_an_aggregate() -> None:
    page = _page(
        {
            "@context": "https://schema.org",
            "@type": "EmployerAggregateRating",
            "itemReviewed": {"@type": "Organization", "name": "Banque Acme"},
            "ratingValue": 1.8,
            "bestRating": 5,
            "ratingCount": 120,
        }
    )
    items, reviewable = read_jsonld_reviews(page, URL)
    assert reviewable
    assert [(i.rating, i.extra.get("aggregate"), i.title) for i in items] == [
        (1.8, "true", "Banque Acme · ★ 1.8/5")
    ]


@pytest.mark.parametrize(
    "kind", [["AggregateRating", "Thing"], "https://schema.org/EmployerAggregateRating"]
)
def test_an_aggregate_typed_as_a_list_or_an_iri(kind: Any) -> None:
    page = _page(
        {
            "@type": "https://schema.org/LocalBusiness",
            "name": "Banque Acme Lyon",
            "aggregateRating": {"@type": kind, "ratingValue": 2.1, "ratingCount": 9},
        }
    )
    items, _ = read_jsonld_reviews(page, URL)
    assert [(i.rating, i.extra.get("subject")) for i in items] == [(2.1, "Banque Acme Lyon")]


def test_a_page_of_employer_reviews_only_is_reviewable() -> None:
    # An employer's page: Organization alone is not reviewable, its reviews are.
    page = _page(
        {
            "@type": "EmployerReview",
            "itemReviewed": {"@type": "Organization", "name": "Banque Acme"},
            "author": "Ancien conseiller",
            "datePublished": "2026-11-20",
            "reviewRating": {"ratingValue": 2},
        }
    )
    items, reviewable = read_jsonld_reviews(page, URL)
    assert reviewable
    assert [(i.extra.get("subject"), i.rating) for i in items] == [("Banque Acme", 2.0)]
