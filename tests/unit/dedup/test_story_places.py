"""A story's places kept in ``story_places`` (migration 0013): each new place is
one insert-if-absent and the counter a count of the table, not a read of every
stored item of the story at each new place. A story's first place is written
only when a second place joins it: a story seen at one place has no row (a
first poll writes none).

The counter counts the places the story was seen at while it lives: retention
pruning the items seen at a place leaves the place counted (the counter never
goes back down), and the story's own pruning takes its places with it.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from watchtower.models import Item
from watchtower.pipeline.dedup import Sighting, StoryIndex
from watchtower.pipeline.normalise_items import prepare
from watchtower.pipeline.runner import candidate
from watchtower.pipeline.sites import item_site, place
from watchtower.pipeline.store import store_items
from watchtower.storage.db import Database
from watchtower.storage.queries import cleanup
from watchtower.storage.story_queries import add_places
from watchtower.storage.tables import ITEMS, STORIES, STORY_PLACES, SourceRow, StoryRow

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TEXT = (
    "Des centaines de clients de la Banque Acmé dénoncent des prélèvements effectués deux "
    "fois sur leur compte courant depuis la migration informatique de la semaine dernière."
)
OTHER = (
    "Le cours de l'action Acmé a chuté de douze pour cent à l'ouverture de la Bourse de "
    "Paris après l'annonce d'un avertissement sur les résultats du troisième trimestre."
)


def recorded(
    db: Database, stories: StoryIndex, source: str, items: list[Item], now: datetime = NOW
) -> list[Sighting]:
    """Place and store ``items`` as ``run_batch`` does: the sighting of each."""
    with db.writing() as session:
        source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == source))
        assert source_id is not None
        prepared = prepare(items)
        batch = stories.begin_batch(session, now, [candidate(p) for p in prepared])
        sightings = batch.assign(source_id)
        ids = store_items(session, source_id, prepared, now, [s.story_id for s in sightings])
        for at, p in enumerate(prepared):
            batch.added(at, ids[p.item.guid])
        batch.finish(len(ids))
        return sightings


def copy(guid: str, url: str, text: str = TEXT) -> Item:
    return Item(guid=guid, url=url, title="Acmé", text=text)


def places(db: Database, story_id: int) -> set[tuple[str, int]]:
    with db.session() as session:
        rows = session.execute(
            select(STORY_PLACES.c.site, STORY_PLACES.c.source_id).where(
                STORY_PLACES.c.story_id == story_id
            )
        )
        return {(site, int(source)) for site, source in rows}


def recount(db: Database, story_id: int) -> set[tuple[str, int]]:
    """The places of the story's stored items, as the former bookkeeping read them."""
    with db.session() as session:
        rows = session.execute(
            select(ITEMS.c.source_id, ITEMS.c.canonical_url, ITEMS.c.site).where(
                ITEMS.c.story_id == story_id
            )
        )
        return {place(item_site(url or "", named), int(source)) for source, url, named in rows}


def counter(db: Database, story_id: int) -> int:
    with db.session() as session:
        found = session.scalar(select(StoryRow.sightings).where(StoryRow.id == story_id))
        assert found is not None
        return found


def test_a_story_seen_once_a_batch_on_new_feeds_counts_each_place(db: Database) -> None:
    """The syndication case: each site's feed lists the story once, batch after
    batch. Each new place is counted, the table holds the places of the stored
    items, and no batch reads every stored item of the story."""
    stories = StoryIndex()
    first = recorded(db, stories, "a", [copy("s0", "https://www.site0.fr/eco/1")])[0]
    story = first.story_id
    assert first.first and places(db, story) == set()  # its first place: written lazily
    statements: list[str] = []
    for k in range(1, 13):
        source = "abc"[k % 3]
        sighting = recorded(db, stories, source, [copy(f"s{k}", f"https://site{k}.fr/eco/1")])[0]
        assert (sighting.story_id, sighting.counted, sighting.sightings) == (story, True, k + 1)
        # The same place again (another address on it, another source): not counted.
        again = recorded(db, stories, "c", [copy(f"r{k}", f"http://www.site{k}.fr/autre")])[0]
        assert (again.counted, again.sightings) == (False, k + 1)
    assert counter(db, story) == 13
    assert places(db, story) == recount(db, story)
    assert len(places(db, story)) == 13
    # A batch on a 14th site reads none of the story's items by story: the items
    # at its address (by URL key), and story_places. SQLite's own trace sees
    # every statement (fetch_all runs on the DB-API cursor).
    if db.engine.dialect.name == "sqlite":
        with db.writing() as session:
            raw = session.connection().connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            raw.set_trace_callback(statements.append)
            source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == "a"))
            assert source_id is not None
            prepared = prepare([copy("s14", "https://site14.fr/eco/1")])
            batch = stories.begin_batch(session, NOW, [candidate(p) for p in prepared])
            (sighting,) = batch.assign(source_id)
            raw.set_trace_callback(None)
            session.rollback()
            batch.finish(0)
        assert (sighting.counted, sighting.sightings) == (True, 14)
        # SEEN_IN_STORY and the former STORY_PLACES read through the story's items.
        whole = [s for s in statements if "items.story_id = " in s]
        assert whole == [], whole


def source_id(db: Database, name: str) -> int:
    with db.session() as session:
        found = session.scalar(select(SourceRow.id).where(SourceRow.name == name))
        assert found is not None
        return found


def said(sightings: list[Sighting]) -> list[tuple[bool, int, bool, bool]]:
    """(first, counter, notify, new place) of each sighting."""
    return [(s.first, s.sightings, s.notify, s.counted) for s in sightings]


def test_a_first_batch_writes_no_place(db: Database) -> None:
    """A first poll: each story starts at one place (one of them listed twice
    there, a repost): no ``story_places`` row, every counter 1."""
    stories = StoryIndex()
    first = recorded(
        db,
        stories,
        "a",
        [
            copy("a1", "https://www.site1.fr/eco/1"),
            copy("a2", "https://site2.fr/bourse", OTHER),
            copy("a3", "https://site1.fr/eco/1-bis"),  # TEXT again on site1.fr
        ],
    )
    assert said(first) == [
        (True, 1, False, False),
        (True, 1, False, False),
        (False, 1, False, False),
    ]
    assert first[2].story_id == first[0].story_id != first[1].story_id
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(STORY_PLACES)) == 0
        assert list(session.scalars(select(StoryRow.sightings))) == [1, 1]


def test_a_story_seen_on_another_site_in_a_later_batch_counts_both_places(db: Database) -> None:
    """Created in batch 1 (no row), seen on another site in batch 2: "Vu sur 2",
    and the table then holds both places, as if the first had been written."""
    stories = StoryIndex()
    story = recorded(db, stories, "a", [copy("a1", "https://www.site0.fr/eco/1")])[0].story_id
    assert places(db, story) == set()  # the lazy first place is what is tested
    later = recorded(db, stories, "b", [copy("b1", "https://site1.fr/x")])
    assert said(later) == [(False, 2, True, True)] and later[0].story_id == story
    assert places(db, story) == {("site0.fr", 0), ("site1.fr", 0)} == recount(db, story)
    assert counter(db, story) == 2
    third = recorded(db, stories, "c", [copy("c1", "https://site2.fr/x")])
    assert said(third) == [(False, 3, True, True)]


def test_a_story_seen_again_at_its_first_place_is_no_new_place(db: Database) -> None:
    """Created in batch 1, its text again on its own site in batch 2 (another
    address, another feed): no new place, no "Vu sur 2", and a repost (the same
    text at the same place, which only the story's items on its site show)."""
    stories = StoryIndex()
    story = recorded(db, stories, "a", [copy("a1", "https://www.site0.fr/eco/1")])[0].story_id
    assert places(db, story) == set()  # the lazy first place is what is tested
    again = recorded(db, stories, "b", [copy("b1", "http://site0.fr/autre")])
    assert said(again) == [(False, 1, False, False)] and again[0].story_id == story
    assert counter(db, story) == 1
    # A new place after it counts 2: its first place and this one.
    new = recorded(db, stories, "c", [copy("c1", "https://site1.fr/x")])
    assert said(new) == [(False, 2, True, True)]
    assert places(db, story) == {("site0.fr", 0), ("site1.fr", 0)}


def test_a_later_batch_with_the_story_twice_counts_its_first_place_once(db: Database) -> None:
    """Batch 2 holds the story twice (its stored items read at once): at its first
    place (its text at another address of the site: a repost, no new place),
    then on a new site (2)."""
    stories = StoryIndex()
    story = recorded(db, stories, "a", [copy("a1", "https://site0.fr/eco/1")])[0].story_id
    assert places(db, story) == set()
    later = recorded(
        db,
        stories,
        "b",
        [
            copy("b1", "https://site0.fr/autre"),
            copy("b2", "https://site1.fr/x"),
        ],
    )
    assert [s.story_id for s in later] == [story, story]
    assert said(later) == [(False, 1, False, False), (False, 2, True, True)]
    assert places(db, story) == {("site0.fr", 0), ("site1.fr", 0)}


def test_a_story_created_and_seen_on_two_other_sites_in_one_batch_counts_3(db: Database) -> None:
    """One batch: the story starts on site0.fr, is listed there again (a repost),
    then on two other sites: 1, 1, 2, 3; the table holds the three places."""
    stories = StoryIndex()
    batch = recorded(
        db,
        stories,
        "a",
        [
            copy("a0", "https://site0.fr/eco/1"),
            copy("a1", "https://site0.fr/eco/1-bis"),
            copy("a2", "https://site1.fr/x"),
            copy("a3", "https://site2.fr/x"),
        ],
    )
    story = batch[0].story_id
    assert {s.story_id for s in batch} == {story}
    assert said(batch) == [
        (True, 1, False, False),
        (False, 1, False, False),
        (False, 2, True, True),
        (False, 3, True, True),
    ]
    assert places(db, story) == {(f"site{k}.fr", 0) for k in range(3)} == recount(db, story)
    assert counter(db, story) == 3


def test_places_without_a_site_are_their_sources(db: Database) -> None:
    """Items of no site (no link): each source is a place. The story's first
    place, written when a second source sees it, is its first source's."""
    stories = StoryIndex()
    story = recorded(db, stories, "a", [copy("a1", "")])[0].story_id
    assert recorded(db, stories, "a", [copy("a2", "")])[0].story_id == story
    # Seen again at its place in a later batch: the insert-if-absent writes that
    # place then; still no new place.
    assert counter(db, story) == 1 and places(db, story) == {("", source_id(db, "a"))}
    later = recorded(db, stories, "b", [copy("b1", "")])
    assert said(later) == [(False, 2, True, True)]
    assert places(db, story) == recount(db, story) and len(places(db, story)) == 2


def test_a_pruned_first_item_leaves_the_first_place_of_the_next(db: Database) -> None:
    """Retention pruning a story's first item while it lives: with no row, all its
    items are at its first place, so the next one says where it is."""
    stories = StoryIndex()
    created = recorded(
        db,
        stories,
        "a",
        [
            copy("a1", "https://site0.fr/eco/1"),
            copy("a2", "https://site0.fr/eco/2", TEXT + " Suite."),
        ],
    )
    story = created[0].story_id
    assert created[1].story_id == story and places(db, story) == set()
    with db.writing() as session:
        first_id = session.scalar(select(func.min(ITEMS.c.id)).where(ITEMS.c.story_id == story))
        session.execute(ITEMS.delete().where(ITEMS.c.id == first_id))
    later = recorded(db, StoryIndex(), "b", [copy("b1", "https://site1.fr/x")])
    assert [s.story_id for s in later] == [story]
    assert said(later) == [(False, 2, True, True)]
    assert places(db, story) == {("site0.fr", 0), ("site1.fr", 0)}


def test_replicas_count_a_place_once(db: Database) -> None:
    """Two replicas (two engines, two story indexes) placing the same story in
    turn count each place once, whichever saw it first."""
    other = Database(db.url)
    try:
        mine, theirs = StoryIndex(), StoryIndex()
        story = recorded(db, mine, "a", [copy("a1", "https://site1.fr/x")])[0].story_id
        said = []
        for k, (replica, index) in enumerate([(other, theirs), (db, mine)] * 3, start=2):
            said.append(
                recorded(replica, index, "bc"[k % 2], [copy(f"r{k}", f"https://site{k}.fr/x")])[0]
            )
            # The other replica's place, seen again by this one: no new place.
            said.append(
                recorded(replica, index, "a", [copy(f"o{k}", f"https://site{k - 1}.fr/y")])[0]
            )
        assert [(s.story_id, s.counted, s.sightings) for s in said] == [
            (story, counted, count)
            for k in range(2, 8)
            for counted, count in ((True, k), (False, k))
        ]
        assert counter(db, story) == 7 and places(db, story) == recount(db, story)
    finally:
        other.dispose()


def test_two_connections_adding_the_same_place_add_it_once(db: Database) -> None:
    """The insert-if-absent itself: a second connection adding the place while the
    first has not committed waits for it, then adds nothing (primary key)."""
    with db.session() as session:
        story = StoryRow(key="url:x", title="Acmé", created_at=NOW, last_seen_at=NOW)
        session.add(story)
        session.flush()
        story_id = story.id
    statement = add_places(db.engine.dialect.name, returning=True)
    params = {"story": story_id, "site": "site1.fr", "source": 0}
    answers: dict[str, Any] = {}
    with db.engine.connect() as first:
        added = first.execute(statement, params).all()
        assert len(added) == 1

        def second() -> None:
            with db.engine.connect() as late:
                answers["late"] = late.execute(statement, params).all()
                late.commit()

        worker = threading.Thread(target=second)
        worker.start()  # blocks on the first's row (PostgreSQL) or write lock (SQLite)
        first.commit()
        worker.join()
    assert answers["late"] == []
    assert places(db, story_id) == {("site1.fr", 0)}


def test_retention_keeps_the_places_of_a_living_story_and_its_counter(db: Database) -> None:
    """Items pruned by retention leave their places counted while the story lives:
    the counter does not go down at its next new place (the former recount
    counted stored items only: 5 places, then 3), and the pruned place seen
    again is no new place. The story's pruning takes its places (CASCADE)."""
    stories = StoryIndex()
    old = NOW - timedelta(days=6)  # within the dedup window (7 days)
    first = recorded(
        db,
        stories,
        "a",
        [copy(f"a{k}", f"https://site{k}.fr/x") for k in range(1, 4)],
        now=old,
    )
    story = first[0].story_id
    # Source a lists something else now: its old items are no longer listed.
    recorded(db, stories, "a", [copy("a-new", "https://ailleurs.fr/y", OTHER)])
    recorded(db, stories, "b", [copy("b4", "https://site4.fr/x")], now=NOW - timedelta(hours=1))
    assert counter(db, story) == 4
    with db.writing() as session:
        cleanup(session, NOW - timedelta(days=5))  # a retention of 5 days
    assert len(recount(db, story)) == 1  # site4.fr only: sites 1 to 3 were pruned
    assert places(db, story) == {(f"site{k}.fr", 0) for k in range(1, 5)}
    stories = StoryIndex()  # a restart: the index holds what is stored
    back, new = recorded(
        db, stories, "c", [copy("c1", "https://site1.fr/autre"), copy("c5", "https://site5.fr/x")]
    )
    assert (back.story_id, back.counted, back.sightings) == (story, False, 4)
    assert (new.story_id, new.counted, new.sightings) == (story, True, 5)
    assert counter(db, story) == 5
    # Every item pruned, and the story with them: no place of it is left.
    with db.writing() as session:
        session.execute(ITEMS.delete())
        cleanup(session, NOW + timedelta(days=1))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(STORIES)) == 0
        assert session.scalar(select(func.count()).select_from(STORY_PLACES)) == 0
