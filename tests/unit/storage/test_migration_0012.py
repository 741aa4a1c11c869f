"""Migration 0012 (SQLite and PostgreSQL): ``stories`` and ``outbox`` never give
a pruned id again (SQLite ``AUTOINCREMENT``; PostgreSQL's sequences already do),
the outbox is indexed on ``item_id`` (retention's item deletes) and on
``(target, status)`` (the targets it holds, read one probe each); the round trip
to 0011 and back keeps every row, index and foreign key; ``db copy`` into SQLite
keeps the ids the source gave out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, delete, insert, inspect, select, text

from tests.unit.storage.test_migrations import migrate
from watchtower.storage import queries
from watchtower.storage.db import Database, current_revision
from watchtower.storage.db_copy import copy_rows
from watchtower.storage.ops_keys import outbox_targets, target_digest, told_targets
from watchtower.storage.tables import (
    ITEMS,
    SOURCES,
    STORIES,
    AlertFeedbackRow,
    OutboxRow,
    StoryMessageRow,
    StoryRow,
)

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
OUTBOX = OutboxRow.__table__
THREADS = StoryMessageRow.__table__
FEEDBACK = AlertFeedbackRow.__table__


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _fill(conn: Connection) -> None:
    """A source, two items, three stories, four outbox rows, a thread and a feedback
    row, as 0011 holds them (Core: ids given explicitly, as a year of use left them)."""
    conn.execute(
        insert(SOURCES),
        {
            "id": 1,
            "name": "presse",
            "kind": "rss",
            "url": "https://presse.fr/",
            "enabled": True,
            "cursor": {},
            "next_check_at": NOW,
            "consecutive_failures": 0,
            "items_total": 2,
            "alerting": False,
        },
    )
    conn.execute(
        insert(STORIES),
        [
            {"id": n, "key": f"url:{n}", "title": "Acmé", "sightings": 1}
            | {"created_at": NOW, "last_seen_at": NOW}
            for n in (1, 2, 7)
        ],
    )
    conn.execute(
        insert(ITEMS),
        [
            {"id": n, "source_id": 1, "guid": f"g{n}", "url": "", "canonical_url": ""}
            | {"url_hash": "", "content_hash": "", "title": "Acmé", "text": ""}
            | {"fetched_at": NOW, "story_id": story}
            for n, story in ((1, 1), (2, 7))
        ],
    )
    conn.execute(
        insert(OUTBOX),
        [
            {"id": n, "item_id": item, "dedup_key": f"k{n}", "target": target, "status": status}
            | {"severity": "info", "reason": "", "payload": {"n": n}, "attempts": 0}
            | {"next_attempt_at": NOW, "created_at": NOW, "outcome_unknown": False}
            for n, item, target, status in (
                (1, 1, "slack:#veille", "sent"),
                (2, 2, "slack:#veille", "pending"),
                (3, None, "apprise:tgram://TOKEN/1", "pending"),
                (9, 2, "slack:#crise", "sent"),
            )
        ],
    )
    conn.execute(
        insert(THREADS),
        {"story_id": 7, "target": "slack:#veille", "outbox_id": 9, "channel": "C1", "ts": "1.2"}
        | {"text": "", "blocks": [], "sightings": 1, "created_at": NOW},
    )
    conn.execute(insert(FEEDBACK), {"outbox_id": 9, "checks": 2, "checked_at": NOW})
    if conn.dialect.name == "postgresql":  # the sequences gave these ids
        for table, highest in (("sources", 1), ("stories", 7), ("items", 2), ("outbox", 9)):
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                {"t": table, "n": highest},
            )


def _rows(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        # Without the column migration 0014 added to sources (``fetch_key``).
        t.name: sorted(
            tuple(r) for r in conn.execute(select(*(c for c in t.c if c.name != "fetch_key")))
        )
        for t in (SOURCES, STORIES, ITEMS, OUTBOX, THREADS, FEEDBACK)
    }


def _schema(db: Database) -> dict[str, Any]:
    """Indexes, unique constraints and foreign keys of the tables 0012 touches."""
    found = inspect(db.engine)
    out: dict[str, Any] = {}
    for name in ("stories", "outbox", "items", "story_messages", "alert_feedback"):
        out[name] = (
            sorted((i["name"], tuple(i["column_names"])) for i in found.get_indexes(name)),
            sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(name)),
            sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], f["options"].get("ondelete"))
                for f in found.get_foreign_keys(name)
            ),
        )
    return out


def _autoincrement(db: Database, table: str) -> bool:
    with db.engine.connect() as conn:
        sql = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": table}
        ).scalar_one()
    return "AUTOINCREMENT" in sql


def test_0012_round_trip_keeps_every_row_index_and_key(db: Database) -> None:
    migrate(db.engine, "0011")
    with db.engine.begin() as conn:
        _fill(conn)
        rows = _rows(conn)
    before = _schema(db)

    db.upgrade()
    db.downgrade("0012")  # 0013 adds a table and an outbox index: 0012's own schema
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0012"
        assert _rows(conn) == rows
    after = _schema(db)
    added = [("ix_outbox_item", ("item_id",)), ("ix_outbox_target", ("target", "status"))]
    assert after["outbox"][0] == sorted([*before["outbox"][0], *added])
    assert {k: v for k, v in after.items() if k != "outbox"} == {
        k: v for k, v in before.items() if k != "outbox"
    }
    assert after["outbox"][1:] == before["outbox"][1:]
    if db.engine.dialect.name == "sqlite":
        assert _autoincrement(db, "stories") and _autoincrement(db, "outbox")

    assert db.downgrade("0011") == "0012"
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0011"
        assert _rows(conn) == rows
    assert _schema(db) == before
    if db.engine.dialect.name == "sqlite":
        assert not _autoincrement(db, "stories") and not _autoincrement(db, "outbox")

    db.upgrade()  # and up again
    db.downgrade("0012")
    with db.engine.connect() as conn:
        assert _rows(conn) == rows
    assert _schema(db) == after


def test_a_pruned_id_is_never_given_again(db: Database) -> None:
    """The highest story and notification pruned (and, migrated from 0011, ids a
    thread or feedback row still names past the highest left): the next rows get
    fresh ids."""
    migrate(db.engine, "0011")
    with db.engine.begin() as conn:
        _fill(conn)
        # 0011 on SQLite would give 7 and 9 again once pruned; a Slack thread row
        # still names story 7 and notification 9.
        conn.execute(delete(FEEDBACK))
        conn.execute(delete(OUTBOX).where(OUTBOX.c.id == 9))
        conn.execute(delete(ITEMS).where(ITEMS.c.id == 2))
        conn.execute(delete(STORIES).where(STORIES.c.id == 7))
    db.upgrade()
    with db.session() as session:
        story = StoryRow(key="url:new", created_at=NOW, last_seen_at=NOW)
        row = OutboxRow(dedup_key="new", target="console:", next_attempt_at=NOW, created_at=NOW)
        session.add_all([story, row])
        session.flush()
        assert (story.id, row.id) == (8, 10)
        # Pruned again, at the top: still not given twice.
        session.delete(story)
        session.delete(row)
        session.flush()
        story = StoryRow(key="url:newer", created_at=NOW, last_seen_at=NOW)
        row = OutboxRow(dedup_key="newer", target="console:", next_attempt_at=NOW, created_at=NOW)
        session.add_all([story, row])
        session.flush()
        assert (story.id, row.id) == (9, 11)


def _plan(db: Database, sql: str, **params: Any) -> str:
    with db.engine.connect() as conn:
        return " | ".join(
            str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"), params)
        )


def test_deleting_an_item_finds_its_notifications_by_index(tmp_path: Path) -> None:
    """``ON DELETE SET NULL`` runs this UPDATE for each item retention deletes:
    a search of ``ix_outbox_item``, not a scan of the outbox (200k rows: one
    cleanup took 130 s before, under 1 s after)."""
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        db.upgrade()
        plan = _plan(db, "UPDATE outbox SET item_id = NULL WHERE item_id = :i", i=1)
        assert "USING COVERING INDEX ix_outbox_item (item_id=?)" in plan, plan
    finally:
        db.dispose()


def test_retention_looks_up_each_items_waiting_notifications_by_index(tmp_path: Path) -> None:
    """Which unlisted items a waiting notification keeps: one ``ix_outbox_item``
    search per candidate, not a scan of the outbox per source."""
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        db.upgrade()
        with db.engine.connect() as conn:
            plans = []
            for statement in (queries._DELETE_ITEMS, queries._DELETE_MENTIONS):
                sql = str(statement.compile(conn))
                nulls = (None,) * sql.count("?")  # the plan does not depend on the values
                found = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", nulls)
                plans.append(" | ".join(str(r[-1]) for r in found))
        for plan in plans:
            assert "USING INDEX ix_outbox_item (item_id=?)" in plan, plan
            assert "SCAN outbox" not in plan, plan
    finally:
        db.dispose()


def test_the_outbox_targets_are_read_by_index(db: Database) -> None:
    db.upgrade()
    with db.engine.begin() as conn:
        _fill(conn)
    with db.session() as session:
        assert outbox_targets(session) == sorted(
            ["apprise:tgram://TOKEN/1", "slack:#crise", "slack:#veille"]
        )
        digest = target_digest("apprise:tgram://TOKEN/1")
        gone = target_digest("apprise:tgram://OTHER/2")
        assert told_targets(session, {digest: NOW, gone: NOW}) == {"apprise:tgram://TOKEN/1": NOW}
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            sql = str(
                select(OUTBOX.c.target)  # the query itself, compiled for SQLite
                .where(OUTBOX.c.target > "slack:#crise")
                .order_by(OUTBOX.c.target)
                .limit(1)
                .compile(conn, compile_kwargs={"literal_binds": True})
            )
        plan = _plan(db, sql)
        assert "USING COVERING INDEX ix_outbox_target (target>?)" in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # no sort: the index's order


def test_copy_into_sqlite_keeps_the_ids_given_out(tmp_path: Path) -> None:
    """A pruned highest id in the source is not given again in the SQLite copy."""
    source = Database(f"sqlite:///{tmp_path / 'old.db'}")
    target = Database(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        source.upgrade()
        target.upgrade()
        with source.engine.begin() as conn:
            _fill(conn)
            conn.execute(delete(FEEDBACK))
            conn.execute(delete(THREADS))
            conn.execute(delete(OUTBOX).where(OUTBOX.c.id == 9))
            conn.execute(delete(ITEMS).where(ITEMS.c.id == 2))
            conn.execute(delete(STORIES).where(STORIES.c.id == 7))
        copy_rows(source.engine, target.engine)
        with target.session() as session:
            story = StoryRow(key="url:new", created_at=NOW, last_seen_at=NOW)
            row = OutboxRow(dedup_key="new", target="console:", next_attempt_at=NOW, created_at=NOW)
            session.add_all([story, row])
            session.flush()
            assert (story.id, row.id) == (8, 10)
    finally:
        source.dispose()
        target.dispose()
