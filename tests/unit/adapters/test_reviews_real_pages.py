"""reviews: pages as the French web really writes them (synthetic pages modelled
on Trustpilot-, Google-Business-, Avis-Vérifiés-, Custplace- and Yelp-like
markup, written for these tests, not fetched): ``@graph`` and ``@id``
references, ratings written loosely, broken ``ld+json`` blocks, a review
given twice, and a page of 500 reviews."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest

from watchtower.adapters._review_memory import CURSOR_KEY, REMEMBERED, remember
from watchtower.adapters.reviews import (
    _read_answer,
    parse_jsonld_reviews,
    parse_reviews,
    read_reviews,
)
from watchtower.models import Item

PAGE = "https://avis.example.fr/entreprise/boulangerie-dupont"


def script(body: str, kind: str = "application/ld+json") -> str:
    return f'<script type="{kind}">{body}</script>'


def page(*blocks: str) -> str:
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        + "".join(blocks)
        + "</head><body><h1>Avis</h1></body></html>"
    )


def block(data: Any) -> str:
    return script(json.dumps(data, ensure_ascii=False))


def review(author: Any = "Karim B.", rating: Any = "2", **more: Any) -> dict[str, Any]:
    return {
        "@type": "Review",
        "author": {"@type": "Person", "name": author} if isinstance(author, str) else author,
        "datePublished": "2025-03-12",
        "reviewRating": {"@type": "Rating", "ratingValue": rating},
        "reviewBody": "Commande jamais livrée, service client injoignable.",
        **more,
    }


def business(*reviews: dict[str, Any], kind: str = "LocalBusiness", **more: Any) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": kind,
        "name": "Boulangerie Dupont",
        "review": list(reviews),
        **more,
    }


def reviews_of(html_page: str) -> list[Item]:
    return [i for i in parse_jsonld_reviews(html_page, PAGE) if "aggregate" not in i.extra]


# ------------------------------------------------------------ page shapes
def test_a_trustpilot_like_graph_with_references_by_id() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "Organization", "@id": "https://avis.example.fr/#org", "name": "Avis"},
            {
                "@type": "LocalBusiness",
                "@id": "https://avis.example.fr/#/schema/Organization/1",
                "name": "Boulangerie Dupont",
                "aggregateRating": {
                    "@type": "AggregateRating",
                    "ratingValue": "2.1",
                    "bestRating": "5",
                    "worstRating": "1",
                    "reviewCount": "412",
                },
            },
            {"@type": "Person", "@id": "https://avis.example.fr/#/schema/Person/9", "name": "Zoé"},
            {
                "@type": "Review",
                "@id": "https://avis.example.fr/#/schema/Review/abc",
                "itemReviewed": {"@id": "https://avis.example.fr/#/schema/Organization/1"},
                "author": {"@id": "https://avis.example.fr/#/schema/Person/9"},
                "datePublished": "2025-03-12T09:41:07.000Z",
                "headline": "Arnaque",
                "reviewBody": "Remboursement refusé.",
                "reviewRating": {"@type": "Rating", "ratingValue": "1", "bestRating": "5"},
            },
        ],
    }
    items = parse_jsonld_reviews(page(block(graph)), PAGE)
    [aggregate] = [i for i in items if i.extra.get("aggregate") == "true"]
    [item] = [i for i in items if "aggregate" not in i.extra]
    assert (aggregate.rating, aggregate.extra["subject"]) == (2.1, "Boulangerie Dupont")
    assert item.rating == 1.0
    assert item.extra["subject"] == "Boulangerie Dupont"  # itemReviewed by @id
    assert item.author == "Zoé"  # the author by @id
    assert item.published is not None and item.published.isoformat() == "2025-03-12T09:41:07+00:00"


@pytest.mark.parametrize("kind", ["Product", "LocalBusiness", "Organization", "Restaurant"])
def test_a_single_review_object_or_a_list(kind: str) -> None:
    single = business(kind=kind)
    single["review"] = review()
    listed = business(review(), review("Lucie", "5"), kind=kind)
    assert [i.rating for i in reviews_of(page(block(single)))] == [2.0]
    assert [(i.author, i.rating) for i in reviews_of(page(block(listed)))] == [
        ("Karim B.", 2.0),
        ("Lucie", 5.0),
    ]


@pytest.mark.parametrize(
    ("rating", "out_of_five", "raw"),
    [
        ("2", 2.0, "2/5"),
        (2, 2.0, "2/5"),
        ("4,5", 4.5, "4.5/5"),  # French decimal comma
        ({"ratingValue": "4,5", "bestRating": "5"}, 4.5, "4.5/5"),
        ({"ratingValue": "3", "bestRating": "10"}, 1.5, "3/10"),
        ({"ratingValue": "3,5", "bestRating": 10}, 1.75, "3.5/10"),
        ({"ratingValue": "35", "bestRating": "100"}, 1.75, "35/100"),
        ({"ratingValue": 6, "bestRating": "10,0"}, 3.0, "6/10"),  # a comma in the scale too
        ({"ratingValue": "0", "bestRating": "5", "worstRating": "0"}, 0.0, "0/5"),
        ({"ratingValue": "1", "bestRating": "5", "worstRating": "1"}, 1.0, "1/5"),
        # worstRating is not used: value / bestRating × 5 (docs/forums-and-reviews.md)
        ({"ratingValue": "1", "bestRating": "10", "worstRating": "1"}, 0.5, "1/10"),
        ("2/5", 2.0, "2/5"),
        ("12 sur 20", 3.0, "12/20"),
    ],
)
def test_ratings_as_pages_write_them(rating: Any, out_of_five: float, raw: str) -> None:
    node = review(rating="x")
    node["reviewRating"] = rating if isinstance(rating, dict) else {"ratingValue": rating}
    [item] = reviews_of(page(block(business(node))))
    assert (item.rating, item.extra["rating_raw"]) == (out_of_five, raw)


def test_a_review_without_a_rating_has_none() -> None:
    node = review()
    del node["reviewRating"]
    [item] = reviews_of(page(block(business(node))))
    assert item.rating is None and "rating_raw" not in item.extra


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("Jean-Michel D.", "Jean-Michel D."),
        ({"@type": "Person", "name": "Jos&eacute; L."}, "José L."),
        ([{"@type": "Person", "name": "Anne"}, {"@type": "Person", "name": "Marc"}], "Anne, Marc"),
    ],
)
def test_authors_as_a_string_a_person_or_a_list(author: Any, expected: str) -> None:
    [item] = reviews_of(page(block(business(review(author)))))
    assert item.author == expected


@pytest.mark.parametrize(
    ("date", "iso"),
    [
        ("2025-03-12", "2025-03-12T00:00:00+00:00"),
        ("2025-03-12T18:05:00+01:00", "2025-03-12T18:05:00+01:00"),
        ("12 mars 2025", "2025-03-12T00:00:00+00:00"),
        ("1er février 2025", "2025-02-01T00:00:00+00:00"),
        ("12/03/2025", "2025-03-12T00:00:00+00:00"),
    ],
)
def test_review_dates(date: str, iso: str) -> None:
    [item] = reviews_of(page(block(business(review(datePublished=date)))))
    assert item.published is not None and item.published.isoformat() == iso


def test_a_review_body_with_entities_and_line_breaks() -> None:
    body = "Tr&egrave;s d&eacute;&ccedil;u&nbsp;!<br>Le SAV &amp; la livraison<br/>: nuls."
    [item] = reviews_of(page(block(business(review(reviewBody=body)))))
    assert item.text == "Très déçu ! Le SAV & la livraison : nuls."


# ------------------------------------------------------------ broken blocks
GOOD = json.dumps(business(review()), ensure_ascii=False)


@pytest.mark.parametrize(
    "good",
    [
        pytest.param(
            script('{"@type": "Product", // note\n "review": [' + json.dumps(review()) + ",],}"),
            id="comments",
        ),
        # A template pasting the text as typed: a raw newline and tab in a string.
        pytest.param(
            script(GOOD.replace("livrée, service", "livrée,\n\tservice")), id="raw-newline"
        ),
        pytest.param(script(html.escape(GOOD)), id="html-escaped"),
        pytest.param(script("<![CDATA[" + GOOD + "]]>"), id="cdata"),
        pytest.param(script("//<![CDATA[\n" + GOOD + "\n//]]>"), id="cdata-commented"),
        pytest.param(script("\ufeff" + GOOD), id="byte-order-mark"),
        pytest.param(script(GOOD + ";"), id="semicolon"),
        pytest.param(
            script(GOOD + "\n" + json.dumps({"@type": "WebSite", "name": "x"})), id="two-values"
        ),
        pytest.param(script(GOOD, "application/ld+json; charset=utf-8"), id="type-parameter"),
    ],
)
def test_a_block_as_pages_break_it_next_to_an_unreadable_one(good: str) -> None:
    broken = script('{"@type": "BreadcrumbList", "itemListElement": [')
    [item] = reviews_of(page(broken, good))
    assert (item.author, item.rating) == ("Karim B.", 2.0)
    assert item.text.startswith("Commande jamais livrée,") and item.text.endswith("injoignable.")


def test_an_html_escaped_block_keeps_quotes_of_its_own() -> None:
    data = business(review(reviewBody='Le "pain du jour" était rassis.'))
    [item] = reviews_of(page(script(html.escape(json.dumps(data)))))
    assert item.text == 'Le "pain du jour" était rassis.'


def test_a_nul_character_written_in_json_is_dropped() -> None:
    """``"\\u0000"`` (a copy-paste from a form): PostgreSQL refuses it in text,
    which failed the source at every poll."""
    [item] = reviews_of(page(block(business(review("Ka\u0000rim", reviewBody="Nul\u0000.")))))
    assert (item.author, item.text) == ("Karim", "Nul.")


# ------------------------------------------------------------ a review given twice
def test_the_same_review_in_two_blocks_is_one_item() -> None:
    items = reviews_of(page(block(business(review())), block(business(review()))))
    assert len(items) == 1


def test_a_review_repeated_with_fewer_fields_is_one_item() -> None:
    """The product's review list, then the review in a block of its own (no
    headline, its subject by itemReviewed, its rating as a number)."""
    full = business(review(name="Déçue", url="https://avis.example.fr/avis/77"))
    alone = {
        "@context": "https://schema.org",
        **review(rating=2, itemReviewed={"@type": "LocalBusiness", "name": "Boulangerie Dupont"}),
    }
    [item] = reviews_of(page(block(full), block(alone)))
    assert (item.title, item.guid) == ("Déçue", "https://avis.example.fr/avis/77")


@pytest.mark.parametrize(
    "other",
    [
        {"reviewBody": "Très bon pain."},
        {"reviewRating": {"ratingValue": "5"}},
        {"name": "Autre titre", "headline": None},
        {"itemReviewed": {"@type": "Product", "name": "Croissant"}},
        {"datePublished": "2025-03-13"},
    ],
)
def test_reviews_that_differ_stay_two(other: dict[str, Any]) -> None:
    first = review(name="Déçue")
    items = reviews_of(page(block(business(first)), block(business({**first, **other}))))
    assert len(items) == 2


def test_many_same_day_anonymous_reviews_with_their_own_headlines_all_stay() -> None:
    """Only author, date, text and stars alike is not enough: "Anonyme" writing
    "Nul." the same day under 50 different headlines is 50 reviews."""
    same = [review("Anonyme", "1", name=f"Titre {n}", reviewBody="Nul.") for n in range(50)]
    assert len(reviews_of(page(block(business(*same))))) == 50


# ------------------------------------------------------------ a page of 500 reviews
def many(count: int, dated: bool = True) -> str:
    return page(
        block(
            business(
                *(
                    review(
                        f"Client {n}",
                        str(1 + n % 5),
                        datePublished=f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}" if dated else "",
                        reviewBody=f"Avis numéro {n}.",
                    )
                    for n in range(count)
                )
            )
        )
    )


def test_a_page_of_500_reviews_then_one_more() -> None:
    before = reviews_of(many(500))
    after = reviews_of(many(501))
    assert len({i.guid for i in before}) == 500
    # The pipeline knows items by guid: one new guid is one new review.
    assert {i.guid for i in after} - {i.guid for i in before} == {after[-1].guid}
    assert after[-1].author == "Client 500"


def test_the_memory_of_undated_reviews_is_bounded() -> None:
    data = many(REMEMBERED + 100, dated=False).encode()
    items, anchors, reviewable = _read_answer(data, PAGE, "")  # what the source remembers
    assert reviewable and len(items) == REMEMBERED + 100 and all(anchors)
    _out, memory = remember(items, anchors, {})
    assert len(memory) == REMEMBERED
    assert json.dumps({CURSOR_KEY: memory})  # what the cursor stores


# ------------------------------------------------------------ App Store
APP = {
    "im:name": {"label": "Banque Acmé"},
    "id": {"label": "https://apps.apple.com/fr/app/banque-acme/id1400000000"},
    "title": {"label": "Banque Acmé - Acmé SA"},
}


def entry(n: int, rating: str, version: str = "5.12.0") -> dict[str, Any]:
    return {
        "author": {"name": {"label": f"client{n}"}, "label": ""},
        "updated": {"label": "2026-11-24T10:21:07-07:00"},
        "im:rating": {"label": rating},
        "im:version": {"label": version},
        "id": {"label": str(10_000 + n)},
        "title": {"label": "Plante au lancement"},
        "content": {"label": "Depuis la mise à jour.", "attributes": {"type": "text"}},
        "link": {"attributes": {"rel": "related", "href": "https://apps.apple.com/fr/app/id1"}},
    }


def test_appstore_json_rating_and_version_the_app_entry_skipped() -> None:
    feed = {"feed": {"entry": [APP, entry(1, "1", "5.12.0"), entry(2, "5", "5.11.3")]}}
    items = parse_reviews(json.dumps(feed).encode(), "https://itunes.apple.com/fr/rss/x/json")
    assert [(i.guid, i.rating, i.extra["app_version"]) for i in items] == [
        ("appstore:10001", 1.0, "5.12.0"),
        ("appstore:10002", 5.0, "5.11.3"),
    ]


def test_appstore_json_nul_characters_are_dropped() -> None:
    review_entry = entry(1, "1")
    review_entry["content"] = {"label": "Plante\u0000.", "attributes": {"type": "text"}}
    data = json.dumps({"feed": {"entry": [APP, review_entry]}}).encode()
    assert b"\\u0000" in data
    [item] = parse_reviews(data, "https://itunes.apple.com/fr/rss/x/json")
    assert item.text == "Plante."


@pytest.mark.parametrize(
    "feed",
    [
        {"feed": {"entry": APP}},  # only the app, not wrapped in a list
        {"feed": {"entry": [APP]}},
        {
            "feed": {"author": {"name": {"label": "iTunes Store"}}, "link": []}
        },  # beyond the last page
    ],
)
def test_appstore_json_without_reviews_is_empty_not_an_error(feed: dict[str, Any]) -> None:
    items, reviewable = read_reviews(json.dumps(feed).encode(), "https://itunes.apple.com/x")
    assert (items, reviewable) == ([], True)


ATOM_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<feed xmlns:im="http://itunes.apple.com/rss" xmlns="http://www.w3.org/2005/Atom"'
    ' xml:lang="fr">'
    "<id>https://itunes.apple.com/fr/rss/customerreviews/page=11/id=1400000000/xml</id>"
    "<title>iTunes Store : Avis clients</title>"
)
ATOM_APP = (
    "<entry><id>https://apps.apple.com/fr/app/id1400000000</id>"
    "<im:name>Banque Acmé</im:name></entry>"
)
ATOM_REVIEW = (
    "<entry><id>10001</id><title>Nul</title><updated>2026-11-24T10:21:07-07:00</updated>"
    '<link rel="related" href="https://apps.apple.com/fr/review?id=1"/>'
    '<content type="text">Plante.</content>'
    '<content type="html">&lt;p&gt;Plante.&lt;/p&gt;</content>'
    "<im:version>5.12.0</im:version><im:rating>2</im:rating>"
    "<author><name>client1</name></author></entry>"
)


def test_appstore_xml_rating_version_and_app_entry() -> None:
    data = (ATOM_HEAD + ATOM_APP + ATOM_REVIEW + "</feed>").encode()
    [item] = parse_reviews(data, "https://itunes.apple.com/fr/rss/x/xml", "text/xml")
    assert (item.guid, item.rating, item.extra, item.text) == (
        "appstore:10001",
        2.0,
        {"app_version": "5.12.0"},
        "Plante.",
    )


@pytest.mark.parametrize("entries", ["", ATOM_APP], ids=["beyond-the-last-page", "app-only"])
def test_appstore_xml_without_reviews_is_empty_not_an_error(entries: str) -> None:
    data = (ATOM_HEAD + entries + "</feed>").encode()
    assert read_reviews(data, "https://itunes.apple.com/x", "text/xml") == ([], True)


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        ({"ratingValue": 3}, (3.0, "3/5")),  # schema.org's default scale
        ({"ratingValue": "8"}, (4.0, "8/10")),
        ({"ratingValue": 7.5}, (3.75, "7.5/10")),
        ({"ratingValue": 20}, (1.0, "20/100")),  # a bad review, not five stars
        ({"ratingValue": "85"}, (4.25, "85/100")),
        ({"ratingValue": 150}, (None, "")),  # no scale fits: no rating
        ({"ratingValue": 6, "bestRating": 5}, (5.0, "6/5")),  # the page's scale holds
        ({"ratingValue": 12, "bestRating": "20"}, (3.0, "12/20")),
        ("12 sur 20", (3.0, "12/20")),
    ],
)
def test_a_value_above_5_without_a_scale_is_read_out_of_10_or_100(
    rating: Any, expected: tuple[float | None, str]
) -> None:
    from watchtower.adapters._review_ratings import read_rating

    assert read_rating(rating) == expected
