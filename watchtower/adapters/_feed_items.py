"""Feed entries as rows of raw fields, and rows to :class:`Item` values.

The feed readers of :mod:`watchtower.adapters._feed` fill one :class:`Row` per
entry; :func:`items` converts the HTML of the whole feed in one batched pass and
assembles each :class:`Item` without validating it again (:func:`item`): the
limits below are the model's own, and ``tests/unit/adapters/test_fast_items.py``
checks both.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from watchtower.adapters._boilerplate import (
    TRAILER_TAIL,
    drop_foreign,
    may_hold_foreign,
    strip_trailers,
)
from watchtower.adapters._dates import parse_date
from watchtower.adapters._text import html_to_text_many
from watchtower.models import Item

__all__ = [
    "MAX_TEXT",
    "MAX_TITLE",
    "Base",
    "Row",
    "decode_leftover_entities",
    "distinct_guids",
    "item",
    "items",
    "rss_author",
]

MAX_TITLE = 10_000
MAX_TEXT = 1_000_000


class Base:
    """Resolves links against one base URL; the common shapes skip ``urljoin``.

    ``urljoin`` costs more than parsing the whole entry, and nearly every link
    is absolute, root-relative or a bare file name, so those are joined by hand
    and anything else (``../``, ``?q``, ``#f``, schemes) goes through ``urljoin``.
    """

    __slots__ = ("base", "directory", "origin", "scheme")

    def __init__(self, base: str) -> None:
        self.base = base
        parts = urlsplit(base)
        self.scheme = parts.scheme
        self.origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
        path = parts.path or "/"
        self.directory = self.origin + path[: path.rfind("/") + 1]

    def resolve(self, link: str) -> str:
        if not link or link.startswith(("http://", "https://")) or not self.origin:
            return link
        if link.startswith("//"):
            return f"{self.scheme}:{link}"
        if link[0] == "/":
            return self.origin + link
        head = link.split("/", 1)[0]
        if link[0] in ".?#" or ":" in head:
            return urljoin(self.base, link)
        return self.directory + link


@dataclass(slots=True)
class Row:
    """One entry's raw fields; markup is converted for the whole feed at once."""

    guid: str
    link: str
    title: str  # markup when title_html, else plain text
    body: str  # markup when body_html, else plain text
    when: str
    author: str  # markup when author_html, else plain text
    lang: str | None
    extra: dict[str, str] | None = None
    title_html: bool = True
    body_html: bool = True
    author_html: bool = False
    author_fallback: str | None = None  # RSS <author>, used when <dc:creator> is empty


# Item's field limits, enforced here (see _item); tests/unit/adapters/test_fast_items.py
# checks them against the model's own constraints.
_MAX_GUID = 2048
_MAX_URL = 8192
_MAX_AUTHOR = 500
# A feed entry's link is its own address: ``shared_url`` is set, to False.
_FIELDS_SET = frozenset(
    ("guid", "url", "shared_url", "title", "text", "published", "author", "lang", "extra")
)
_new = Item.__new__
_set = object.__setattr__


def item(
    guid: str,
    url: str,
    title: str,
    text: str,
    published: datetime | None,
    author: str | None,
    lang: str | None,
    extra: dict[str, str],
) -> Item:
    """An :class:`Item` from values that already satisfy every constraint of the model.

    ``Item(...)`` would validate again what the parser has just guaranteed: plain
    ``str`` values cut to the model's maximum lengths, a non-empty guid, an aware
    datetime or ``None`` (``parse_date`` never returns a naive one), a
    ``dict[str, str]``. Re-checking costs about a third of the time spent per
    entry after parsing, so the instance is assembled as pydantic's
    ``model_construct`` does (same ``__dict__``, fields set, extra and private
    slots) without its generic overhead. ``test_fast_items.py`` proves the result
    equals ``Item.model_validate`` of the same values for every corpus entry, for
    fuzzed feeds and at each limit.
    """
    new = _new(Item)
    _set(
        new,
        "__dict__",
        {
            "guid": guid,
            "url": url,
            "shared_url": False,
            "title": title,
            "text": text,
            "published": published,
            "author": author,
            "rating": None,
            "lang": lang,
            "extra": extra,
        },
    )
    _set(new, "__pydantic_fields_set__", set(_FIELDS_SET))
    _set(new, "__pydantic_extra__", None)
    _set(new, "__pydantic_private__", None)
    return new


def items(rows: list[Row]) -> list[Item]:
    """Turn rows into items, converting all their HTML in one batched pass."""
    n = len(rows)
    fragments: list[str | None] = [r.title if r.title_html else None for r in rows]
    fragments += _bodies(rows)
    fragments += [r.author if r.author_html else None for r in rows]
    fragments += [r.author_fallback for r in rows]
    texts = html_to_text_many(fragments)
    out = []
    for i, row in enumerate(rows):
        title = texts[i] if row.title_html else row.title
        text = texts[n + i] if row.body_html else row.body
        author = texts[2 * n + i] if row.author_html else row.author
        if not author and row.author_fallback:
            author = rss_author(texts[3 * n + i])
        if "&" in title and ";" in title:
            title = decode_leftover_entities(title)
        if "&" in author and ";" in author:
            author = decode_leftover_entities(author)
        published = parse_date(row.when)
        guid = row.guid
        if not guid:
            if not (title or text):
                continue  # an empty entry: nothing to match, nothing to link to
            guid = _stable_guid(title, text, published)
        out.append(
            item(
                guid[:_MAX_GUID],
                row.link[:_MAX_URL],
                title[:MAX_TITLE],
                text[:MAX_TEXT],
                published,
                author[:_MAX_AUTHOR] or None,
                row.lang,
                row.extra or {},
            )
        )
    return out


def _bodies(rows: list[Row]) -> list[str | None]:
    """Each row's HTML body (``None`` for plain text), without the forum or blog
    boilerplate that ends it, nor quotes of other posts, signatures and link
    previews (:mod:`~watchtower.adapters._boilerplate`).

    Boilerplate ends with a tag (and the whitespace of a template), its last
    characters holding ``</a>`` or ``<hr``: the test, inlined because it runs
    for every entry, looks at the last character first. Quotes and the like
    are looked for only where :func:`may_hold_foreign` finds a hint of them.
    """
    out: list[str | None] = []
    for r in rows:
        body = r.body if r.body_html else None
        if body:
            if body[-1] == ">" or body[-1].isspace():
                tail = body[-TRAILER_TAIL:]
                if "</a>" in tail or "<hr" in tail:
                    body = strip_trailers(body, r.link)
            # Inlined first step of may_hold_foreign: most bodies have neither.
            if ("class" in body or "<cite" in body) and may_hold_foreign(body):
                body = drop_foreign(body)
        out.append(body)
    return out


def _stable_guid(title: str, text: str, published: datetime | None) -> str:
    """The identity of an entry with neither guid nor link: a hash of what an edit keeps.

    A corrected text must stay the same item (an edit notice, not a second alert),
    so the text counts only when there is no title to go on; the date tells apart
    entries that share a title ("Update", "Communiqué").
    """
    when = published.isoformat() if published is not None else ""
    return "sha1:" + hashlib.sha1(f"{title or text}\n{when}".encode()).hexdigest()


def distinct_guids(entries: list[Item]) -> tuple[list[Item], str | None]:
    """Tell apart the different entries of one feed that share a guid.

    The pipeline knows an item by its guid, so when a CMS gives every entry the
    same one (``<guid>1</guid>``) all but the first would be dropped. Each entry of
    such a group gets a guid of its own: ``guid#link``, or ``guid#sha1:...`` of its
    title and text when the links repeat too. All of them are renamed, not only
    the later ones: feeds list the newest entry first, so a first entry keeping
    the bare guid would make every new article look like an edit of the last one.
    An entry listed twice word for word is kept once. Returns the entries and a
    warning naming the shared guids (``None`` when there were only exact copies).

    Called only when the feed's guids are not all distinct, so it may be slow.
    """
    groups: dict[str, list[int]] = {}
    for at, entry in enumerate(entries):
        groups.setdefault(entry.guid, []).append(at)
    out: list[Item | None] = list(entries)
    shared: list[str] = []
    for guid, members in groups.items():
        if len(members) == 1:
            continue
        unique: dict[tuple[str, str, str], int] = {}
        for at in members:
            entry = entries[at]
            key = (entry.url, entry.title, entry.text)
            if key in unique:
                out[at] = None  # the same entry listed again
            else:
                unique[key] = at
        if len(unique) == 1:
            continue
        shared.append(f"{guid[:80]!r} ({len(unique)} entries)")
        links = Counter(url for url, _, _ in unique)
        for (url, title, text), at in unique.items():
            if url and links[url] == 1:
                suffix = url
            else:
                suffix = "sha1:" + hashlib.sha1(f"{title}\n{text}".encode()).hexdigest()
            entry = entries[at]
            out[at] = item(
                f"{guid}#{suffix}"[:_MAX_GUID],
                entry.url,
                entry.title,
                entry.text,
                entry.published,
                entry.author,
                entry.lang,
                entry.extra,
            )
    warning = None
    if shared:
        warning = (
            "the feed gives the same guid to different entries: "
            + ", ".join(shared[:3])
            + (f" and {len(shared) - 3} more" if len(shared) > 3 else "")
            + "; each was told apart by its link (or its title and text)"
        )
    return [entry for entry in out if entry is not None], warning


def rss_author(value: str) -> str:
    """RSS ``<author>`` is an e-mail address, often ``addr (Name)``: keep the name."""
    if value.endswith(")") and "(" in value:
        return value[value.index("(") + 1 : -1].strip() or value
    return value


# A character reference left in a title or name once its markup was read: named
# (letters and digits, as &eacute; &frac12;), decimal or hexadecimal, with its ";".
_LEFTOVER_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


def decode_leftover_entities(text: str) -> str:
    """``text`` with the character references still in it decoded (once more).

    Titles and author names escaped twice show their entities after one decoding:
    phpBB stores user names HTML-escaped and its Atom feed writes them as they
    are (``<name><![CDATA[O&#039;Brien]]></name>``, Atom names being plain text);
    feeds escape a title again inside a plain-text ``<title>`` (``Acm&amp;eacute;``).
    "Acm&eacute;" would match no brand and read badly in Slack. Only complete
    references (with their ``;``) are decoded, so "AT&T" and "R&D" stay as they are;
    unknown names stay too. A title meant to show a literal "&amp;" would need
    three escapings in the feed, and is rarer than the twice-escaped ones.
    """
    decoded = _LEFTOVER_ENTITY.sub(_decode_entity, text)
    return text if decoded == text else " ".join(decoded.split())


def _decode_entity(found: re.Match[str]) -> str:
    return html.unescape(found.group())
