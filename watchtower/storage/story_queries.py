"""The queries of story assignment (:mod:`watchtower.pipeline.dedup`).

Built once, on the tables (Core): building a statement per item, or running
it through the ORM, cost more than the query itself. The caller binds the
``one_of`` lists a few hundred values at a time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)

from watchtower.storage.one_of import one_of
from watchtower.storage.tables import ITEMS, STORIES

__all__ = [
    "FINGERPRINTS",
    "FINGERPRINTS_SINCE",
    "FIRST_STORIES",
    "MAX_ITEM_ID",
    "REPOST",
    "SEEN_AGAIN",
    "SIGHTED",
    "SOURCE_AND_REPOST",
    "STORIES_BY_KEY",
    "STORY_OF_ITEM",
]

_ITEMS = ITEMS.c
_STORIES = STORIES.c


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
# content hash, with its story.
_FIRSTS = union_all(
    _first_by("u", _ITEMS.url_hash, "urls"), _first_by("c", _ITEMS.content_hash, "contents")
).subquery()
FIRST_STORIES = select(_FIRSTS.c.kind, _FIRSTS.c.hash, _ITEMS.id, _ITEMS.story_id).join_from(
    _FIRSTS, ITEMS, _FIRSTS.c.id == _ITEMS.id
)
# The catch-up before each batch, and the rebuild at start.
FINGERPRINTS = (
    select(_ITEMS.id, _ITEMS.fingerprint, _ITEMS.fetched_at, _ITEMS.story_id, _ITEMS.canonical_url)
    .where(_ITEMS.fingerprint.is_not(None), _ITEMS.id > bindparam("after"))
    .order_by(_ITEMS.id)
)
FINGERPRINTS_SINCE = FINGERPRINTS.where(_ITEMS.fetched_at >= bindparam("since"))
MAX_ITEM_ID = select(func.max(_ITEMS.id))
STORY_OF_ITEM = select(_ITEMS.story_id).where(_ITEMS.id == bindparam("item"))
SIGHTED = (
    update(STORIES)
    .where(_STORIES.id == bindparam("story"))
    .values(sightings=_STORIES.sightings + 1, last_seen_at=bindparam("now"))
    .returning(_STORIES.sightings)
)
# Another item of a source the story already counts (an edit, a second post of
# the same forum): seen again, but "seen on N sources" counts sources.
SEEN_AGAIN = (
    update(STORIES)
    .where(_STORIES.id == bindparam("story"))
    .values(last_seen_at=bindparam("now"))
    .returning(_STORIES.sightings)
)
# A re-post: the same source again with this URL key or content (GUIDs that change
# on every fetch), or any source with the very address of an item of the story
# (Google Alerts finding the article a site's own feed gave): nothing new to say.
_SEEN_HERE = or_(
    _ITEMS.url_hash == bindparam("url"),
    and_(_ITEMS.source_id == bindparam("source"), _ITEMS.content_hash == bindparam("content")),
)
REPOST = select(_ITEMS.id).where(_ITEMS.story_id == bindparam("story"), _SEEN_HERE).limit(1)
# Both questions of a first sighting from a source at once: is the source in the
# story already, and is this a re-post?
_IN_STORY = (_ITEMS.story_id == bindparam("story"), _ITEMS.source_id == bindparam("source"))
SOURCE_AND_REPOST = select(
    exists().where(*_IN_STORY),
    exists().where(_ITEMS.story_id == bindparam("story"), _SEEN_HERE),
)
STORIES_BY_KEY = select(_STORIES.id, _STORIES.key).where(one_of(_STORIES.key, "keys"))
