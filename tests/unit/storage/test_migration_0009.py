"""Migration 0009 (SQLite and PostgreSQL): ``items.site``, the site of an item whose
link names none (a Google News link: its publisher's). Stored items keep their
rows and get NULL (their canonical URL's host is their site, as before); the way
back drops only the column, never the items' mentions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import inspect, select, update

from tests.unit.storage.test_migrations import _source_item_mention_and_notification, migrate
from watchtower.storage.db import Database, current_revision
from watchtower.storage.tables import ITEMS, MentionRow, OutboxRow

MENTIONS = MentionRow.__table__
OUTBOX = OutboxRow.__table__


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
    _source_item_mention_and_notification(db)  # Core, with the columns 0008 has

    migrate(db.engine, "0009")
    with db.engine.begin() as conn:
        assert conn.execute(select(ITEMS.c.site)).scalars().all() == [None]
        conn.execute(update(ITEMS).values(site="lemonde.fr"))
        assert conn.execute(select(ITEMS.c.site)).scalars().all() == ["lemonde.fr"]

    migrate(db.engine, "0008", down=True)
    assert "site" not in _columns(db)
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0008"
        item_id = conn.execute(select(ITEMS.c.id).where(ITEMS.c.guid == "post-1")).scalar_one()
        assert conn.execute(select(MENTIONS.c.item_id)).scalars().all() == [item_id]
        assert conn.execute(select(OUTBOX.c.item_id)).scalars().all() == [item_id]

    migrate(db.engine, "0009")  # and up again
    assert "site" in _columns(db)
