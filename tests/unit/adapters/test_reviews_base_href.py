"""reviews: a review's relative ``url`` resolves against the page's ``<base href>``.

JSON-LD 1.1 (§7.3, JSON-LD embedded in HTML) resolves relative IRIs against
the document's base URL, which ``<base href>`` sets, as ``kind = "html"``
already did for its links (one helper for both: ``_base_href.base_url``).
Review sites serving their pages under one path and their reviews under
another got links that 404. The review's guid does not follow: it is what it
was before, so the reviews stored from such a page are not announced again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.reviews import ReviewsSettings, ReviewsSource, parse_jsonld_reviews

PAGE = "https://www.avis.example/produits/carte-acme?page=2"
BASE = '<base href="https://www.avis.example/fr/">'


def _review(author: str, date: str, **more: Any) -> dict[str, Any]:
    return {
        "@type": "Review",
        "author": author,
        "datePublished": date,
        "reviewRating": {"ratingValue": 1},
        **more,
    }


PRODUCT = {
    "@context": "https://schema.org",
    "@type": "Product",
    "name": "Carte Acme Premium",
    "review": [
        _review("Karim", "2026-11-20", url="avis/123"),
        _review("Lina", "2026-11-21", url="#avis-124"),
        _review("Marc", "2026-11-22"),
    ],
}


def _page(head: str, data: object = PRODUCT) -> str:
    return (
        f'<html><head>{head}<script type="application/ld+json">{json.dumps(data)}</script>'
        "</head><body></body></html>"
    )


@pytest.fixture
def ctx() -> Iterator[FetchContext]:
    fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
    yield FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    fetcher.close()


def test_relative_review_url_resolves_against_base_href() -> None:
    karim, *_ = parse_jsonld_reviews(_page(BASE), PAGE)
    assert (karim.url, karim.shared_url) == ("https://www.avis.example/fr/avis/123", False)


def test_guids_are_the_ones_reviews_had_before() -> None:
    # The guids the version that ignored <base href> gave, with or without it.
    before = [
        "avis/123",
        "#avis-124",
        "review:https://www.avis.example/produits/carte-acme?page=2#3a2e9ea8098cd0ce2bbd",
    ]
    assert [i.guid for i in parse_jsonld_reviews(_page(BASE), PAGE)] == before
    assert [i.guid for i in parse_jsonld_reviews(_page(""), PAGE)] == before


def test_an_anchor_is_a_place_on_the_page_itself() -> None:
    _karim, lina, marc = parse_jsonld_reviews(_page(BASE), PAGE)
    assert (lina.url, lina.shared_url) == (f"{PAGE}#avis-124", True)
    assert (marc.url, marc.shared_url) == (PAGE, True)  # no url: the page's


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("", "https://www.avis.example/produits/avis/123"),  # no base: the page URL
        ('<base href="/fr/">', "https://www.avis.example/fr/avis/123"),  # against the page
        ('<base href="javascript:void(0)//">', "https://www.avis.example/produits/avis/123"),
        (
            '<base target="_blank"><base href="/b1/"><base href="/b2/">',
            ("https://www.avis.example/b1/avis/123"),
        ),
    ],
)
def test_which_base_a_review_url_resolves_against(head: str, expected: str) -> None:
    karim, *_ = parse_jsonld_reviews(_page(head), PAGE)
    assert karim.url == expected


def test_an_absolute_review_url_ignores_the_base() -> None:
    data = {**PRODUCT, "review": [_review("Karim", "2026-11-20", url="https://autre.example/a/1")]}
    [karim] = parse_jsonld_reviews(_page(BASE, data), PAGE)
    assert (karim.url, karim.guid) == ("https://autre.example/a/1", "https://autre.example/a/1")


def test_a_url_that_is_the_page_through_the_base_is_still_shared() -> None:
    # Identities are judged as before, against the page URL, where this url is
    # the page itself: not the review's own, so shared, with a made-up guid.
    base = '<base href="https://www.avis.example/fr/">'
    data = {**PRODUCT, "review": [_review("Karim", "2026-11-20", url="carte-acme?page=2")]}
    [karim] = parse_jsonld_reviews(_page(base, data), PAGE)
    assert karim.shared_url
    assert karim.guid.startswith("review:")


def test_the_source_resolves_against_the_base_of_the_page_it_fetched(
    server: ScriptedServer, ctx: FetchContext
) -> None:
    html = _page('<base href="/fr/">')
    server.routes["/produits/carte"] = reply(html.encode(), content_type="text/html")
    settings = ReviewsSettings(name="r", url=server.url("/produits/carte"), allow_private=True)
    karim, *_ = ReviewsSource().fetch(settings, SourceState(), ctx).items
    assert karim.url == server.url("/fr/avis/123")
