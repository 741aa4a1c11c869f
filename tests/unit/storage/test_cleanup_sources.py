"""The sources removed from the config, forgotten at cleanup
(``forget_removed_sources``, then ``cleanup`` in the same transaction, as
``App.cleanup`` does), on SQLite and PostgreSQL.

``sync_sources`` only disables a removed source, and retention keeps the items
of a source's last listing however old: ``watchtower status`` listed every
source ever removed ("removed · items N") for ever. A removed source last
polled before the retention cut-off (a replica still naming it during a rolling
update polls it) goes, with its items, their mentions and emptied stories.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from watchtower.storage.db import Database
from watchtower.storage.queries import cleanup
from watchtower.storage.removed_sources import forget_removed_sources
from watchtower.storage.tables import ItemRow, MentionRow, OutboxRow, SourceRow, StoryRow

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
RETENTION = timedelta(days=90)
LONG_AGO = NOW - timedelta(days=400)
CONFIGURED = ["presse", "en-pause"]


def add_source(
    db: Database,
    name: str,
    *,
    enabled: bool = False,
    polled: datetime | None = LONG_AGO,
    item_seen: datetime | None = None,
) -> None:
    """A source last polled at ``polled`` (None: never, added then), and one item
    seen at ``item_seen``."""
    with db.session() as session:
        row = SourceRow(
            name=name,
            kind="rss",
            url=f"http://127.0.0.1:9/{name}.xml",
            enabled=enabled,
            cursor={},
            next_check_at=polled or LONG_AGO,
            last_attempt_at=polled,
            last_success_at=polled,
        )
        session.add(row)
        session.flush()
        if item_seen is not None:
            session.add(
                ItemRow(
                    source_id=row.id,
                    guid=f"{name}-1",
                    title=name,
                    fetched_at=item_seen,
                    seen_at=item_seen,
                )
            )


def forget_and_clean(db: Database) -> None:
    """The cleanup job's database part: removed sources first, then retention."""
    with db.writing() as session:
        forget_removed_sources(session, NOW - RETENTION, CONFIGURED)
        cleanup(session, NOW - RETENTION)


def sources(db: Database) -> list[str]:
    with db.session() as session:
        return sorted(session.scalars(select(SourceRow.name)))


def test_removed_sources_with_nothing_left_are_forgotten(migrated: Database) -> None:
    add_source(migrated, "presse", enabled=True, polled=NOW - timedelta(minutes=5))
    add_source(migrated, "en-pause")  # `enabled = false` in the config: still named
    for n in range(12):  # removed a year ago, their items pruned long since
        add_source(migrated, f"blog-client-{n}")
    add_source(migrated, "jamais-lu", polled=None)  # removed before its first poll
    forget_and_clean(migrated)
    assert sources(migrated) == ["en-pause", "presse"]


def test_a_removed_source_goes_with_the_items_of_its_last_listing(
    migrated: Database,
) -> None:
    """Its last listing's items are kept while it is polled (a poll would take
    them for news), not once it is removed: it is never polled again."""
    add_source(migrated, "presse", enabled=True, polled=NOW)
    last_poll = NOW - timedelta(days=200)
    add_source(migrated, "blog-client", polled=last_poll, item_seen=last_poll)
    with migrated.session() as session:
        item = session.scalars(select(ItemRow)).one()
        story = StoryRow(key="url:blog", title="blog", created_at=last_poll, last_seen_at=last_poll)
        session.add(story)
        session.flush()
        item.story_id = story.id
        session.add(MentionRow(item_id=item.id, brand="Acme", created_at=last_poll))
    forget_and_clean(migrated)
    assert sources(migrated) == ["presse"]
    with migrated.session() as session:
        for table in (ItemRow, MentionRow, StoryRow):
            assert session.scalars(select(table)).all() == [], table.__name__


def test_a_removed_source_is_kept_while_it_may_be_needed(migrated: Database) -> None:
    """Kept: a source removed within retention (a replica not restarted yet may
    still poll it), one disabled in the config however old, and one whose item
    a notification not sent yet refers to."""
    add_source(migrated, "presse", enabled=True, polled=NOW)
    ten_days_ago = NOW - timedelta(days=10)
    add_source(migrated, "recent", polled=ten_days_ago, item_seen=ten_days_ago)
    add_source(migrated, "en-pause", item_seen=LONG_AGO)
    add_source(migrated, "held", item_seen=LONG_AGO)
    with migrated.session() as session:
        held = session.scalar(select(ItemRow.id).where(ItemRow.guid == "held-1"))
        session.add(
            OutboxRow(
                item_id=held,
                dedup_key="item:held-1",
                target="email:direction@example.fr",
                status="held",
                next_attempt_at=NOW,
                created_at=LONG_AGO,
            )
        )
    forget_and_clean(migrated)
    assert sources(migrated) == ["en-pause", "held", "presse", "recent"]
    with migrated.session() as session:
        assert sorted(session.scalars(select(ItemRow.guid))) == ["en-pause-1", "held-1", "recent-1"]


def test_cleanup_alone_forgets_no_source(migrated: Database) -> None:
    """``cleanup`` does not know the config: it cannot tell a removed source from
    one disabled in the config, and deletes none."""
    add_source(migrated, "blog-client-0")
    with migrated.writing() as session:
        cleanup(session, NOW - RETENTION)
    assert sources(migrated) == ["blog-client-0"]
