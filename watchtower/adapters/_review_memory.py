"""The guids of undated reviews, remembered across polls so that an edit stays an edit.

A review without an author or a date has a guid made from its text
(:meth:`~watchtower.adapters._review_ids.ReviewIds.guid`): when its author
rewrites it, the guid changes, and the pipeline, which knows an item by its
guid, would take it for a new review (a second alert, the first one left as
it was). The source's cursor keeps, for each such review, the guid it was
first given, under a key its words do not make (its *anchor*: what it
reviews, its author or date, see ``ReviewIds.anchor``), and the guid its
current text makes:

* a review whose anchor is remembered gets the remembered guid, whatever its
  text and stars now are: the pipeline sees an edit ("Modifié"), stars
  included;
* a review without an anchor (its author wrote a second undated review of the
  same thing) whose current text is the one remembered for a review keeps that
  review's guid;
* anything else keeps the guid its text makes, as before this memory existed:
  after an upgrade, the reviews already stored are found under the same guids
  and nothing is announced again.

The memory is bounded (:data:`REMEMBERED`, the most recently seen first).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from watchtower.models import Item

__all__ = ["CURSOR_KEY", "REMEMBERED", "remember"]

#: The cursor key holding the memory: ``{anchor digest: [guid, guid of current text]}``.
CURSOR_KEY = "undated_reviews"
#: Undated reviews remembered per source; a page lists a few dozen at most.
REMEMBERED = 500


def _digest(anchor: str) -> str:
    return hashlib.sha1(anchor.encode()).hexdigest()[:20]


def remember(
    items: Sequence[Item], anchors: Sequence[str | None], cursor: dict[str, Any]
) -> tuple[list[Item], dict[str, list[str]]]:
    """``(items, memory)``: ``items`` with the remembered guids of undated
    reviews, and the memory to store under :data:`CURSOR_KEY`.

    ``anchors[i]`` is the anchor of ``items[i]`` (``None``: none). Two reviews
    of one page never get one guid: the second keeps the guid of its text.
    """
    memory = _loaded(cursor.get(CURSOR_KEY))
    by_text = {current: first for first, current in memory.values()}
    claimed: dict[str, str] = {}  # guid given → the guid of the text it was given to
    seen: dict[str, list[str]] = {}
    out: list[Item] = []
    for item, anchor in zip(items, anchors, strict=True):
        own = item.guid  # the guid its current text makes
        key = _digest(anchor) if anchor else None
        remembered = memory.get(key) if key is not None else None
        guid = remembered[0] if remembered else by_text.get(own, own)
        if claimed.setdefault(guid, own) != own:
            guid = own  # another review of the page has it already
        if key is not None:
            seen[key] = [guid, own]
        elif guid != own:
            # An anchored review that lost its anchor: follow its text.
            for first_current in memory.values():
                if first_current[0] == guid:
                    first_current[1] = own
        out.append(item if guid == own else item.model_copy(update={"guid": guid}))
    kept = {**seen, **{k: v for k, v in memory.items() if k not in seen}}
    return out, dict(list(kept.items())[:REMEMBERED])


def _loaded(raw: object) -> dict[str, list[str]]:
    """The stored memory; entries that are not ``[guid, guid]`` are dropped."""
    if not isinstance(raw, dict):
        return {}
    return {
        str(key): [str(value[0]), str(value[1])]
        for key, value in raw.items()
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)
    }
