"""The RSS 0.9x/2.0 and RDF (RSS 1.0/0.90) readers of
:func:`watchtower.adapters._feed.parse_feed`: channel and entries to rows.

Each entry's fields are its children, read in a plain child loop (a dict lookup
per tag): cheaper than one filtered ``iter`` over the channel with a
``getparent()`` per element (session 21, ``docs/parsing.md``).
"""

from __future__ import annotations

import html
import re

from lxml import etree

from watchtower.adapters._feed_items import Base, Row, items
from watchtower.adapters._feed_tree import (
    ATOM,
    CONTENT,
    DC,
    RDF,
    RSS090,
    RSS10,
    XML_BASE,
    _child,
    _child_text,
    _inner_base,
    _lang,
)
from watchtower.adapters._text import collapse, html_to_text
from watchtower.models import Item

_RSS_FIELDS: dict[object, str] = {
    **{ns + name: name for ns in ("", RSS10, RSS090) for name in ("title", "link", "description")},
    CONTENT + "encoded": "content",
    "guid": "guid",
    "pubDate": "date",
    DC + "date": "date",
    ATOM + "updated": "updated",
    "author": "author",
    DC + "creator": "creator",
    "comments": "comments",
    ATOM + "link": "atom_link",
    "source": "source",
}
_RSS_TAGS = tuple(str(tag) for tag in _RSS_FIELDS)


def _rss_rows(container: etree._Element, item_tag: str, base: Base, lang: str | None) -> list[Row]:
    """The rows of the ``item_tag`` children of ``container``.

    Only the direct children of each item count (markup inside a description, a
    nested ``<item>`` are ignored), the first of each kind winning. A plain
    child loop per item costs less than one filtered ``iter`` over the subtree
    that matches tags in C but needs a ``getparent()`` per element to tell an
    item's own fields from nested ones (about 5% of this function, session 21);
    a tag-filtered ``iterchildren(*tags)`` per item costs 3-4 times more,
    building its matcher each time. Each item's row is built in the loop: no
    function call and no intermediate tuple per entry.
    """
    fields = _RSS_FIELDS
    rows: list[Row] = []
    for item in container.iterchildren(item_tag):
        found: dict[str, str] = {}
        permalink = True
        for el in item:
            name = fields.get(el.tag)
            if name is None or name in found:
                continue  # first occurrence wins, as in feedparser
            if name == "atom_link":
                if el.get("rel", "alternate") == "alternate":
                    found[name] = (el.get("href") or "").strip()
                continue
            if name == "guid":
                permalink = (el.get("isPermaLink") or "true").lower() != "false"
            elif name == "source":
                found["source_url"] = (el.get("url") or "").strip()
            found[name] = el.text or ""
        get = found.get
        entry_base = item.get(XML_BASE)
        where = Base(base.resolve(entry_base.strip())) if entry_base else base
        link = (get("link") or get("atom_link") or "").strip()
        guid = (get("guid") or "").strip() or item.get(RDF + "about", "")
        if not link and guid and permalink and guid.startswith(("http://", "https://")):
            link = guid
        if "goto=newpost" in link:
            link = _without_goto_newpost(link)
        link = where.resolve(link)
        comments = (get("comments") or "").strip()
        extra = {"comments": where.resolve(comments)} if comments else None
        creator = get("creator") or ""
        if "source" in found and _NEWS_GOOGLE.match(link):
            extra = _publisher(extra, found)
            if extra and "publisher" in extra and not (creator.strip() or get("author")):
                # Its byline, as a Google Alerts e-mail names an article's
                # publication (markup here: the plain name is escaped, not
                # read as tags).
                creator = html.escape(extra["publisher"], quote=False)
        rows.append(
            Row(
                guid or link,
                link,
                get("title") or "",
                get("content") or get("description") or "",
                get("date") or get("updated") or "",
                creator,
                lang,
                extra,
                True,
                True,
                True,
                get("author"),
            )
        )
    return rows


# A link through Google News: its entries name their publisher in <source>.
_NEWS_GOOGLE = re.compile(r"https?://news\.google\.com[/:?#]", re.IGNORECASE)


def _publisher(extra: dict[str, str] | None, found: dict[str, str]) -> dict[str, str] | None:
    """``extra`` with a Google News entry's ``<source url="…">Name</source>``.

    Google News links every entry through ``news.google.com/rss/articles/…``
    (the article's address is not in the link) and names the publisher there:
    ``<source url="https://www.lemonde.fr">Le Monde</source>``, kept as
    ``publisher_url`` (an absolute http(s) address: the site the article is
    on, ``pipeline.sites.publisher_site``) and ``publisher`` (its name). Read
    for such links only: elsewhere RSS 2.0's ``<source>`` is the feed an item
    was copied from (Discourse names its topic's feed), not a publisher.
    """
    url = found.get("source_url", "")
    name = collapse(found.get("source"))[:500]  # plain text, as <title> of RSS 2.0
    if len(url) > 2048 or not url.lower().startswith(("http://", "https://")):
        url = ""  # a cut address would name another site
    if not (url or name):
        return extra
    out = dict(extra or {})
    if url:
        out["publisher_url"] = url
    if name:
        out["publisher"] = name
    return out


def _without_goto_newpost(link: str) -> str:
    """vBulletin's thread link without its ``goto=newpost`` parameter.

    ``external.php`` links each thread as ``showthread.php?812-title&goto=newpost``:
    the first unread post, which for a reader without the forum's cookies is the
    last one, pages away from the post the item is about. The thread's own
    address (the entry's guid) opens on its first post, which is the item's text.
    """
    address, hash_mark, fragment = link.partition("#")
    path, _, query = address.partition("?")
    kept = "&".join(p for p in query.split("&") if p and p != "goto=newpost")
    return path + ("?" + kept if kept else "") + hash_mark + fragment


def _read_rss(root: etree._Element, url: str) -> tuple[str, list[Item]]:
    channel = _child(root, "channel")
    if channel is None:
        return "", []
    lang = _lang(_child_text(channel, "language") or _child_text(channel, DC + "language"))
    base = _inner_base(_inner_base(Base(url), root), channel)
    rows = _rss_rows(channel, "item", base, lang)
    return html_to_text(_child_text(channel, "title")), items(rows)


def _read_rdf(root: etree._Element, url: str) -> tuple[str, list[Item]]:
    rows: list[Row] = []
    title = ""
    lang: str | None = None
    base = _inner_base(Base(url), root)  # RDF items are the root's children
    for ns in (RSS10, RSS090):
        channel = _child(root, ns + "channel")
        if channel is not None:
            title = html_to_text(_child_text(channel, ns + "title"))
            lang = _lang(_child_text(channel, DC + "language"))
        rows += _rss_rows(root, ns + "item", base, lang)
    return title, items(rows)
