"""``kind = "html"``: a list page without a feed, read with CSS selectors.

``item`` selects each entry on the page; ``title``, ``link``, ``date`` and
``text`` are selectors inside it. A selector ending in ``@attr`` reads that
attribute (``h2 a@href``, ``time@datetime``) instead of the text; a text is the
element's visible text, as :func:`~watchtower.adapters._text.html_to_text`
reads it (``Acm<b>é</b>`` is "Acmé"); a title escaped twice
(``Acm&amp;eacute;``) is decoded once more, as in feeds
(:func:`~watchtower.adapters._feed_items.decode_leftover_entities`), but
its identity keeps the title as read. Links resolve against the page's
``<base href>`` when it has one, else against the page URL; the link is the
item's identity. An entry without a link of its own (none, ``#``,
``javascript:``, the page itself) links to the page (``shared_url``) and is
known by a hash of the page URL and its title; entries sharing one link are
told apart by their titles. The page is decoded as a browser would
(:func:`~watchtower.adapters._text.decode_html`: HTTP charset, then ``<meta>``).

Dates are read as people write them, French or English
(:func:`~watchtower.adapters._dates.parse_human_date`): "25 nov. 2026 à 14h32"
is in the source's ``timezone`` (default: ``[watchtower] timezone``), "il y a
3 heures" is relative to the fetch. Only the HTML as served is read: entries
that the page's JavaScript inserts (infinite scroll, "load more", client-side
apps) are not seen.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import datetime, tzinfo
from typing import Literal
from urllib.parse import urldefrag, urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from watchtower.adapters._base_href import base_url
from watchtower.adapters._dates import parse_human_date
from watchtower.adapters._feed_items import decode_leftover_entities
from watchtower.adapters._text import decode_html, html_to_text
from watchtower.adapters.base import (
    FetchContext,
    FetchResult,
    Source,
    SourceState,
    UrlSourceSettings,
)
from watchtower.errors import PermanentError, SourceError
from watchtower.models import Item

__all__ = ["HtmlSettings", "HtmlSource", "parse_html_list"]

_ATTR = re.compile(r"^(.*?)\s*@([A-Za-z_:][-\w:.]*)$")
_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
#: Entries read from one page at most: a list page has tens; a selector matching
#: every element of a huge page must not take minutes (a human date costs ~1 ms).
MAX_ENTRIES = 500


def _split(selector: str) -> tuple[str, str | None]:
    match = _ATTR.match(selector.strip())
    if match:
        return match.group(1), match.group(2)
    return selector.strip(), None


def _check_selector(value: str) -> str:
    css, _attr = _split(value)
    if css:
        try:
            LexborHTMLParser("<p></p>").css_first(css)
        except (SelectolaxError, ValueError) as exc:
            raise ValueError(f"invalid CSS selector {css!r} ({exc})") from None
    return value


class HtmlSettings(UrlSourceSettings):
    """Keys of an HTML list page source (CSS selectors; ``@attr`` reads an attribute)."""

    kind: Literal["html"] = "html"
    item: str = Field(min_length=1)
    title: str = Field(min_length=1)
    link: str = "a@href"
    date: str | None = None
    text: str | None = None
    timezone: str | None = Field(
        default=None,
        description="The site's zone, for dates written without one "
        "(default: [watchtower] timezone).",
    )

    @field_validator("item", "title", "link", "date", "text")
    @classmethod
    def _valid_selector(cls, value: str | None) -> str | None:
        return None if value is None else _check_selector(value)

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str | None) -> str | None:
        if value is not None:
            _zone(value)
        return value


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (expected a name such as 'Europe/Paris')"
        ) from None


def _select(node: LexborNode, selector: str | None) -> str:
    """Visible text (or ``@attr`` value) of the first match of ``selector`` inside ``node``."""
    if not selector:
        return ""
    css, attr = _split(selector)
    target = node.css_first(css) if css else node
    if target is None:
        return ""
    if attr:
        return (target.attributes.get(attr) or "").strip()
    # Not text(separator=" "): that splits words at inline tags ("Acm <b>é</b>").
    return html_to_text(target.html)


def _own_link(base: str, href: str, page: str) -> str:
    """``href`` as an absolute http(s) address of its own, or ``""``: none, an
    anchor on the page (``#``, ``#top``), the page itself, ``javascript:``,
    ``mailto:``, or unreadable."""
    if not href:
        return ""
    try:
        link = urljoin(base, href)
        parts = urlsplit(link)
    except ValueError:  # "http://[::1": one unreadable link must not fail the page
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return "" if urldefrag(link)[0] == urldefrag(page)[0] else link


def _hash(*parts: str) -> str:
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def parse_html_list(
    html: str,
    url: str,
    settings: HtmlSettings,
    *,
    now: datetime | None = None,
    timezone: str = "UTC",
    warnings: list[str] | None = None,
) -> list[Item]:
    """The entries of a list page as items, in page order.

    ``now`` (the fetch time) anchors relative dates ("il y a 3 heures"); without
    it only dates naming their year are read. A date without a zone is in the
    source's ``timezone``, else ``timezone``. ``warnings`` collects what the
    operator should know: entries cut, dates that cannot be read.
    """
    zone = _zone(settings.timezone or timezone)
    tree = LexborHTMLParser(html)
    base = base_url(tree, url)
    page = urldefrag(url)[0]
    nodes = tree.css(settings.item)
    if len(nodes) > MAX_ENTRIES and warnings is not None:
        warnings.append(
            f"item = {settings.item!r} matches {len(nodes)} elements: "
            f"only the first {MAX_ENTRIES} are read"
        )
    rows: list[tuple[str, str, str, datetime | None]] = []
    no_date: list[str] = []
    for node in nodes[:MAX_ENTRIES]:
        title = _select(node, settings.title)
        link = _own_link(base, _select(node, settings.link), page)
        if not (title or link):
            continue
        text = _select(node, settings.text) if settings.text else ""
        published = None
        if settings.date:
            raw = _select(node, settings.date)
            published = parse_human_date(raw, now=now, zone=zone)
            if published is None:
                no_date.append(raw)
        rows.append((title, link, text, published))
    if no_date and warnings is not None:
        warnings.append(_date_warning(settings.date or "", no_date, len(rows)))
    return _items(rows, page)


def _date_warning(selector: str, unread: list[str], total: int) -> str:
    texts = [t for t in unread if t]
    if not texts:
        return f"date = {selector!r} matches nothing in {len(unread)} of {total} entries"
    return (
        f"date = {selector!r}: {len(unread)} of {total} entries have no readable date "
        f"(such as {texts[0][:80]!r})"
    )


def _items(rows: list[tuple[str, str, str, datetime | None]], page: str) -> list[Item]:
    """Items with stable guids: the link, else a hash of the page and the title;
    a link several entries share is no one's identity (``link#sha1:…`` of the title)."""
    # Distinct titles per link: the same entry listed twice ("à la une") is one.
    shared = Counter(link for link, _ in {(link, title) for title, link, _, _ in rows if link})
    items: list[Item] = []
    seen: set[str] = set()
    for title, link, text, published in rows:
        if not link:
            guid = "sha1:" + _hash(page, title)
        elif shared[link] > 1:
            guid = f"{link}#sha1:{_hash(title)}"
        else:
            guid = link
        if guid in seen:  # the same entry twice (a "featured" copy): keep the first
            continue
        seen.add(guid)
        # Escaped twice by the site ("Acm&amp;eacute;"): shown and matched as
        # "Acmé", as feeds do; the guid above keeps the title as read, which
        # the guids stored before this decoding were made of.
        shown = decode_leftover_entities(title)
        items.append(
            Item(
                guid=guid[:2048],
                url=(link or page)[:8192],
                shared_url=not link or shared[link] > 1,
                title=shown[:10_000],
                text=(text or shown)[:1_000_000],
                published=published,
            )
        )
    return items


class HtmlSource(Source):
    """Fetches a list page and reads its entries with the configured selectors."""

    kind = "html"
    settings_model = HtmlSettings

    def fetch(self, settings: HtmlSettings, state: SourceState, ctx: FetchContext) -> FetchResult:
        page = ctx.get_page(
            settings.url, state, accept=_ACCEPT, allow_private=settings.allow_private
        )
        if page.not_modified:
            return page.result([])
        response = page.response
        html = decode_html(response.content, response.headers.get("content-type", ""))
        warnings: list[str] = []
        items = parse_html_list(
            html,
            response.url,
            settings,
            now=ctx.now(),
            timezone=ctx.timezone,
            warnings=warnings,
        )
        if not items:
            raise _nothing_read(html, settings)
        return page.result(items, warnings)


def _nothing_read(html: str, settings: HtmlSettings) -> SourceError:
    """Why a page gave no entry: ``item`` matches nothing, or its matches have
    neither title nor link (the layout changed inside the entries)."""
    matches = len(LexborHTMLParser(html).css(settings.item))
    if not matches:
        return PermanentError(code="html_no_match", params={"selector": settings.item})
    return PermanentError(
        f"{matches} elements match item = {settings.item!r}, but none has a title "
        f"(title = {settings.title!r}) or a link (link = {settings.link!r})"
    )
