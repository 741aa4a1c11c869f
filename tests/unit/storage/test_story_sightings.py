"""The thread cap's queries: which outbox rows are a story's sightings to a target."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchtower.pipeline.threads import counter_slot, newer_sighting_due, replies_before
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow

NOW = datetime(2026, 3, 4, 10, 0, 30, tzinfo=UTC)
TARGET = "slack:#veille"


def _add(
    db: Database, key: str, status: str = "sent", *, target: str = TARGET, ago: int = 0
) -> int:
    with db.session() as session:
        row = OutboxRow(
            dedup_key=key,
            target=target,
            status=status,
            severity="info",
            reason="test",
            payload={},
            attempts=0,
            next_attempt_at=NOW,
            created_at=NOW - timedelta(seconds=ago),
        )
        session.add(row)
        session.flush()
        return row.id


def test_only_live_sightings_of_the_story_and_target_count(migrated: Database) -> None:
    _add(migrated, "story:7")  # the parent
    _add(migrated, "story:7:item:1")
    _add(migrated, "story:7:item:2", "pending")
    _add(migrated, "story:7:item:3", "skipped")
    _add(migrated, "story:7:item:4", "failed")
    _add(migrated, "story:7:edit:1:abc")  # an edit is no sighting
    _add(migrated, "story:70:item:5")  # another story
    _add(migrated, "story:7:item:6", target="console:")  # another target
    last = _add(migrated, "story:7:item:9", "pending")
    with migrated.session() as session:
        assert replies_before(session, 7, TARGET, last) == 2
        assert replies_before(session, 70, TARGET, last) == 1


def test_a_newer_sighting_due_by_the_same_boundary_takes_the_update(migrated: Database) -> None:
    old = _add(migrated, "story:7:item:1", "pending", ago=20)
    newer = _add(migrated, "story:7:item:2", "pending", ago=10)
    _add(migrated, "story:7:item:3", "pending", ago=-40)  # queued after the boundary
    boundary = counter_slot(NOW)
    assert boundary == datetime(2026, 3, 4, 10, 1, tzinfo=UTC)
    with migrated.session() as session:
        assert newer_sighting_due(session, 7, TARGET, old, boundary)
        assert not newer_sighting_due(session, 7, TARGET, newer, boundary)
