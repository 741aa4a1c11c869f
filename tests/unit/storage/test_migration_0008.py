"""Migration 0008 (SQLite and PostgreSQL): the ``alert_feedback`` table where the
feedback job records 🚫 reactions. It upgrades from 0007 with the outbox kept,
follows its outbox row when retention prunes it, and the way back drops only it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, inspect, select

from tests.unit.storage.test_migrations import migrate
from watchtower.cli import main
from watchtower.storage.db import Database, current_revision
from watchtower.storage.tables import AlertFeedbackRow, OutboxRow

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
OUTBOX = OutboxRow.__table__
FEEDBACK = AlertFeedbackRow.__table__


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _outbox(key: str) -> dict[str, object]:
    return {
        "dedup_key": key,
        "target": "slack:#veille",
        "status": "sent",
        "severity": "info",
        "reason": "brand",
        "payload": {"brands": ["Orange"]},
        "attempts": 1,
        "next_attempt_at": NOW,
        "created_at": NOW,
        "sent_at": NOW,
        "provider_message_id": "1.1",
        "outcome_unknown": False,
    }


def test_0008_adds_alert_feedback_and_goes_back(db: Database) -> None:
    migrate(db.engine, "0007")
    assert "alert_feedback" not in inspect(db.engine).get_table_names()
    with db.engine.begin() as conn:
        conn.execute(insert(OUTBOX), [_outbox("a"), _outbox("b")])
        ids = dict(conn.execute(select(OUTBOX.c.dedup_key, OUTBOX.c.id)).all())

    migrate(db.engine, "0008")
    with db.engine.begin() as conn:
        conn.execute(
            insert(FEEDBACK),
            [
                {
                    "outbox_id": ids["a"],
                    "checks": 1,
                    "checked_at": NOW,
                    "not_relevant_at": NOW,
                    "reaction": "no_entry_sign",
                    "marked_by": "U0CM",
                },
                {
                    "outbox_id": ids["b"],
                    "checks": 1,
                    "checked_at": NOW,
                    "not_relevant_at": None,
                    "reaction": None,
                    "marked_by": None,
                },
            ],
        )
        # Retention prunes an outbox row: its feedback goes with it.
        conn.execute(delete(OUTBOX).where(OUTBOX.c.id == ids["b"]))
    with db.engine.connect() as conn:
        rows = conn.execute(select(FEEDBACK.c.outbox_id, FEEDBACK.c.reaction)).all()
    assert [tuple(r) for r in rows] == [(ids["a"], "no_entry_sign")]

    migrate(db.engine, "0007", down=True)
    assert "alert_feedback" not in inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0007"
        assert list(conn.execute(select(OUTBOX.c.dedup_key)).scalars()) == ["a"]

    migrate(db.engine, "0008")  # and up again
    assert "alert_feedback" in inspect(db.engine).get_table_names()


def test_noise_on_a_database_not_migrated_yet_says_so(
    db: Database,
    database_url: str,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    migrate(db.engine, "0007")
    path = write_config(f'[watchtower]\ndatabase_url = "{database_url}"\n')
    assert main(["noise", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "schema 0007 is older than this watchtower" in err and "db upgrade" in err
