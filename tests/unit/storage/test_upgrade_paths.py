"""Upgrades as an operator meets them (SQLite, and PostgreSQL when configured): a
``db upgrade`` killed half-way (``kill -9``, a power cut) or stopped by a full disk
leaves the schema it started from, with every row, and running it again finishes
the job; the error says the database is unchanged and what to do.

The kill is real: a child process runs the upgrade and sends itself SIGKILL just
before a chosen statement of a later migration reaches the database.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, column, event, func, insert, inspect, select, table

from tests.unit.storage.test_migrations import migrate
from watchtower.errors import SchemaMismatch
from watchtower.storage.db import Database, current_revision, head_revision
from watchtower.storage.tables import ITEMS, SOURCES, Base, MentionRow, OutboxRow

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)

#: The tables each early revision has (and nothing else, once a migration failed).
TABLES_0001 = {"alembic_version", "sources", "items", "mentions", "outbox"}

#: ``outbox`` as 0001 has it (the mapped table would add later columns' defaults).
OUTBOX_0001 = table(
    "outbox",
    *(
        column(name)
        for name in (
            "item_id",
            "dedup_key",
            "target",
            "status",
            "severity",
            "reason",
            "attempts",
            "next_attempt_at",
            "created_at",
        )
    ),
    column("payload", JSON),
)

KILLER = """
import os, signal, sys
from sqlalchemy import event
from watchtower.storage.db import Database

url, marker = sys.argv[1], sys.argv[2]
db = Database(url)

@event.listens_for(db.engine, "before_cursor_execute")
def _kill(conn, cursor, statement, parameters, context, executemany):
    if marker in statement:
        os.kill(os.getpid(), signal.SIGKILL)

db.upgrade()
print("finished without meeting the marker")
"""


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _fill(db: Database, items: int) -> None:
    """A source with state, ``items`` items, a mention and a pending notification,
    with only the columns 0001 has (Core: the mapped tables know later columns)."""
    with db.engine.begin() as conn:
        source_id = conn.execute(
            insert(SOURCES).returning(SOURCES.c.id),
            {
                "name": "forum",
                "kind": "rss",
                "url": "https://forum.example.fr/",
                "enabled": True,
                "etag": '"v42"',
                "cursor": {"last": "post-9"},
                "next_check_at": NOW,
                "consecutive_failures": 2,
                "last_error": "the site did not answer in time",
                "items_total": items,
                "alerting": False,
            },
        ).scalar_one()
        conn.execute(
            insert(ITEMS),
            [
                {
                    "source_id": source_id,
                    "guid": f"post-{n}",
                    "url": f"https://forum.example.fr/t/{n}",
                    "canonical_url": f"https://forum.example.fr/t/{n}",
                    "url_hash": f"{n:064x}",
                    "content_hash": f"{n:064x}",
                    "title": f"Acmé, sujet {n}",
                    "text": "Un avis sur la Banque Acmé. " * 12,
                    "fetched_at": NOW,
                }
                for n in range(items)
            ],
        )
        first = conn.execute(select(func.min(ITEMS.c.id))).scalar_one()
        conn.execute(
            insert(MentionRow.__table__),
            {
                "item_id": first,
                "brand": "Acmé",
                "rule": "",
                "severity": "info",
                "terms": ["Acmé"],
                "surfaces": ["title"],
                "created_at": NOW,
            },
        )
        conn.execute(
            insert(OUTBOX_0001),
            {
                "item_id": first,
                "dedup_key": "post-0",
                "target": "slack:#veille",
                "status": "pending",
                "severity": "info",
                "reason": "brand Acmé",
                "payload": {"title": "Acmé, sujet 0"},
                "attempts": 0,
                "next_attempt_at": NOW,
                "created_at": NOW,
            },
        )


def _kept(db: Database, items: int) -> None:
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ITEMS)).scalar_one() == items
        assert conn.execute(select(MentionRow.__table__.c.brand)).scalars().all() == ["Acmé"]
        outbox = OutboxRow.__table__.c
        assert conn.execute(select(outbox.dedup_key, outbox.status)).all() == [
            ("post-0", "pending")
        ]
        assert conn.execute(select(SOURCES.c.etag, SOURCES.c.cursor)).one() == (
            '"v42"',
            {"last": "post-9"},
        )


@pytest.mark.parametrize(
    "marker",
    [
        "CREATE INDEX ix_items_story",  # in 0002, after its stories table and items rebuild
        "CREATE TABLE story_messages",  # in 0003, after 0002 and 0003's outbox rebuild
        "CREATE TABLE daemons",  # in 0006, after 0005 rewrote every item
    ],
)
def test_an_upgrade_killed_half_way_leaves_the_old_schema_and_runs_again(
    db: Database, database_url: str, marker: str
) -> None:
    migrate(db.engine, "0001")
    _fill(db, items=30)
    db.dispose()

    child = subprocess.run(
        [sys.executable, "-c", KILLER, database_url, marker],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr

    # Nothing of the interrupted upgrade stays: no table of a later revision, no
    # half-rebuilt copy (SQLite's ``_alembic_tmp_items``), the rows as they were.
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0001"
        assert set(inspect(conn).get_table_names()) == TABLES_0001
        assert "story_id" not in {c["name"] for c in inspect(conn).get_columns("items")}
    _kept(db, items=30)

    # Running it again (`db upgrade`, or the next start) finishes the job.
    assert db.upgrade() == ("0001", head_revision())
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        seen = conn.execute(select(ITEMS.c.seen_at).distinct()).scalars().all()
        assert seen == [NOW]  # 0005's backfill ran, once
    _kept(db, items=30)


def test_a_full_disk_during_an_upgrade_changes_nothing_and_says_so(
    database_url: str, tmp_path: Any
) -> None:
    """SQLite: 0002 copies ``items`` to add a foreign key; the disk fills up during the
    copy. The schema stays 0001 (no half-made table to trip the next attempt), the
    error says so and what to do, and once there is room the upgrade completes."""
    if not database_url.startswith("sqlite"):
        pytest.skip("a full disk is simulated with SQLite's max_page_count")
    setup = Database(database_url)
    migrate(setup.engine, "0001")
    _fill(setup, items=400)
    setup.dispose()

    full = Database(database_url)

    @event.listens_for(full.engine, "connect")
    def _almost_full(dbapi_connection: Any, _record: Any) -> None:
        # Room for a few more pages, not for a copy of ``items``: SQLITE_FULL,
        # "database or disk is full", as on a full file system.
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages + 8}")
        cursor.close()

    try:
        with pytest.raises(SchemaMismatch) as failed:
            full.upgrade()
    finally:
        full.dispose()
    assert str(failed.value) == (
        f"the database schema 0001 could not be migrated to {head_revision()} and is "
        "left at 0001, unchanged: database or disk is full"
    )
    assert failed.value.hint.startswith("free space where the database lives")
    assert "watchtower db upgrade" in failed.value.hint

    roomy = Database(database_url)
    try:
        with roomy.engine.connect() as conn:
            assert current_revision(conn) == "0001"
            assert set(inspect(conn).get_table_names()) == TABLES_0001
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        _kept(roomy, items=400)
        assert roomy.upgrade() == ("0001", head_revision())
        _kept(roomy, items=400)
    finally:
        roomy.dispose()
