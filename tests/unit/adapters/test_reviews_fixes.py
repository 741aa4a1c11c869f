"""reviews: guids of reviews whose url is not their own, page encodings, pages without reviews."""

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
from watchtower.adapters.reviews import (
    NO_REVIEWS,
    ReviewsSettings,
    ReviewsSource,
    parse_jsonld_reviews,
)
from watchtower.errors import PermanentError, SourceError
from watchtower.models import Item

PAGE = "https://avis.example.fr/banque-acme-lyon"


@pytest.fixture
def ctx() -> Iterator[FetchContext]:
    fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
    yield FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    fetcher.close()


def review(author: str, date: str, body: str, rating: int = 3, **more: Any) -> dict[str, Any]:
    return {
        "@type": "Review",
        "author": {"@type": "Person", "name": author},
        "datePublished": date,
        "reviewRating": {"ratingValue": rating},
        "reviewBody": body,
        **more,
    }


def page(*reviews: dict[str, Any], business: dict[str, Any] | None = None) -> str:
    data = {"@context": "https://schema.org", "@type": "BankOrCreditUnion"}
    data.update(business or {"name": "Banque Acmé Lyon"})
    data["review"] = list(reviews)
    return (
        '<html><head><script type="application/ld+json">'
        + json.dumps(data, ensure_ascii=False)
        + "</script></head><body></body></html>"
    )


def guids(items: list[Item]) -> dict[str | None, str]:
    return {i.author: i.guid for i in items}


# ------------------------------------------------- guids when the url is not the review's own
def test_reviews_whose_url_is_the_page_are_each_their_own_item() -> None:
    karim = review("Karim", "2025-11-20", "Conseiller injoignable.", 2, url=PAGE)
    sophie = review("Sophie", "2025-11-21", "Très bon accueil.", 5, url=PAGE)
    before = parse_jsonld_reviews(page(karim, sophie), PAGE)
    assert len({i.guid for i in before}) == 2
    assert all(i.url == PAGE and i.shared_url for i in before)

    # A new review on top of the page is a new item; the others keep their guid.
    nadia = review("Nadia", "2025-11-25", "Ils ont perdu mon chèque.", 1, url=PAGE)
    after = parse_jsonld_reviews(page(nadia, karim, sophie), PAGE)
    assert len({i.guid for i in after}) == 3
    assert guids(after)["Karim"] == guids(before)["Karim"]
    assert guids(after)["Sophie"] == guids(before)["Sophie"]
    assert guids(after)["Nadia"] not in guids(before).values()


def test_an_edited_review_keeps_its_guid() -> None:
    karim = review("Karim", "2025-11-20", "Conseiller injoignable.", 2, url=PAGE)
    edited = review("Karim", "2025-11-20", "Conseiller injoignable, agence fermée.", 1, url=PAGE)
    sophie = review("Sophie", "2025-11-21", "Très bon accueil.", 5, url=PAGE)
    before = guids(parse_jsonld_reviews(page(karim, sophie), PAGE))
    after = guids(parse_jsonld_reviews(page(edited, sophie), PAGE))
    assert after == before


def test_a_date_written_another_way_keeps_the_guid() -> None:
    one = review("Karim", "2025-11-20", "Lent.", url=PAGE)
    other = review("Karim", "2025-11-20T00:00:00Z", "Lent.", url=PAGE)
    assert guids(parse_jsonld_reviews(page(one), PAGE)) == guids(
        parse_jsonld_reviews(page(other), PAGE)
    )


def test_a_url_shared_by_several_reviews_is_not_their_identity() -> None:
    # The business's canonical address, not the fetched one: still not the reviews' own.
    canonical = "https://avis.example.fr/b/acme-lyon"
    items = parse_jsonld_reviews(
        page(
            review("Ana", "2025-01-02", "Lent.", url=canonical),
            review("Bruno", "2025-01-03", "Rapide.", url=canonical),
        ),
        PAGE + "?utm_source=x",
    )
    assert len({i.guid for i in items}) == 2
    assert all(i.guid.startswith("review:") and i.shared_url for i in items)
    assert all(i.url == canonical for i in items)


def test_a_url_of_the_reviewed_business_is_not_the_review_s_own() -> None:
    site = "https://www.banque-acme.fr/agences/lyon"
    items = parse_jsonld_reviews(
        page(
            review("Ana", "2025-01-02", "Lent.", url=site),
            business={"name": "Banque Acmé Lyon", "url": site},
        ),
        PAGE,
    )
    assert items[0].guid.startswith("review:") and items[0].shared_url


def test_own_ids_and_urls_are_kept() -> None:
    items = parse_jsonld_reviews(
        page(
            review("Ana", "2025-01-02", "Lent.", url="/avis/1"),
            review("Bruno", "2025-01-03", "Lent.", url="#avis-2"),  # an anchor of its own
            review("Chloé", "2025-01-04", "Bien.", **{"@id": "urn:avis:3", "url": PAGE}),
            review("Dan", "2025-01-05", "Bien.", **{"@id": PAGE, "url": "/avis/4"}),
        ),
        PAGE,
    )
    assert [(i.guid, i.shared_url) for i in items] == [
        ("/avis/1", False),
        ("#avis-2", True),  # an anchor links the page: its URL groups nothing
        ("urn:avis:3", True),
        ("/avis/4", False),
    ]


def test_the_same_review_in_two_blocks_keeps_its_own_url() -> None:
    one = review("Ana", "2025-01-02", "Lent.", url="/avis/1")
    html = page(one) + page(one)
    items = parse_jsonld_reviews(html, PAGE)
    assert [i.guid for i in items] == ["/avis/1"]  # one item: the copy is dropped


def test_two_reviews_with_one_author_and_date_stay_apart() -> None:
    items = parse_jsonld_reviews(
        page(
            review("Anonymous", "2025-01-02", "Lent.", url=PAGE),
            review("Anonymous", "2025-01-02", "Rapide.", url=PAGE),
        ),
        PAGE,
    )
    assert len({i.guid for i in items}) == 2


def test_reviews_without_author_or_date_are_told_apart_by_their_text() -> None:
    items = parse_jsonld_reviews(
        page(
            {"@type": "Review", "reviewBody": "Lent.", "url": PAGE},
            {"@type": "Review", "reviewBody": "Rapide.", "url": PAGE},
        ),
        PAGE,
    )
    assert len({i.guid for i in items}) == 2


def test_the_shared_url_page_served_twice(server: ScriptedServer, ctx: FetchContext) -> None:
    url = server.url("/avis")
    karim = review("Karim", "2025-11-20", "Conseiller injoignable.", 2, url=url)
    sophie = review("Sophie", "2025-11-21", "Très bon accueil.", 5, url=url)
    server.routes["/avis"] = reply(page(karim, sophie).encode(), content_type="text/html")
    settings = ReviewsSettings(name="r", url=url, allow_private=True)
    first = ReviewsSource().fetch(settings, SourceState(), ctx).items
    nadia = review("Nadia", "2025-11-25", "Ils ont perdu mon chèque.", 1, url=url)
    server.routes["/avis"] = reply(page(nadia, karim, sophie).encode(), content_type="text/html")
    second = ReviewsSource().fetch(settings, SourceState(), ctx).items
    new = {i.guid for i in second} - {i.guid for i in first}
    assert [i.author for i in second if i.guid in new] == ["Nadia"]


# -------------------------------------------------------------------------- encodings
LATIN1_PAGE = (
    '<html><head><meta charset="iso-8859-1"><script type="application/ld+json">'
    '{"@type":"Product","name":"Carte Acm\xe9","review":{"@type":"Review","@id":"r1",'
    '"author":"Ren\xe9","reviewRating":{"ratingValue":"1"},'
    '"reviewBody":"Acm\xe9 \x96 arnaque, d\xe9\xe7u"}}</script></head></html>'
).encode("latin-1")


def test_a_page_declaring_its_charset_in_meta(server: ScriptedServer, ctx: FetchContext) -> None:
    server.routes["/avis"] = reply(LATIN1_PAGE, content_type="text/html")
    settings = ReviewsSettings(name="r", url=server.url("/avis"), allow_private=True)
    (item,) = ReviewsSource().fetch(settings, SourceState(), ctx).items
    # iso-8859-1 is read as windows-1252, as browsers do: 0x96 is an en dash.
    assert (item.author, item.text) == ("René", "Acmé – arnaque, déçu")
    assert item.extra["subject"] == "Carte Acmé"


def test_the_http_charset_wins_over_meta(server: ScriptedServer, ctx: FetchContext) -> None:
    body = LATIN1_PAGE.decode("cp1252").encode("utf-8")  # still says iso-8859-1 in <meta>
    server.routes["/avis"] = reply(body, content_type="text/html; charset=utf-8")
    settings = ReviewsSettings(name="r", url=server.url("/avis"), allow_private=True)
    (item,) = ReviewsSource().fetch(settings, SourceState(), ctx).items
    assert item.author == "René"


# --------------------------------------------------------------- pages without reviews
@pytest.mark.parametrize(
    "body",
    [
        "<!doctype html><html><head><title>Vérification</title></head>"
        "<body>Êtes-vous un robot ?</body></html>",
        # JSON-LD, but about something else (a redesigned page keeping its site markup)
        '<html><head><script type="application/ld+json">{"@type": "WebSite", '
        '"publisher": {"@type": "Organization", "name": "Avis"}}</script></head></html>',
    ],
    ids=["bot-check", "no-reviewable-jsonld"],
)
def test_a_page_without_reviews_is_an_error(
    server: ScriptedServer, ctx: FetchContext, body: str
) -> None:
    server.routes["/avis"] = reply(body.encode(), content_type="text/html; charset=utf-8")
    settings = ReviewsSettings(name="r", url=server.url("/avis"), allow_private=True)
    with pytest.raises(PermanentError) as caught:
        ReviewsSource().fetch(settings, SourceState(), ctx)
    assert isinstance(caught.value, SourceError)
    assert str(caught.value) == NO_REVIEWS
    assert "JSON-LD" in NO_REVIEWS and "bot-check" in NO_REVIEWS


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (
            '<html><head><script type="application/ld+json">{"@context": "https://schema.org",'
            ' "@type": "Product", "name": "Carte Acmé"}</script></head></html>',
            "text/html",
        ),
        (
            '<html><head><script type="application/ld+json">{"@type": "BankOrCreditUnion",'
            ' "name": "Banque Acmé", "review": []}</script></head></html>',
            "text/html",
        ),
        (
            '<html><head><script type="application/ld+json">{"@type": "Organization",'
            ' "name": "Acmé", "aggregateRating": null}</script></head></html>',
            "text/html",
        ),
        ('{"feed": {"entry": []}}', "application/json"),  # an app without reviews
    ],
    ids=["product", "business-empty-list", "aggregate-key", "app-store"],
)
def test_something_reviewable_without_reviews_is_fine(
    server: ScriptedServer, ctx: FetchContext, body: str, content_type: str
) -> None:
    server.routes["/avis"] = reply(body.encode(), content_type=content_type)
    settings = ReviewsSettings(name="r", url=server.url("/avis"), allow_private=True)
    result = ReviewsSource().fetch(settings, SourceState(), ctx)
    assert result.items == [] and result.warnings == []
