"""``kind = "reviews"``: customer reviews, each an item with a ``rating`` (out of 5).

Two shapes are read, chosen by what the URL returns:

* an HTML page carrying schema.org ``Review`` / ``AggregateRating`` JSON-LD
  (review sites, Google-style business pages, shops), their subtypes
  (``UserReview``, ``CriticReview``, ``EmployerAggregateRating``…: see
  :mod:`~watchtower.adapters._review_types`) included. JSON-LD in the wild is
  often not JSON: ``//`` and ``/* */`` comments, trailing commas and PHP's
  ``\\'`` are tolerated, as are arrays and ``@graph``. The aggregate becomes
  one item per page and subject: a new average is an edit of it; a new
  review, which only adds to the count, is not (see :func:`_aggregate_item`).
  A review's relative ``url`` resolves against the page's ``<base href>``.
* an Apple App Store customer-review feed
  (``https://itunes.apple.com/{cc}/rss/customerreviews/id={app}/sortBy=mostRecent/json``
  or ``…/xml``): rating, author, title, body, date, app version, and the language of its
  store when too short to detect (see _appstore).

Ratings are scaled to 0–5 when a page declares another ``bestRating``, so a
``rating:<=2`` rule means the same everywhere; the raw value stays in ``extra``
(:mod:`~watchtower.adapters._review_ratings`, docs/forums-and-reviews.md). A
review a page gives twice (two blocks, one copy with fewer fields) is one item
(:func:`~watchtower.adapters._review_ids.repeats`).
Pages write ratings, dates and names loosely, and are read as people read them:
"4/5", "12 sur 20", "3 étoiles"; "20/11/2026"; "Jos&eacute;" (entities left in
JSON-LD strings), "Jos&amp;eacute;" (escaped twice, as feeds read it) —
identities keep the text as written, and a review's address resolved against
the page URL, so that reviews stored before are not announced again.

App Store reviews all link to their app, and a review without a ``url`` of its
own gets the page's: those items are marked ``shared_url``, so that the URL does
not make one story of different reviews. A review's guid is its ``@id`` or
``url`` only when that is its own (not the page's, not the reviewed business's,
not shared with other reviews); else it is made from its author and date
(:mod:`~watchtower.adapters._review_ids`), so each review is its own item and
an edit stays one. A review with no author or no date has a guid made from its
text; the source's cursor remembers it under what the review is about and its
author or date (:mod:`~watchtower.adapters._review_memory`), so that its
author's edit is an edit too, not a new review.

A page whose JSON-LD has no review and nothing reviewable (a redesign, a consent
wall, a bot check) fails with :data:`NO_REVIEWS`, as ``kind = "html"`` fails
when its selector finds nothing. Pages are decoded as browsers do
(:func:`~watchtower.adapters._text.decode_html`).

Titles this module makes up (a review without a headline, an aggregate) are
language-neutral — the subject, stars, the rating as given, the author — since
notifications are written in the configured language, which adapters do not know.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urldefrag

from selectolax.lexbor import LexborHTMLParser

from watchtower.adapters._appstore import parse_appstore
from watchtower.adapters._base_href import base_url
from watchtower.adapters._dates import parse_date, parse_human_date
from watchtower.adapters._feed_items import decode_leftover_entities
from watchtower.adapters._jsonld import jsonld_blocks, types, walk
from watchtower.adapters._review_ids import (
    REVIEW_KEYS,
    ReviewIds,
    name_of,
    raw_name_of,
    repeats,
    resolve,
)
from watchtower.adapters._review_memory import CURSOR_KEY, remember
from watchtower.adapters._review_ratings import one_decimal, out_of_five_text, read_rating, stars
from watchtower.adapters._review_types import REVIEWABLE_TYPES, is_aggregate, is_review
from watchtower.adapters._text import decode_html, html_to_text
from watchtower.adapters.base import (
    FetchContext,
    FetchResult,
    Source,
    SourceState,
    UrlSourceSettings,
)
from watchtower.errors import PermanentError
from watchtower.models import Item

__all__ = [
    "ReviewsSettings",
    "ReviewsSource",
    "parse_appstore",
    "parse_jsonld_reviews",
    "read_jsonld_reviews",
    "read_reviews",
]

NO_REVIEWS = (  # the message of code no_reviews
    "the page carries no schema.org reviews (JSON-LD): a new layout, a consent or bot-check page?"
)
_ACCEPT = "text/html, application/json;q=0.9, application/xml;q=0.8, */*;q=0.5"


class ReviewsSettings(UrlSourceSettings):
    """Keys of a review source: a page with JSON-LD reviews, or an App Store review feed."""

    kind: Literal["reviews"] = "reviews"


def read_jsonld_reviews(html: str, url: str) -> tuple[list[Item], bool]:
    """``(items, reviewable)``: the reviews and aggregate ratings of a page's
    JSON-LD, and whether that JSON-LD describes reviews or something reviewable
    at all (a product or business with no review yet is; a bot-check page is not).
    """
    items, _anchors, reviewable = _read_jsonld(html, url)
    return items, reviewable


def _read_jsonld(html: str, url: str) -> tuple[list[Item], list[str | None], bool]:
    """:func:`read_jsonld_reviews`, with each item's anchor (see
    :meth:`~watchtower.adapters._review_ids.ReviewIds.anchor`; ``None`` for
    aggregates and reviews that need none)."""
    found: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    named: dict[str, dict[str, Any]] = {}  # nodes by @id, to read {"@id": …} references
    reviewable = False
    tree = LexborHTMLParser(html)
    for block in jsonld_blocks(tree):
        for node, parent in walk(block):
            if isinstance(node.get("@id"), str) and node.get("name"):
                named.setdefault(node["@id"], node)
            if types(node) & REVIEWABLE_TYPES or any(key in node for key in REVIEW_KEYS):
                reviewable = True
            if is_review(node) or is_aggregate(node):
                found.append((node, parent))
    reviews = [(node, parent) for node, parent in found if is_review(node)]
    # Identities resolve a review's url against the page URL, as they always
    # did: against the <base href> they would change, and every stored review
    # of such a page would be announced again. Only the link shown follows it.
    ids = ReviewIds(reviews, url)
    base = base_url(tree, url)
    copies = repeats([(node, _subject(node, parent, name_of, named)) for node, parent in reviews])
    found = [(node, parent) for node, parent in found if id(node) not in copies]
    items = [
        _review_item(node, _subject(node, parent, name_of, named), url, base, ids, named)
        if is_review(node)
        else _aggregate_item(
            node, _subject(node, parent, name_of, named), url, _subject(node, parent)
        )
        for node, parent in found
    ]
    anchors = [ids.anchor(node) if is_review(node) else None for node, _ in found]
    return items, anchors, reviewable or bool(found)


def _subject(
    node: dict[str, Any],
    parent: dict[str, Any] | None,
    name: Callable[[Any], str] = raw_name_of,
    named: dict[str, dict[str, Any]] | None = None,
) -> str:
    """The name of what ``node`` reviews or rates (``itemReviewed``, else the
    object holding it): as people read it with :func:`name_of`, as written
    with :func:`raw_name_of`.

    With ``named`` (the page's nodes by ``@id``), an ``itemReviewed`` that is
    only a reference (``{"@id": …}``, as review sites write their ``@graph``)
    is the node it refers to. Identities (an aggregate's guid) are made
    without: they stay what they were before references were followed.
    """
    reviewed = _referred(node.get("itemReviewed"), named or {})
    return name(reviewed) or (name(parent) if parent else "")


def _referred(value: Any, named: dict[str, dict[str, Any]]) -> Any:
    """The node a nameless ``{"@id": …}`` refers to, else ``value``."""
    if isinstance(value, dict) and not value.get("name"):
        return named.get(str(value.get("@id")), value)
    return value


def parse_jsonld_reviews(html: str, url: str) -> list[Item]:
    """Reviews and aggregate ratings of a page's JSON-LD, as items."""
    return read_jsonld_reviews(html, url)[0]


def _link(node: dict[str, Any], page: str, base: str, ids: ReviewIds) -> tuple[str, bool]:
    """``(link, shared)``: the review's ``url``, shared when it is not its own
    address (missing, unreadable, an anchor on the page, the page's or the
    reviewed thing's address, or the same for several reviews).

    A relative ``url`` resolves against ``base``, the page's ``<base href>``
    (JSON-LD 1.1 reads relative IRIs against the document's base URL, as
    browsers read links); an anchor alone (``#avis-12``) is a place on the page
    itself, and resolves against the page.
    """
    value = node.get("url")
    on_page = isinstance(value, str) and value.strip().startswith("#")
    link = resolve(page if on_page else base, value)
    if link is None:
        return page, True
    return link, urldefrag(link)[0] == urldefrag(page)[0] or not ids.own(node, "url")


def _review_item(
    node: dict[str, Any],
    subject: str,
    url: str,
    base: str,
    ids: ReviewIds,
    named: dict[str, dict[str, Any]],
) -> Item:
    rating, raw = read_rating(node.get("reviewRating"))
    # An author given as {"@id": …} (a Person of the @graph) is named; the
    # guid stays made from the author as written, as before.
    author = name_of(_referred(node.get("author"), named))
    body = _shown(node.get("reviewBody") or node.get("description"))
    date = str(node.get("datePublished") or node.get("dateCreated") or "")
    extra = {"subject": subject} if subject else {}
    if raw:
        extra["rating_raw"] = raw
    link, shared = _link(node, url, base, ids)
    # Without a headline: "Banque Acme – agence Lyon · ★★★★☆ 4/5 · Karim". The
    # subject names the business, which the review itself rarely does.
    made_up = " · ".join(p for p in (subject, stars(rating, raw), author) if p) or "★"
    return Item(
        guid=ids.guid(node)[:2048],
        url=link[:8192],
        shared_url=shared,
        title=_shown(node.get("name") or node.get("headline")) or made_up,
        text=body,
        published=_published(date),
        author=author or None,
        rating=rating,
        lang=_language(node.get("inLanguage")),
        extra=extra,
    )


def _shown(value: Any) -> str:
    """A review's headline or text as people read it: its HTML as text, and
    entities escaped twice ("Acm&amp;eacute;", as CMSs that escape their
    fields write them) decoded once more, as feeds do, so that "Acmé" is
    matched. The guid is made from the text before this second decoding
    (:meth:`~watchtower.adapters._review_ids.ReviewIds.guid`): stored reviews
    keep theirs."""
    return decode_leftover_entities(html_to_text(str(value or "")))


def _published(text: str) -> datetime | None:
    """A review's date: ISO 8601 as schema.org asks, or as pages show it
    ("20/11/2026", "20 novembre 2026", "Nov 20, 2026"; a written year only,
    so that the result depends on the text alone). An undated review is
    news on a source's first poll: without this, every review of a page that
    writes "20/11/2026" would be announced when the page is added."""
    return parse_date(text) or parse_human_date(text, now=None)


# A language tag: "fr", "fr-FR", "en_GB", "zh-Hant-TW".
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


def _language(value: Any) -> str | None:
    """``inLanguage`` as a tag: a string, or a ``Language`` object's
    ``alternateName`` / ``name`` ("fr"); ``None`` for anything that is no tag
    ("French", an object printed whole), so that the text's language is
    detected instead and a ``lang:fr`` rule compares a language."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = next(
            (v for k in ("alternateName", "name", "@value") if _is_tag(v := value.get(k))), None
        )
    return value.strip() if _is_tag(value) else None


def _is_tag(value: Any) -> bool:
    return (
        isinstance(value, str)
        and len(value.strip()) <= 35
        and _LANGUAGE_TAG.fullmatch(value.strip()) is not None
    )


def _aggregate_item(node: dict[str, Any], subject: str, url: str, written: str) -> Item:
    """The average rating of ``subject``: "Banque Acme – agence Lyon · ★ 1.6/5".

    One item per page and subject (a stable guid): a new average is an edit of
    it, not a new story. Its title, which the pipeline compares to tell an
    edit, holds the average to one decimal out of 5 — the scale every
    notification uses, so a page's "3.1/10" is "1.6/5" in the title as in the
    rating line — not the count, nor further decimals, which every new
    review changes: on a source with ``brands`` each would be an "edited"
    reply next to the review's own alert. ``extra`` keeps the exact value on
    the page's scale and the count; ``rating``, which a rule like
    ``rating:<=2`` reads, is the page's one-decimal average brought to 5
    (1.55 for 3.1/10). No text: the subject's words must not make it a
    near-duplicate of a review that names the business. Notifications show
    the score with the language's decimal mark ("1,6/5" in French). The guid
    holds the subject as ``written`` on the page (entities and all), which
    guids stored before names were decoded hold too.
    """
    rating = read_rating({**node, "ratingValue": one_decimal(node.get("ratingValue"))})[0]
    exact = read_rating(node)[1]
    count = str(node.get("ratingCount") or node.get("reviewCount") or "")
    return Item(
        guid=f"aggregate:{url}#{written}"[:2048],
        url=url,
        shared_url=True,
        title=" · ".join(p for p in (subject, f"★ {out_of_five_text(rating)}") if p),
        rating=rating,
        extra={
            "aggregate": "true",
            "rating_count": count or "?",
            **({"rating_raw": exact} if exact else {}),
            **({"subject": subject} if subject else {}),
        },
    )


def read_reviews(data: bytes, url: str, content_type: str = "") -> tuple[list[Item], bool]:
    """``(items, reviewable)``: the reviews of an App Store feed or an HTML page,
    and whether the answer is about reviews at all (an App Store feed always is;
    a page when its JSON-LD has reviews or something reviewable, see
    :func:`read_jsonld_reviews`). The reader is picked by what the bytes are."""
    items, _anchors, reviewable = _read_answer(data, url, content_type)
    return items, reviewable


def _read_answer(
    data: bytes, url: str, content_type: str
) -> tuple[list[Item], list[str | None], bool]:
    """:func:`read_reviews`, with each item's anchor (App Store reviews need
    none: each has its own id)."""
    head = data.lstrip()[:1]
    try:
        if head in (b"{", b"[") or "json" in content_type:
            items = parse_appstore(data, url)
            return items, [None] * len(items), True
        if (
            head == b"<"
            and b"<html" not in data[:2048].lower()
            and (b"itunes.apple.com/rss" in data[:4096] or "xml" in content_type)
        ):
            items = parse_appstore(data, url)
            return items, [None] * len(items), True
        return _read_jsonld(decode_html(data, content_type), url)
    except RecursionError:  # JSON nested deeper than the parser (or a name list) can go
        raise PermanentError(code="reviews_too_deep") from None


def parse_reviews(data: bytes, url: str, content_type: str = "") -> list[Item]:
    """Pick the reader by what the bytes are: App Store JSON/XML, else an HTML page."""
    return read_reviews(data, url, content_type)[0]


class ReviewsSource(Source):
    """Fetches the page or feed and turns each review into an item with a rating."""

    kind = "reviews"
    settings_model = ReviewsSettings

    def fetch(
        self, settings: ReviewsSettings, state: SourceState, ctx: FetchContext
    ) -> FetchResult:
        # A cursor without the memory of undated reviews (a new source, or one
        # stored by an older version): the page is read in full once, so that
        # its undated reviews are remembered before their authors edit them.
        remembers = CURSOR_KEY in state.cursor
        page = ctx.get_page(
            settings.url,
            state if remembers else SourceState(cursor=state.cursor),
            accept=_ACCEPT,
            allow_private=settings.allow_private,
        )
        if page.not_modified:
            return page.result([])
        response = page.response
        items, anchors, reviewable = _read_answer(
            response.content, response.url, response.headers.get("content-type", "")
        )
        if not reviewable:
            # An error, not a warning, as html does when its selector finds
            # nothing: a redesign, a consent wall or a bot check silently
            # ending the reviews must reach health and ops alerts.
            raise PermanentError(code="no_reviews")
        items, memory = remember(items, anchors, state.cursor)
        result = page.result(items)
        if not remembers or memory != state.cursor[CURSOR_KEY]:
            result.cursor = {**state.cursor, CURSOR_KEY: memory}
        return result
