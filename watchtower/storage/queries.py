"""The queries the scheduler, pipeline and outbox need, in one place.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several replicas share
the work without taking the same row; on SQLite the single writer lock does it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    Table,
    bindparam,
    cast,
    delete,
    func,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from watchtower.adapters.base import SourceSettings
from watchtower.storage.tables import (
    ITEMS,
    MENTIONS,
    SOURCES,
    ItemRow,
    OutboxRow,
    SourceRow,
    StoryRow,
)


def _skip_locked(session: Session, query: Select[Any]) -> Select[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def insert_ignore(session: Session, table: Any) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's dialect."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


@functools.cache
def insert_ignoring(
    dialect: str, table: Table, conflict: tuple[str, ...], also: tuple[str, ...] = ()
) -> Any:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING RETURNING id, *also``, built once."""
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(table.c.id, *(table.c[name] for name in also))
    )


def insert_ignoring_many(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: tuple[str, ...],
    also: tuple[str, ...],
) -> list[Any]:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id, *also`` for many rows at once.

    Only inserted rows come back, so ``also`` names the columns that tell which
    row each id belongs to. Every row has the same keys.

    On PostgreSQL the rows go as one array per column, unnested by the server.
    The statement text is then the same whatever the number of rows. psycopg
    caches its conversion and, after a few runs, prepares it on the server.
    On SQLite, SQLAlchemy sends one multi-row ``VALUES`` ("insertmanyvalues").
    """
    if not rows:
        return []
    columns = tuple(rows[0])
    if connection.dialect.name == "postgresql":
        arrays = {f"u_{name}": [row[name] for row in rows] for name in columns}
        return list(connection.execute(_unnest_insert(table, columns, conflict, also), arrays))
    statement = insert_ignoring(connection.dialect.name, table, conflict, also)
    return list(connection.execute(statement, list(rows)))


@functools.cache
def _unnest_insert(
    table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], also: tuple[str, ...]
) -> Any:
    # Several unnest() in one select list run in step (PostgreSQL 10+): row i of
    # the result takes element i of every array.
    unnested = select(
        *(
            func.unnest(cast(bindparam(f"u_{name}"), postgresql.ARRAY(table.c[name].type)))
            for name in columns
        )
    )
    return (
        postgresql.insert(table)
        .from_select(list(columns), unnested)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(table.c.id, *(table.c[name] for name in also))
    )


def insert_returning_id(
    session: Session, table: Any, conflict: tuple[str, ...], values: dict[str, Any]
) -> int | None:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING RETURNING id``; ``None`` on conflict.

    The statement is built once per table and dialect and the row goes as
    parameters: building an ORM ``insert().values(...)`` per row costs more
    than running it (hot path: every new item).
    """
    connection = session.connection()
    statement = insert_ignoring(connection.dialect.name, table.__table__, conflict)
    row_id: int | None = connection.execute(statement, values).scalar()
    return row_id


def sync_sources(session: Session, sources: Sequence[SourceSettings], now: datetime) -> None:
    """Make the sources table match the config, keeping state of unchanged sources.

    A source renamed in the config (a new name, and a name gone, for the same
    kind and URL) keeps its row: its validators, history and items stay its
    own, so its current items are not announced again as sightings elsewhere.
    """
    rows = {r.name: r for r in session.scalars(select(SourceRow))}
    names = {settings.name for settings in sources}
    gone: dict[tuple[str, str], list[SourceRow]] = {}
    for old in rows.values():
        if old.name not in names and old.url:
            gone.setdefault((old.kind, old.url), []).append(old)
    for settings in sources:
        url = getattr(settings, "url", None) or getattr(settings, "base_url", None)
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
        if settings.enabled and not row.enabled:
            row.next_check_at = now
        row.enabled = settings.enabled
    for row in rows.values():
        row.enabled = False


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
    session: Session, now: datetime, lease: timedelta, limit: int, *, all_sources: bool = False
) -> list[Claim]:
    """Claim due sources by pushing ``next_check_at`` past a lease.

    Core statements, not ORM objects: a round claims up to thousands of rows.
    """
    query = _CLAIMED
    if not all_sources:
        query = query.where(SourceRow.next_check_at <= now)
    query = _skip_locked(session, query.order_by(SourceRow.next_check_at).limit(limit))
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


def _due(now: datetime) -> Any:
    return or_(
        (OutboxRow.status == "pending") & (OutboxRow.next_attempt_at <= now),
        (OutboxRow.status == "sending") & (OutboxRow.claimed_until < now),
    )


def _of_kind(kind: str) -> Any:
    return OutboxRow.target.like(f"{kind}:%") | (OutboxRow.target == kind)


def due_kinds(session: Session, now: datetime) -> list[str]:
    """The target kinds (``slack``, ``email``…) that have notifications due now."""
    targets = session.scalars(select(OutboxRow.target).where(_due(now)).distinct())
    return sorted({target.partition(":")[0] for target in targets})


def claim_outbox(
    session: Session, now: datetime, lease: timedelta, limit: int, *, kind: str | None = None
) -> list[OutboxRow]:
    """Claim due notifications (of one target ``kind`` if given), including ones
    whose sender died mid-send."""
    query = select(OutboxRow).where(_due(now))
    if kind is not None:
        query = query.where(_of_kind(kind))
    query = query.order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(limit)
    rows = list(session.scalars(_skip_locked(session, query)))
    for row in rows:
        if row.status == "sending":
            # Its sender died mid-send: the message may have gone out already.
            row.outcome_unknown = True
        row.status = "sending"
        row.claimed_until = now + lease
        row.attempts += 1
    return rows


def next_outbox_attempt(session: Session) -> datetime | None:
    """When the earliest unsent notification is due (``None``: nothing left).

    A row claimed by a process that died is due when its lease expires.
    """
    pending = session.scalar(
        select(func.min(OutboxRow.next_attempt_at)).where(OutboxRow.status == "pending")
    )
    sending = session.scalar(
        select(func.min(OutboxRow.claimed_until)).where(OutboxRow.status == "sending")
    )
    due = [d for d in (pending, sending) if d is not None]
    return min(due) if due else None


def release_pending(session: Session, now: datetime) -> int:
    """Make every pending notification due now; return how many were waiting.

    Called at start: a restart is a natural retry point (the operator may have
    just fixed a token or a server), so backoffs and pauses of the previous run
    end here. Held rows (quiet hours, grouping, digests) keep their windows.
    """
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at > now)
        .values(next_attempt_at=now)
    )
    return int(getattr(result, "rowcount", 0))


@dataclass(frozen=True, slots=True)
class FailedTarget:
    """A target some notifications failed for good, for ``status`` and ops notices."""

    target: str
    count: int
    last_error: str | None


def failed_targets(session: Session, target: str | None = None) -> list[FailedTarget]:
    """Targets with failed notifications: how many, and the latest failure's error."""
    counts = select(OutboxRow.target, func.count(), func.max(OutboxRow.id)).where(
        OutboxRow.status == "failed"
    )
    if target is not None:
        counts = counts.where(OutboxRow.target == target)
    out = []
    for name, count, last_id in session.execute(counts.group_by(OutboxRow.target)).all():
        error = session.scalar(select(OutboxRow.last_error).where(OutboxRow.id == last_id))
        out.append(FailedTarget(name, int(count), error))
    return sorted(out, key=lambda f: (-f.count, f.target))


PAUSED_KEY = "ops:{kind}-paused:{day}"  # the notice queued when a target kind is paused
BACK_KEY = "ops:{kind}-back:{day}"  # the notice queued when it delivers again


def paused_kinds(session: Session) -> dict[str, str]:
    """Target kinds paused (a "paused" notice queued) and not back since: kind → pause key.

    The outbox rows of the notices are the record, so it survives a restart.
    """
    keys = session.scalars(
        select(OutboxRow.dedup_key).where(OutboxRow.dedup_key.like("ops:%-paused:%")).distinct()
    )
    latest: dict[str, str] = {}
    for key in keys:
        kind, _, day = key.removeprefix("ops:").rpartition("-paused:")
        if kind and key > latest.get(kind, ""):
            latest[kind] = key
    out = {}
    for kind, key in latest.items():
        day = key.rpartition(":")[2]
        back = BACK_KEY.format(kind=kind, day=day)
        if session.scalar(select(OutboxRow.id).where(OutboxRow.dedup_key == back).limit(1)) is None:
            out[kind] = key
    return out


def outbox_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
    return {status: count for status, count in rows}


def oldest_pending(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(OutboxRow.created_at)).where(
            OutboxRow.status.in_(("pending", "sending", "held"))
        )
    )


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
# Items a notification still waiting refers to. One != per status, not NOT IN: an
# expanding IN cannot go in an executemany.
_BUSY = select(OutboxRow.item_id).where(
    *(OutboxRow.status != status for status in FINISHED), OutboxRow.item_id.is_not(None)
)
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
_GONE = select(_UNLISTED).where(_UNLISTED.not_in(_BUSY))
_DELETE_MENTIONS = delete(MENTIONS).where(MENTIONS.c.item_id.in_(_GONE))
_DELETE_ITEMS = delete(ITEMS).where(_ITEMS.id.in_(_GONE))


def cleanup(session: Session, before: datetime) -> tuple[int, int]:
    """Delete finished notifications created before ``before``, items their source
    has not listed since ``before``, and the stories left without items.

    An item still listed is kept however old: pruning it would make the next
    poll take it for a new one and notify it again. "Still listed" is judged
    against the source's latest listing, not the clock, because a source that
    answers 304 (nothing changed), fails or is disabled refreshes nothing while
    its page still shows the same items: only items seen ``UNLISTED_AFTER``
    before that listing are gone from it. Items that a notification still
    waiting in the outbox refers to are kept.
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
    return int(getattr(outbox, "rowcount", 0)), items


def enqueue_notice(
    session: Session,
    dedup_key: str,
    targets: Sequence[str],
    payload: dict[str, Any],
    now: datetime,
    severity: str = "warning",
) -> int:
    """Queue an operational message (no item) to ``targets``; a known ``dedup_key`` is skipped."""
    queued = 0
    for target in targets:
        inserted = session.scalar(
            insert_ignore(session, OutboxRow)
            .values(
                item_id=None,
                dedup_key=dedup_key,
                target=target,
                status="pending",
                severity=severity,
                reason="operations: " + dedup_key.split(":", 1)[0],
                payload=payload,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedup_key", "target"])
            .returning(OutboxRow.id)
        )
        queued += inserted is not None
    return queued
