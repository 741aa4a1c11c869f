"""Migration 0009 (SQLite and PostgreSQL): ``items.site``, the site of an item whose
link names none (a Google News link: its publisher's). Stored items keep their
rows and get NULL (their canonical URL's host is their site, as before); the way
back drops only the column, never the items' mentions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, inspect, select, update

from tests.unit.storage.test_migrations import migrate
from watchtower.storage.db import Database, current_revision
from watchtower.storage.tables import ITEMS, SOURCES, MentionRow

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
MENTIONS = MentionRow.__table__
GOOGLE_NEWS = "https://news.google.com/rss/articles/CBMiX?oc=5"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _columns(db: Database) -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns("items")}


def test_0009_adds_items_site_and_goes_back(db: Database) -> None:
    migrate(db.engine, "0008")
    assert "site" not in _columns(db)
    with db.engine.begin() as conn:
        # Core, with the columns 0008 has: the mapped table already knows site.
        source_id = conn.execute(
            insert(SOURCES).returning(SOURCES.c.id),
            {
                "name": "gnews",
                "kind": "rss",
                "url": "https://news.google.com/rss/search?q=acme",
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
                "guid": "CBMiX",
                "url": GOOGLE_NEWS,
                "canonical_url": GOOGLE_NEWS,
                "url_hash": "",
                "content_hash": "",
                "title": "Acmé",
                "text": "",
                "fetched_at": NOW,
            },
        ).scalar_one()
        conn.execute(
            insert(MENTIONS),
            {"item_id": item_id, "brand": "Acmé", "terms": [], "surfaces": [], "created_at": NOW},
        )

    migrate(db.engine, "0009")
    with db.engine.begin() as conn:
        assert conn.execute(select(ITEMS.c.site)).scalars().all() == [None]
        conn.execute(update(ITEMS).values(site="lemonde.fr"))
        assert conn.execute(select(ITEMS.c.site)).scalars().all() == ["lemonde.fr"]

    migrate(db.engine, "0008", down=True)
    assert "site" not in _columns(db)
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0008"
        assert conn.execute(select(ITEMS.c.guid)).scalars().all() == ["CBMiX"]
        assert conn.execute(select(MENTIONS.c.item_id)).scalars().all() == [item_id]

    migrate(db.engine, "0009")  # and up again
    assert "site" in _columns(db)
