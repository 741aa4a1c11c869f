"""``{category id: restricted}`` as a Discourse forum's answers say it: the
category list of ``/site.json`` (:func:`restricted_ids`) and the categories a
``/latest.json`` listing sends along (:func:`listing_flags`). What they are for,
and how each answer says it: :mod:`._discourse_categories`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MAX_CATEGORIES", "listing_flags", "restricted_ids"]

MAX_CATEGORIES = 5000  # cursor size bound; a forum has tens, a very large one hundreds


def restricted_ids(payload: dict[str, Any]) -> dict[int, bool]:
    """``{category id: restricted}`` from a ``/site.json`` answer.

    A category is restricted when it or an ancestor is ``read_restricted``; a
    parent missing from the list (not visible, so not public) counts as
    restricted too. Malformed rows are left out (their topics stay unknown).
    """
    rows = payload.get("categories")
    own: dict[int, tuple[bool, int | None]] = {}
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("id"), int):
            continue
        parent = row.get("parent_category_id")
        flag = row.get("read_restricted")
        # Anything but an explicit false is restricted: fail safe on a format change.
        own[row["id"]] = (flag is not False, parent if isinstance(parent, int) else None)
    out: dict[int, bool] = {}
    for category in own:
        restricted, seen = False, set()
        current: int | None = category
        while current is not None and not restricted:
            if current in seen or current not in own:  # a loop, or a parent we cannot see
                restricted = True
                break
            seen.add(current)
            restricted, current = own[current]
        out[category] = restricted
    return dict(list(out.items())[:MAX_CATEGORIES])


def listing_flags(payload: dict[str, Any], known: dict[int, bool]) -> dict[int, bool]:
    """``{category id: restricted}`` from a ``/latest.json`` answer's
    ``topic_list.categories`` (none when it has none).

    A row counts when it says ``read_restricted`` as a boolean; a category is
    restricted when it or a parent is. A parent neither in the rows nor in
    ``known`` leaves a category not restricted by itself undecided (left out);
    a loop is restricted (fail safe).
    """
    rows = (payload.get("topic_list") or {}).get("categories")
    own: dict[int, tuple[bool, int | None]] = {}
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("id"), int):
            continue
        flag, parent = row.get("read_restricted"), row.get("parent_category_id")
        if isinstance(flag, bool):
            own[row["id"]] = (flag, parent if isinstance(parent, int) else None)
    out: dict[int, bool] = {}
    for category in own:
        seen: set[int] = set()
        current: int | None = category
        decided: bool | None = False
        while current is not None:
            if current in seen:
                decided = True
                break
            seen.add(current)
            if current not in own:
                decided = known.get(current)
                break
            restricted, current = own[current]
            if restricted:
                decided = True
                break
        if decided is not None:
            out[category] = decided
    return dict(list(out.items())[:MAX_CATEGORIES])
