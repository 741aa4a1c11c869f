"""A backward step of the wall clock moves the database schedule back by as much."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from watchtower.adapters.rss import RssSettings
from watchtower.storage.db import Database
from watchtower.storage.outbox_queries import enqueue_notice, notice_payload
from watchtower.storage.queries import LEASE, release_leases, sync_sources
from watchtower.storage.schedules import shift_schedules
from watchtower.storage.tables import NotifyGroupRow, OutboxRow, SourceRow

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
BEFORE = NOW + timedelta(hours=1)  # the wall clock said this before it stepped back


def _utc(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=when.tzinfo or UTC) if when is not None else None


def test_future_checks_and_retries_move_back_held_windows_stay(migrated: Database) -> None:
    names = ("soon", "leased", "due")
    with migrated.session() as session:
        sync_sources(
            session, [RssSettings(name=n, kind="rss", url=f"https://{n}.fr/f") for n in names], NOW
        )
        payload = notice_payload("t", "", "warning")
        enqueue_notice(session, "k", ["slack:#a", "slack:#b", "slack:#c"], payload, BEFORE)
    with migrated.session() as session:
        rows = {r.name: r for r in session.scalars(select(SourceRow))}
        rows["soon"].next_check_at = BEFORE + timedelta(seconds=30)
        rows["leased"].last_attempt_at = BEFORE
        rows["leased"].next_check_at = BEFORE + LEASE  # claimed just before the step
        rows["due"].next_check_at = NOW - timedelta(minutes=1)
        pending, sending, held = session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        pending.next_attempt_at = BEFORE + timedelta(seconds=10)
        sending.status, sending.claimed_until = "sending", BEFORE + timedelta(minutes=5)
        held.status, held.hold_until = "held", BEFORE + timedelta(hours=8)

    with migrated.writing() as session:
        moved = shift_schedules(session, NOW, timedelta(hours=1))

    assert moved == (2, 2)
    with migrated.session() as session:
        rows = {r.name: r for r in session.scalars(select(SourceRow))}
        assert _utc(rows["soon"].next_check_at) == NOW + timedelta(seconds=30)
        assert _utc(rows["due"].next_check_at) == NOW - timedelta(minutes=1)
        pending, sending, held = session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        assert _utc(pending.next_attempt_at) == NOW + timedelta(seconds=10)
        assert _utc(sending.claimed_until) == NOW + timedelta(minutes=5)
        assert _utc(held.hold_until) == BEFORE + timedelta(hours=8)  # a clock time: kept
        # The lease moved as a whole: still recognised as a lease.
        assert release_leases(session, NOW) == 1


def test_grouping_windows_move_back_quiet_hours_stay(migrated: Database) -> None:
    """``group_wait`` is a duration: a window that flushed in 30 s still does after
    the step, instead of an hour and 30 s later. Quiet hours are a clock time."""
    with migrated.session() as session:
        payload = notice_payload("t", "", "info")
        enqueue_notice(session, "g", ["slack:#a", "slack:#b"], payload, BEFORE)
        grouped, quiet = session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        grouped.status, grouped.hold_reason, grouped.group_key = "held", "group", "r|slack:#a"
        grouped.hold_until = BEFORE + timedelta(seconds=30)
        quiet.status, quiet.hold_reason = "held", "quiet"
        quiet.hold_until = BEFORE + timedelta(hours=8)
        session.add(NotifyGroupRow(key="r|slack:#a", flush_at=BEFORE + timedelta(seconds=30)))
        session.add(NotifyGroupRow(key="r|slack:#b", last_sent_at=BEFORE - timedelta(minutes=1)))

    with migrated.writing() as session:
        moved = shift_schedules(session, NOW, timedelta(hours=1))

    assert moved == (0, 1)
    with migrated.session() as session:
        grouped, quiet = session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        assert _utc(grouped.hold_until) == NOW + timedelta(seconds=30)
        assert _utc(quiet.hold_until) == BEFORE + timedelta(hours=8)
        groups = {g.key: g for g in session.scalars(select(NotifyGroupRow))}
        assert _utc(groups["r|slack:#a"].flush_at) == NOW + timedelta(seconds=30)
        # The next window counts group_interval from when the last group really went.
        assert _utc(groups["r|slack:#b"].last_sent_at) == NOW - timedelta(minutes=1)
