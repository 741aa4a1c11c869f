"""Migrations on SQLite and PostgreSQL: 0005 gives stored items a ``seen_at``, and the
migrated schema is the one the tables describe."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, select

from watchtower.storage.db import Database, alembic_config
from watchtower.storage.tables import ITEMS, SOURCES, Base

NOW = datetime(2026, 11, 25, 9, 30, 15, 123456, tzinfo=UTC)


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def test_0005_gives_stored_items_seen_at_fetched_at(db: Database) -> None:
    migrate(db.engine, "0004")
    fetched = [NOW - timedelta(days=days) for days in (200, 3, 0)]
    with db.engine.begin() as conn:
        # Core, with the columns 0004 has: the mapped table already knows seen_at.
        source_id = conn.execute(
            insert(SOURCES).returning(SOURCES.c.id),
            {
                "name": "avis",
                "kind": "rss",
                "url": "https://avis.example.fr/",
                "enabled": True,
                "cursor": {},
                "next_check_at": NOW,
                "consecutive_failures": 0,
                "items_total": 3,
                "alerting": False,
            },
        ).scalar_one()
        conn.execute(
            insert(ITEMS),
            [
                {
                    "source_id": source_id,
                    "guid": f"r{n}",
                    "url": "",
                    "canonical_url": "",
                    "url_hash": "",
                    "content_hash": "",
                    "title": "Acmé",
                    "text": "",
                    "fetched_at": at,
                }
                for n, at in enumerate(fetched)
            ],
        )

    migrate(db.engine, "head")

    with db.engine.connect() as conn:
        rows = conn.execute(
            select(ITEMS.c.guid, ITEMS.c.fetched_at, ITEMS.c.seen_at).order_by(ITEMS.c.guid)
        ).all()
    assert [(guid, seen) for guid, _, seen in rows] == [
        ("r0", fetched[0]),
        ("r1", fetched[1]),
        ("r2", fetched[2]),
    ]
    assert all(seen == at for _, at, seen in rows)
    indexes = {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes("items")}
    assert indexes["ix_items_source_seen"] == ["source_id", "seen_at"]

    # And back: the column and its index go, the items stay.
    migrate(db.engine, "0004", down=True)
    columns = {c["name"] for c in inspect(db.engine).get_columns("items")}
    assert "seen_at" not in columns and "fetched_at" in columns
    assert "ix_items_source_seen" not in {
        i["name"] for i in inspect(db.engine).get_indexes("items")
    }
    with db.engine.connect() as conn:
        assert len(conn.execute(select(ITEMS.c.id)).all()) == 3


def test_migrated_schema_matches_the_tables(db: Database) -> None:
    db.upgrade()
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_replicas_starting_together_migrate_once(database_url: str) -> None:
    """Several replicas start on an empty database: one migrates, the others wait
    and then find nothing to do (no duplicate-table error, no crashed replica)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share PostgreSQL; one SQLite file has one daemon")
    databases = [Database(database_url) for _ in range(4)]
    start = threading.Barrier(len(databases))
    errors: list[BaseException] = []

    def replica(db: Database) -> None:
        start.wait()
        try:
            db.upgrade()
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=replica, args=(db,)) for db in databases]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        with databases[0].engine.connect() as conn:
            head = ScriptDirectory.from_config(alembic_config(conn.engine)).get_current_head()
            assert MigrationContext.configure(conn).get_current_revision() == head
    finally:
        for db in databases:
            db.dispose()
