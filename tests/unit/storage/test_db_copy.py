"""``db copy``'s rows (:mod:`watchtower.storage.db_copy`): a SQLite file copied into
an empty database (PostgreSQL when configured, SQLite always) keeps every row and
value, in batches, all or nothing; ids given after the copy never collide with
copied ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from tests.conftest import PG_URL, _pg_schema_url
from tests.unit.storage.copy_rows import ITEMS, NOW, fill, table_rows
from watchtower.storage.db import Database
from watchtower.storage.db_copy import (
    CopyFailed,
    CopyRefused,
    TableCopy,
    copied_tables,
    copy_rows,
    rows_in,
)
from watchtower.storage.tables import (
    DaemonRow,
    ItemRow,
    MentionRow,
    OutboxRow,
    SourceRow,
    SpikeAlertRow,
    StoryRow,
)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Database]:
    """A SQLite file with rows in every copied table."""
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    db.upgrade()
    fill(db)
    yield db
    db.dispose()


@pytest.fixture
def target(database_url: str) -> Iterator[Database]:
    """The empty database, migrated (as ``db copy`` migrates it first)."""
    db = Database(database_url)
    db.upgrade()
    yield db
    db.dispose()


def _copy(source: Database, target: Database) -> list[TableCopy]:
    reader = Database(source.url, readonly=True)  # as the command reads it
    try:
        return copy_rows(reader.engine, target.engine, batch=2)
    finally:
        reader.dispose()


def test_the_rows_fill_every_copied_table(source: Database) -> None:
    # A table added later without rows here would be copied untested.
    with source.engine.connect() as connection:
        counts = rows_in(connection)
    assert sorted(counts) == sorted(t.name for t in copied_tables())
    assert all(counts.values()), counts


def test_every_row_and_value_round_trips(source: Database, target: Database) -> None:
    copies = _copy(source, target)

    assert [c.table for c in copies] == [t.name for t in copied_tables()]
    assert all(c.source == c.target > 0 for c in copies), copies
    before, after = table_rows(source), table_rows(target)
    assert after == before
    item = after["items"][0]
    assert item["fingerprint"] == bytes([0, 255, 0, 10, 13])
    assert item["fetched_at"] == NOW and item["fetched_at"].utcoffset() is not None
    assert item["fetched_at"].microsecond == NOW.microsecond
    assert after["items"][1]["published_at"] is None
    assert after["sources"][0]["cursor"]["topics"] == {"12": "2026-03-28T23:00:00+00:00"}
    assert after["outbox"][0]["payload"]["nested"] == {"list": [1, 2.5, None, True]}
    assert after["stories"][0]["title"] == "Acmé 🚀 日本"
    assert after["outbox"][1]["status"] == "held" and after["outbox"][1]["outcome_unknown"]


def test_the_heartbeats_stay_behind(source: Database, target: Database) -> None:
    _copy(source, target)

    with target.session() as session:
        assert session.scalar(select(func.count()).select_from(DaemonRow)) == 0


def test_rows_added_after_the_copy_get_fresh_ids(source: Database, target: Database) -> None:
    _copy(source, target)

    with target.session() as session:
        new = SourceRow(name="blog", kind="rss", cursor={}, next_check_at=NOW)
        story = StoryRow(key="url:127.0.0.1/new", created_at=NOW, last_seen_at=NOW)
        session.add_all([new, story])
        session.flush()
        item = ItemRow(source_id=new.id, guid="new", fetched_at=NOW, story_id=story.id)
        session.add(item)
        session.flush()
        mention = MentionRow(item_id=item.id, brand="Acmé", created_at=NOW)
        outbox = OutboxRow(
            item_id=item.id, dedup_key="new", target="console:", next_attempt_at=NOW, created_at=NOW
        )
        spike = SpikeAlertRow(dedup_key="new", scope="brand", name="Acmé", created_at=NOW)
        session.add_all([mention, outbox, spike])
        session.flush()
        ids = {
            "sources": new.id,
            "stories": story.id,
            "items": item.id,
            "mentions": mention.id,
            "outbox": outbox.id,
            "spike_alerts": spike.id,
        }
    copied = table_rows(source)
    assert ids == {name: max(r["id"] for r in copied[name]) + 1 for name in ids}
    assert ids["items"] == ITEMS + 1


def test_a_target_holding_rows_is_refused_untouched(source: Database, target: Database) -> None:
    with target.session() as session:
        session.add(SourceRow(name="déjà", kind="rss", cursor={}, next_check_at=NOW))

    with pytest.raises(CopyRefused, match=r"not empty .*sources 1"):
        _copy(source, target)

    with target.engine.connect() as connection:
        assert {n: c for n, c in rows_in(connection).items() if c} == {"sources": 1}


def test_a_refused_row_rolls_every_table_back(source: Database, target: Database) -> None:
    if not target.postgres:
        pytest.skip("SQLite stores a String(200) value of any length")
    # SQLite never enforced the length; PostgreSQL refuses it once the six tables
    # before ``mentions`` are written: none of them keeps a row.
    with source.session() as session:
        session.execute(update(MentionRow).values(brand="Acmé" * 60))

    with pytest.raises(CopyFailed, match=r"table mentions: .*too long"):
        _copy(source, target)

    with target.engine.connect() as connection:
        assert not any(rows_in(connection).values())


@pytest.fixture
def pg_pair() -> Iterator[tuple[str, str]]:
    if not PG_URL:
        pytest.skip("PostgreSQL: set WATCHTOWER_TEST_DATABASE_URL to run")
    first = _pg_schema_url(PG_URL)
    second = _pg_schema_url(PG_URL)
    try:
        yield next(first), next(second)
    finally:
        first.close()
        second.close()


def test_postgresql_to_postgresql_keeps_the_ids_given_out(pg_pair: tuple[str, str]) -> None:
    # The newest item was pruned on the source: its id was given out (a Slack
    # thread may name it), so the target never gives it again.
    old, new = Database(pg_pair[0]), Database(pg_pair[1])
    try:
        old.upgrade()
        fill(old)
        with old.session() as session:
            session.execute(delete(MentionRow))
            session.execute(delete(ItemRow).where(ItemRow.id == ITEMS))
        new.upgrade()
        _copy(old, new)
        with new.session() as session:
            item = ItemRow(source_id=1, guid="after", fetched_at=NOW)
            session.add(item)
            session.flush()
            assert item.id == ITEMS + 1
    finally:
        old.dispose()
        new.dispose()


def test_a_snapshot_is_read_while_a_daemon_writes(source: Database, target: Database) -> None:
    # Rows written to the source during the copy (between two tables) are not
    # half-copied: the copy reads the source as it was when it began.
    reader = Database(source.url, readonly=True)
    written: list[str] = []

    def write_meanwhile(table: TableCopy) -> None:
        if table.table == "sources" and not written:
            with source.session() as session:
                session.add(SourceRow(name="late", kind="rss", cursor={}, next_check_at=NOW))
                session.flush()
                session.add(ItemRow(source_id=3, guid="late", fetched_at=NOW))
            written.append(table.table)

    try:
        copies = copy_rows(reader.engine, target.engine, copied=write_meanwhile)
    finally:
        reader.dispose()
    assert written
    counts = {c.table: (c.source, c.target) for c in copies}
    assert counts["sources"] == (2, 2) and counts["items"] == (ITEMS, ITEMS)
