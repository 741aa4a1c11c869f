"""The outbox's queries: what is due, claims, failures, pauses, operational notices.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (see :mod:`.queries`), so
several replicas deliver without taking the same row, and take the most urgent
due rows first (:data:`URGENCY`): a crisis never waits behind a backlog of
ordinary mentions. A story's thread reply that comes out before its parent is
deferred by the alerting hooks (:meth:`~watchtower.pipeline.alerting.Alerting.before_send`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from watchtower.storage.ops_keys import told_targets
from watchtower.storage.queries import insert_ignore, skip_locked
from watchtower.storage.tables import OutboxRow

#: Claim order among due rows: critical, then warning, then info (then due time, id).
URGENCY = case(
    (OutboxRow.severity == "critical", 0),
    (OutboxRow.severity == "warning", 1),
    else_=2,
)


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
    session: Session,
    now: datetime,
    lease: timedelta,
    limit: int,
    *,
    kind: str | None = None,
    untried: bool = False,
    exclude: Sequence[int] = (),
) -> list[OutboxRow]:
    """Claim due notifications (of one target ``kind`` if given), including ones
    whose sender died mid-send; with ``untried``, only those never attempted
    (the flush at shutdown, which retries nothing); never the rows ``exclude``
    names. The most urgent first (:data:`URGENCY`), then by due time and id."""
    query = select(OutboxRow).where(_due(now))
    if kind is not None:
        query = query.where(_of_kind(kind))
    if untried:
        query = query.where(OutboxRow.attempts == 0)
    if exclude:
        query = query.where(OutboxRow.id.not_in(list(exclude)))
    query = query.order_by(URGENCY, OutboxRow.next_attempt_at, OutboxRow.id).limit(limit)
    rows = list(session.scalars(skip_locked(session, query)))
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


def release_claims(
    session: Session, now: datetime, *, only: Mapping[int, datetime] | None = None
) -> int:
    """Make due now the notifications still claimed; return how many.

    Only for a database one process uses: at start, a row still ``sending``
    was claimed by a process that died mid-send (``kill -9``, a power cut).
    Its lease would hold it for ``delivery_lease``; due now, its claim marks it
    "outcome unknown" (:func:`claim_outbox`), so the notifier looks for it
    before sending again. Another replica's claims may be alive: they expire
    instead. ``only``: the claims seen before this process judged the others
    dead (row id → its ``claimed_until``,
    :func:`~watchtower.storage.dead_claims.left_claims`); a row claimed again
    since, by a process started meanwhile, keeps its claim.
    """
    query = update(OutboxRow).where(OutboxRow.status == "sending", OutboxRow.claimed_until >= now)
    if only is None:
        result = session.execute(query.values(claimed_until=now - timedelta(microseconds=1)))
        return int(getattr(result, "rowcount", 0))
    released = 0
    tick = timedelta(microseconds=1)
    for row_id, until in sorted(only.items()):
        # Compared in the statement: a claim committed meanwhile moved claimed_until.
        # The same instant; a range, not "=": SQLite compares its text, which a
        # writer may have stored with an offset.
        same = (OutboxRow.claimed_until >= until) & (OutboxRow.claimed_until < until + tick)
        result = session.execute(
            query.where(OutboxRow.id == row_id, same).values(claimed_until=now - tick)
        )
        released += int(getattr(result, "rowcount", 0))
    return released


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


def paused_services(session: Session) -> dict[str, datetime]:
    """Apprise services (each URL its own service) told down to ops and not told
    back since: target → when ops were told. The record is the outbox rows of the
    notices (``ops:ops_down_service:DAY:sha256:HEX``, ``ops:ops_back_service:…``,
    queued by :class:`~watchtower.pipeline.ops_notices.OpsNotices`), as for
    :func:`paused_kinds`; each key's target digest is matched back to the outbox
    rows' target (:func:`~watchtower.storage.ops_keys.told_targets`). A service
    whose notifications were all re-addressed to a corrected URL after a reload
    is no longer listed."""
    told: dict[str, datetime] = {}
    back: dict[str, datetime] = {}
    notices = session.execute(
        select(OutboxRow.dedup_key, func.min(OutboxRow.created_at))
        .where(
            OutboxRow.dedup_key.like("ops:ops_down_service:%")
            | OutboxRow.dedup_key.like("ops:ops_back_service:%")
        )
        .group_by(OutboxRow.dedup_key)
    )
    for key, created in notices:
        _, text, _, target = key.split(":", 3)
        found = told if text == "ops_down_service" else back
        if target not in found or created > found[target]:
            found[target] = created
    # The keys name each target by its digest (older ones by the target itself).
    told, back = told_targets(session, told), told_targets(session, back)
    down = {t: when for t, when in told.items() if t not in back or back[t] < when}
    out = {}
    for target, when in down.items():
        if not _readdressed_away(session, target):
            out[target] = when
    return out


#: How a row re-addressed after a reload ends its ``last_error`` (see
#: :mod:`watchtower.pipeline.readdress`).
READDRESSED = "(config changed)"


def _readdressed_away(session: Session, target: str) -> bool:
    """Whether ``target``'s notifications went to a corrected address after a
    reload and none waits for it: a URL the config dropped is no paused service."""
    waiting = select(OutboxRow.id).where(
        OutboxRow.target == target, OutboxRow.status.in_(("pending", "sending", "held"))
    )
    if session.scalar(waiting.limit(1)) is not None:
        return False
    moved = select(OutboxRow.id).where(
        OutboxRow.target == target,
        OutboxRow.status == "skipped",
        OutboxRow.last_error.endswith(READDRESSED, autoescape=True),
    )
    return session.scalar(moved.limit(1)) is not None


def waiting_rows(
    session: Session, *, kind: str | None = None, target: str | None = None
) -> tuple[int, datetime | None]:
    """How many notifications of a target ``kind`` (or for one ``target``) wait
    (pending), and when the next one is tried."""
    query = select(func.count(), func.min(OutboxRow.next_attempt_at)).where(
        OutboxRow.status == "pending"
    )
    if kind is not None:
        query = query.where(_of_kind(kind))
    if target is not None:
        query = query.where(OutboxRow.target == target)
    count, due = session.execute(query).one()
    return int(count), due


def outbox_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
    return {status: count for status, count in rows}


def oldest_pending(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(OutboxRow.created_at)).where(
            OutboxRow.status.in_(("pending", "sending", "held"))
        )
    )


def oldest_deliverable(session: Session) -> datetime | None:
    """Since when the notification waiting longest for delivery could have gone out.

    Counted over rows not sent yet (pending, sending), from when each became
    deliverable: its creation, or the end of the hold it came out of (quiet
    hours, a grouping window: ``hold_until``, kept after the release). Held rows
    do not count, since they are meant to wait; a row waiting for a retry does,
    since it is late. So a notification released from a night of quiet hours
    counts from the morning, not from the evening before.
    """
    unsent = OutboxRow.status.in_(("pending", "sending"))
    held_later = OutboxRow.hold_until.is_not(None) & (OutboxRow.hold_until > OutboxRow.created_at)
    queued = session.scalar(select(func.min(OutboxRow.created_at)).where(unsent, ~held_later))
    released = session.scalar(select(func.min(OutboxRow.hold_until)).where(unsent, held_later))
    found = [when for when in (queued, released) if when is not None]
    return min(found) if found else None


def notice_payload(title: str, body: str, severity: str, **extra: Any) -> dict[str, Any]:
    """The payload of an operational notice (no item, no brand): what
    :func:`enqueue_notice` queues and the notifiers render as a notice."""
    return {
        "kind": "ops",
        "title": title,
        "url": "",
        "source": "watchtower",
        "brands": [],
        "terms": [],
        "rules": [],
        "severity": severity,
        "excerpt": body,
        **extra,
    }


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
