"""Story threads on Slack: the first sighting's message is the parent, later ones reply to it.

``story_messages`` keeps, per (story, target), the parent's channel id and
``ts`` plus the blocks it was posted with, so a reply can ``chat.update`` the
parent with a sighting counter. Rows are written after the parent is sent
(upsert: a racing worker's write wins harmlessly, both hold the same message).

A story seen on hundreds of sites must not flood its thread: only the first
``[dedup] max_thread_replies`` sightings per (story, target) reply
(:func:`replies_before`); later ones only update the parent's counter, at most
once a minute. Such a sighting waits for the minute boundary after it was
queued (:func:`counter_slot`); then the newest due one updates the counter and
the older ones are skipped, also after it went (:func:`newer_sighting_due`: on
another replica, an older one never lowers the counter). Edits
(``story:<id>:edit:…``) are no sightings: never capped, never counted. A
sighting that is no news but a new place for the story (``story:<id>:seen:…``:
a repost that still raises its "Vu sur N sites", see ``runner.py``) never
replies and takes no place under the cap: it only updates the counter, the
same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from watchtower.storage.queries import insert_ignore
from watchtower.storage.tables import OutboxRow, StoryMessageRow

WAIT_FOR_PARENT = 5.0  # seconds between looks for a parent that is not sent yet
COUNTER_EVERY = timedelta(minutes=1)  # at most one counter-only update per story and target
# Statuses of a sighting that replied or may still reply (not skipped, failed, summarised).
_LIVE = ("pending", "sending", "sent", "held")


@dataclass(frozen=True)
class Parent:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    sightings: int


def parent_of(session: Session, story_id: int, target: str) -> Parent | None:
    row = session.get(StoryMessageRow, (story_id, target))
    if row is None:
        return None
    return Parent(row.channel, row.ts, row.text, list(row.blocks or []), row.sightings)


@dataclass(frozen=True)
class ParentRow:
    """Where the story's first message for a target is in the outbox."""

    status: str
    hold_reason: str | None
    group_key: str | None
    hold_until: datetime | None


def parent_row(session: Session, story_id: int, target: str) -> ParentRow | None:
    """The outbox state of the story's first message for ``target`` (``None``: none queued)."""
    row = session.execute(
        select(
            OutboxRow.status, OutboxRow.hold_reason, OutboxRow.group_key, OutboxRow.hold_until
        ).where(OutboxRow.dedup_key == f"story:{story_id}", OutboxRow.target == target)
    ).first()
    return ParentRow(*row) if row is not None else None


def record_parent(
    session: Session,
    *,
    story_id: int,
    target: str,
    outbox_id: int,
    channel: str,
    ts: str,
    text: str,
    blocks: list[dict[str, Any]],
    now: datetime,
    replace: bool = False,
) -> None:
    """Remember the story's message on ``target`` (the first one kept), or with
    ``replace``, the message that now stands for it: the first was deleted and a
    sighting went out as a full message (``thread_lost``); later sightings reply
    under that one."""
    shown = {"outbox_id": outbox_id, "channel": channel, "ts": ts, "text": text, "blocks": blocks}
    if replace:
        session.execute(
            update(StoryMessageRow)
            .where(StoryMessageRow.story_id == story_id, StoryMessageRow.target == target)
            .values(**shown)
        )
        return
    session.execute(
        insert_ignore(session, StoryMessageRow)
        .values(story_id=story_id, target=target, sightings=1, created_at=now, **shown)
        .on_conflict_do_nothing(index_elements=["story_id", "target"])
    )


def count_sighting(session: Session, story_id: int, target: str, sightings: int) -> None:
    """Remember the counter shown on the parent (monotonic: a late reply never lowers it)."""
    session.execute(
        update(StoryMessageRow)
        .where(
            StoryMessageRow.story_id == story_id,
            StoryMessageRow.target == target,
            StoryMessageRow.sightings < sightings,
        )
        .values(sightings=sightings)
    )


def _counted_of(story_id: int, target: str) -> tuple[Any, ...]:
    """The outbox rows of the story's sightings that only count (``story:<id>:seen:…``:
    a repost at a place new to the story), never replies nor under the cap."""
    prefix = f"story:{story_id}:seen:"
    return (
        OutboxRow.target == target,
        OutboxRow.dedup_key >= prefix,
        OutboxRow.dedup_key < prefix[:-1] + ";",
    )


def _sightings_of(story_id: int, target: str) -> tuple[Any, ...]:
    """The outbox rows of the story's later sightings (``story:<id>:item:…``) to
    ``target``, as a key range so the ``(dedup_key, target)`` index serves it."""
    prefix = f"story:{story_id}:item:"
    return (
        OutboxRow.target == target,
        OutboxRow.dedup_key >= prefix,
        OutboxRow.dedup_key < prefix[:-1] + ";",  # ";" follows ":"
    )


def replies_before(session: Session, story_id: int, target: str, outbox_id: int) -> int:
    """How many sightings of the story to ``target`` queued before ``outbox_id`` replied
    or may still reply: the row replies only while this is under the cap."""
    return int(
        session.scalar(
            select(func.count()).where(
                *_sightings_of(story_id, target),
                OutboxRow.id < outbox_id,
                OutboxRow.status.in_(_LIVE),
            )
        )
        or 0
    )


def counter_slot(created_at: datetime) -> datetime:
    """When a sighting beyond the cap may update the counter: the next minute boundary."""
    return created_at.replace(second=0, microsecond=0) + COUNTER_EVERY


def newer_sighting_due(
    session: Session, story_id: int, target: str, outbox_id: int, now: datetime
) -> bool:
    """Whether a later sighting of the story to ``target`` will update the counter,
    or already did: then ``outbox_id`` need not.

    Unsent and due by the same minute boundary (queued before the current
    minute), or sent: a later sighting's count is never lower (sightings are
    counted in the order they are queued, under the story lock), so this one's
    would lower what the parent shows. Sent counts too because the count a send
    showed is recorded only after it (:func:`count_sighting`): another replica
    looking at this row in between would otherwise update the parent again,
    with the older, lower count.
    """
    minute = now.replace(second=0, microsecond=0)
    due = OutboxRow.status.in_(("pending", "sending")) & (OutboxRow.created_at < minute)
    for sightings in (_sightings_of, _counted_of):
        found = session.scalar(
            select(OutboxRow.id)
            .where(
                *sightings(story_id, target),
                OutboxRow.id > outbox_id,
                due | (OutboxRow.status == "sent"),
            )
            .limit(1)
        )
        if found is not None:
            return True
    return False
