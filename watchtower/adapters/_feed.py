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

This module takes a document to its dialect's reader and judges the result;
each dialect is read in its own module (:mod:`watchtower.adapters._feed_rss`
for RSS and RDF, :mod:`watchtower.adapters._feed_atom`), with the namespaces
and element lookups they share in :mod:`watchtower.adapters._feed_tree`.

Where the time goes, and what keeps it low (per entry, ``docs/parsing.md``):

- Each RSS entry's fields are read in a plain loop over its children (a dict
  lookup per tag), cheaper than one tag-filtered ``iter`` over the channel that
  needs a ``getparent()`` per element, and 3-4 times cheaper than a filtered
  ``iterchildren(*tags)`` per entry, which builds a tag matcher on each call.
- Titles, bodies and authors of the whole feed go through one
  :func:`html_to_text_many` call.
- Items are assembled without a second validation
  (:mod:`watchtower.adapters._feed_items`): the parser enforces each constraint
  of :class:`Item` itself, and ``tests/unit/adapters/test_fast_items.py`` proves
  the result equals what ``Item.model_validate`` would return.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from watchtower.adapters._feed_atom import _ATOM_FIELDS, _read_atom
from watchtower.adapters._feed_items import distinct_guids
from watchtower.adapters._feed_recover import recover_entries
from watchtower.adapters._feed_rss import _RSS_TAGS, _read_rdf, _read_rss
from watchtower.adapters._feed_tree import ATOM, ATOM03, RDF, RSS090, RSS10, _child
from watchtower.adapters._xml import XmlDocument, read_xml
from watchtower.errors import PermanentError
from watchtower.models import Item

# ATOM: where _appstore imports it from.
__all__ = ["ATOM", "FEED_ACCEPT", "ParsedFeed", "parse_feed"]

FEED_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)


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


def parse_feed(data: bytes, *, url: str = "", content_type: str = "") -> ParsedFeed:
    """Parse feed bytes; raise :class:`PermanentError` when nothing usable is there.

    ``url`` is where the feed was fetched from; relative links resolve against it
    and against the nearest ``xml:base`` (entry, then channel or feed, then root).
    ``content_type`` is the response's ``Content-Type``: its ``charset`` says how
    the bytes are encoded, before the XML declaration does (BOM first; the
    order and its sources are in :mod:`watchtower.adapters._xml`), so a
    windows-1252 feed served ``charset=windows-1252`` without a declaration is
    not a malformed UTF-8 one.
    """
    try:
        document = read_xml(data, content_type=content_type)
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


_Reader = Callable[[etree._Element, str], tuple[str, list[Item]]]
_READERS: dict[object, _Reader] = {
    "rss": _read_rss,
    RDF + "RDF": _read_rdf,
    ATOM + "feed": _read_atom,
    ATOM03 + "feed": _read_atom,
}
