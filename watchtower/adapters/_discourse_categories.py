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
since): then once, before deciding. It is kept in the source's cursor.

A forum may leave categories out of ``/site.json`` (Discourse's
``lazy_load_categories_groups``, on large forums: only the account's sidebar
categories are listed, the others are loaded when shown). A category still
unknown after that reading is looked up by itself, ``/c/{id}/show.json``
(``CategoriesController#show``: ``{"category": {...}}`` with ``read_restricted``
and ``parent_category_id``, the parents looked up too), at most
:data:`LOOKUPS` requests a poll; the answer is kept like the list's and asked
again after :data:`REFRESH_EVERY`, when a topic needs it (kept meanwhile when
it cannot be asked). A category the forum will not show (403, 404, an answer
about another category) is not public: its topics are skipped, saying why, and
it is asked again an hour later. A category that cannot be decided *for now*
(the lookups of this poll spent, the forum asking us to slow down, a server
error) leaves its topics *undecided*: they wait in the backlog and are decided
at the next poll, so their posts are neither shown unchecked nor lost.

Such a forum also tells the account, in ``/latest.json`` itself, the categories
of the topics listed and their parents (``topic_list.categories``, sent exactly
when the account's categories are loaded lazily: ``TopicListSerializer#include_categories?``
is ``can_lazy_load_categories?``; rows of ``CategoryBadgeSerializer`` with
``read_restricted`` and ``parent_category_id``). They are taken as they come
(:meth:`Categories.learn`), like a lookup made now: no ``/c/{id}/show.json``
request for them, and a category made staff-only is noticed at the next listing.
Only rows saying ``read_restricted`` as a boolean count (an older Discourse's
rows do not say it), and a category whose grandparent the listing leaves out
(only one level of parents is sent) is decided by what is known of it, else
looked up as before.

A topic whose category is still unknown (the list could not be read and the
lookup failed, a cursor entry saved without category) is skipped with a
warning, never announced: not knowing is not public. Warnings name topic and
category ids only, never a title: what is skipped is what must not be shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from watchtower.adapters._dates import parse_date
from watchtower.adapters._discourse_category_flags import (
    MAX_CATEGORIES,
    listing_flags,
    restricted_ids,
)
from watchtower.adapters._discourse_posts import Topic
from watchtower.errors import PermanentError, SourceError
from watchtower.logs import kv

__all__ = ["LOOKUPS", "REFRESH_EVERY", "Categories", "Screening"]

log = logging.getLogger(__name__)

REFRESH_EVERY = timedelta(hours=1)
_SHOWN_IDS = 10  # topic ids named in one warning
#: ``/c/{id}/show.json`` requests a poll spends on categories ``/site.json`` leaves out.
LOOKUPS = 5

#: ``get(path, what)``: the JSON object at ``path`` below the forum's base URL.
Getter = Callable[[str, str], dict[str, Any]]


def _stamps(raw: object) -> dict[int, str]:
    """``{category id: ISO time}`` from a cursor's ``{"12": "2026-…"}``."""
    out: dict[int, str] = {}
    for key, value in raw.items() if isinstance(raw, dict) else []:
        if isinstance(key, str) and key.isdigit() and isinstance(value, str):
            out[int(key)] = value
    return dict(list(out.items())[:MAX_CATEGORIES])


@dataclass(frozen=True)
class Screening:
    """What :meth:`Categories.screen` decided of a poll's topics."""

    #: Not to be read: restricted, or of a category not known to be public.
    hidden: set[int]
    #: Not decided for now (see the module docstring): to read later, not now.
    undecided: set[int]


@dataclass
class Categories:
    """The forum's categories as last read, kept in the source's cursor."""

    now: datetime
    restricted: dict[int, bool] = field(default_factory=dict)
    read_at: str = ""  # ISO time of the last successful reading
    refreshed: bool = False  # read during this poll: not again
    #: Categories known by their own lookup or the listing's ``categories``
    #: (``/site.json`` leaves them out): when.
    looked_up: dict[int, str] = field(default_factory=dict)
    #: Categories the forum would not show when looked up: when (asked again an hour later).
    unreadable: dict[int, str] = field(default_factory=dict)
    lookups: int = 0  # lookups made during this poll
    halted: bool = False  # a lookup failed for now: no more this poll

    @classmethod
    def restored(cls, raw: object, now: datetime) -> Categories:
        """The categories saved by :meth:`saved` (none for anything else)."""
        saved = raw if isinstance(raw, dict) else {}
        flags: dict[int, bool] = {}
        for key, value in (("restricted", True), ("public", False)):
            ids = saved.get(key)
            if isinstance(ids, list):
                flags.update({i: value for i in ids if isinstance(i, int)})
        looked_up = {i: t for i, t in _stamps(saved.get("looked_up")).items() if i in flags}
        out = cls(now, flags, str(saved.get("read_at") or "") if flags else "")
        out.looked_up = looked_up
        out.unreadable = {
            i: t for i, t in _stamps(saved.get("unreadable")).items() if not out._old(t)
        }
        return out

    def saved(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "read_at": self.read_at,
            "restricted": sorted(i for i, r in self.restricted.items() if r),
            "public": sorted(i for i, r in self.restricted.items() if not r),
        }
        if self.looked_up:
            out["looked_up"] = {str(i): t for i, t in sorted(self.looked_up.items())}
        if self.unreadable:
            out["unreadable"] = {str(i): t for i, t in sorted(self.unreadable.items())}
        return out

    def _old(self, when: str) -> bool:
        """Whether a reading made at ``when`` is :data:`REFRESH_EVERY` old (or unreadable)."""
        read_at = parse_date(when)
        return read_at is None or self.now - read_at >= REFRESH_EVERY

    def stale(self) -> bool:
        """Whether the list is older than :data:`REFRESH_EVERY` (or was never read)."""
        return self._old(self.read_at)

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
                "the categories not known yet are looked up by themselves"
            )
            return
        found = restricted_ids(payload)
        if not found and not isinstance(payload.get("categories"), list):
            warnings.append("the forum's /site.json lists no category; its topics are skipped")
            return
        # What the list leaves out (loaded lazily) stays known by its own lookup.
        self.looked_up = {i: t for i, t in self.looked_up.items() if i not in found}
        kept = {i: self.restricted[i] for i in self.looked_up if i in self.restricted}
        self.restricted = dict(list({**found, **kept}.items())[:MAX_CATEGORIES])
        self.read_at = self.now.isoformat()
        log.info(
            "forum categories read",
            extra=kv(categories=len(found), restricted=sum(found.values())),
        )

    def learn(self, payload: dict[str, Any]) -> None:
        """Take what a ``/latest.json`` answer says of its topics' categories
        (see the module docstring): fresher than the list or a lookup."""
        for category, flag in listing_flags(payload, self.restricted).items():
            if len(self.restricted) >= MAX_CATEGORIES and category not in self.restricted:
                continue
            if category not in self.restricted or category in self.looked_up:
                # Not in /site.json: kept as a lookup is (the list does not drop it).
                self.looked_up[category] = self.now.isoformat()
            self.restricted[category] = flag
            self.unreadable.pop(category, None)

    def _fetch(self, category: int, get: Getter, warnings: list[str]) -> dict[str, Any] | None:
        """``/c/{id}/show.json``'s category; ``None`` when the forum will not show
        it (noted in :attr:`unreadable`) or cannot now (:attr:`halted`)."""
        self.lookups += 1
        try:
            payload = get(f"/c/{category}/show.json", f"category {category}")
        except PermanentError as exc:
            reason = exc.message
        except SourceError as exc:
            self.halted = True
            warnings.append(
                f"category {category} could not be looked up ({exc.message}); the topics "
                "of categories not known yet wait for the next check"
            )
            return None
        else:
            row = payload.get("category")
            if isinstance(row, dict) and row.get("id") == category:
                self.unreadable.pop(category, None)
                return row
            reason = "the answer is not about this category"
        self.unreadable[category] = self.now.isoformat()
        warnings.append(
            f"category {category} could not be looked up ({reason}); "
            "its topics are skipped as not known to be public"
        )
        return None

    def _look_up(self, category: int, get: Getter, warnings: list[str]) -> None:
        """Learn whether ``category`` is restricted from its lookup and its parents'
        (those not known), within this poll's :data:`LOOKUPS`. Left unknown when
        it cannot be told now; a parent the forum will not show makes it restricted."""
        chain: list[tuple[int, bool]] = []  # looked up, child first: (id, own flag)
        current: int | None = category
        above = False  # restricted by a parent already known
        while current is not None:
            known = self.restricted.get(current)
            # A category known by its own lookup an hour ago is asked again (its
            # permissions may have changed), the one to decide in any case.
            again = current in self.looked_up and (
                current == category or self._old(self.looked_up[current])
            )
            if known is not None and not again:
                above = known
                break
            if any(current == c for c, _ in chain):
                above = True  # a parent loop: fail safe
                break
            if self.halted or self.lookups >= LOOKUPS:
                return
            if current != category and current in self.unreadable:
                above = True  # a parent the account cannot see is not public
                break
            row = self._fetch(current, get, warnings)
            if row is None:
                if self.halted:
                    return  # what was known stays known until it can be asked
                if current == category:  # not shown any more: no longer known public
                    self.restricted.pop(category, None)
                    self.looked_up.pop(category, None)
                    return
                above = True
                break
            # Anything but an explicit false is restricted (as restricted_ids).
            chain.append((current, row.get("read_restricted") is not False))
            parent = row.get("parent_category_id")
            current = parent if isinstance(parent, int) else None
        flag = above
        for cid, own in reversed(chain):
            flag = flag or own
            if len(self.restricted) < MAX_CATEGORIES or cid in self.restricted:
                self.restricted[cid] = flag
                self.looked_up[cid] = self.now.isoformat()

    def screen(self, topics: list[Topic], get: Getter, warnings: list[str]) -> Screening:
        """Which of ``topics`` are not to be read now: not known to be public
        (``hidden``), or not decided yet (``undecided``: they wait).

        A topic listed twice is judged by its first entry (the freshest: the
        listing before the cursor). Reads the category list first when it is
        stale or a topic names a category it does not hold (at most once a
        poll), then looks up the categories it leaves out. Topics of restricted
        categories are left out silently (that is the setting); topics of a
        category still unknown with a warning.
        """
        first: dict[int, Topic] = {}
        for topic in topics:
            first.setdefault(topic.id, topic)
        if not first:
            return Screening(set(), set())
        if self.stale() or any(t.category_id not in self.restricted for t in first.values()):
            self._refresh(get, warnings)
        wanted = {t.category_id for t in first.values()}
        for category in dict.fromkeys(t.category_id for t in first.values()):
            if category is None or category in self.restricted or category in self.unreadable:
                continue
            self._look_up(category, get, warnings)
        # Answers of an hour ago are asked again, as the list is, when there is room.
        due = [c for c, at in self.looked_up.items() if c in wanted and self._old(at)]
        for category in due:
            self._look_up(category, get, warnings)
        restricted: set[int] = set()
        unknown_topics: list[int] = []
        undecided: set[int] = set()
        for topic in first.values():
            category = topic.category_id
            flag = None if category is None else self.restricted.get(category)
            if flag is None and category is not None and category not in self.unreadable:
                undecided.add(topic.id)
            elif flag is None:
                unknown_topics.append(topic.id)
            elif flag:
                restricted.add(topic.id)
        if restricted:
            log.debug("restricted topics skipped", extra=kv(topics=len(restricted)))
        if unknown_topics:
            warnings.append(
                f"{len(unknown_topics)} topic(s) of a category not known to be public were "
                f"skipped (topics {_ids(unknown_topics)}); they are read when listed again "
                "in a category known to be public"
            )
        if undecided:
            warnings.append(
                f"{len(undecided)} topic(s) of a category not known to be public yet wait "
                f"for the next check (topics {_ids(sorted(undecided))})"
            )
        return Screening(restricted | set(unknown_topics), undecided)


def _ids(topics: list[int]) -> str:
    shown = ", ".join(map(str, topics[:_SHOWN_IDS]))
    more = f" and {len(topics) - _SHOWN_IDS} more" if len(topics) > _SHOWN_IDS else ""
    return shown + more
