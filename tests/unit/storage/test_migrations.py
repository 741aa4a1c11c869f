"""Migrations on SQLite and PostgreSQL: 0005 gives stored items a ``seen_at``, the
migrated schema is the one the tables describe, a downgrade keeps what it does not
drop, a newer schema is refused, and a read-only database is never written."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

from watchtower.errors import NoDatabase, SchemaMismatch
from watchtower.storage.db import Database, alembic_config, current_revision, head_revision
from watchtower.storage.tables import ITEMS, SOURCES, Base, MentionRow, OutboxRow

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


def _source_item_mention_and_notification(db: Database) -> None:
    with db.engine.begin() as conn:
        source_id = conn.execute(
            insert(SOURCES).returning(SOURCES.c.id),
            {
                "name": "forum",
                "kind": "rss",
                "url": "https://forum.example.fr/",
                "enabled": True,
                "cursor": {},
                "next_check_at": NOW,
                "consecutive_failures": 0,
                "items_total": 1,
                "alerting": False,
            },
        ).scalar_one()
        item_id = conn.execute(
            insert(ITEMS).returning(ITEMS.c.id),
            {
                "source_id": source_id,
                "guid": "post-1",
                "url": "",
                "canonical_url": "",
                "url_hash": "",
                "content_hash": "",
                "title": "Acmé",
                "text": "",
                "fetched_at": NOW,
            },
        ).scalar_one()
        conn.execute(
            insert(MentionRow.__table__),
            {"item_id": item_id, "brand": "Acmé", "terms": [], "surfaces": [], "created_at": NOW},
        )
        conn.execute(
            insert(OutboxRow.__table__),
            {
                "item_id": item_id,
                "dedup_key": "post-1",
                "target": "console:",
                "payload": {},
                "next_attempt_at": NOW,
                "created_at": NOW,
            },
        )


def test_a_downgrade_keeps_the_rows_of_rebuilt_tables(db: Database) -> None:
    """SQLite rebuilds ``items`` to drop a column: with foreign keys on, dropping the
    old table would delete every mention (ON DELETE CASCADE) and unlink the outbox."""
    db.upgrade()
    _source_item_mention_and_notification(db)
    assert db.downgrade("0004") == head_revision()
    with db.engine.connect() as conn:
        assert conn.execute(select(MentionRow.__table__.c.brand)).scalars().all() == ["Acmé"]
        assert conn.execute(select(OutboxRow.__table__.c.item_id)).scalar_one() is not None
        assert current_revision(conn) == "0004"
        if not db.postgres:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1  # back on
    assert db.upgrade() == ("0004", head_revision())


def test_a_schema_from_a_newer_version_is_refused_untouched(db: Database) -> None:
    db.upgrade()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_next_release'"))
    for attempt in (db.upgrade, lambda: db.downgrade("0004")):
        with pytest.raises(SchemaMismatch) as refused:
            attempt()
        assert str(refused.value) == (
            f"the database schema 0099_next_release is newer than this watchtower "
            f"(latest {head_revision()}): run the newer version, or restore a backup"
        )
        assert f"watchtower db downgrade {head_revision()}" in refused.value.hint
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0099_next_release"
        assert "seen_at" in {c["name"] for c in inspect(conn).get_columns("items")}


def test_a_read_only_database_creates_nothing_and_writes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    if database_url.startswith("sqlite"):
        missing = Database(f"sqlite:///{tmp_path / 'no' / 'such.db'}", readonly=True)
        with pytest.raises(NoDatabase, match="no database at sqlite:///"):
            missing.existing_revision()
        missing.dispose()
        assert not (tmp_path / "no").exists()
    empty = Database(database_url, readonly=True)  # the schema exists, no tables yet
    try:
        with pytest.raises(NoDatabase):
            empty.existing_revision()
    finally:
        empty.dispose()
    writer = Database(database_url)
    writer.upgrade()
    writer.dispose()
    reader = Database(database_url, readonly=True)
    try:
        assert reader.existing_revision() == head_revision()
        with pytest.raises(DBAPIError, match=r"read-only|readonly"), reader.session() as session:
            session.execute(text("DELETE FROM sources"))
    finally:
        reader.dispose()
