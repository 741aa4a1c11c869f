"""The ``/latest.json`` pages a Discourse poll reads after the first, and those
a failure left for the next poll (see :mod:`watchtower.adapters.discourse`).

A busy evening moves more topics than one page lists (30): while the last
topic of a page was bumped after the newest bump the previous poll saw
(``since``), the next page is read too, up to :data:`PAGES` pages a poll.

When the forum fails one of those pages for now (a 429 "slow down", a server
error, a timeout), the pages read are kept and the poll asks nothing more. The
:class:`Gap` (the first page not read, and the bump its topics are news after)
is saved in the cursor, and the next poll reads on from that page number, even
when ``/latest.json`` answers 304. Between two polls the listing grows at its
top only (a new post or topic moves its topic to page 0 and pushes the others
down), so reading on from the same number skips none of the topics left; one
found twice is read once (the cursor knows how far it was read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from watchtower.adapters._discourse_plan import bump_key
from watchtower.adapters._discourse_posts import parse_latest
from watchtower.errors import TransientError

__all__ = ["PAGES", "Gap", "Listing", "deferred", "read_pages"]

#: ``/latest.json`` pages (30 topics each) read in one poll, the first included.
PAGES = 10

#: ``get(path, what)``: the JSON object at ``path`` below the forum's base URL.
Getter = Callable[[str, str], dict[str, Any]]


@dataclass(frozen=True)
class Gap:
    """The ``/latest.json`` pages from ``page`` on were not read: their topics
    bumped after ``since`` are still to be read."""

    page: int
    since: str

    def saved(self) -> dict[str, Any]:
        return {"page": self.page, "since": self.since}

    @classmethod
    def restored(cls, raw: object) -> Gap | None:
        """The gap saved by :meth:`saved`; ``None`` for anything else."""
        saved = raw if isinstance(raw, dict) else {}
        page, since = saved.get("page"), saved.get("since")
        if not isinstance(page, int) or not 0 < page < PAGES or not isinstance(since, str):
            return None
        return cls(page, since) if since else None


@dataclass
class Listing:
    """The pages :func:`read_pages` read, and what it left for the next poll."""

    pages: list[dict[str, Any]] = field(default_factory=list)
    gap: Gap | None = None
    #: Why the pages left were not read (``None``: nothing was left).
    failure: TransientError | None = None


def _goes_on(payload: dict[str, Any], since: str) -> bool:
    """Whether the page after ``payload`` may hold topics bumped after ``since``:
    ``payload`` is full (``more_topics_url``) and its last topic was."""
    topics = parse_latest(payload)
    more = (payload.get("topic_list") or {}).get("more_topics_url")
    return bool(more and topics and since and bump_key(topics[-1].bumped_at) > bump_key(since))


def read_pages(
    get: Getter,
    first: dict[str, Any] | None,
    since: str,
    gap: Gap | None,
    warnings: list[str],
) -> Listing:
    """The pages after ``first`` (``None``: it answered 304) while their topics
    moved since ``since``, then those of an earlier poll's ``gap``.

    A failure for now stops the reading: the pages read are returned with the
    :class:`Gap` left (news after the oldest bump not listed yet).
    """
    floor = gap.since if gap is not None else since
    resume = gap.page if gap is not None else 0
    listing = Listing()
    number, payload = 1, first
    while True:
        if payload is not None and _goes_on(payload, since):
            pass  # what moved since the last poll goes on
        elif number <= resume:
            number = resume  # where an earlier poll was stopped
        elif not (gap is not None and payload is not None and _goes_on(payload, floor)):
            return listing
        if number >= PAGES:
            warnings.append(
                f"more than {PAGES} pages of topics moved since the last check; "
                "the older ones are read when they move again"
            )
            return listing
        try:
            payload = get(f"/latest.json?page={number}", "/latest.json")
        except TransientError as exc:
            listing.gap, listing.failure = Gap(number, floor), exc
            return listing
        listing.pages.append(payload)
        number += 1


def deferred(why: str, when: str, topics: int, gap: Gap | None) -> str:
    """The warning of a poll the forum stopped for now (``why``): ``topics``
    topics wait, and the listing from ``gap`` on; read ``when``."""
    left = [f"{topics} topic{'s' if topics > 1 else ''} waiting"] if topics else []
    if gap is not None:
        left.append(f"the topics listed from page {gap.page + 1} on")
    rest = f" ({', '.join(left)})" if left else ""
    return f"not everything that moved could be read yet ({why}); the rest is read {when}{rest}"
