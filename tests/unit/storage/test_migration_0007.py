"""Migration 0007 (SQLite and PostgreSQL): ``spike_alerts.escalate_at``, the stored
escalation deadline. Existing alerts get the deadline they had (``ack_timeout``
after their Slack post, else after their creation), and the way back drops only
the column."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import Table, insert, inspect, select

from tests.unit.storage.test_migrations import migrate
from watchtower.storage.db import Database, current_revision
from watchtower.storage.tables import SpikeAlertRow

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
ALERTS = cast(Table, SpikeAlertRow.__table__)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _utc(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=when.tzinfo or UTC) if when is not None else None


def _alert(key: str, timeout: float, **posted: object) -> dict[str, object]:
    """A ``spike_alerts`` row as 0006 has it, created at ``NOW``."""
    row: dict[str, object] = dict.fromkeys(("channel", "ts", "sent_at", "acked_at"))
    row.update(posted)
    return dict(
        row,
        dedup_key=key,
        scope="brand",
        name=key,
        escalate_notify=["slack:#direction"],
        ack_timeout_s=timeout,
        created_at=NOW,
    )


def test_0007_gives_alerts_the_deadline_they_had_and_goes_back(db: Database) -> None:
    migrate(db.engine, "0006")
    posted_late = NOW + timedelta(minutes=10)
    with db.engine.begin() as conn:
        # Core, with the columns 0006 has: the mapped table already knows escalate_at.
        conn.execute(
            insert(ALERTS),
            [
                # Posted on Slack 10 minutes after the spike: 15 minutes from the post.
                _alert("a", 900.0, channel="C1", ts="1.1", sent_at=posted_late),
                # Never reached Slack: from its creation.
                _alert("b", 600.0),
                # Acknowledged long ago: the same rule (the column says what it was).
                _alert("c", 300.0, channel="C1", ts="1.2", sent_at=NOW, acked_at=NOW),
            ],
        )

    migrate(db.engine, "0007")
    with db.engine.connect() as conn:
        due = dict(conn.execute(select(ALERTS.c.dedup_key, ALERTS.c.escalate_at)).all())
    assert {key: _utc(at) for key, at in due.items()} == {
        "a": posted_late + timedelta(minutes=15),
        "b": NOW + timedelta(minutes=10),
        "c": NOW + timedelta(minutes=5),
    }

    migrate(db.engine, "0006", down=True)
    assert "escalate_at" not in {c["name"] for c in inspect(db.engine).get_columns("spike_alerts")}
    indexes = {i["name"] for i in inspect(db.engine).get_indexes("spike_alerts")}
    assert "ix_spike_alerts_scope" in indexes
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0006"
        keys = conn.execute(select(ALERTS.c.dedup_key).order_by(ALERTS.c.dedup_key)).scalars()
        assert list(keys) == ["a", "b", "c"]
