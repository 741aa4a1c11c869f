"""The site an item is on: the host of its canonical URL (without ``www.``), and
who wrote it there.

Two different items of one site are held to a stricter bar
(:data:`~watchtower.pipeline.templates.SAME_SITE_THRESHOLD`): a site publishes
a story once, and what its pages share is its template. Two items of one site
by two different authors (:func:`author_key`) are never one story: two members'
posts on a forum, two reviews, each the words of its author; unless one byline
is the other with contributors added (:func:`one_byline`: "Le Monde", then
"Le Monde avec AFP"), a news site republishing its article. A story's counter
("Vu sur N sites") counts the distinct sites of its items
(:mod:`watchtower.pipeline.dedup`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
import zlib

from watchtower.pipeline.canonical import canonical_url

__all__ = [
    "NO_SITE_HOSTS",
    "author_key",
    "item_site",
    "one_byline",
    "other_authors",
    "place",
    "publisher_site",
    "site_host",
    "site_key",
]

#: Hosts whose links are not the article's own (the target is not in the link,
#: see ``canonical.py``): their items are of no known site.
NO_SITE_HOSTS = frozenset({"news.google.com", "feedproxy.google.com", "t.co"})


_HOST = re.compile(r"[a-z][a-z0-9+.-]*://([^/?#]*)", re.IGNORECASE)


def site_key(url: str) -> int:
    """A 32-bit key of the site an item's canonical URL is on (its host, without
    ``www.``); 0 when there is none, or when the host only redirects.
    """
    return _host_key(_host(url))


def site_host(url: str) -> str:
    """The site an item's canonical URL is on: its host (and port), lower-case,
    without ``www.``; ``""`` when there is none, or when the host only redirects."""
    return _site(_host(url))


#: Redirectors whose feeds name the article's publisher beside the link: Google
#: News RSS gives ``<source url="https://www.lemonde.fr">Le Monde</source>``
#: (``Item.extra["publisher_url"]``, ``adapters/_feed.py``).
PUBLISHER_NAMED_HOSTS = frozenset({"news.google.com"})


def publisher_site(url: str, publisher_url: str | None) -> str:
    """The site an item is on (:func:`site_host` of its canonical ``url``); for a
    link through ``news.google.com``, whose target is not in the link, the site
    of its publisher's address (``Item.extra["publisher_url"]``, canonicalised
    here); ``""`` when neither tells.
    """
    site = site_host(url)
    if site or not publisher_url or _host(url).removeprefix("www.") not in PUBLISHER_NAMED_HOSTS:
        return site
    return site_host(canonical_url(publisher_url))


def item_site(url: str, site: str | None) -> str:
    """The site an item is on: ``site`` when its link names none and it was told
    another way (a Google News link's publisher, :func:`publisher_site`, stored
    in ``items.site``), else the host of its canonical ``url`` (:func:`site_host`)."""
    return site or site_host(url)


def place(site: str, source_id: int) -> tuple[str, int]:
    """Where an item was seen, as a story's counter counts it: its site
    (:func:`site_host`), or, with none (no URL, a redirector's link), the source
    that gave it."""
    return (site, 0) if site else ("", source_id)


def _host(url: str) -> str:
    """The host (and port) of a canonical URL: lower-case, no user info (``canonical_url``)."""
    found = _HOST.match(url)
    return found.group(1).lower() if found else ""


@functools.lru_cache(maxsize=4096)
def _site(host: str) -> str:
    host = host.removeprefix("www.")
    return "" if host in NO_SITE_HOSTS else host


@functools.lru_cache(maxsize=4096)
def _host_key(host: str) -> int:
    site = _site(host)
    if not site:
        return 0
    return zlib.crc32(site.encode("utf-8", "surrogatepass")) or 1


def author_key(author: str | None) -> int:
    """A 32-bit key of who wrote an item (its ``author``); 0 when unknown.

    Case, accents, spacing and punctuation do not count, nor a leading ``@``
    (Discourse's RSS writes ``@name`` where its JSON says ``name``), so one
    person spelled two ways by two feeds of one site is one author.
    """
    return _author_key(author or "")


def other_authors(site: int, author: int, other_site: int, other_author: int) -> bool:
    """Two items of one site (``site_key``) by two known, different authors: two
    people's own words, never one story, unless their bylines are one
    (:func:`one_byline`, which needs the names: callers check it on what this
    lets through). Across sites, bylines say nothing (a syndicated dispatch is
    signed differently by each site)."""
    return bool(site and author and other_author) and site == other_site and author != other_author


# What joins the contributors of a byline: "Le Monde avec AFP", "Marie Dupont,
# Le Monde", "Le Monde (AFP)", "AFP et Reuters", "Le Monde - Marie Dupont". Words
# only between spaces, so "marie_dupont" or "jean-pierre" stay one name.
_JOINERS = re.compile(r"[,;&/|()\[\]]|\s(?:avec|et|and|with|[-–—])\s", re.IGNORECASE)
_BY = re.compile(r"^\s*(?:par|by)\s+", re.IGNORECASE)


def one_byline(author: str | None, other: str | None) -> bool:
    """Two bylines of one article: every contributor of one is among the other's.

    A news site republishing its article signs it again with the agency or a
    reporter added ("Le Monde", then "Le Monde avec AFP" or "Marie Dupont, Le
    Monde"): one byline, where :func:`author_key` sees two authors. Contributors
    are compared as :func:`author_key` compares authors, and are what the
    byline's joiners (``,`` ``;`` ``&`` ``/`` parentheses, "avec", "et", "and",
    "with", a spaced dash) separate, after a leading "Par"/"By". A member name
    is one contributor: "marie" and "marie_dupont", "Jean" and "Jean Dupont"
    are two people.
    """
    mine, theirs = _contributors(author or ""), _contributors(other or "")
    return bool(mine and theirs) and (mine <= theirs or theirs <= mine)


@functools.lru_cache(maxsize=4096)
def _contributors(byline: str) -> frozenset[int]:
    parts = _JOINERS.split(_BY.sub("", byline))
    return frozenset(key for key in map(_author_key, parts) if key)


@functools.lru_cache(maxsize=65536)
def _author_key(author: str) -> int:
    folded = unicodedata.normalize("NFKD", author.strip().removeprefix("@")).casefold()
    kept = "".join(c for c in folded if c.isalnum())
    if not kept:
        return 0
    return zlib.crc32(kept.encode("utf-8", "surrogatepass")) or 1
