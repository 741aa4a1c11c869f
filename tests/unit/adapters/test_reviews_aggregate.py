"""reviews: the page's average rating is one item whose content changes with the average only.

With ``brands = [...]`` on a review source every item is a mention, so any change
of the aggregate's content hash (what ``runner._maybe_edited`` compares for the
same guid) posts an "edited" reply in its Slack thread. A new review changes the
count and the page's further decimals at once: that must not count as an edit of
the aggregate (the new review has its own alert); a new average to one decimal does.
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
from watchtower.models import Item
from watchtower.pipeline.normalise_items import prepare

PAGE = "https://avis.example.fr/banque-acme-lyon"


@pytest.fixture
def ctx() -> Iterator[FetchContext]:
    fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
    yield FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    fetcher.close()


def agency_page(average: Any, count: Any, *authors: str, best: Any = None) -> str:
    rating: dict[str, Any] = {"@type": "AggregateRating", "ratingValue": average}
    if count is not None:
        rating["reviewCount"] = count
    if best is not None:
        rating["bestRating"] = best
    reviews = [
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": name},
            "datePublished": f"2025-11-{20 + n:02d}",
            "reviewRating": {"ratingValue": 4},
            "reviewBody": "Conseillère à l'écoute.",
        }
        for n, name in enumerate(authors)
    ]
    data = {
        "@context": "https://schema.org",
        "@type": "BankOrCreditUnion",
        "name": "Banque Acmé Lyon",
        "aggregateRating": rating,
        "review": reviews,
    }
    return (
        '<html><head><script type="application/ld+json">'
        + json.dumps(data, ensure_ascii=False)
        + "</script></head><body></body></html>"
    )


def aggregate(items: list[Item]) -> Item:
    [found] = [i for i in items if i.extra.get("aggregate") == "true"]
    return found


def identity(item: Item) -> tuple[str, str]:
    """``(guid, content hash)``: what the pipeline compares to tell an edit."""
    [prepared] = prepare([item])
    return prepared.item.guid, prepared.content_hash


def test_a_new_review_is_not_an_edit_of_the_average(
    server: ScriptedServer, ctx: FetchContext
) -> None:
    """The agency's own page (``brands = [...]``): 57 reviews, then a 58th."""
    settings = ReviewsSettings(
        name="r", url=server.url("/avis"), allow_private=True, brands=("Acmé",)
    )
    server.routes["/avis"] = reply(
        agency_page("4.63", 57, "Karim").encode(), content_type="text/html"
    )
    before = ReviewsSource().fetch(settings, SourceState(), ctx).items
    server.routes["/avis"] = reply(
        agency_page("4.64", 58, "Nadia", "Karim").encode(), content_type="text/html"
    )
    after = ReviewsSource().fetch(settings, SourceState(), ctx).items

    assert identity(aggregate(after)) == identity(aggregate(before))
    # The new review is new; what users see of the aggregate is still there.
    assert {i.author for i in after} - {i.author for i in before} == {"Nadia"}
    assert aggregate(after).title == "Banque Acmé Lyon · ★ 4.6/5"
    assert aggregate(after).extra["rating_count"] == "58"
    assert aggregate(after).extra["rating_raw"] == "4.64/5"


def test_a_new_average_is_an_edit_of_the_same_item() -> None:
    before = aggregate(parse_jsonld_reviews(agency_page("4.63", 57), PAGE))
    after = aggregate(parse_jsonld_reviews(agency_page("4.48", 61), PAGE))
    (guid_before, hash_before), (guid_after, hash_after) = identity(before), identity(after)
    assert guid_after == guid_before and hash_after != hash_before
    assert after.title == "Banque Acmé Lyon · ★ 4.5/5" and after.rating == 4.5


@pytest.mark.parametrize(
    ("average", "best", "count", "shown", "rating", "raw"),
    [
        ("4.63", None, 57, "★ 4.6/5", 4.6, "4.63/5"),
        ("4.65", None, 57, "★ 4.7/5", 4.7, "4.65/5"),  # half up, not binary rounding
        (4.0, None, "57", "★ 4/5", 4.0, "4/5"),
        (5, None, 137, "★ 5/5", 5.0, "5/5"),
        ("3,15", "10", "57", "★ 1.6/5", 1.6, "3.15/10"),  # a 10-point scale, a comma: /5
        ("87", "100", 12, "★ 4.4/5", 4.35, "87/100"),
        ("N/A", None, 3, "★ ?", None, None),
    ],
)
def test_the_title_shows_the_average_to_one_decimal_and_no_count(
    average: Any, best: Any, count: Any, shown: str, rating: float | None, raw: str | None
) -> None:
    item = aggregate(parse_jsonld_reviews(agency_page(average, count, best=best), PAGE))
    assert item.title == f"Banque Acmé Lyon · {shown}"
    assert item.rating == rating and item.text == ""
    assert item.extra.get("rating_raw") == raw
    assert item.extra["rating_count"] == str(count)


def test_without_a_count_the_count_is_unknown() -> None:
    item = aggregate(parse_jsonld_reviews(agency_page("4.2", None), PAGE))
    assert item.title == "Banque Acmé Lyon · ★ 4.2/5" and item.extra["rating_count"] == "?"
