"""The ``/latest.json`` pages a Discourse poll reads after the first, and those
a failure left for the next poll (see :mod:`watchtower.adapters.discourse`).

A busy evening moves more topics than one page lists (30): while the last
topic of a page was bumped after the newest bump the previous poll saw
(``since``), the next page is read too, up to :data:`PAGES` pages a poll.

When the forum fails one of those pages for now (a 429 "slow down", a server
error, a timeout), the pages read are kept and the poll asks nothing more. The
:class:`Gap` (the first page not read, and the bump its topics are news after)
is saved in the cursor with the last topic's bump read before it, and the next
poll reads on from there, even when ``/latest.json`` answers 304. Positions
shift between two polls (see :func:`read_pages`): the page before the gap is
read again when this poll did not read it, so a topic deleted above the gap
skips none of the topics left; one found twice is read once (the cursor knows
how far it was read). Only after :data:`REFUSALS` polls in a row stopped there
does the next one read on from the gap without that page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from watchtower.adapters._discourse_plan import bump_key
from watchtower.adapters._discourse_posts import parse_latest
from watchtower.errors import TransientError

__all__ = ["PAGES", "REFUSALS", "Gap", "Listing", "deferred", "read_pages"]

#: ``/latest.json`` pages (30 topics each) read in one poll, the first included.
PAGES = 10

#: Polls in a row stopped at a gap before its page was read (within the page
#: read again before it, or on the gap's page right after) before the next poll
#: reads on from the gap without that page. One refusal must not skip the topic
#: that moved up onto it; a forum refusing every poll's Nth request must still be
#: read past the gap.
REFUSALS = 2

#: ``get(path, what)``: the JSON object at ``path`` below the forum's base URL.
Getter = Callable[[str, str], dict[str, Any]]


@dataclass(frozen=True)
class Gap:
    """The ``/latest.json`` pages from ``page`` on were not read: their topics
    bumped after ``since`` are still to be read. ``after``: the ``bumped_at`` of
    the last topic read before them (``""``: not known, an older cursor).
    ``refused``: the polls in a row stopped at this gap before its page was
    read (see :data:`REFUSALS`; ``0`` in a cursor saved without it)."""

    page: int
    since: str
    after: str = ""
    refused: int = 0

    def saved(self) -> dict[str, Any]:
        saved: dict[str, Any] = {"page": self.page, "since": self.since, "after": self.after}
        return {**saved, "refused": self.refused} if self.refused else saved

    @classmethod
    def restored(cls, raw: object) -> Gap | None:
        """The gap saved by :meth:`saved`; ``None`` for anything else."""
        saved = raw if isinstance(raw, dict) else {}
        page, since, after = saved.get("page"), saved.get("since"), saved.get("after")
        if not isinstance(page, int) or not 0 < page < PAGES or not isinstance(since, str):
            return None
        after = after if isinstance(after, str) else ""
        refused = saved.get("refused")
        refused = refused if type(refused) is int and refused > 0 else 0
        return cls(page, since, after, refused) if since else None


@dataclass
class Listing:
    """The pages :func:`read_pages` read, and what it left for the next poll."""

    pages: list[dict[str, Any]] = field(default_factory=list)
    gap: Gap | None = None
    #: Why the pages left were not read (``None``: nothing was left).
    failure: TransientError | None = None


def _goes_on(payload: dict[str, Any] | None, since: str) -> bool:
    """Whether the page after ``payload`` may hold topics bumped after ``since``:
    ``payload`` is full (``more_topics_url``) and its last topic was."""
    topics = parse_latest(payload) if payload is not None else []
    more = ((payload or {}).get("topic_list") or {}).get("more_topics_url")
    return bool(more and topics and since and bump_key(topics[-1].bumped_at) > bump_key(since))


def _last_bump(payload: dict[str, Any] | None) -> str:
    """The ``bumped_at`` of the last topic ``payload`` lists (``""``: none)."""
    topics = parse_latest(payload) if payload is not None else []
    return topics[-1].bumped_at if topics else ""


def _starts_after(payload: dict[str, Any], after: str) -> bool:
    """Whether the first topic of ``payload`` was bumped after ``after``: then
    every topic bumped at or before ``after`` is listed on this page or later."""
    topics = parse_latest(payload)
    return not after or bool(topics and bump_key(topics[0].bumped_at) > bump_key(after))


@dataclass
class _Reader:
    """Reads ``/latest.json?page=N`` into ``listing``, :data:`PAGES` requests a
    poll at most (``/latest.json`` itself included)."""

    get: Getter
    warnings: list[str]
    listing: Listing = field(default_factory=Listing)
    asked: int = 1

    def read(self, number: int, at: int | None = None) -> dict[str, Any] | None:
        """Page ``number``, kept in the listing (at index ``at``: in page order);
        ``None`` past the budget (with a warning). A failure for now is raised."""
        if number >= PAGES or self.asked >= PAGES:
            self.warnings.append(
                f"more than {PAGES} pages of topics moved since the last check; "
                "the older ones are read when they move again"
            )
            return None
        self.asked += 1
        payload = self.get(f"/latest.json?page={number}", "/latest.json")
        pages = self.listing.pages
        pages.insert(len(pages) if at is None else at, payload)
        return payload


def read_pages(
    get: Getter,
    first: dict[str, Any] | None,
    since: str,
    gap: Gap | None,
    warnings: list[str],
) -> Listing:
    """The pages after ``first`` (``None``: it answered 304) while their topics
    moved since ``since``, then those of an earlier poll's ``gap``.

    A gap is resumed by position, and positions shift between polls both ways. A
    topic bumped or created pushes the topics below it down a place: one already
    read is found again at the top of the gap's page (read once: the cursor knows
    how far it was read). A topic deleted, unlisted or moved out of sight above
    the gap moves the topics below it up a place: the first topic left unread
    then ends the page before the gap. So when this poll did not read that page,
    it is read again (the overlap), and the one before it too while a page does
    not start with a topic bumped after the last one read (``gap.after``: more
    topics gone than a page holds).

    A failure for now stops the reading: the pages read are returned with the
    :class:`Gap` left (news after the oldest bump not listed yet). Stopped at
    the gap before its page was read, the gap is kept and counts the refusal:
    after :data:`REFUSALS` in a row the next poll reads on without the overlap.
    """
    reader = _Reader(get, warnings)
    listing, floor = reader.listing, gap.since if gap is not None else since
    number, last = 1, first  # the next page to read, the last one read (None: 304)
    stays: Gap | None = None  # the gap kept when the overlap could not be read
    resumed = False  # the gap's page is read next (after the overlap or without it)
    try:
        while _goes_on(last, since):  # what moved since the last poll
            if (last := reader.read(number)) is None:
                return listing
            number += 1
        if gap is None:
            return listing
        must = last is None  # the gap's page after a 304: its page 0 is unchanged
        if gap.page > number and gap.refused < REFUSALS:  # the overlap, not read yet
            at, back, stays = len(listing.pages), gap.page - 1, gap
            while True:
                if (page := reader.read(back, at)) is None:
                    return listing
                if back == number or _starts_after(page, gap.after):
                    break
                back -= 1
            number, last, must, stays = gap.page, listing.pages[-1], False, None
            resumed = True
        elif gap.page > number:  # stopped there too often: read on without it
            number, last, must, resumed = gap.page, None, True, True
        while must or _goes_on(last, floor):  # the topics the gap left
            if (last := reader.read(number)) is None:
                return listing
            number, must = number + 1, False
    except TransientError as exc:
        listing.failure = exc
        after = _last_bump(last) or (gap.after if gap is not None else "")
        # Stopped at the gap before its page was read: counted, so that a forum
        # refusing every poll's Nth request is read past it after REFUSALS polls,
        # while a single refusal leaves the overlap to the next poll.
        if stays is not None:
            listing.gap = replace(stays, refused=stays.refused + 1)
        elif resumed and gap is not None and number == gap.page:
            listing.gap = Gap(number, floor, after, gap.refused + 1)
        else:
            listing.gap = Gap(number, floor, after)
    return listing


def deferred(why: str, when: str, topics: int, gap: Gap | None) -> str:
    """The warning of a poll the forum stopped for now (``why``): ``topics``
    topics wait, and the listing from ``gap`` on; read ``when``."""
    left = [f"{topics} topic{'s' if topics > 1 else ''} waiting"] if topics else []
    if gap is not None:
        left.append(f"the topics listed from page {gap.page + 1} on")
    rest = f" ({', '.join(left)})" if left else ""
    return f"not everything that moved could be read yet ({why}); the rest is read {when}{rest}"
