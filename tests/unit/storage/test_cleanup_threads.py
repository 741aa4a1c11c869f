"""``cleanup`` and Slack threads: a pruned story's thread parent (``story_messages``)
goes with it, on SQLite and PostgreSQL.

Left behind, the row grows the table by one per story and Slack target for
ever; and on SQLite, whose ids are ``INTEGER PRIMARY KEY`` without
``AUTOINCREMENT``, a story created after the newest stories were pruned takes a
pruned story's id, so its sightings replied under (and edited) a months-old
Slack message about another article.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from watchtower.pipeline import threads
from watchtower.storage.db import Database
from watchtower.storage.queries import cleanup
from watchtower.storage.tables import ItemRow, SourceRow, StoryMessageRow, StoryRow

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
RETENTION = timedelta(days=90)
A_YEAR_AGO = NOW - timedelta(days=365)
TARGETS = ("slack:#veille", "slack:#crise")


def story_with_thread(
    db: Database, key: str, when: datetime, ts: str, *, targets: tuple[str, ...] = TARGETS
) -> int:
    """A story whose first message went to Slack on ``targets`` (its thread parents recorded)."""
    with db.session() as session:
        story = StoryRow(key=key, title=key, created_at=when, last_seen_at=when)
        session.add(story)
        session.flush()
        for target in targets:
            threads.record_parent(
                session,
                story_id=story.id,
                target=target,
                outbox_id=1,
                channel="C0VEILLE",
                ts=ts,
                text=f"[Mention] {key}",
                blocks=[],
                now=when,
            )
        return story.id


def threaded(db: Database) -> list[tuple[str, str]]:
    """The stories (by key) and targets ``story_messages`` holds a parent for."""
    with db.session() as session:
        rows = session.execute(
            select(StoryRow.key, StoryMessageRow.target).join(
                StoryRow, StoryRow.id == StoryMessageRow.story_id, isouter=True
            )
        )
        return sorted((key or "(story gone)", target) for key, target in rows)


def test_a_pruned_storys_thread_parents_go_with_it(migrated: Database) -> None:
    for n in range(3):
        story_with_thread(migrated, f"url:https://old.example/{n}", A_YEAR_AGO, f"1700000000.{n}")
    with migrated.writing() as session:
        cleanup(session, NOW - RETENTION)
    with migrated.session() as session:
        assert session.scalars(select(StoryRow.key)).all() == []
    assert threaded(migrated) == []


def test_a_kept_storys_thread_parents_stay(migrated: Database) -> None:
    """A story seen within retention, and an old one whose item its source still
    lists, keep their threads: their next sightings reply there."""
    story_with_thread(migrated, "url:https://recent.example/a", NOW - timedelta(days=3), "1.1")
    listed = story_with_thread(migrated, "url:https://listed.example/b", A_YEAR_AGO, "1.2")
    story_with_thread(migrated, "url:https://gone.example/c", A_YEAR_AGO, "1.3")
    with migrated.session() as session:
        source = SourceRow(name="avis", kind="rss", url="https://avis.fr/", next_check_at=NOW)
        session.add(source)
        session.flush()
        session.add(
            ItemRow(
                source_id=source.id,
                guid="b",
                story_id=listed,
                title="b",
                fetched_at=A_YEAR_AGO,
                seen_at=NOW - timedelta(hours=2),
            )
        )
    with migrated.writing() as session:
        cleanup(session, NOW - RETENTION)
    assert threaded(migrated) == sorted(
        (key, target)
        for key in ("url:https://recent.example/a", "url:https://listed.example/b")
        for target in TARGETS
    )


def test_thread_parents_left_by_an_earlier_version_are_pruned(migrated: Database) -> None:
    """Rows whose story an older cleanup pruned without them (a year of them, on
    an upgraded database) go at the next cleanup: any of them may meet a new
    story with its id."""
    orphan = story_with_thread(migrated, "url:https://old.example/x", A_YEAR_AGO, "1.4")
    kept = story_with_thread(migrated, "url:https://recent.example/y", NOW, "1.5")
    with migrated.session() as session:  # what the older cleanup did
        session.delete(session.get(StoryRow, orphan))
    with migrated.writing() as session:
        cleanup(session, NOW - RETENTION)
    with migrated.session() as session:
        left = sorted(session.scalars(select(StoryMessageRow.story_id)))
    assert left == [kept, kept]


def test_a_new_story_never_replies_under_a_pruned_storys_message(migrated: Database) -> None:
    """A story created after retention pruned the newest ones has no thread
    parent yet: its first sighting is its own top-level message. On SQLite it
    is given the pruned story's id again, which kept that story's parent."""
    old_id = story_with_thread(migrated, "url:https://old.example/recall", A_YEAR_AGO, "1.6")
    with migrated.writing() as session:
        cleanup(session, NOW - RETENTION)
    with migrated.session() as session:
        story = StoryRow(key="url:https://new.example/launch", title="launch", created_at=NOW)
        story.last_seen_at = NOW
        session.add(story)
        session.flush()
        parents = {target: threads.parent_of(session, story.id, target) for target in TARGETS}
        new_id = story.id
    assert parents == dict.fromkeys(TARGETS), (
        f"the new story (id {new_id}; the pruned one was {old_id}) would reply under "
        f"the pruned story's Slack message: {parents}"
    )
