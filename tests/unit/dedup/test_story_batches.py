"""Story assignment across batches, on a real database: a rolled-back batch leaves no trace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from watchtower.config import Config
from watchtower.models import Item
from watchtower.pipeline.dedup import Candidate, StoryIndex
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.normalise_items import prepare
from watchtower.pipeline.runner import RunContext, run_batch
from watchtower.storage.db import Database
from watchtower.storage.tables import ItemRow, SourceRow, StoryRow

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TEXT = (
    "Des centaines de clients de la Banque Acmé dénoncent des prélèvements effectués deux "
    "fois sur leur compte courant depuis la migration informatique de la semaine dernière."
)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    with database.session() as session:
        for name in ("a", "b"):
            session.add(
                SourceRow(
                    name=name, kind="rss", url=f"https://{name}.fr/", cursor={}, next_check_at=NOW
                )
            )
    yield database
    database.dispose()


def batch(
    db: Database, stories: StoryIndex, source: str, item: Item, *, fail: bool = False
) -> None:
    config = Config()
    with db.writing() as session:
        source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == source))
        assert source_id is not None
        run_batch(
            RunContext(config, Matcher([], []), stories, session, NOW), source_id, source, [item]
        )
        if fail:
            raise RuntimeError("the batch fails after indexing its item")


def test_near_copy_in_a_later_batch_joins_the_story(db: Database) -> None:
    stories = StoryIndex()
    batch(db, stories, "a", Item(guid="1", url="https://a.fr/1", title="Acmé", text=TEXT))
    batch(db, stories, "b", Item(guid="2", url="https://b.fr/2", title="Acmé", text=TEXT + " AFP"))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(StoryRow)) == 1
        assert session.scalar(select(StoryRow.sightings)) == 2


OTHER = (
    "La Banque Acmé ouvre trois nouvelles agences dans la métropole bordelaise d'ici au "
    "printemps, avec une centaine d'embauches prévues dans le conseil aux particuliers."
)


def test_rolled_back_batch_is_forgotten(db: Database) -> None:
    stories = StoryIndex()
    with pytest.raises(RuntimeError):
        batch(
            db,
            stories,
            "a",
            Item(guid="1", url="https://a.fr/1", title="Acmé", text=TEXT),
            fail=True,
        )
    stories.forget_batch()  # what the poller does when processing fails

    # SQLite hands the rolled-back row id to the next item: an index that still
    # held the rolled-back fingerprint under that id would put the near-copy
    # below in the unrelated Bordeaux story.
    batch(db, stories, "a", Item(guid="3", url="https://a.fr/3", title="Acmé", text=OTHER))
    batch(db, stories, "b", Item(guid="2", url="https://b.fr/2", title="Acmé", text=TEXT + " AFP"))
    with db.session() as session:
        story_ids = session.scalars(select(ItemRow.story_id).order_by(ItemRow.id)).all()
        assert session.scalar(select(func.count()).select_from(StoryRow)) == 2
    assert len(set(story_ids)) == 2
    assert not stories.stale


def _reposts_and_copies() -> list[Item]:
    """A story, the same URL re-posted under a new GUID, a near-copy elsewhere, another story."""
    return [
        Item(guid="1", url="https://a.fr/1", title="Acmé", text=TEXT),
        Item(guid="2", url="https://a.fr/1?utm_source=rss", title="Acmé", text=TEXT),
        Item(guid="3", url="https://a.fr/3", title="Acmé", text=TEXT + " (AFP)"),
        Item(guid="4", url="https://a.fr/4", title="Acmé", text=OTHER),
    ]


@pytest.mark.parametrize("together", [True, False], ids=["one-batch", "one-by-one"])
def test_a_batch_places_items_as_one_by_one_batches_would(db: Database, together: bool) -> None:
    stories = StoryIndex()
    items = _reposts_and_copies()
    config = Config()
    for group in [items] if together else [[item] for item in items]:
        with db.writing() as session:
            source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == "a"))
            assert source_id is not None
            run_batch(
                RunContext(config, Matcher([], []), stories, session, NOW), source_id, "a", group
            )
    with db.session() as session:
        story_of = dict(session.execute(select(ItemRow.guid, ItemRow.story_id)).all())
        sightings = dict(session.execute(select(StoryRow.id, StoryRow.sightings)).all())
    assert story_of["1"] == story_of["2"] == story_of["3"] != story_of["4"]
    # Sightings count the story's distinct sources: all four come from "a".
    assert sightings == {story_of["1"]: 1, story_of["4"]: 1}


def test_a_repost_in_the_same_batch_is_not_news_but_a_copy_elsewhere_is(db: Database) -> None:
    stories = StoryIndex()
    items = _reposts_and_copies()
    prepared = prepare(items)
    with db.writing() as session:
        source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == "a"))
        assert source_id is not None
        placed = stories.begin_batch(
            session,
            NOW,
            [Candidate(p.url_hash, p.content_hash, p.fingerprint, p.item.title) for p in prepared],
        ).assign(source_id)
    assert [(s.first, s.sightings, s.notify) for s in placed] == [
        (True, 1, False),
        (False, 1, False),  # the same feed re-posting the same URL
        (False, 1, True),  # a near-copy at another address (same source: no new source)
        (True, 1, False),
    ]
    assert placed[0].story_id == placed[1].story_id == placed[2].story_id != placed[3].story_id


def test_after_a_batch_the_index_holds_only_stored_ids(db: Database) -> None:
    stories = StoryIndex()
    for item in _reposts_and_copies():
        batch(db, stories, "a", item)
    with db.session() as session:
        stored = set(session.scalars(select(ItemRow.id)))
    assert set(stories.index._ids) == stored  # no placeholder of a batch outlives it


def test_a_prune_during_a_batch_has_the_index_rebuilt(db: Database) -> None:
    """Pruning renumbers slots: a batch that indexed items before it must not relabel."""
    stories = StoryIndex()
    prepared = prepare(_reposts_and_copies()[:1])
    with db.writing() as session:
        source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == "a"))
        assert source_id is not None
        placing = stories.begin_batch(
            session,
            NOW,
            [Candidate(p.url_hash, p.content_hash, p.fingerprint, "t") for p in prepared],
        )
        placing.assign(source_id)
        stories.prune(NOW)  # the cleanup job, from another thread
        placing.added(0, 12345)
    assert stories.stale
    assert 12345 not in set(stories.index._ids)
    # The next batch rebuilds from the database, then finds the near-copy as usual.
    batch(db, stories, "b", Item(guid="9", url="https://b.fr/9", title="Acmé", text=TEXT + " AFP"))
    assert not stories.stale
