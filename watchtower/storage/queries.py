"""The queries the scheduler, pipeline and outbox need, in one place.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several replicas share
the work without taking the same row; on SQLite the single writer lock does it.
Inserts that return the ids of the rows they add, one row or many at once:
:mod:`watchtower.storage.insert_returning`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    bindparam,
    delete,
    exists,
    func,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, undefer

from watchtower.adapters.base import SourceSettings
from watchtower.storage.tables import (
    ITEMS,
    MENTIONS,
    SOURCES,
    ItemRow,
    OutboxRow,
    SourceRow,
    SpikeAlertRow,
    StoryMessageRow,
    StoryRow,
)


def skip_locked(session: Session, query: Select[Any]) -> Select[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def insert_ignore(session: Session, table: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's dialect."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def sync_sources(
    session: Session,
    sources: Sequence[SourceSettings],
    now: datetime,
    previous: Mapping[str, SourceSettings] | None = None,
) -> None:
    """Make the sources table match the config, keeping state of unchanged sources.

    A source renamed in the config (a new name, and a name gone, for the same
    kind and URL) keeps its row: its validators, history and items stay its
    own, so its current items are not announced again as sightings elsewhere.

    A failing source whose fetch settings changed (``allow_private`` added, as
    its error said, a header, a selector) is checked now: its backoff was earned
    by the old settings, and would hide the fix for up to 6 hours. Changed since
    the config that last synced its row (:func:`fetch_key`, stored on it): on a
    reload, and on a start after an edit made while the daemon was stopped.
    ``previous``: the running config's sources by name (a reload), for a row
    not synced since migration 0014.
    """
    rows = {
        r.name: r for r in session.scalars(select(SourceRow).options(undefer(SourceRow.fetch_key)))
    }
    names = {settings.name for settings in sources}
    gone: dict[tuple[str, str], list[SourceRow]] = {}
    for old in rows.values():
        if old.name not in names and old.url:
            gone.setdefault((old.kind, old.url), []).append(old)
    for settings in sources:
        url = getattr(settings, "url", None) or getattr(settings, "base_url", None)
        key = fetch_key(settings)
        row = rows.pop(settings.name, None)
        if row is None and url and len(renamed := gone.get((settings.kind, url), [])) == 1:
            row = renamed.pop()
            del rows[row.name]
            row.name = settings.name
        if row is None:
            session.add(
                SourceRow(
                    name=settings.name,
                    kind=settings.kind,
                    url=url,
                    enabled=settings.enabled,
                    cursor={},
                    next_check_at=now,
                    consecutive_failures=0,
                    items_total=0,
                    alerting=False,
                    fetch_key=key,
                )
            )
            continue
        if row.kind != settings.kind or row.url != url:
            # A different feed: its validators and cursor mean nothing any more,
            # and its next poll is a first one (what it lists is its backlog).
            row.kind, row.url = settings.kind, url
            row.etag = row.last_modified = None
            row.cursor = {}
            row.last_success_at = None
            row.next_check_at = now
        # Enabled again, or failing with fetch settings changed since its backoff
        # was earned (by a reload, or while the daemon was stopped): now.
        refetch = row.consecutive_failures and _fetch_changed(row, previous, settings, key)
        row.fetch_key = key
        if (settings.enabled and not row.enabled) or (refetch and not leased(row)):
            row.next_check_at = now
        elif _waits_longer_than_every(row, settings, now):
            row.next_check_at = now + settings.every  # a shorter `every` applies now
        row.enabled = settings.enabled
    for row in rows.values():
        row.enabled = False


#: Keys that only schedule a source or route its items: changing them does not
#: change what a fetch does, so a failing source keeps its backoff (and Retry-After).
_SCHEDULE_KEYS = frozenset({"name", "every", "enabled", "brands", "backlog"})


def fetch_key(settings: SourceSettings) -> str:
    """A digest of how ``settings``' source is fetched: every key but
    :data:`_SCHEDULE_KEYS`. Stored on the source's row (``sources.fetch_key``), so
    that a start compares the config with the one before the stop as a reload
    does. JSON with sorted keys: the same settings give the same digest in every
    process (no key holds a set, nor a secret: those come from ``*_env``)."""
    keep = set(type(settings).model_fields) - _SCHEDULE_KEYS
    dumped = settings.model_dump(include=keep, mode="json")
    return hashlib.sha256(json.dumps(dumped, sort_keys=True).encode()).hexdigest()


def _fetch_changed(
    row: SourceRow,
    previous: Mapping[str, SourceSettings] | None,
    settings: SourceSettings,
    key: str,
) -> bool:
    """``settings`` fetch ``row``'s source otherwise than the config that last
    synced it; unknown (a row not synced since migration 0014, outside a reload):
    unchanged, the backoff is kept."""
    before = row.fetch_key
    if before is None and (old := (previous or {}).get(settings.name)) is not None:
        before = fetch_key(old)
    return before is not None and before != key


def _waits_longer_than_every(row: SourceRow, settings: SourceSettings, now: datetime) -> bool:
    """A healthy source's next check lies further than its ``every`` (with the
    poller's 10% jitter) allows: ``every`` was made shorter. A failing source's
    backoff and Retry-After are kept."""
    if row.next_check_at is None or row.consecutive_failures or leased(row):
        return False
    next_check = row.next_check_at
    if next_check.tzinfo is None:  # SQLite gives back naive UTC
        next_check = next_check.replace(tzinfo=now.tzinfo)
    return next_check > now + settings.every * 1.1


@dataclass(frozen=True, slots=True)
class Claim:
    """A claimed source: what its fetch needs, read with the claim (the lease keeps
    other workers off the row until the outcome is recorded)."""

    id: int
    name: str
    etag: str | None
    last_modified: str | None
    cursor: dict[str, Any]
    alert_reason: str | None
    consecutive_failures: int
    first_poll: bool = False  # never fetched successfully: what it lists is its backlog


_CLAIMED = select(
    SourceRow.id,
    SourceRow.name,
    SourceRow.etag,
    SourceRow.last_modified,
    SourceRow.cursor,
    SourceRow.alert_reason,
    SourceRow.consecutive_failures,
    SourceRow.last_success_at,
).where(SourceRow.enabled.is_(True))
# On the Table, not the ORM class: a list of parameter sets is then a plain
# executemany (the ORM would read it as a bulk update by primary key).
_LEASE = (
    update(SOURCES)
    .where(SOURCES.c.id == bindparam("b_id"))
    .values(next_check_at=bindparam("b_until"), last_attempt_at=bindparam("b_now"))
)


def claim_due_sources(
    session: Session,
    now: datetime,
    lease: timedelta,
    limit: int,
    *,
    all_sources: bool = False,
    skip: Collection[str] = (),
) -> list[Claim]:
    """Claim due sources by pushing ``next_check_at`` past a lease.

    Core statements, not ORM objects: a round claims up to thousands of rows.
    The sources named in ``skip`` (placeholders, :mod:`watchtower.placeholders`)
    are not claimed: their rows stay as they are, never attempted.
    """
    query = _CLAIMED
    if not all_sources:
        query = query.where(SourceRow.next_check_at <= now)
    if skip:
        query = query.where(SourceRow.name.not_in(sorted(skip)))
    query = skip_locked(session, query.order_by(SourceRow.next_check_at).limit(limit))
    claims = [
        Claim(
            id=row.id,
            name=row.name,
            etag=row.etag,
            last_modified=row.last_modified,
            cursor=dict(row.cursor or {}),
            alert_reason=row.alert_reason,
            consecutive_failures=row.consecutive_failures,
            first_poll=row.last_success_at is None,
        )
        for row in session.execute(query)
    ]
    if claims:
        until = now + lease
        session.execute(_LEASE, [{"b_id": c.id, "b_until": until, "b_now": now} for c in claims])
    return claims


#: How long a claimed source is kept off other workers while it is fetched and
#: recorded (a round queues up to four sources per worker before it starts them).
LEASE = timedelta(minutes=10)


def leased(row: SourceRow) -> bool:
    """Claimed and not yet recorded: a claim sets ``next_check_at`` to exactly
    ``last_attempt_at + LEASE``, and an outcome always moves it elsewhere."""
    next_check, attempt = row.next_check_at, row.last_attempt_at
    return next_check is not None and attempt is not None and next_check - attempt == LEASE


def release_leases(
    session: Session,
    now: datetime,
    lease: timedelta = LEASE,
    *,
    only: Mapping[int, datetime] | None = None,
) -> int:
    """Make due now the sources whose lease is still held; return how many.

    Such a row (see :func:`leased`) is a claim whose outcome was never
    recorded. Only for a database one process uses: another replica's leases
    are live. ``only``: the leases seen before this process judged the others
    dead (source id → its claim's ``last_attempt_at``,
    :func:`~watchtower.storage.dead_claims.left_claims`); a source claimed
    again since, by a process started meanwhile, keeps its new lease (the
    statement itself compares, so a claim committed while it runs keeps it too).
    """
    rows = session.execute(
        select(SourceRow.id, SourceRow.next_check_at, SourceRow.last_attempt_at).where(
            SourceRow.enabled.is_(True),
            SourceRow.last_attempt_at.is_not(None),
            SourceRow.next_check_at > now,
        )
    ).all()
    tick = timedelta(microseconds=1)
    held = [
        {"b_id": source_id, "b_at": attempt, "b_at_end": attempt + tick}
        for source_id, next_check, attempt in rows
        if next_check is not None
        and attempt is not None
        and next_check - attempt == lease
        and (only is None or only.get(source_id) == attempt)
    ]
    if held:
        session.execute(
            update(SOURCES)
            .where(
                SOURCES.c.id == bindparam("b_id"),
                # The same instant; a range, not "=": SQLite compares its text,
                # which a writer may have stored with an offset.
                SOURCES.c.last_attempt_at >= bindparam("b_at"),
                SOURCES.c.last_attempt_at < bindparam("b_at_end"),
                SOURCES.c.next_check_at > now,
            )
            .values(next_check_at=now),
            held,
        )
    return len(held)


FINISHED = ("sent", "failed", "grouped", "skipped")

#: A known item's ``seen_at`` is rewritten only once it is older than this
#: (:func:`watchtower.pipeline.store.mark_seen`): at most one UPDATE per item and day.
SEEN_REFRESH = timedelta(days=1)
#: So an item its source still lists was seen at most ``SEEN_REFRESH`` before the
#: source's latest listing; one seen longer than this before it is no longer listed
#: (twice the refresh: room for replicas whose clocks disagree a little).
UNLISTED_AFTER = 2 * SEEN_REFRESH

_ITEMS = ITEMS.c


def _latest(column: Any) -> Any:
    return select(func.max(column)).where(_ITEMS.source_id == SOURCES.c.id).scalar_subquery()


# When each source last listed something: max(seen_at) is one index seek per source
# (ix_items_source_seen); fetched_at only for a source whose rows all predate seen_at.
_LATEST_LISTINGS = select(
    SOURCES.c.id, func.coalesce(_latest(_ITEMS.seen_at), _latest(_ITEMS.fetched_at))
)
_BEFORE = bindparam("b_before", type_=ITEMS.c.seen_at.type)
# Statuses of a notification still waiting. One != per status, not NOT IN: an
# expanding IN cannot go in an executemany.
_WAITING = [OutboxRow.status != status for status in FINISHED]
# A source's items last listed before b_before and not waiting in the outbox. Two
# index seeks (ix_items_source_seen): with an OR the index would only narrow the source.
_SOURCE = _ITEMS.source_id == bindparam("b_source")
_UNLISTED = (
    union_all(
        select(_ITEMS.id).where(_SOURCE, _ITEMS.seen_at < _BEFORE),
        select(_ITEMS.id).where(_SOURCE, _ITEMS.seen_at.is_(None), _ITEMS.fetched_at < _BEFORE),
    )
    .subquery()
    .c.id
)
# Each candidate's notifications looked up by ix_outbox_item (migration 0012): a
# NOT IN over the outbox's waiting rows scanned the whole outbox per source.
_GONE = select(_UNLISTED).where(~exists().where(OutboxRow.item_id == _UNLISTED, *_WAITING))
_DELETE_MENTIONS = delete(MENTIONS).where(MENTIONS.c.item_id.in_(_GONE))
_DELETE_ITEMS = delete(ITEMS).where(_ITEMS.id.in_(_GONE))


# A thread parent whose story is gone: a primary-key probe of ``stories`` per row
# of ``story_messages`` (which retention keeps as small as the stories), not a NOT
# IN over every story.
_ORPHAN_THREADS = delete(StoryMessageRow).where(
    ~exists().where(StoryRow.id == StoryMessageRow.story_id)
)
# A spike alert whose notifications are gone too (the (dedup_key, target) index):
# one still in the outbox may yet be sent, then acknowledged or escalated.
_OLD_SPIKES = delete(SpikeAlertRow).where(
    SpikeAlertRow.created_at < bindparam("b_spikes", type_=SpikeAlertRow.created_at.type),
    ~exists().where(OutboxRow.dedup_key == SpikeAlertRow.dedup_key),
)


def cleanup(
    session: Session,
    before: datetime,
    *,
    spikes_before: datetime | None = None,
) -> tuple[int, int]:
    """Delete finished notifications created before ``before``, items their source
    has not listed since ``before``, and the stories left without items, with
    their Slack thread parents; spike alerts created before ``spikes_before``
    (default ``before``) whose notifications are gone. Returns the notifications
    and the items deleted. The sources the config no longer names are forgotten
    before, in the same transaction, by
    :func:`~watchtower.storage.removed_sources.forget_removed_sources` (as
    :meth:`App.cleanup <watchtower.app.App.cleanup>` does): the stories they
    leave empty go here.

    An item still listed is kept however old: pruning it would make the next
    poll take it for a new one and notify it again. "Still listed" is judged
    against the source's latest listing, not the clock, because a source that
    answers 304 (nothing changed), fails or is disabled refreshes nothing while
    its page still shows the same items: only items seen ``UNLISTED_AFTER``
    before that listing are gone from it. Items that a notification still
    waiting in the outbox refers to are kept.

    A story's thread parent goes with it: nothing replies under it again (and
    before migration 0012 SQLite gave a pruned story's id again, so a new story
    would have replied under, and edited, the old story's Slack message).
    """
    outbox = session.execute(
        delete(OutboxRow).where(OutboxRow.status.in_(FINISHED), OutboxRow.created_at < before)
    )
    cutoffs = [
        {"b_source": source_id, "b_before": min(before, latest - UNLISTED_AFTER)}
        for source_id, latest in session.execute(_LATEST_LISTINGS)
        if latest is not None
    ]
    items = 0
    if cutoffs:
        # Core statements, one executemany each (a source per parameter set).
        connection = session.connection()
        connection.execute(_DELETE_MENTIONS, cutoffs)
        items = int(connection.execute(_DELETE_ITEMS, cutoffs).rowcount)
    live = select(ItemRow.story_id).where(ItemRow.story_id.is_not(None))
    session.execute(
        delete(StoryRow).where(StoryRow.last_seen_at < before, StoryRow.id.not_in(live))
    )
    session.execute(_ORPHAN_THREADS, execution_options={"synchronize_session": False})
    session.execute(
        _OLD_SPIKES,
        {"b_spikes": before if spikes_before is None else spikes_before},
        execution_options={"synchronize_session": False},
    )
    return int(getattr(outbox, "rowcount", 0)), items
