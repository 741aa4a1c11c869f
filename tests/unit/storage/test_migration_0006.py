"""Migration 0006 (SQLite and PostgreSQL): ``daemons`` and two source columns come, a
failing source keeps its failures (its run's start unknown), and the way back drops
only what 0006 added — with foreign keys on, as the ``alembic`` command runs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, inspect, select

from tests.unit.storage.test_migrations import _source_item_mention_and_notification, migrate
from watchtower.storage.db import Database, current_revision
from watchtower.storage.tables import ITEMS, SOURCES, MentionRow

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def source_columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("sources")}


def test_0006_up_and_down_keeps_sources_items_and_mentions(db: Database) -> None:
    migrate(db.engine, "0005")
    _source_item_mention_and_notification(db)
    with db.engine.begin() as conn:
        conn.execute(
            SOURCES.update().values(consecutive_failures=3, last_error="the page does not exist")
        )
    # ``migrate`` runs Alembic as its command does: on SQLite with foreign keys on
    # (this engine's pragma), where rebuilding ``sources`` would delete its items.

    migrate(db.engine, "0006")
    assert {"failing_since", "last_warning"} <= source_columns(db.engine)
    assert "daemons" in inspect(db.engine).get_table_names()
    assert {i["name"] for i in inspect(db.engine).get_indexes("daemons")} == {"ix_daemons_seen"}
    with db.engine.connect() as conn:
        failures, since, warning = conn.execute(
            select(SOURCES.c.consecutive_failures, SOURCES.c.failing_since, SOURCES.c.last_warning)
        ).one()
    assert (failures, since, warning) == (3, None, None)  # when its run began is unknown

    migrate(db.engine, "0005", down=True)
    assert not {"failing_since", "last_warning"} & source_columns(db.engine)
    assert "daemons" not in inspect(db.engine).get_table_names()
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0005"
        assert conn.execute(select(SOURCES.c.consecutive_failures)).scalar_one() == 3
        assert len(conn.execute(select(ITEMS.c.id)).all()) == 1
        brands = conn.execute(select(MentionRow.__table__.c.brand)).scalars().all()
        assert brands == ["Acmé"]
