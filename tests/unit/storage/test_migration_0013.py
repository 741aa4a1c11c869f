"""Migration 0013 (SQLite and PostgreSQL): ``story_places`` created and filled
from the stored items, place for place as the runtime computes them (the former
recount), in batches; the outbox indexed on ``(status, created_at)`` for
retention's delete of finished rows; the round trip to 0012 and back keeps
every row."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, delete, insert, inspect, select, text

from tests.unit.storage.test_migrations import migrate
from watchtower.models import Item
from watchtower.pipeline.dedup import StoryIndex
from watchtower.pipeline.normalise_items import prepare
from watchtower.pipeline.runner import candidate
from watchtower.pipeline.sites import item_site, place
from watchtower.pipeline.store import store_items
from watchtower.storage.db import Database, current_revision
from watchtower.storage.queries import cleanup
from watchtower.storage.tables import ITEMS, SOURCES, STORIES, STORY_PLACES, OutboxRow

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
OUTBOX = OutboxRow.__table__
#: More items than the backfill reads at once (``BATCH``, 5,000): it pages.
MANY = 11_000


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _fill(conn: Connection) -> None:
    """Two sources, three stories and their items as 0012 holds them: sites
    written several ways, Google News links whose publisher is in ``site``,
    items with no address (their source is their place), an item in no story;
    story 1 on ``MANY`` items over 700 sites."""
    conn.execute(
        insert(SOURCES),
        [
            {"id": n, "name": f"s{n}", "kind": "rss", "url": f"https://s{n}.fr/", "enabled": True}
            | {"cursor": {}, "next_check_at": NOW, "consecutive_failures": 0}
            | {"items_total": 0, "alerting": False}
            for n in (1, 2)
        ],
    )
    conn.execute(
        insert(STORIES),
        [
            {"id": n, "key": f"url:{n}", "title": "Acmé", "sightings": 1}
            | {"created_at": NOW, "last_seen_at": NOW}
            for n in (1, 2, 3)
        ],
    )
    rows: list[dict[str, Any]] = []

    def item(story: int | None, source: int, url: str, site: str | None = None) -> None:
        n = len(rows) + 1
        rows.append(
            {"id": n, "source_id": source, "guid": f"g{n}", "url": url, "canonical_url": url}
            | {"url_hash": "", "content_hash": "", "title": "Acmé", "text": "", "site": site}
            | {"fetched_at": NOW, "story_id": story}
        )

    for k in range(MANY):
        url = f"https://www.site{k % 700}.fr/eco/{k}" if k % 3 else f"http://site{k % 700}.fr/{k}"
        item(1, 1 + k % 2, url)
    item(2, 1, "https://news.google.com/rss/articles/CBMi1", "lemonde.fr")
    item(2, 1, "https://www.lemonde.fr/eco/1")
    item(2, 2, "")  # no address: source 2 is its place
    item(2, 1, "")
    item(2, 2, "https://news.google.com/rss/articles/CBMi2")  # no publisher kept: source 2
    item(None, 1, "https://orphan.fr/1")
    for at in range(0, len(rows), 2_000):
        conn.execute(insert(ITEMS), rows[at : at + 2_000])
    if conn.dialect.name == "postgresql":  # the sequences gave these ids
        for table, highest in (("sources", 2), ("stories", 3), ("items", len(rows))):
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                {"t": table, "n": highest},
            )


def _recount(conn: Connection) -> dict[int, set[tuple[str, int]]]:
    """Each story's places from its stored items, as the former bookkeeping read them."""
    out: dict[int, set[tuple[str, int]]] = {}
    for story, source, url, named in conn.execute(
        select(ITEMS.c.story_id, ITEMS.c.source_id, ITEMS.c.canonical_url, ITEMS.c.site).where(
            ITEMS.c.story_id.is_not(None)
        )
    ):
        out.setdefault(int(story), set()).add(place(item_site(url or "", named), int(source)))
    return out


def _places(conn: Connection) -> dict[int, set[tuple[str, int]]]:
    out: dict[int, set[tuple[str, int]]] = {}
    for story, site, source in conn.execute(select(STORY_PLACES)):
        out.setdefault(int(story), set()).add((site, int(source)))
    return out


def _rows(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t.name: sorted(tuple(r) for r in conn.execute(select(*_before_0014(t))))
        for t in (SOURCES, STORIES)
    }


def _before_0014(table: Any) -> list[Any]:
    """The table's columns but those migration 0014 added (``sources.fetch_key``)."""
    return [c for c in table.c if (table.name, c.name) != ("sources", "fetch_key")]


def _items(conn: Connection) -> int:
    return len(conn.execute(select(ITEMS.c.id)).all())


def test_0013_backfills_each_storys_places_as_the_recount_and_round_trips(db: Database) -> None:
    migrate(db.engine, "0012")
    with db.engine.begin() as conn:
        _fill(conn)
        rows, items = _rows(conn), _items(conn)
        expected = _recount(conn)
    assert len(expected[1]) == 700
    assert expected[2] == {("lemonde.fr", 0), ("", 2), ("", 1)}

    migrate(db.engine, "0013")
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0013"
        assert _places(conn) == expected
        assert (_rows(conn), _items(conn)) == (rows, items)
    found = inspect(db.engine)
    assert ("ix_outbox_finished", ["status", "created_at"]) in [
        (i["name"], i["column_names"]) for i in found.get_indexes("outbox")
    ]
    assert [
        (f["constrained_columns"], f["referred_table"], f["options"].get("ondelete"))
        for f in found.get_foreign_keys("story_places")
    ] == [(["story_id"], "stories", "CASCADE")]

    migrate(db.engine, "0012", down=True)
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0012"
        assert (_rows(conn), _items(conn)) == (rows, items)
    found = inspect(db.engine)
    assert "story_places" not in found.get_table_names()
    assert "ix_outbox_finished" not in [i["name"] for i in found.get_indexes("outbox")]

    migrate(db.engine, "0013")  # and up again
    with db.engine.connect() as conn:
        assert _places(conn) == expected


def test_after_the_backfill_a_new_place_counts_every_stored_place(db: Database) -> None:
    """The runtime counts from the backfilled table: a story stored on three sites
    before 0013, seen on a fourth after it, says 4 (and the third again, 4)."""
    migrate(db.engine, "0012")
    text_ = "Des centaines de clients de la Banque Acmé dénoncent des prélèvements en double."
    with db.engine.begin() as conn:
        _fill(conn)
        conn.execute(delete(ITEMS).where(ITEMS.c.story_id == 1))
    stories = StoryIndex()

    def batch(source: int, url: str, guid: str) -> tuple[int, int, bool]:
        with db.writing() as session:
            prepared = prepare([Item(guid=guid, url=url, title="Acmé", text=text_)])
            placing = stories.begin_batch(session, NOW, [candidate(p) for p in prepared])
            (sighting,) = placing.assign(source)
            ids = store_items(session, source, prepared, NOW, [sighting.story_id])
            placing.added(0, ids[guid])
            placing.finish(1)
            return sighting.story_id, sighting.sightings, sighting.counted

    db.upgrade()  # head: the runtime's own items after it
    story = batch(1, "https://site1.fr/a", "n1")[0]
    for k in (2, 3):
        assert batch(2, f"https://site{k}.fr/a", f"n{k}")[1:] == (k, True)
    db.downgrade("0012")  # an older replica's schema: items but no places
    with db.engine.begin() as conn:
        assert _recount(conn)[story] == {(f"site{k}.fr", 0) for k in (1, 2, 3)}
    db.upgrade()
    assert batch(1, "https://site4.fr/a", "n4") == (story, 4, True)
    assert batch(2, "https://www.site3.fr/b", "n5") == (story, 4, False)


def test_retentions_finished_outbox_delete_seeks_the_index(db: Database) -> None:
    """``cleanup``'s delete of finished notifications older than the retention is
    a range of ``ix_outbox_finished`` per status, not a read of every finished
    row (200k rows, an hour's slice: 36 ms -> 0.8 ms on SQLite, 18 ms -> 0.9 ms
    on PostgreSQL)."""
    db.upgrade()
    with db.engine.begin() as conn:
        conn.execute(
            insert(OUTBOX),
            [
                {"dedup_key": f"k{n}", "target": "console:", "status": status, "severity": "info"}
                | {"reason": "", "payload": {}, "attempts": 0, "next_attempt_at": NOW}
                | {"created_at": NOW - timedelta(days=n), "outcome_unknown": False}
                for n, status in enumerate(("sent", "failed", "pending", "sent", "held"))
            ],
        )
    statements: list[str] = []
    with db.writing() as session:
        connection = session.connection()
        raw = connection.connection.driver_connection
        if isinstance(raw, sqlite3.Connection):
            raw.set_trace_callback(statements.append)
        deleted, _ = cleanup(session, NOW - timedelta(days=2))
        if isinstance(raw, sqlite3.Connection):
            raw.set_trace_callback(None)
        assert deleted == 1  # the sent row 3 days old; pending and held stay
        if not isinstance(raw, sqlite3.Connection):
            # A table of five rows is read whole, index or not: ask for the plan
            # the index allows.
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " | ".join(
                str(r[0])
                for r in connection.exec_driver_sql(
                    "EXPLAIN DELETE FROM outbox WHERE status IN ('sent', 'failed', 'grouped', "
                    "'skipped') AND created_at < now()"
                )
            )
            assert "ix_outbox_finished" in plan, plan
            return
    finished = sorted({s for s in statements if s.startswith("DELETE FROM outbox")})
    assert len(finished) == 1, finished
    with db.engine.connect() as conn:
        plan = " | ".join(
            str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {finished[0]}")
        )
    assert "INDEX ix_outbox_finished (status=? AND created_at<?)" in plan, plan
