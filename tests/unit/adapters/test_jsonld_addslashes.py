"""JSON-LD strings written by PHP's ``addslashes``: ``\\'`` is read as ``'``.

``"C\\'est une arnaque"`` is not JSON (``\\'`` is no JSON escape), but French
review pages built by PHP templates write it in nearly every review: the block
was skipped, every review of the page lost, and the source failed with a
misleading ``no_reviews``. Only the tolerant fallback forgives it; valid JSON
is read as before, and ``\\\\'`` (an escaped backslash, then a quote) keeps
its backslash.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters._jsonld import jsonld_blocks, loads_lenient
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.reviews import ReviewsSettings, ReviewsSource, read_jsonld_reviews

URL = "https://avis.example.fr/banque-acme-lyon"

# As a PHP template writes it: a backslash before each apostrophe.
PAGE = (
    '<html><head><script type="application/ld+json">'
    '{"@context":"https://schema.org","@type":"LocalBusiness","name":"Banque Acme Lyon",'
    '"review":[{"@type":"Review","author":{"@type":"Person","name":"Karim"},'
    '"datePublished":"2026-11-20","reviewRating":{"@type":"Rating","ratingValue":"1"},'
    '"reviewBody":"C\\\'est une arnaque, l\\\'agence ne répond pas"}]}'
    "</script></head></html>"
)


@pytest.fixture
def ctx() -> Iterator[FetchContext]:
    fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
    yield FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    fetcher.close()


def test_review_with_backslash_apostrophes_is_read() -> None:
    assert "C\\'est" in PAGE  # the page holds a backslash before the apostrophe
    items, reviewable = read_jsonld_reviews(PAGE, URL)
    assert reviewable
    assert [(i.author, i.rating, i.text) for i in items] == [
        ("Karim", 1.0, "C'est une arnaque, l'agence ne répond pas")
    ]


def test_the_source_reads_the_page_instead_of_failing_with_no_reviews(
    server: ScriptedServer, ctx: FetchContext
) -> None:
    server.routes["/avis"] = reply(PAGE.encode(), content_type="text/html; charset=utf-8")
    settings = ReviewsSettings(name="r", url=server.url("/avis"), allow_private=True)
    (item,) = ReviewsSource().fetch(settings, SourceState(), ctx).items
    assert item.text == "C'est une arnaque, l'agence ne répond pas"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An escaped backslash, then a quote: the backslash stays (the
        # trailing comma sends the block through the tolerant reader).
        ('{"a": "x\\\\\'y", "b": "C\\\'est",}', {"a": "x\\'y", "b": "C'est"}),
        # An escaped backslash, then \' : a backslash and a quote.
        ('{"a": "x\\\\\\\'y",}', {"a": "x\\'y"}),
        # Other escapes are JSON's, untouched next to \'.
        ('{"a": "l\\\'\\u00e9t\\u00e9\\n\\"ok\\"\\/",}', {"a": 'l\'été\n"ok"/'}),
        # In a key too, and in a block that also has comments.
        ('{"l\\\'avis": 1 /* note */}', {"l'avis": 1}),
    ],
)
def test_backslash_quote_inside_strings(text: str, expected: object) -> None:
    assert loads_lenient(text) == expected


def test_valid_json_is_read_as_before() -> None:
    # "\\'" in valid JSON is a backslash then a quote: the strict reader's answer.
    assert loads_lenient('{"a": "x\\\\\'y"}') == {"a": "x\\'y"}


def test_backslash_quote_in_a_block_escaped_by_its_template() -> None:
    page = (
        '<script type="application/ld+json">'
        "{&quot;@type&quot;: &quot;Review&quot;, &quot;reviewBody&quot;: "
        "&quot;C\\'est lent&quot;}</script>"
    )
    assert jsonld_blocks(page) == [{"@type": "Review", "reviewBody": "C'est lent"}]


def test_a_backslash_quote_outside_strings_still_skips_the_block() -> None:
    # Not a string: nothing to forgive; the page's other block is read.
    page = (
        '<script type="application/ld+json">{"a": 1, \\\'b\\\': 2}</script>'
        '<script type="application/ld+json">{"@type": "Review"}</script>'
    )
    assert jsonld_blocks(page) == [{"@type": "Review"}]
