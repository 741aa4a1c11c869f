"""``claim_outbox``: due rows by severity (critical first), then due time, then id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchtower.storage.db import Database
from watchtower.storage.outbox_queries import claim_outbox
from watchtower.storage.tables import OutboxRow

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def _add(db: Database, rows: list[tuple[str, str, int]]) -> None:
    """``(key, severity, seconds ago it was due)`` rows to ``slack:#veille``."""
    with db.session() as session:
        for key, severity, ago in rows:
            session.add(
                OutboxRow(
                    dedup_key=key,
                    target="slack:#veille",
                    status="pending",
                    severity=severity,
                    reason="test",
                    payload={},
                    attempts=0,
                    next_attempt_at=NOW - timedelta(seconds=ago),
                    created_at=NOW - timedelta(seconds=ago),
                )
            )


def test_critical_then_warning_then_info_then_due_time(migrated: Database) -> None:
    _add(
        migrated,
        [
            ("info-old", "info", 60),
            ("info-new", "info", 1),
            ("warn", "warning", 5),
            ("crit-new", "critical", 0),
            ("crit-old", "critical", 30),
            ("later", "critical", -60),  # not due yet
        ],
    )
    with migrated.session() as session:
        claimed = [r.dedup_key for r in claim_outbox(session, NOW, timedelta(minutes=5), 10)]
    assert claimed == ["crit-old", "crit-new", "warn", "info-old", "info-new"]


def test_a_small_batch_takes_the_most_urgent(migrated: Database) -> None:
    _add(migrated, [(f"info-{i}", "info", 60) for i in range(40)] + [("crit", "critical", 0)])
    with migrated.session() as session:
        first = [r.dedup_key for r in claim_outbox(session, NOW, timedelta(minutes=5), 1)]
    assert first == ["crit"]
