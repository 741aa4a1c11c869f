"""Which topics a staff account reads that the public does not: restricted categories.

A forum read with an API key sees what that account sees. Community managers
often use their own moderator or administrator key, and ``/latest.json`` then
lists the topics of the categories only staff or a group may read (a
moderators' thread about banning a member, HR matters). Announced in a channel
a wider team reads, that is a leak. So when a source reads with an API key and
``include_restricted`` is not set, the topics of restricted categories are no
items.

Discourse says which categories are restricted in ``/site.json``: its
``categories`` list (``SiteCategorySerializer`` < ``BasicCategorySerializer``)
holds every category the account sees, subcategories included, each with
``id``, ``read_restricted`` (not readable by everyone) and
``parent_category_id``. A topic of ``/latest.json`` names its ``category_id``.
A category is restricted when it, or a category above it, is
``read_restricted``.

The list is read when a poll has topics to decide about and the last reading is
:data:`REFRESH_EVERY` old, or when a topic names a category not in it (created
since): then once, before deciding. It is kept in the source's cursor. A topic
whose category is still unknown (the list could not be read, or does not name
it: a forum loading its categories lazily) is skipped with a warning, never
announced: not knowing is not public. Warnings name topic and category ids
only, never a title: what is skipped is what must not be shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from watchtower.adapters._dates import parse_date
from watchtower.adapters._discourse_posts import Topic
from watchtower.errors import SourceError
from watchtower.logs import kv

__all__ = ["MAX_CATEGORIES", "REFRESH_EVERY", "Categories", "restricted_ids"]

log = logging.getLogger(__name__)

REFRESH_EVERY = timedelta(hours=1)
MAX_CATEGORIES = 5000  # cursor size bound; a forum has tens, a very large one hundreds
_SHOWN_IDS = 10  # topic ids named in one warning

#: ``get(path, what)``: the JSON object at ``path`` below the forum's base URL.
Getter = Callable[[str, str], dict[str, Any]]


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


@dataclass
class Categories:
    """The forum's categories as last read, kept in the source's cursor."""

    now: datetime
    restricted: dict[int, bool] = field(default_factory=dict)
    read_at: str = ""  # ISO time of the last successful reading
    refreshed: bool = False  # read during this poll: not again

    @classmethod
    def restored(cls, raw: object, now: datetime) -> Categories:
        """The categories saved by :meth:`saved` (none for anything else)."""
        saved = raw if isinstance(raw, dict) else {}
        flags: dict[int, bool] = {}
        for key, value in (("restricted", True), ("public", False)):
            ids = saved.get(key)
            if isinstance(ids, list):
                flags.update({i: value for i in ids if isinstance(i, int)})
        return cls(now, flags, str(saved.get("read_at") or "") if flags else "")

    def saved(self) -> dict[str, Any]:
        return {
            "read_at": self.read_at,
            "restricted": sorted(i for i, r in self.restricted.items() if r),
            "public": sorted(i for i, r in self.restricted.items() if not r),
        }

    def stale(self) -> bool:
        """Whether the list is older than :data:`REFRESH_EVERY` (or was never read)."""
        read_at = parse_date(self.read_at)
        return read_at is None or self.now - read_at >= REFRESH_EVERY

    def _refresh(self, get: Getter, warnings: list[str]) -> None:
        """Read ``/site.json`` once this poll; on failure keep the old list (and
        try again at the next poll)."""
        if self.refreshed:
            return
        self.refreshed = True
        try:
            payload = get("/site.json", "/site.json")
        except SourceError as exc:
            # Said once, by the poll's "source warning" log line and in `status`.
            warnings.append(
                f"the forum's categories could not be read ({exc.message}); "
                "topics of categories not known yet are skipped until they can be"
            )
            return
        found = restricted_ids(payload)
        if not found:
            warnings.append("the forum's /site.json lists no category; its topics are skipped")
            return
        self.restricted = found
        self.read_at = self.now.isoformat()
        log.info(
            "forum categories read",
            extra=kv(categories=len(found), restricted=sum(found.values())),
        )

    def hidden(self, topics: list[Topic], get: Getter, warnings: list[str]) -> set[int]:
        """The ids of the topics of ``topics`` not known to be in a public category.

        A topic listed twice is judged by its first entry (the freshest: the
        listing before the cursor). Reads the category list first when it is
        stale or a topic names a category it does not hold (at most once a
        poll). Topics of restricted categories are left out silently (that is
        the setting); topics of a category still unknown with a warning.
        """
        first: dict[int, Topic] = {}
        for topic in topics:
            first.setdefault(topic.id, topic)
        if not first:
            return set()
        if self.stale() or any(t.category_id not in self.restricted for t in first.values()):
            self._refresh(get, warnings)
        restricted: set[int] = set()
        unknown: list[int] = []
        for topic in first.values():
            flag = None if topic.category_id is None else self.restricted.get(topic.category_id)
            if flag is None:
                unknown.append(topic.id)
            elif flag:
                restricted.add(topic.id)
        if restricted:
            log.debug("restricted topics skipped", extra=kv(topics=len(restricted)))
        if unknown:
            ids = ", ".join(map(str, unknown[:_SHOWN_IDS]))
            more = f" and {len(unknown) - _SHOWN_IDS} more" if len(unknown) > _SHOWN_IDS else ""
            warnings.append(
                f"{len(unknown)} topic(s) of a category not known to be public were skipped "
                f"(topics {ids}{more}); they are read when listed again in a category "
                "known to be public"
            )
        return restricted | set(unknown)
