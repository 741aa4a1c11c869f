"""A ``[[digests]]`` digest goes at its time even when nothing was held for it.

:func:`watchtower.digest.due_digests` says which digest time each target's
digest last had (in its zone, across changes of summer time);
:func:`watchtower.pipeline.grouping.release_scheduled` queues the digest of a
period with critical alerts only, or with nothing (unless ``when_empty =
"skip"``), once, on a real migrated database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from watchtower import digest
from watchtower.config import Config, load_config
from watchtower.heartbeat import Heartbeat
from watchtower.pipeline import grouping
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow, SourceRow

DIRECTOR = "email:dircom@acme.example"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def config_of(write_config: Callable[[str], Path]) -> Callable[[str], Config]:
    def build(digests: str) -> Config:
        path = write_config(f"""
[watchtower]
database_url = "sqlite:///unused.db"
timezone = "Europe/Paris"

[email]
smtp_host = "127.0.0.1"
from = "veille@acme.example"

[[brands]]
name = "Acmé"
terms = ["Acmé"]
{digests}
""")
        return load_config(path).config

    return build


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


# ------------------------------------------------------------- due_digests


def test_the_last_digest_time_and_its_period_in_the_target_zone(
    config_of: Callable[[str], Config],
) -> None:
    config = config_of(f"""
[[digests]]
targets = ["{DIRECTOR}", "slack:#direction"]
digest = "daily 08:30"

[[digests]]
targets = ["{DIRECTOR}", "email:ny@acme.example"]
digest = "daily 09:00"
timezone = "America/New_York"
when_empty = "skip"
""")
    due = digest.due_digests(config, utc(2026, 11, 26, 7, 31))  # 08:31 in Paris
    by_target = {d.target: d for d in due}
    # A target in two [[digests]] follows the first, as its held rows do.
    assert sorted(by_target) == [DIRECTOR, "email:ny@acme.example", "slack:#direction"]
    director = by_target[DIRECTOR]
    assert (director.due, director.since) == (utc(2026, 11, 26, 7, 30), utc(2026, 11, 25, 7, 30))
    assert (director.key, director.period, director.when_empty) == (f"|{DIRECTOR}", "daily", "send")
    new_york = by_target["email:ny@acme.example"]
    assert new_york.due == utc(2026, 11, 25, 14)  # 09:00 EST, yesterday there
    assert new_york.when_empty == "skip"


@pytest.mark.parametrize(
    ("now", "due", "since"),
    [
        # 29 March 2026: 02:30 does not exist; the digest is at 03:00 CEST, 23 h after.
        (utc(2026, 3, 29, 1, 5), utc(2026, 3, 29, 1), utc(2026, 3, 28, 1, 30)),
        # 25 October 2026: 02:30 is shown twice; the first (CEST), 25 h after.
        (utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 0, 30), utc(2026, 10, 24, 0, 30)),
        # The repeated 02:30 (CET) is no new digest time.
        (utc(2026, 10, 25, 1, 45), utc(2026, 10, 25, 0, 30), utc(2026, 10, 24, 0, 30)),
    ],
)
def test_a_0230_digest_time_on_the_nights_summer_time_changes(
    config_of: Callable[[str], Config], now: datetime, due: datetime, since: datetime
) -> None:
    config = config_of(f"""
[[digests]]
targets = ["{DIRECTOR}"]
digest = "daily 02:30"
""")
    [entry] = digest.due_digests(config, now)
    assert (entry.due, entry.since) == (due, since)


def test_rules_own_digests_are_not_scheduled(config_of: Callable[[str], Config]) -> None:
    config = config_of(f"""
[[rules]]
name = "avis"
query = "avis"
notify = ["{DIRECTOR}"]
digest = "daily 08:30"
""")
    assert digest.due_digests(config, utc(2026, 11, 26, 7, 31)) == []


def test_when_empty_is_send_or_skip(write_config: Callable[[str], Path]) -> None:
    path = write_config(f"""
[watchtower]
database_url = "sqlite:///unused.db"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[digests]]
targets = ["{DIRECTOR}"]
digest = "daily 08:30"
when_empty = "never"
""")
    with pytest.raises(Exception, match="when_empty"):
        load_config(path)


# --------------------------------------------------------- release_scheduled

DUE = digest.Due(
    key=f"|{DIRECTOR}",
    target=DIRECTOR,
    due=utc(2026, 11, 26, 7, 30),
    since=utc(2026, 11, 25, 7, 30),
    period="daily",
    when_empty="send",
)
NOW = utc(2026, 11, 26, 7, 31)


def started(db: Database, at: datetime) -> None:
    """A watchtower process's heartbeat row, started at ``at``."""
    Heartbeat("watchtower.toml", timedelta(minutes=5), at).start(db, at)


def add_row(db: Database, key: str, at: datetime, **values: object) -> None:
    with db.writing() as session:
        session.add(
            OutboxRow(
                item_id=None,
                dedup_key=key,
                target=DIRECTOR,
                status=values.pop("status", "sent"),
                severity=values.pop("severity", "critical"),
                payload=values.pop("payload", {"kind": "item", "title": key, "brands": ["Acmé"]}),
                next_attempt_at=at,
                created_at=at,
                **values,
            )
        )


def release(db: Database, *due: digest.Due, now: datetime = NOW) -> int:
    with db.writing() as session:
        return grouping.release_scheduled(session, now, list(due))


def digests(db: Database) -> list[OutboxRow]:
    with db.session() as session:
        query = select(OutboxRow).where(OutboxRow.dedup_key.startswith("summary:digest:"))
        return list(session.scalars(query.order_by(OutboxRow.id)))


def test_an_empty_period_sends_one_nothing_to_report_with_the_sources_health(
    db: Database,
) -> None:
    started(db, utc(2026, 11, 20))
    with db.writing() as session:
        for name, failures in (("presse", 0), ("forum", 3), ("ancien", 0)):
            session.add(
                SourceRow(
                    name=name,
                    kind="rss",
                    url=f"https://{name}.fr/",
                    cursor={},
                    next_check_at=NOW,
                    consecutive_failures=failures,
                    enabled=name != "ancien",
                )
            )
    assert release(db, DUE) == 1
    # Every later tick of the period, on this replica or another: no other.
    assert release(db, DUE) == 0
    assert release(db, DUE, now=NOW + timedelta(hours=20)) == 0
    [row] = digests(db)
    assert (row.status, row.severity, row.group_key) == ("pending", "info", f"|{DIRECTOR}")
    summary = row.payload["summary"]
    assert (summary["reason"], summary["count"], summary["sent_apart"]) == ("digest", 0, 0)
    assert summary["health"] == {"sources": 2, "failing": 1}
    assert summary["since"] == "2026-11-25T07:30:00+00:00"
    assert "chart" not in row.payload


def test_critical_alerts_of_the_period_only_are_counted_and_listed(db: Database) -> None:
    started(db, utc(2026, 11, 20))
    add_row(db, "before", utc(2026, 11, 25, 7, 0))  # the previous period's
    for i in range(5):
        add_row(db, f"crise-{i}", utc(2026, 11, 25, 22, i))
    add_row(db, "ops:notice", utc(2026, 11, 25, 23))  # an ops notice is no alert
    add_row(db, "after", utc(2026, 11, 26, 7, 30, 30))  # the next period's
    assert release(db, DUE) == 1
    summary = digests(db)[0].payload["summary"]
    assert summary["sent_apart"] == 5
    assert [a["title"] for a in summary["apart"]] == [f"crise-{i}" for i in range(5)]


def test_when_empty_skip_sends_nothing_then_but_still_tells_a_crisis(db: Database) -> None:
    started(db, utc(2026, 11, 20))
    skip = replace(DUE, when_empty="skip")
    assert release(db, skip) == 0
    # An alert after its time is the next period's: the skipped one stays skipped.
    add_row(db, "later", utc(2026, 11, 26, 9))
    assert release(db, skip, now=utc(2026, 11, 26, 10)) == 0
    add_row(db, "crise", utc(2026, 11, 26, 1))
    assert release(db, skip, now=utc(2026, 11, 26, 10)) == 1


def test_no_digest_for_a_period_nobody_watched(db: Database) -> None:
    assert release(db, DUE) == 0  # no watchtower on record
    started(db, utc(2026, 11, 26, 7, 31))  # first started just after the digest time
    assert release(db, DUE) == 0
    assert digests(db) == []


def test_a_digest_of_held_rows_is_the_periods_digest(db: Database) -> None:
    started(db, utc(2026, 11, 20))
    # Held rows due: the held path releases them (another replica may be doing it).
    add_row(
        db,
        "held",
        utc(2026, 11, 25, 12),
        status="held",
        severity="info",
        hold_reason="digest",
        group_key=f"|{DIRECTOR}",
        hold_until=DUE.due,
    )
    assert release(db, DUE) == 0
    with db.writing() as session:
        assert grouping.release_due(session, NOW, since={DUE.key: DUE.since}) == 1
    [made] = digests(db)
    assert made.group_key == DUE.key
    # Out of held rows: no second, empty digest for the same period.
    assert release(db, DUE, now=NOW + timedelta(minutes=1)) == 0
    assert len(digests(db)) == 1


def test_a_decided_digest_time_is_not_looked_at_again(db: Database) -> None:
    started(db, utc(2026, 11, 20))
    settled: dict[str, datetime] = {}
    with db.writing() as session:
        assert grouping.release_scheduled(session, NOW, [DUE], settled) == 1
    assert settled == {DUE.key: DUE.due}
    with db.writing() as session:  # the row went: the memo alone says it is done
        session.query(OutboxRow).delete()
    with db.writing() as session:
        assert grouping.release_scheduled(session, NOW, [DUE], settled) == 0
    # The next day's digest time is a new decision.
    tomorrow = replace(DUE, due=DUE.due + timedelta(days=1), since=DUE.due)
    with db.writing() as session:
        assert (
            grouping.release_scheduled(session, NOW + timedelta(days=1), [tomorrow], settled) == 1
        )
    assert settled == {DUE.key: tomorrow.due}
