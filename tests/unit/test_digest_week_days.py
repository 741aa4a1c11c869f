"""A weekly digest's 7 days: their bounds in the digest's zone, and what each counts.

:func:`watchtower.digest.week_midnights` cuts the period at the zone's
midnights (a Sunday of 25 or 23 hours the week the clocks change, still 7
days); :func:`watchtower.digest.week_counts`, called by ``enrich`` when
:func:`watchtower.pipeline.grouping.release_due` releases the digest on a
real migrated database, counts its held rows and the critical alerts sent at
once on each day, and nothing else.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.unit import test_digest_schedule as schedule
from watchtower import digest
from watchtower.pipeline import grouping
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow

db = schedule.db  # the fixture: a migrated database (SQLite, or PostgreSQL when set)

PARIS, NEW_YORK = "Europe/Paris", "America/New_York"
WEEKLY = "weekly mon 08:30"
DIRECTOR = "email:dircom@acme.example"
KEY = digest.digest_key(digest.ALL_RULES, DIRECTOR)


def local(zone: str, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold).astimezone(UTC)


def hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


@pytest.mark.parametrize(
    ("zone", "due", "first", "lengths"),
    [
        # An ordinary week: Monday from 08:30, then 24-hour days.
        (PARIS, local(PARIS, 2026, 11, 23, 8, 30), "2026-11-16", [15.5, *[24] * 5, 32.5]),
        # 25 October 2026, 03:00 → 02:00: Sunday is 25 hours long.
        (PARIS, local(PARIS, 2026, 10, 26, 8, 30), "2026-10-19", [15.5, *[24] * 5, 33.5]),
        # 28 March 2027, 02:00 → 03:00: Sunday is 23 hours long.
        (PARIS, local(PARIS, 2027, 3, 29, 8, 30), "2027-03-22", [15.5, *[24] * 5, 31.5]),
        # New York goes back on Sunday 1 November 2026.
        (
            NEW_YORK,
            local(NEW_YORK, 2026, 11, 2, 8, 30),
            "2026-10-26",
            [15.5, *[24] * 5, 33.5],
        ),
    ],
)
def test_seven_local_days_across_summer_time(
    zone: str, due: datetime, first: str, lengths: list[float]
) -> None:
    """Monday from 08:30; Sunday, 23 to 25 hours, holds Monday to 08:30 too."""
    since = digest.period_start(WEEKLY, due + timedelta(minutes=1), zone)
    bounds = [since, *digest.week_midnights(since), due]
    assert [hours(a, b) for a, b in itertools.pairwise(bounds)] == lengths
    days = [b.astimezone(ZoneInfo(zone)) for b in bounds[1:-1]]
    assert all((d.hour, d.minute) == (0, 0) for d in days)  # local midnights
    start = datetime.fromisoformat(first).date()
    assert [d.date() for d in days] == [start + timedelta(days=k) for k in range(1, 7)]
    assert digest.week_days(since) == [first, (start + timedelta(days=6)).isoformat()]


def test_an_offset_without_its_zone_still_has_seven_days() -> None:
    """A guard: a period start given in UTC (no zone named) cuts at UTC midnights."""
    since = datetime(2026, 11, 16, 7, 30, tzinfo=UTC)
    midnights = digest.week_midnights(since)
    assert midnights == [datetime(2026, 11, 16 + k, tzinfo=UTC) for k in range(1, 7)]


def add(db: Database, key: str, at: datetime, **values: object) -> None:
    with db.writing() as session:
        session.add(
            OutboxRow(
                item_id=None,
                dedup_key=key,
                target=values.pop("target", DIRECTOR),
                status=values.pop("status", "held"),
                severity=values.pop("severity", "info"),
                payload={"kind": "item", "title": key, "url": "", "brands": ["Acmé"]},
                next_attempt_at=at,
                created_at=at,
                **values,
            )
        )


def test_the_days_count_the_digest_rows_and_the_crises_sent_at_once(db: Database) -> None:
    """The week the clocks go back, in Paris: the digest released Monday 26 at 08:30."""
    due = local(PARIS, 2026, 10, 26, 8, 30)
    held = {"hold_reason": "digest", "group_key": KEY, "hold_until": due}
    add(db, "lundi-soir", local(PARIS, 2026, 10, 19, 22, 0), **held)
    add(db, "jeudi", local(PARIS, 2026, 10, 22, 12, 0), **held)
    add(db, "jeudi-critique", local(PARIS, 2026, 10, 22, 13, 0), severity="critical", **held)
    add(db, "vendredi", local(PARIS, 2026, 10, 23, 9, 0), severity="warning", **held)
    # 02:15 the second time (after the clocks went back): Sunday.
    add(db, "nuit", local(PARIS, 2026, 10, 25, 2, 15, fold=1), **held)
    add(db, "dimanche-soir", local(PARIS, 2026, 10, 25, 23, 59), **held)
    add(db, "lundi-matin", local(PARIS, 2026, 10, 26, 8, 0), **held)  # the digest's morning
    # Critical alerts sent at once to the director: counted on their day.
    add(db, "crise", local(PARIS, 2026, 10, 21, 10, 0), status="sent", severity="critical")
    add(db, "crise-avant", local(PARIS, 2026, 10, 19, 8, 0), status="sent", severity="critical")
    # Not this digest's: another target, next week's, an ops notice, a summary.
    add(db, "autre", local(PARIS, 2026, 10, 22, 12, 0), target="slack:#veille", **held)
    later = dict(held, hold_until=due + timedelta(days=7))
    add(db, "semaine-prochaine", local(PARIS, 2026, 10, 26, 8, 45), **later)
    add(db, "ops:x", local(PARIS, 2026, 10, 21, 9, 0), status="sent", severity="critical")
    add(db, "summary:y", local(PARIS, 2026, 10, 21, 9, 0), status="sent", severity="critical")

    now = due + timedelta(minutes=1)
    with db.writing() as session:
        grouping.release_due(
            session,
            now,
            periods={KEY: "weekly"},
            since={KEY: digest.period_start(WEEKLY, now, PARIS)},
        )
    with db.session() as session:
        [summary] = [
            r.payload["summary"]
            for r in session.query(OutboxRow).filter(OutboxRow.target == DIRECTOR)
            if r.payload.get("kind") == "summary"
        ]
    assert summary["count"] == 7 and summary["sent_apart"] == 1

    def day(date: str, info: int = 0, warning: int = 0, critical: int = 0) -> dict[str, object]:
        count = info + warning + critical
        return {"day": date, "count": count, "critical": critical, "warning": warning, "info": info}

    assert summary["days"] == [
        day("2026-10-19", info=1),
        day("2026-10-20"),
        day("2026-10-21", critical=1),
        day("2026-10-22", info=1, critical=1),
        day("2026-10-23", warning=1),
        day("2026-10-24"),
        day("2026-10-25", info=2),
        # Monday 26 before 08:30 is Monday's, not Sunday's: the digest's morning.
        day("2026-10-26", info=1) | {"before": "08:30"},
    ]


def test_a_digest_at_midnight_has_no_morning_of_its_own(db: Database) -> None:
    """A guard: "weekly mon 00:00" covers Monday to Sunday, 7 days and no 8th."""
    due = local(PARIS, 2026, 11, 23, 0, 0)
    held = {"hold_reason": "digest", "group_key": KEY, "hold_until": due}
    add(db, "dimanche-soir", local(PARIS, 2026, 11, 22, 23, 59), **held)
    now = due + timedelta(minutes=1)
    with db.writing() as session:
        grouping.release_due(
            session,
            now,
            periods={KEY: "weekly"},
            since={KEY: digest.period_start("weekly mon 00:00", now, PARIS)},
        )
    with db.session() as session:
        [summary] = [
            r.payload["summary"]
            for r in session.query(OutboxRow)
            if r.payload.get("kind") == "summary"
        ]
    assert [d["day"] for d in summary["days"]] == [f"2026-11-{d}" for d in range(16, 23)]
    assert summary["days"][6]["count"] == 1 and "before" not in summary["days"][6]


def test_a_daily_digest_has_no_days(db: Database) -> None:
    """A guard: only a weekly digest is cut into days."""
    due = local(PARIS, 2026, 11, 26, 8, 30)
    add(db, "x", due - timedelta(hours=3), hold_reason="digest", group_key=KEY, hold_until=due)
    with db.writing() as session:
        grouping.release_due(session, due, periods={KEY: "daily"})
    with db.session() as session:
        [summary] = [
            r.payload["summary"]
            for r in session.query(OutboxRow)
            if r.payload.get("kind") == "summary"
        ]
    assert "days" not in summary and summary["count"] == 1
