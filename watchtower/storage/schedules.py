"""Moving the database schedule as a whole: the sources of fetches abandoned at a
stop (due at the next start), and everything due after a backward step of the
wall clock (due as much earlier). Called by :mod:`watchtower.scheduler`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from watchtower.storage.queries import LEASE
from watchtower.storage.tables import NotifyGroupRow, OutboxRow, SourceRow

__all__ = ["release_abandoned", "shift_schedules"]


def release_abandoned(session: Session, source_ids: set[int], now: datetime) -> list[str]:
    """At a stop, the sources whose fetch is abandoned (a slow server) are due
    ``now`` (the next start fetches them), not when their lease ends; the names
    of all of them, sorted. A source whose outcome was recorded meanwhile (no
    longer leased, see :func:`watchtower.storage.queries.release_leases`) keeps
    its schedule."""
    rows = session.execute(
        select(
            SourceRow.id, SourceRow.name, SourceRow.next_check_at, SourceRow.last_attempt_at
        ).where(SourceRow.id.in_(source_ids))
    ).all()
    leased = [
        source_id
        for source_id, _, next_check, attempt in rows
        if next_check is not None and attempt is not None and next_check - attempt == LEASE
    ]
    if leased:
        session.execute(update(SourceRow).where(SourceRow.id.in_(leased)).values(next_check_at=now))
    return sorted(name for _, name, _, _ in rows)


def shift_schedules(session: Session, now: datetime, back: timedelta) -> tuple[int, int]:
    """After the wall clock stepped back by ``back``: what was due at T is due at T − back.

    Sources checked later than ``now`` (their next check, with its lease: claim
    time and next check move together), notifications waiting for a retry or
    claimed, and grouping windows (``group_wait``/``group_interval`` are
    durations: the window and the rows it holds, and when each group last went
    out). Quiet hours and digests keep their windows: they are clock times.
    Returns how many sources and notifications moved.
    """
    sources = [
        {
            "id": source_id,
            "next_check_at": next_check - back,
            "last_attempt_at": attempt - back if attempt is not None else None,
        }
        for source_id, next_check, attempt in session.execute(
            select(SourceRow.id, SourceRow.next_check_at, SourceRow.last_attempt_at).where(
                SourceRow.next_check_at > now
            )
        )
    ]
    if sources:
        session.execute(update(SourceRow), sources)
    notifications = [
        {
            "id": row_id,
            "next_attempt_at": due - back if status == "pending" else due,
            "claimed_until": claimed - back if claimed is not None else None,
        }
        for row_id, status, due, claimed in session.execute(
            select(
                OutboxRow.id, OutboxRow.status, OutboxRow.next_attempt_at, OutboxRow.claimed_until
            ).where(
                ((OutboxRow.status == "pending") & (OutboxRow.next_attempt_at > now))
                | ((OutboxRow.status == "sending") & (OutboxRow.claimed_until > now))
            )
        )
    ]
    if notifications:
        session.execute(update(OutboxRow), notifications)
    grouped = _shift_group_windows(session, now, back)
    return len(sources), len(notifications) + grouped


def _shift_group_windows(session: Session, now: datetime, back: timedelta) -> int:
    """Move grouping windows back by ``back``; return how many held rows moved."""
    groups = [
        {
            "key": key,
            "flush_at": flush - back if flush is not None and flush > now else flush,
            "last_sent_at": last - back if last is not None else None,
        }
        for key, flush, last in session.execute(
            select(NotifyGroupRow.key, NotifyGroupRow.flush_at, NotifyGroupRow.last_sent_at)
        )
        if (flush is not None and flush > now) or last is not None
    ]
    if groups:
        session.execute(update(NotifyGroupRow), groups)
    held = [
        {"id": row_id, "hold_until": until - back}
        for row_id, until in session.execute(
            select(OutboxRow.id, OutboxRow.hold_until).where(
                OutboxRow.status == "held",
                OutboxRow.hold_reason == "group",
                OutboxRow.hold_until > now,
            )
        )
        if until is not None
    ]
    if held:
        session.execute(update(OutboxRow), held)
    return len(held)
