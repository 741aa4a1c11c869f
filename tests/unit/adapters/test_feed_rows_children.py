"""Session 21's per-entry rewrites read every feed as before.

- ``_feed_rss._rss_rows`` walks each item's children (one ``iterchildren`` over
  the container, a plain child loop per item) instead of one filtered ``iter``
  over the subtree with a ``getparent()`` per element;
- an Atom entry's author name is found by ``_feed_tree._small_child_text``, a
  plain child loop, instead of ``_child_text`` (``iterchildren(tag)``).

The reference for the first is the function as it was before (copied unchanged
from the previous commit); generated feeds must give equal rows. The second is
compared with ``_child_text`` itself.
"""

from __future__ import annotations

import html
import random
from itertools import chain

from lxml import etree

from watchtower.adapters._feed_items import Base, Row
from watchtower.adapters._feed_rss import (
    _NEWS_GOOGLE,
    _RSS_FIELDS,
    _RSS_TAGS,
    _publisher,
    _rss_rows,
    _without_goto_newpost,
)
from watchtower.adapters._feed_tree import (
    ATOM,
    CONTENT,
    DC,
    RDF,
    RSS10,
    XML_BASE,
    _child_text,
    _small_child_text,
)

# ------------------------------------------------------------- the references
_END: tuple[None] = (None,)


def _old_rss_rows(
    container: etree._Element, item_tag: str, base: Base, lang: str | None
) -> list[Row]:
    """``_feed_rss._rss_rows`` before session 21."""
    fields = _RSS_FIELDS
    rows: list[Row] = []
    item: etree._Element | None = None
    found: dict[str, str] = {}
    permalink = True
    for el in chain(container.iter(item_tag, *_RSS_TAGS), _END):
        if el is not None:
            parent = el.getparent()
            if parent is item and item is not None:
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
                continue
            if parent is not container or el.tag != item_tag:
                continue  # nested markup, or the channel's own fields
        if item is not None:
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
        if el is None:
            break
        item, found, permalink = el, {}, True
    return rows


# ------------------------------------------------------------------ feeds
_NAMESPACES = (
    f'xmlns:dc="{DC[1:-1]}" xmlns:content="{CONTENT[1:-1]}" xmlns:atom="{ATOM[1:-1]}" '
    f'xmlns:rdf="{RDF[1:-1]}"'
)
_LINKS = [
    "https://example.org/a/1", " /a/2 ", "a/3", "../b", "?p=4", "//cdn.example.org/x",
    "https://news.google.com/rss/articles/X", "http://example.org/t?goto=newpost&t=5", "",
]  # fmt: skip


def _pick_link(rng: random.Random) -> str:
    return html.escape(rng.choice(_LINKS))


def _field(rng: random.Random, depth: int) -> str:
    text = html.escape(rng.choice(["", " ", "Acme", "<b>Acme</b> &amp; co", "x\n y"]))
    kind = rng.randrange(16)
    if kind == 0:
        return f"<title>{text}</title>"
    if kind == 1:
        return f"<link>{_pick_link(rng)}</link>"
    if kind == 2:
        return f"<description>{text}</description>"
    if kind == 3:
        return f"<content:encoded><![CDATA[<p>{text}</p>]]></content:encoded>"
    if kind == 4:
        permalink = rng.choice(["", ' isPermaLink="false"', ' isPermaLink="TRUE"'])
        return f"<guid{permalink}>{html.escape(rng.choice([*_LINKS, 'id-1', ' id-2 ']))}</guid>"
    if kind == 5:
        return rng.choice(["<pubDate>Wed, 06 Apr 2022 21:07:47 +0000</pubDate>",
                           "<dc:date>2022-04-06T21:07:47Z</dc:date>",
                           "<atom:updated>2022-04-06</atom:updated>"])  # fmt: skip
    if kind == 6:
        return rng.choice(["<author>a@example.org (Ann)</author>", "<dc:creator>Bob</dc:creator>",
                           "<dc:creator> </dc:creator>"])  # fmt: skip
    if kind == 7:
        return f"<comments>{_pick_link(rng)}</comments>"
    if kind == 8:
        rel = rng.choice(["", ' rel="alternate"', ' rel="self"'])
        return f'<atom:link{rel} href="{_pick_link(rng)}"/>'
    if kind == 9:
        url = rng.choice(["https://www.lemonde.fr", "", "ftp://x"])
        return f'<source url="{url}">{rng.choice(["Le Monde", "", " "])}</source>'
    if kind == 10:
        return "<!-- a comment --><?pi x?>"
    if kind == 11:
        return "<category>Banque</category><enclosure url='x'/>"
    if kind == 12 and depth < 2:  # nested: an item, or fields, inside another element
        inner = "".join(_field(rng, depth + 1) for _ in range(rng.randrange(3)))
        return f"<extra><item>{inner}</item>{inner}</extra>"
    if kind == 13 and depth < 2:
        return _item(rng, depth + 1)  # an item inside an item
    if kind == 14:
        return "<rss:title xmlns:rss='http://purl.org/rss/1.0/'>RSS 1.0 title</rss:title>"
    return ""


def _item(rng: random.Random, depth: int = 0) -> str:
    attributes = rng.choice(["", ' xml:base="https://other.example.net/dir/"', ' xml:base=" sub/ "',
                             ' rdf:about="https://example.org/about"'])  # fmt: skip
    fields = "".join(_field(rng, depth) for _ in range(rng.randrange(12)))
    return f"<item{attributes}>{fields}</item>"


def _feed(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randrange(8)):
        parts.append(_item(rng) if rng.random() < 0.7 else _field(rng, 0))
    return f"<rss {_NAMESPACES}><channel>{''.join(parts)}</channel></rss>"


def test_rss_rows_same_as_before_on_generated_feeds() -> None:
    rng = random.Random(21)
    for _ in range(3_000):
        xml = _feed(rng)
        channel = etree.fromstring(xml.encode())[0]
        base = Base(rng.choice(["https://example.org/feed/rss", "", "http://h.example/"]))
        lang = rng.choice([None, "fr"])
        assert _rss_rows(channel, "item", base, lang) == _old_rss_rows(channel, "item", base, lang)


def test_rdf_rows_same_as_before() -> None:
    rng = random.Random(1)
    for _ in range(500):
        xml = _feed(rng).replace("<channel>", "").replace("</channel>", "")
        xml = xml.replace("<rss ", f'<rdf:RDF xmlns="{RSS10[1:-1]}" ').replace(
            "</rss>", "</rdf:RDF>"
        )
        root = etree.fromstring(xml.encode())
        base = Base("https://example.org/rdf")
        assert _rss_rows(root, RSS10 + "item", base, None) == _old_rss_rows(
            root, RSS10 + "item", base, None
        )


# ------------------------------------------------------------ small children
def _children(rng: random.Random) -> str:
    pool = [
        "<name>Ann</name>", "<name/>", "<name> B  ob </name>", "<a:name>ns</a:name>",
        "<atom:name>atom</atom:name>", "<uri>u</uri>", "<!--c-->", "<?pi x?>", "text",
        "<x><name>nested</name></x>",
    ]  # fmt: skip
    inner = "".join(rng.choice(pool) for _ in range(rng.randrange(5)))
    return f'<author xmlns:a="urn:a" xmlns:atom="{ATOM[1:-1]}">{inner}</author>'


def test_small_child_text_same_as_child_text() -> None:
    rng = random.Random(3)
    for _ in range(5_000):
        author = etree.fromstring(_children(rng).encode())
        for tag in ("name", ATOM + "name", "{urn:a}name", "uri", "x"):
            assert _small_child_text(author, tag) == _child_text(author, tag)


def test_small_child_text_examples() -> None:
    author = etree.fromstring(b"<author><uri>u</uri><name>Ann</name></author>")
    assert _small_child_text(author, "name") == "Ann"
    assert _small_child_text(author, "email") is None
