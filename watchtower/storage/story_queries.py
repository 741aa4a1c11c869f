"""The queries of story assignment (:mod:`watchtower.pipeline.dedup`).

Built once, on the tables (Core): building a statement per item, or running
it through the ORM, cost more than the query itself. The caller binds the
``one_of`` lists a few hundred values at a time.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import (
    bindparam,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from watchtower.storage.one_of import one_of
from watchtower.storage.tables import ITEMS, STORIES, STORY_PLACES

__all__ = [
    "CAUGHT_UP",
    "FINGERPRINTS",
    "FINGERPRINTS_SINCE",
    "FIRST_ITEM_OF_STORY",
    "FIRST_STORIES",
    "MAX_ITEM_ID",
    "SEEN_AGAIN",
    "SEEN_AT_ADDRESS",
    "SEEN_IN_STORY",
    "SIGHTED",
    "STORIES_BY_KEY",
    "STORY_OF_ITEM",
    "add_places",
    "site_patterns",
]

_ITEMS = ITEMS.c
_STORIES = STORIES.c
_PLACES = STORY_PLACES.c


def _first_by(kind: str, column: Any, keys: str) -> Any:
    """The first stored item (lowest id) with each of the given hashes, in stories."""
    return (
        select(literal(kind).label("kind"), column.label("hash"), func.min(_ITEMS.id).label("id"))
        .where(
            one_of(column, keys),
            _ITEMS.story_id.is_not(None),
            _ITEMS.fetched_at >= bindparam("since"),
        )
        .group_by(column)
    )


# One statement for the batch: the first item of each URL key and of each
# content hash, with its story, and its address and author (two items of one
# site by two authors are two stories, even with the same text).
_FIRSTS = union_all(
    _first_by("u", _ITEMS.url_hash, "urls"), _first_by("c", _ITEMS.content_hash, "contents")
).subquery()
FIRST_STORIES = select(
    _FIRSTS.c.kind,
    _FIRSTS.c.hash,
    _ITEMS.id,
    _ITEMS.story_id,
    _ITEMS.canonical_url,
    _ITEMS.author,
).join_from(_FIRSTS, ITEMS, _FIRSTS.c.id == _ITEMS.id)
# The near-duplicate index: its rebuild at start, and its catch-up before each batch.
_FINGERPRINT_COLUMNS = (
    _ITEMS.id,
    _ITEMS.fingerprint,
    _ITEMS.fetched_at,
    _ITEMS.story_id,
    _ITEMS.canonical_url,
    _ITEMS.author,
)
FINGERPRINTS = (
    select(*_FINGERPRINT_COLUMNS)
    .where(_ITEMS.fingerprint.is_not(None), _ITEMS.id > bindparam("after"))
    .order_by(_ITEMS.id)
)
FINGERPRINTS_SINCE = FINGERPRINTS.where(_ITEMS.fetched_at >= bindparam("since"))
# A catch-up reads the new fingerprints and the new Google News headlines (a
# ``site`` and a story) in one statement: it runs before every batch, and a
# second statement there cost 1.2% of a first poll's instructions (session 12).
CAUGHT_UP = (
    select(*_FINGERPRINT_COLUMNS, _ITEMS.site, _ITEMS.title)
    .where(
        or_(_ITEMS.fingerprint.is_not(None), _ITEMS.site.is_not(None)),
        _ITEMS.id > bindparam("after"),
    )
    .order_by(_ITEMS.id)
)
MAX_ITEM_ID = select(func.max(_ITEMS.id))
STORY_OF_ITEM = select(_ITEMS.story_id).where(_ITEMS.id == bindparam("item"))
# A new place for the story (:func:`add_places` added it): its counter ("Vu sur
# N sites") is set to the number of its places, an index range of
# ``story_places``, not incremented, so a story counted by an older rule
# (sources) is counted again by sites. Only if the story has a place other than
# the new one (``site``, ``source``; a seek of the primary key): a story seen
# at one place has no row, its first place written lazily (``StoryBatch.
# _first_place``), and no row back here says so, the counter left as it was.
_ELSEWHERE = (
    select(_PLACES.story_id)
    .where(
        _PLACES.story_id == bindparam("story"),
        or_(_PLACES.site != bindparam("site"), _PLACES.source_id != bindparam("source")),
    )
    .exists()
)
SIGHTED = (
    update(STORIES)
    .where(_STORIES.id == bindparam("story"), _ELSEWHERE)
    .values(
        sightings=select(func.count())
        .select_from(STORY_PLACES)
        .where(_PLACES.story_id == bindparam("story"))
        .scalar_subquery(),
        last_seen_at=bindparam("now"),
    )
    .returning(_STORIES.sightings)
)
# Another item on a site the story already counts (an edit, a second post of
# the same forum, a Google Alert of a site's own article): seen again, same count.
SEEN_AGAIN = (
    update(STORIES)
    .where(_STORIES.id == bindparam("story"))
    .values(last_seen_at=bindparam("now"))
    .returning(_STORIES.sightings)
)
# What a later sighting needs to know of the story's stored items: those at the
# same address, and those at the same place (a repost if the text is the same;
# no new place for the counter). ``site0``…``site3`` are the site's URL prefixes
# (``http(s)://`` and ``www.``), to be confirmed on the host: "lemonde.fr" is a
# prefix of "lemonde.fr.example". ``source`` is the source's id when the item
# has no site (its source is then its place), else 0 (no source has it). Copies
# on other sites are not read: a dispatch on 300 sites reads a row or two. An
# item whose link names no site stored it in ``site`` (a Google News link's
# publisher): ``named`` is the site itself.
_ON_SITE = or_(
    *(_ITEMS.canonical_url.like(bindparam(f"site{i}"), escape="!") for i in range(4)),
    _ITEMS.site == bindparam("named"),
)
SEEN_IN_STORY = select(
    _ITEMS.source_id, _ITEMS.url_hash, _ITEMS.content_hash, _ITEMS.canonical_url, _ITEMS.site
).where(
    _ITEMS.story_id == bindparam("story"),
    or_(_ITEMS.url_hash == bindparam("url"), _ITEMS.source_id == bindparam("source"), _ON_SITE),
)

# A sighting at a place new to its story (``story_places`` says so): no stored
# item of the story is there, so only those at its address can make it a
# repost. By ``ix_items_url_hash``, the story compared by the caller: with a
# ``story_id`` condition SQLite would read the story's items through
# ``ix_items_story``, every one of them (what SEEN_IN_STORY costs).
SEEN_AT_ADDRESS = select(
    _ITEMS.story_id,
    _ITEMS.source_id,
    _ITEMS.url_hash,
    _ITEMS.content_hash,
    _ITEMS.canonical_url,
    _ITEMS.site,
).where(_ITEMS.url_hash == bindparam("url"))


def site_patterns(site: str) -> dict[str, str]:
    """The ``site0``…``site3`` and ``named`` parameters of :data:`SEEN_IN_STORY`
    for ``site`` (``site_host``); with no site, values nothing matches."""
    if not site:
        return {**{f"site{i}": "-" for i in range(4)}, "named": "-"}
    escaped = site.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    prefixes = ("http://", "https://", "http://www.", "https://www.")
    patterns = {f"site{i}": f"{prefix}{escaped}%" for i, prefix in enumerate(prefixes)}
    return {**patterns, "named": site}


@functools.cache
def add_places(dialect: str, *, returning: bool = False) -> Any:
    """``INSERT INTO story_places … ON CONFLICT DO NOTHING`` (``story``, ``site``,
    ``source``), built once per dialect; with ``returning``, the row comes back
    only when the place was new to the story. A place another replica added
    first conflicts on the primary key: it is counted once."""
    module = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(STORY_PLACES)
        .values(story_id=bindparam("story"), site=bindparam("site"), source_id=bindparam("source"))
        .on_conflict_do_nothing(index_elements=["story_id", "site", "source_id"])
    )
    return statement.returning(_PLACES.story_id) if returning else statement


# Where a story was first seen, when ``story_places`` does not say yet: a story
# seen at one place only has no row there (its first place is written when a
# second place joins it, ``StoryBatch._first_place``). Its first stored item,
# by ``ix_items_story`` (SQLite's index ends with the rowid, already in order).
FIRST_ITEM_OF_STORY = (
    select(_ITEMS.source_id, _ITEMS.canonical_url, _ITEMS.site)
    .where(_ITEMS.story_id == bindparam("story"))
    .order_by(_ITEMS.id)
    .limit(1)
)

STORIES_BY_KEY = select(_STORIES.id, _STORIES.key).where(one_of(_STORIES.key, "keys"))
