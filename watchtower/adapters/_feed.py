"""RSS/Atom/RDF parsing into :class:`Item` values, shared by feed-based kinds.

feedparser copes with every dialect, encoding and broken feed we meet (a bozo
feed still yields its good entries); the rest of this module maps its entries
to our :class:`Item`, mirroring Miniflux's parse-then-adapt split.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import feedparser

from watchtower.adapters._text import html_to_text
from watchtower.errors import PermanentError
from watchtower.models import Item

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)


@dataclass
class ParsedFeed:
    """Entries of a feed, and a warning when the feed was malformed but usable."""

    title: str
    items: list[Item]
    warning: str | None = None


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    return None


def _body(entry: Any) -> str:
    contents = entry.get("content") or []
    if contents:
        return " ".join(html_to_text(c.get("value")) for c in contents)
    return html_to_text(entry.get("summary") or entry.get("description"))


def entry_to_item(entry: Any) -> Item | None:
    """Map one feedparser entry to an :class:`Item` (``None`` when unusable)."""
    link = str(entry.get("link") or "")
    title = html_to_text(entry.get("title"))
    text = _body(entry)
    guid = str(entry.get("id") or link)
    if not guid:
        if not (title or text):
            return None
        guid = "sha1:" + hashlib.sha1((title + "\n" + text).encode()).hexdigest()
    author = entry.get("author") or None
    return Item(
        guid=guid[:2048],
        url=link,
        title=title[:10_000],
        text=text[:1_000_000],
        published=_when(entry),
        author=str(author)[:500] if author else None,
        lang=(entry.get("language") or None),
    )


def parse_feed(data: bytes, *, url: str = "") -> ParsedFeed:
    """Parse feed bytes; raise :class:`PermanentError` when nothing usable is there."""
    parsed = feedparser.parse(data, response_headers={"content-location": url} if url else None,
                              sanitize_html=False, resolve_relative_uris=bool(url))
    items = [i for i in (entry_to_item(e) for e in parsed.entries) if i is not None]
    warning = None
    if parsed.bozo:
        reason = str(parsed.get("bozo_exception", "malformed feed")).split("\n")[0][:200]
        if not items:
            raise PermanentError(f"the page is not a readable RSS/Atom feed ({reason})")
        warning = f"the feed is malformed but {len(items)} entries were read ({reason})"
    elif not parsed.version and not items:
        raise PermanentError("the page is not an RSS/Atom feed")
    title = html_to_text(parsed.feed.get("title"))
    return ParsedFeed(title=title, items=items, warning=warning)
