"""``cleanup`` on SQLite and PostgreSQL: items are pruned once their source stopped
listing them for the retention period, with their mentions and emptied stories;
what a source still lists, and what the outbox still needs, stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.unit.storage.conftest import add_sources
from watchtower.storage.db import Database
from watchtower.storage.queries import UNLISTED_AFTER, cleanup
from watchtower.storage.tables import ItemRow, MentionRow, OutboxRow, SourceRow, StoryRow

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
RETENTION = timedelta(days=90)
BEFORE = NOW - RETENTION


@pytest.fixture
def db(migrated: Database) -> Database:
    add_sources(migrated, "avis", "forum", "presse", "vide", now=NOW)
    return migrated


def add_item(
    db: Database,
    source: str,
    guid: str,
    *,
    fetched: datetime,
    seen: datetime | None,
    story: bool = False,
    outbox: str | None = None,
) -> None:
    """An item with a mention, optionally its own story and a notification in ``outbox`` state."""
    with db.session() as session:
        source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == source))
        assert source_id is not None
        story_id = None
        if story:
            row = StoryRow(key=f"url:{guid}", title=guid, created_at=fetched, last_seen_at=fetched)
            session.add(row)
            session.flush()
            story_id = row.id
        item = ItemRow(
            source_id=source_id,
            guid=guid,
            story_id=story_id,
            title=guid,
            fetched_at=fetched,
            seen_at=seen,
        )
        session.add(item)
        session.flush()
        session.add(MentionRow(item_id=item.id, brand="Acmé", created_at=fetched))
        if outbox is not None:
            session.add(
                OutboxRow(
                    item_id=item.id,
                    dedup_key=f"item:{guid}",
                    target="slack:#veille",
                    status=outbox,
                    next_attempt_at=fetched,
                    created_at=fetched,
                )
            )


def remaining(db: Database) -> tuple[list[str], list[str], list[str]]:
    """Stored item GUIDs, the items mentions point at, and story keys."""
    with db.session() as session:
        items = sorted(session.scalars(select(ItemRow.guid)))
        mentioned = sorted(
            session.scalars(select(ItemRow.guid).join(MentionRow, MentionRow.item_id == ItemRow.id))
        )
        stories = sorted(session.scalars(select(StoryRow.key)))
    return items, mentioned, stories


def test_prunes_what_each_source_stopped_listing(db: Database) -> None:
    long_ago = NOW - timedelta(days=200)
    # avis: a review page polled today; a1 is still on it, a2 was taken down in spring.
    add_item(db, "avis", "a1", fetched=long_ago, seen=NOW - timedelta(hours=3), story=True)
    add_item(db, "avis", "a2", fetched=long_ago, seen=long_ago, story=True, outbox="sent")
    add_item(db, "avis", "a3", fetched=NOW - timedelta(hours=3), seen=NOW - timedelta(hours=3))
    # forum: answers 304 since its last change 120 days ago; f1 and f2 are still listed,
    # f1 seen by the refresh of that listing, f2 by one less than a day earlier.
    last_change = NOW - timedelta(days=120)
    add_item(db, "forum", "f1", fetched=long_ago, seen=last_change, story=True)
    add_item(db, "forum", "f2", fetched=long_ago, seen=last_change - timedelta(hours=23))
    # f3 had left the page more than UNLISTED_AFTER before that listing.
    gone = last_change - UNLISTED_AFTER - timedelta(minutes=1)
    add_item(db, "forum", "f3", fetched=long_ago, seen=gone)
    # presse: rows written before seen_at existed count from their fetch.
    add_item(db, "presse", "p1", fetched=NOW - timedelta(days=1), seen=NOW - timedelta(days=1))
    add_item(db, "presse", "p2", fetched=long_ago, seen=None, outbox="failed")
    add_item(db, "presse", "p3", fetched=NOW - timedelta(days=10), seen=None)
    # A notification still waiting keeps its item.
    add_item(db, "presse", "p4", fetched=long_ago, seen=long_ago, outbox="pending")

    with db.session() as session:
        counts = cleanup(session, BEFORE)

    assert counts == (2, 3)  # the sent and failed notifications; a2, f3 and p2
    items, mentioned, stories = remaining(db)
    assert items == ["a1", "a3", "f1", "f2", "p1", "p3", "p4"]
    assert mentioned == items
    assert stories == ["url:a1", "url:f1"]  # a2's story has no item left

    with db.session() as session:  # nothing more to do
        assert cleanup(session, BEFORE) == (0, 0)
