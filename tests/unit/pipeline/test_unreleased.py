"""Claimed rows handed back after a refused hand-back: only if still the same claim
(:mod:`watchtower.pipeline.unreleased`), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from watchtower.pipeline.unreleased import LIMIT, Unreleased, release_same_claims
from watchtower.storage.db import Database
from watchtower.storage.outbox_queries import enqueue_notice, notice_payload
from watchtower.storage.tables import OutboxRow

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
LEASE_END = NOW + timedelta(minutes=5)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


def claimed(db: Database, count: int) -> list[int]:
    """``count`` notifications claimed by one claim ending at :data:`LEASE_END`."""
    targets = [f"slack:#c{i}" for i in range(count)]
    with db.writing() as session:
        enqueue_notice(session, "test:1", targets, notice_payload("t", "b", "critical"), NOW)
        ids = list(session.scalars(select(OutboxRow.id).order_by(OutboxRow.id)))
        session.execute(
            update(OutboxRow).values(status="sending", claimed_until=LEASE_END, attempts=1)
        )
    return ids


def rows(db: Database) -> dict[int, tuple[str, int, datetime | None]]:
    with db.session() as session:
        return {
            r.id: (r.status, r.attempts, r.claimed_until)
            for r in session.scalars(select(OutboxRow))
        }


def test_a_row_claimed_again_since_keeps_its_new_claim(db: Database) -> None:
    ids = claimed(db, 3)
    again = LEASE_END + timedelta(minutes=6)
    with db.writing() as session:  # its lease expired; another worker claimed it
        session.execute(
            update(OutboxRow).where(OutboxRow.id == ids[-1]).values(claimed_until=again, attempts=2)
        )
    with db.writing() as session:
        assert release_same_claims(session, dict.fromkeys(ids, LEASE_END)) == 2
    after = rows(db)
    assert [after[i] for i in ids[:-1]] == [("pending", 0, None)] * 2
    assert after[ids[-1]] == ("sending", 2, again)


def test_remembered_rows_go_back_once_and_are_then_forgotten(db: Database) -> None:
    ids = claimed(db, 2)
    unreleased = Unreleased(db)
    unreleased.remember(dict.fromkeys(ids, LEASE_END))
    assert len(unreleased) == 2
    assert unreleased.release_all() == 2
    assert len(unreleased) == 0
    assert {status for status, _, _ in rows(db).values()} == {"pending"}


def test_the_memory_is_bounded(db: Database) -> None:
    unreleased = Unreleased(db)
    unreleased.remember({i: LEASE_END for i in range(LIMIT)})
    unreleased.remember({LIMIT + 1: LEASE_END})
    assert len(unreleased) == LIMIT
