"""RSS 0.9x/1.0 (RDF)/2.0 and Atom parsing into :class:`Item` values.

One pass over an lxml tree, mapping each dialect's elements straight to our
:class:`Item` (the parse-then-adapt split of Miniflux, without an intermediate
struct). It replaced feedparser because it is far faster on the same golden
files (``benchmarks/parse.py``, ``docs/parsing.md``). Safety lives in
:mod:`watchtower.adapters._xml` (no DTD, no network, no entity expansion;
declared entities refused); a malformed feed still yields its good entries,
together with a warning: each entry is then parsed on its own
(:mod:`watchtower.adapters._feed_recover`), so a stray tag in one entry's
text cannot hide the entries after it.

Where the time goes, and what keeps it low (per entry, ``docs/parsing.md``):

- RSS entries are read in one filtered ``iter`` over the channel (lxml matches
  the tags in C) instead of a child iterator per entry; an element counts only
  when its parent is the current entry, as a child loop would have it.
- Titles, bodies and authors of the whole feed go through one
  :func:`html_to_text_many` call.
- Items are assembled without a second validation
  (:mod:`watchtower.adapters._feed_items`): the parser enforces each constraint
  of :class:`Item` itself, and ``tests/unit/adapters/test_fast_items.py`` proves
  the result equals what ``Item.model_validate`` would return.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from watchtower.adapters._feed_items import (
    Base,
    Row,
    distinct_guids,
    items,
)
from watchtower.adapters._feed_recover import recover_entries
from watchtower.adapters._text import collapse, html_to_text
from watchtower.adapters._xml import XmlDocument, read_xml
from watchtower.errors import PermanentError
from watchtower.models import Item

__all__ = ["FEED_ACCEPT", "ParsedFeed", "parse_feed"]

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)

ATOM = "{http://www.w3.org/2005/Atom}"
ATOM03 = "{http://purl.org/atom/ns#}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS090 = "{http://my.netscape.com/rdf/simple/0.9/}"
RSS10 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass
class ParsedFeed:
    """Entries of a feed, and warnings about a feed that was usable but faulty.

    ``warnings`` are for the operator's log: a malformed feed whose good entries
    were read, entries that share a guid.
    """

    title: str
    items: list[Item]
    warnings: list[str] = field(default_factory=list)

    @property
    def warning(self) -> str | None:
        """All the warnings on one line, or ``None``."""
        return "; ".join(self.warnings) or None


_NOT_HTML = "the page is an HTML page, not an RSS/Atom feed"  # the message of code feed_is_html
# An HTML page's start, whatever the case of its doctype, after a byte-order mark,
# blank lines, comments or an XML declaration (a login wall or a CMS error page).
# A comment cannot contain "-->", so each byte matches one way only: no backtracking
# blow-up on a hostile page full of comments.
_HTML_START = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:(?:<!--(?:[^-]|-(?!->))*-->|<\?[^>]*>)\s*)*"
    rb"<(?:!doctype\s+html|html)\b",
    re.IGNORECASE,
)


def _is_html(data: bytes) -> bool:
    return _HTML_START.match(data[:8192]) is not None


def parse_feed(data: bytes, *, url: str = "") -> ParsedFeed:
    """Parse feed bytes; raise :class:`PermanentError` when nothing usable is there.

    ``url`` is where the feed was fetched from; relative links resolve against it
    and against the nearest ``xml:base`` (entry, then channel or feed, then root).
    """
    try:
        document = read_xml(data)
    except PermanentError as exc:
        # libxml2 rejects a lowercase <!doctype html>: say what the page is instead.
        if _is_html(data):
            raise PermanentError(code="feed_is_html") from None
        if exc.code == "xml_unreadable":  # said of a feed
            raise PermanentError(code="feed_unreadable", params=exc.params) from None
        raise
    root, warning = document.root, document.warning
    reader = _READERS.get(root.tag)
    if reader is None:
        if (isinstance(root.tag, str) and root.tag.lower().endswith("html")) or _is_html(data):
            raise PermanentError(code="feed_is_html")
        raise PermanentError(code="not_a_feed")
    lost = None
    if warning is not None:
        _drop_cut_entries(root, data)
        if document.error is not None:
            lost = _recover_entries(root, document)
    title, items = reader(root, url)
    warnings = []
    if warning is not None:
        if not items:
            if _is_html(data):
                raise PermanentError(code="feed_is_html")
            raise PermanentError(code="feed_unreadable", params={"reason": warning})
        warnings.append(f"the feed is malformed but {len(items)} entries were read ({warning})")
        if lost is not None:
            warnings.append(lost)
    # One set over the feed's guids: the per-entry work stays in C unless two collide.
    if len({entry.guid for entry in items}) < len(items):
        items, shared = distinct_guids(items)
        if shared is not None:
            warnings.append(shared)
    return ParsedFeed(title=title, items=items, warnings=warnings)


# An entry's closing tag in the raw bytes (``</item>``, ``</atom:entry>``).
_ENTRY_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")
_ENTRY_TAGS = ("item", RSS10 + "item", RSS090 + "item", ATOM + "entry", ATOM03 + "entry")


def _drop_cut_entries(root: etree._Element, data: bytes) -> None:
    """Remove the entries of a malformed document whose closing tag is not in ``data``.

    libxml2's recovery closes what is still open where the data ends, so a feed
    cut short mid-entry (a dropped connection, a half-written cache file served
    as 200) gave a last entry with a cut title, a cut link or none: announced
    with a wrong link, then announced again once the feed came whole. The cut
    entries are the last ones; the next poll reads them whole.
    """
    if b"\x00" in data[:256]:
        return  # UTF-16: tags cannot be counted in the raw bytes
    closed = len(_ENTRY_END.findall(data))
    entries = list(root.iter(*_ENTRY_TAGS))
    for entry in entries[closed:]:
        parent = entry.getparent()
        if parent is not None:
            parent.remove(entry)


def _recover_entries(root: etree._Element, document: XmlDocument) -> str | None:
    """Read each entry of a feed that is not well-formed on its own (:mod:`._feed_recover`).

    The container and the entries' names in the bytes follow the dialect:
    ``<item>`` in RSS 2.0's channel, the RSS 1.0/0.9 and Atom namespaces'
    entries under the root, under whatever prefix the feed gives them.
    """
    if root.tag == "rss":
        channel = _child(root, "channel")
        if channel is None:
            return None
        return recover_entries(channel, document, ("item",), [b"item"], _RSS_TAGS)
    tags: tuple[str, ...]
    if root.tag == RDF + "RDF":
        tags, fields = (RSS10 + "item", RSS090 + "item"), _RSS_TAGS
    else:
        ns = root.tag[: root.tag.index("}") + 1]
        tags, fields = (ns + "entry",), tuple(str(tag) for tag in _ATOM_FIELDS[ns])
    qnames = [
        (f"{prefix}:{tag.rpartition('}')[2]}" if prefix else tag.rpartition("}")[2]).encode()
        for prefix, uri in root.nsmap.items()
        for tag in tags
        if tag.startswith("{" + uri + "}")
    ]
    return recover_entries(root, document, tags, qnames, fields)


# ---------------------------------------------------------------- RSS and RDF
# Each RSS child element we read, by its (namespaced) tag: one dict lookup per child.
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
    """The rows of the ``item_tag`` children of ``container``, in one pass.

    One filtered ``iter`` over the subtree visits only the elements we read (lxml
    matches tags in C) and is much cheaper than a child iterator per item; an
    element counts only when its parent is the current item, so nested elements
    (markup inside a description, a nested ``<item>``) are ignored as before.
    """
    fields = _RSS_FIELDS
    entries: list[tuple[etree._Element, dict[str, str], bool]] = []
    item: etree._Element | None = None
    found: dict[str, str] = {}
    permalink = True
    for el in container.iter(item_tag, *_RSS_TAGS):
        parent = el.getparent()
        tag = el.tag
        if tag == item_tag and parent is container:
            if item is not None:
                entries.append((item, found, permalink))
            item, found, permalink = el, {}, True
            continue
        if parent is not item or item is None:
            continue
        name = fields.get(tag)
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
    if item is not None:
        entries.append((item, found, permalink))
    return [_rss_row(node, found, permalink, base, lang) for node, found, permalink in entries]


def _rss_row(
    node: etree._Element, found: dict[str, str], permalink: bool, base: Base, lang: str | None
) -> Row:
    get = found.get
    base = _inner_base(base, node)
    link = (get("link") or get("atom_link") or "").strip()
    guid = (get("guid") or "").strip() or node.get(RDF + "about", "")
    if not link and guid and permalink and guid.startswith(("http://", "https://")):
        link = guid
    if "goto=newpost" in link:
        link = _without_goto_newpost(link)
    link = base.resolve(link)
    comments = (get("comments") or "").strip()
    extra = {"comments": base.resolve(comments)} if comments else None
    creator = get("creator") or ""
    if "source" in found and _NEWS_GOOGLE.match(link):
        extra = _publisher(extra, found)
        if extra and "publisher" in extra and not (creator.strip() or get("author")):
            # Its byline, as a Google Alerts e-mail names an article's publication
            # (markup here: the plain name is escaped, not read as tags).
            creator = html.escape(extra["publisher"], quote=False)
    return Row(
        guid or link,
        link,
        get("title") or "",
        get("content") or get("description") or "",
        get("date") or get("updated") or "",
        creator,
        lang,
        extra,
        author_html=True,
        author_fallback=get("author"),
    )


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


def _inner_base(base: Base, node: etree._Element) -> Base:
    """The base for links inside ``node``: its ``xml:base``, resolved against ``base``."""
    value = node.get(XML_BASE)
    return Base(base.resolve(value.strip())) if value else base


def _child(parent: etree._Element, tag: str) -> etree._Element | None:
    """The first child with this tag (``find`` without ElementPath's per-call cost)."""
    return next(parent.iterchildren(tag), None)


def _child_text(parent: etree._Element, tag: str) -> str | None:
    child = next(parent.iterchildren(tag), None)
    return None if child is None else (child.text or "")


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


# ---------------------------------------------------------------------- Atom
def _atom_text(node: etree._Element | None) -> str:
    """The text of an Atom text construct (``type`` text, html or xhtml)."""
    if node is None:
        return ""
    kind = node.get("type", "text")
    if kind == "xhtml" or "xml" in kind:
        return collapse(" ".join(node.itertext()))
    if kind == "html" or kind == "text/html":
        return html_to_text(node.text)
    return collapse(node.text)


def _atom_raw(node: etree._Element | None) -> tuple[str, bool]:
    """``(value, is_html)`` of a text construct; html is converted later, in a batch."""
    if node is None:
        return "", False
    kind = node.get("type", "text")
    if kind == "html" or kind == "text/html":
        return node.text or "", True
    return _atom_text(node), False


def _atom_fields(ns: str) -> dict[object, str]:
    names = {"id": "id", "link": "link", "title": "title", "content": "content",
             "summary": "summary", "published": "published", "issued": "published",
             "updated": "updated", "modified": "updated", "author": "author"}  # fmt: skip
    return {ns + tag: name for tag, name in names.items()}


_ATOM_FIELDS = {ATOM: _atom_fields(ATOM), ATOM03: _atom_fields(ATOM03)}


def _atom_row(node: etree._Element, ns: str, base: Base, lang: str | None) -> Row:
    fields = _ATOM_FIELDS[ns]
    found: dict[str, etree._Element] = {}
    link = ""
    for child in node:
        name = fields.get(child.tag)
        if name is None:
            continue
        if name == "link":
            if not link and child.get("rel", "alternate") == "alternate":
                link = (child.get("href") or "").strip()
        elif name not in found:
            found[name] = child
    entry_base = node.get(XML_BASE)
    if entry_base:
        base = Base(base.resolve(entry_base))
    guid = collapse(_text_of(found.get("id")))
    author = found.get("author")
    when = found.get("published")
    if when is None:
        when = found.get("updated")
    link = base.resolve(link)
    title, title_html = _atom_raw(found.get("title"))
    body, body_html = _atom_raw(found.get("content"))
    if not body.strip():
        body, body_html = _atom_raw(found.get("summary"))
    return Row(
        guid or link,
        link,
        title,
        body,
        _text_of(when),
        collapse(_child_text(author, ns + "name")) if author is not None else "",
        _lang(node.get(XML_LANG)) or lang,
        title_html=title_html,
        body_html=body_html,
    )


def _text_of(node: etree._Element | None) -> str:
    return "" if node is None else (node.text or "")


def _read_atom(root: etree._Element, url: str) -> tuple[str, list[Item]]:
    ns = root.tag[: root.tag.index("}") + 1]
    base = _inner_base(Base(url), root)
    lang = _lang(root.get(XML_LANG))
    rows = [_atom_row(node, ns, base, lang) for node in root.iterchildren(ns + "entry")]
    return _atom_text(_child(root, ns + "title")), items(rows)


def _lang(value: str | None) -> str | None:
    value = (value or "").strip()
    return value[:35] or None


_Reader = Callable[[etree._Element, str], tuple[str, list[Item]]]
_READERS: dict[object, _Reader] = {
    "rss": _read_rss,
    RDF + "RDF": _read_rdf,
    ATOM + "feed": _read_atom,
    ATOM03 + "feed": _read_atom,
}
