"""Which address identifies a JSON-LD review, and the guid of one that has none.

Many review pages give every review ``"url": <the page>``, or the address of
the business reviewed: such a value is no review's own, and used as a guid it
would make one item of all the page's reviews (the later ones taken for edits
of the first). :class:`ReviewIds` tells own addresses from shared ones and makes
a guid from the review itself when needed.

A review without an author or a date has a guid made from its text, which an
edit changes. :meth:`ReviewIds.anchor` gives such a review a key that does not
depend on its words (what it reviews, its author or date), when that key is
the page's only review to have it; :mod:`~watchtower.adapters._review_memory`
remembers which guid each key was first given, so an edit stays the item it
was.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urldefrag, urljoin

from watchtower.adapters._dates import parse_date
from watchtower.adapters._feed_items import decode_leftover_entities
from watchtower.adapters._text import collapse, html_to_text

__all__ = ["REVIEW_KEYS", "ReviewIds", "name_of", "raw_name_of", "repeats", "resolve"]

#: Keys that hold reviews or their aggregate on the thing reviewed.
REVIEW_KEYS = ("review", "reviews", "aggregateRating")


def name_of(value: Any) -> str:
    """A JSON-LD name as people read it: a string, a ``{"name": …}`` object, or a
    list of them, with the HTML entities many sites leave in JSON-LD decoded
    ("Jos&eacute; &amp; Marie" is "José & Marie"), those escaped twice too
    ("Jos&amp;eacute;", as feeds decode them), and tags dropped."""
    return decode_leftover_entities(html_to_text(raw_name_of(value)))


def raw_name_of(value: Any) -> str:
    """:func:`name_of` as written on the page (entities left as they are): what
    review and aggregate identities are made of, so that guids stored before
    names were decoded stay the same."""
    if isinstance(value, dict):
        value = value.get("name") or ""
    if isinstance(value, list):
        return ", ".join(raw_name_of(v) for v in value)
    return collapse(str(value or ""))


def resolve(page: str, value: Any) -> str | None:
    """``value`` as an absolute address (no empty ``#``), ``None`` if it is none."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    try:
        return urljoin(page, text).removesuffix("#")
    except ValueError:  # "http://[::1": not an address
        return None


def _signature(node: dict[str, Any]) -> tuple[str, ...]:
    """What tells two reviews apart; the same review given twice (two JSON-LD
    blocks) has one signature."""
    rating = node.get("reviewRating")
    return (
        raw_name_of(node.get("author")),
        _date_key(node),
        html_to_text(str(node.get("name") or "")),
        html_to_text(str(node.get("reviewBody") or node.get("description") or "")),
        str(rating.get("ratingValue") if isinstance(rating, dict) else rating or ""),
    )


# Reviews one copy is compared with when they share author, date, text and
# stars. A real page has one or two; a page of thousands of such reviews with
# different headlines must not make the comparison quadratic (beyond these,
# a review is kept, as before copies were told).
_COMPARED = 8


def repeats(reviews: list[tuple[dict[str, Any], str]]) -> set[int]:
    """The ``id()`` of each review that repeats an earlier one of the page.

    ``reviews`` are ``(node, subject)`` in page order, the subject as people
    read it (:func:`name_of`). Pages often give a review twice (in the
    product's ``review`` list and again in a block of its own, or in two
    plugins' blocks), one copy with fewer fields: without its headline, its
    subject or its address. Those copies make guids of their own (the
    headline is part of some), so each would be announced. A review repeats an
    earlier one when its author, date, text and stars are the same and its
    subject, headline and address are too, or missing from one of the two.
    Guids are still made from every copy, as before, so that stored ones stay.
    """
    kept: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    repeated: set[int] = set()
    for node, subject in reviews:
        _raw_author, date, headline, body, rating = _signature(node)
        # Compared as shown: "Jos&eacute;" in one copy is "José" in the other,
        # and so is a copy escaped twice ("Jos&amp;eacute;").
        author = name_of(node.get("author"))
        headline, body = decode_leftover_entities(headline), decode_leftover_entities(body)
        details = (subject, headline, str(node.get("@id") or ""), str(node.get("url") or ""))
        earlier = kept.setdefault((author, date, body, _number(rating)), [])
        if any(
            all(a == b or not a or not b for a, b in zip(d, details, strict=True)) for d in earlier
        ):
            repeated.add(id(node))
        elif len(earlier) < _COMPARED:
            earlier.append(details)
    return repeated


def _number(rating: str) -> str:
    """A rating value compared as a number ("4,0" is 4), else as written."""
    try:
        return repr(float(rating.replace(",", ".").strip()))
    except ValueError:
        return rating.strip()


def _date_key(node: dict[str, Any]) -> str:
    raw = collapse(str(node.get("datePublished") or node.get("dateCreated") or ""))
    when = parse_date(raw)
    return when.isoformat() if when else raw


class ReviewIds:
    """Which ``@id`` / ``url`` values of a page's reviews are their own.

    A value is not a review's own address when it is the page's (many sites
    give every review ``"url": <the page>``), the address of what is reviewed,
    or is shared by several different reviews of the page.
    """

    def __init__(
        self, reviews: list[tuple[dict[str, Any], dict[str, Any] | None]], page: str
    ) -> None:
        self.page = page
        self.not_own = {page.removesuffix("#"), urldefrag(page)[0]}
        users: dict[str, set[tuple[str, ...]]] = {}
        self.keys: dict[str, set[tuple[str, ...]]] = {}
        anchors: dict[str, set[tuple[str, ...]]] = {}
        self._anchors: dict[int, str] = {}  # by id() of the review node
        for node, parent in reviews:
            signature = _signature(node)
            anchor = _anchor_key(node, parent)
            if anchor:
                anchors.setdefault(anchor, set()).add(signature)
                self._anchors[id(node)] = anchor
            # The parent is what is reviewed when it holds the review in its
            # "review" list; not a wrapper such as an ItemList's ListItem,
            # whose url may well be the review's own.
            if parent is not None and not any(key in parent for key in REVIEW_KEYS):
                parent = None
            for reviewed in (parent, node.get("itemReviewed")):
                if isinstance(reviewed, dict):
                    self.not_own.update(
                        a for a in (resolve(page, reviewed.get(k)) for k in ("@id", "url")) if a
                    )
            for key in ("@id", "url"):
                address = resolve(page, node.get(key))
                if address:
                    users.setdefault(address, set()).add(signature)
            self.keys.setdefault(_stable_key(node), set()).add(signature)
        self.not_own.update(a for a, sigs in users.items() if len(sigs) > 1)
        # Two different reviews with one anchor (the same author's two undated
        # reviews of one agency) cannot be told apart without their words.
        self._anchors = {
            node: anchor for node, anchor in self._anchors.items() if len(anchors[anchor]) == 1
        }

    def own(self, node: dict[str, Any], key: str) -> bool:
        """Whether ``node[key]`` identifies this review alone."""
        address = resolve(self.page, node.get(key))
        return address is not None and address not in self.not_own

    def guid(self, node: dict[str, Any]) -> str:
        """The review's ``@id`` or ``url`` if its own, else one made from its content.

        Made-up guids come from the author and the date, which survive the page
        being re-rendered and the review being edited: a new text or rating
        under the same author and date is an edit of the review. Two different
        reviews with the same author and date on one page (two "Anonymous" the
        same day) add their headline and text; so does a review without author
        or date, whose edit would make it a new item but for the source's
        memory of its :meth:`anchor`; an older review whose author and date a
        new one repeats is notified once more.
        """
        for key in ("@id", "url"):
            if self.own(node, key):
                return str(node[key])
        author, date, headline, body, _rating = _signature(node)
        key = _stable_key(node)
        if not (author and date):
            # The same digest as before stable keys existed, so such reviews
            # already stored keep their guid.
            key = f"{self.page}\n{author}\n{date}\n{body}"
        elif len(self.keys.get(key, ())) > 1:
            key = f"{key}\n{headline}\n{body}"
        return f"review:{self.page}#{hashlib.sha1(key.encode()).hexdigest()[:20]}"

    def anchor(self, node: dict[str, Any]) -> str | None:
        """A key for a review whose guid is made from its text (it has no own
        address, and no author or no date): what it reviews, its author and its
        date, none of which an edit changes. ``None`` when the review has
        neither author nor date, or another review of the page has the same key.
        """
        if self.own(node, "@id") or self.own(node, "url"):
            return None
        author, date, *_ = _signature(node)
        if author and date:
            return None  # its guid is made from them already
        return self._anchors.get(id(node))


def _anchor_key(node: dict[str, Any], parent: dict[str, Any] | None) -> str:
    """``subject, author, date`` of a review with an author or a date, else ``""``."""
    author, date = raw_name_of(node.get("author")), _date_key(node)
    if not (author or date):
        return ""
    holder = parent if parent is not None and any(k in parent for k in REVIEW_KEYS) else None
    subject = raw_name_of(node.get("itemReviewed")) or raw_name_of(holder)
    return f"anchor\n{subject}\n{author}\n{date}"


def _stable_key(node: dict[str, Any]) -> str:
    return f"author+date\n{raw_name_of(node.get('author'))}\n{_date_key(node)}"
