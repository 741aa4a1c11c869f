"""A story's counter counts the sites it was seen on, from the database.

The place of an item is the host of its canonical URL without ``www.``
(``site_host``), or its source when it has none. A repost (no thread reply) is
the story's very address again, or the same text at the same place; the same
text on another site is a copy.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from watchtower.config import Config
from watchtower.models import Item
from watchtower.pipeline.dedup import Candidate, Sighting, StoryIndex
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.normalise_items import prepare
from watchtower.pipeline.runner import RunContext, run_batch
from watchtower.pipeline.sites import site_host
from watchtower.storage.db import Database
from watchtower.storage.tables import SourceRow, StoryRow

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TEXT = (
    "Des centaines de clients de la Banque Acmé dénoncent des prélèvements effectués deux "
    "fois sur leur compte courant depuis la migration informatique de la semaine dernière."
)


def batch(db: Database, stories: StoryIndex, source: str, *items: Item) -> None:
    with db.writing() as session:
        source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == source))
        assert source_id is not None
        run_batch(
            RunContext(Config(), Matcher([], []), stories, session, NOW),
            source_id,
            source,
            list(items),
        )


def placed(db: Database, stories: StoryIndex, source: str, *items: Item) -> list[Sighting]:
    """Where each item lands, without storing it."""
    with db.writing() as session:
        source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == source))
        assert source_id is not None
        candidates = [
            Candidate(p.url_hash, p.content_hash, p.fingerprint, p.item.title, p.canonical_url)
            for p in prepare(list(items))
        ]
        return stories.begin_batch(session, NOW, candidates).assign(source_id)


def item(guid: str, url: str = "", text: str = TEXT) -> Item:
    return Item(guid=guid, url=url, title="Acmé", text=text)


def counter(db: Database) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(StoryRow.sightings)))


def test_the_same_text_on_another_site_is_a_copy_and_a_new_site(db: Database) -> None:
    stories = StoryIndex()
    sightings = placed(
        db,
        stories,
        "a",
        item("1", "https://www.lemonde.fr/eco/panne"),
        item("2", "https://lemonde.fr/eco/panne?utm_source=rss"),  # the very address
        item("3", "https://www.lemonde.fr/eco/panne-2"),  # its text again on its site
        item("4", "https://www.lefigaro.fr/eco/panne"),  # a copy on another site
        item("5", "https://www.lefigaro.fr/eco/panne-bis"),
    )
    assert [(s.first, s.sightings, s.notify, s.counted) for s in sightings] == [
        (True, 1, False, False),
        (False, 1, False, False),
        (False, 1, False, False),
        (False, 2, True, True),
        (False, 2, False, False),
    ]


def test_stored_items_decide_as_items_of_the_same_batch_do(db: Database) -> None:
    stories = StoryIndex()
    batch(db, stories, "a", item("1", "https://www.lemonde.fr/eco/panne"))

    def told(source: str, url: str) -> tuple[bool, bool]:
        [sighting] = placed(db, stories, source, item("2", url))
        return sighting.notify, sighting.counted

    assert told("a", "https://www.lemonde.fr/eco/panne-2") == (False, False)
    assert told("b", "https://lemonde.fr/eco/panne-3") == (False, False)
    assert told("a", "https://www.lefigaro.fr/eco/panne") == (True, True)


def test_a_host_that_begins_with_another_is_another_site(db: Database) -> None:
    stories = StoryIndex()
    batch(db, stories, "a", item("1", "https://lemonde.fr/eco/panne"))
    batch(db, stories, "b", item("2", "https://lemonde.fr.example/eco/panne"))
    batch(db, stories, "c", item("3", "http://www.lemonde.fr:8080/eco/panne"))
    assert counter(db) == [3]


def test_items_without_an_address_count_their_source(db: Database) -> None:
    stories = StoryIndex()
    batch(db, stories, "a", item("1"))
    batch(db, stories, "a", item("2"))  # its own text again (GUIDs that change)
    assert counter(db) == [1]
    [copy] = placed(db, stories, "b", item("3"))
    assert (copy.notify, copy.counted, copy.sightings) == (True, True, 2)


def test_a_story_counted_by_sources_is_counted_by_sites_at_its_next_new_site(
    db: Database,
) -> None:
    """An upgrade: stories.sightings holds the old count (sources). It stays until a
    new site sees the story; then it is counted again, by sites, from its items."""
    stories = StoryIndex()
    batch(db, stories, "a", item("1", "https://www.lemonde.fr/eco/panne"))
    with db.writing() as session:
        session.execute(update(StoryRow).values(sightings=5))  # counted by the old rule
    batch(db, stories, "b", item("2", "https://www.lemonde.fr/eco/panne"))
    assert counter(db) == [5]  # no new site: nothing is counted
    batch(db, stories, "c", item("3", "https://www.lefigaro.fr/eco/panne"))
    assert counter(db) == [2]


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.lemonde.fr/eco/panne", "lemonde.fr"),
        ("http://lemonde.fr", "lemonde.fr"),
        ("https://forum.example:8443/t/1", "forum.example:8443"),
        ("https://news.google.com/articles/CBMiX", ""),
        ("https://t.co/abc", ""),
        ("", ""),
    ],
)
def test_site_host(url: str, site: str) -> None:
    assert site_host(url) == site
