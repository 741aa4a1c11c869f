"""A story seen many times: what each sighting says is pinned.

A dispatch syndicated on many sites comes back in batch after batch, and
several times in one batch (an aggregator, a Google Alert listing it on dozens
of sites). Each sighting is news or a repost, a new place for the story's
counter or not; these tests pin that answer, sighting by sighting, over a mix
of sites written in several ways, the same address again, the same text at the
same place, edited copies, Google News links naming their publisher, items
without a link and bylines, so that the bookkeeping of the places a story was
seen keeps its answer whatever it costs.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from watchtower.models import Item
from watchtower.pipeline.dedup import Candidate, Sighting, StoryIndex
from watchtower.pipeline.normalise_items import prepare
from watchtower.pipeline.runner import candidate
from watchtower.pipeline.store import store_items
from watchtower.storage.db import Database
from watchtower.storage.tables import SourceRow, StoryRow

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TEXT = (
    "Des centaines de clients de la Banque Acmé dénoncent des prélèvements effectués deux "
    "fois sur leur compte courant depuis la migration informatique de la semaine dernière."
)
EDITED = TEXT + " La banque promet un remboursement sous huit jours."
OTHER = (
    "Le cours de l'action Acmé a chuté de douze pour cent à l'ouverture de la Bourse de "
    "Paris après l'annonce d'un avertissement sur les résultats du troisième trimestre."
)


def recorded(db: Database, stories: StoryIndex, source: str, items: list[Item]) -> list[Sighting]:
    """Place and store ``items`` as ``run_batch`` does: the sighting of each."""
    with db.writing() as session:
        source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == source))
        assert source_id is not None
        prepared = prepare(items)
        candidates = [candidate(p) for p in prepared]
        batch = stories.begin_batch(session, NOW, candidates)
        sightings = batch.assign(source_id)
        ids = store_items(session, source_id, prepared, NOW, [s.story_id for s in sightings])
        for at, p in enumerate(prepared):
            batch.added(at, ids[p.item.guid])
        batch.finish(len(ids))
        return sightings


def syndicated(first: int, count: int, sites: int) -> list[Item]:
    """``count`` sightings of one dispatch, numbered from ``first``, on ``sites``
    sites written several ways, with the cases a syndicated story brings."""
    items = []
    for k in range(first, first + count):
        site = f"site{k % sites}.fr"
        url = (
            f"https://www.{site}/eco/{k}"
            if k % 3
            else f"http://{site}/eco/depeche-{k % 4}"  # the same address, now and then
        )
        extra: dict[str, object] = {}
        if k % 7 == 0:  # a Google News link, its publisher named beside it
            url = f"https://news.google.com/rss/articles/CBMi{k % 3}"
            extra = {"publisher_url": f"https://www.{site}", "publisher": site}
        elif k % 11 == 0:  # no link: the source is its place
            url = ""
        author = ("", "", "Marie Dupont", "Le Monde", "Le Monde avec AFP")[k % 5]
        text = OTHER if k % 10 == 6 else EDITED if k % 4 == 3 else TEXT  # two stories
        items.append(
            Item(guid=f"g{k}", url=url, title="Acmé", text=text, author=author, extra=extra)
        )
    return items


def item(guid: str, url: str) -> Item:
    return Item(guid=guid, url=url, title="Acmé", text=TEXT)


def said(sightings: list[Sighting]) -> list[str]:
    """Each sighting in short: its story (``renumbered``), then ``F`` when it
    starts it, else the story's counter, ``n`` news or ``-`` a repost, and ``+``
    when its place is new to the story."""
    return [
        f"{s.story_id}:F"
        if s.first
        else f"{s.story_id}:{s.sightings}{'n' if s.notify else '-'}{'+' if s.counted else ''}"
        for s in sightings
    ]


def renumbered(sightings: list[Sighting], ids: dict[int, int]) -> list[Sighting]:
    """Story ids as 1, 2, … in their order of appearance (databases number alike
    but not necessarily from 1)."""
    out = []
    for s in sightings:
        number = ids.setdefault(s.story_id, len(ids) + 1)
        out.append(Sighting(number, s.first, s.sightings, s.notify, s.counted))
    return out


def test_a_story_seen_in_many_places_and_batches_counts_each_place_once(db: Database) -> None:
    stories = StoryIndex()
    ids: dict[int, int] = {}
    runs = [
        ("a", syndicated(0, 60, 17)),
        ("b", syndicated(40, 50, 23)),
        ("c", syndicated(85, 40, 31)),
        ("a", syndicated(120, 30, 37)),
    ]
    seen = [said(renumbered(recorded(db, stories, src, items), ids)) for src, items in runs]
    with db.session() as session:
        counters = list(session.scalars(select(StoryRow.sightings).order_by(StoryRow.id)))
    assert seen == [batch.split() for batch in EXPECTED]
    assert counters == EXPECTED_COUNTERS


def test_a_story_seen_once_or_twice_a_batch_counts_each_place_once(db: Database) -> None:
    """Most batches bring a story once (a site's own feed): what each sighting
    asks of the stored items is read for it alone."""
    stories = StoryIndex()
    ids: dict[int, int] = {}
    seen = [
        " ".join(said(renumbered(recorded(db, stories, "abc"[k % 3], items), ids)))
        for k in range(45)
        if (items := syndicated(2 * k, 1 + (k % 5 == 4), 13))
    ]
    with db.session() as session:
        counters = list(session.scalars(select(StoryRow.sightings).order_by(StoryRow.id)))
    assert " | ".join(seen) == EXPECTED_ONE_BY_ONE
    assert counters == EXPECTED_ONE_BY_ONE_COUNTERS


def test_a_story_listed_many_times_in_a_batch_reads_its_stored_items_once(
    tmp_path: Path,
) -> None:
    """An aggregator listing a stored story on 60 sites: the batch reads the
    story's stored items once, not once a sighting (which made the cost of such
    a batch grow with the square of the story's sightings)."""
    database = Database(f"sqlite:///{tmp_path / 'watchtower.db'}")
    database.upgrade()
    with database.session() as session:
        source = SourceRow(name="a", kind="rss", url="https://a.fr/", cursor={}, next_check_at=NOW)
        session.add(source)
        session.flush()
        source_id = source.id
    stories = StoryIndex()
    site = "https://www.site{}.fr/eco/{}"
    recorded(database, stories, "a", [item(f"s{k}", site.format(k, 0)) for k in range(30)])
    listed = [item(f"l{k}-{n}", site.format(k, n)) for k in range(60) for n in (1, 2)]
    statements: list[str] = []
    with database.writing() as session:
        # fetch_all runs on the DB-API cursor: SQLite's own trace sees every statement.
        sqlite = session.connection().connection.driver_connection
        assert isinstance(sqlite, sqlite3.Connection)
        sqlite.set_trace_callback(statements.append)
        candidates = [
            Candidate(p.url_hash, p.content_hash, p.fingerprint, "Acmé", p.canonical_url)
            for p in prepare(listed)
        ]
        sightings = stories.begin_batch(session, NOW, candidates).assign(source_id)
        sqlite.set_trace_callback(None)
    assert [s.counted for s in sightings].count(True) == 30  # sites 30 to 59: new places
    story_reads = [s for s in statements if re.search(r"WHERE items\.story_id = ", s)]
    assert len(story_reads) == 1
    database.dispose()


#: Each batch's sightings, in order (``said``).
EXPECTED = [
    (
        "1:F 1:2n+ 1:3n+ 1:4n+ 1:5n+ 1:6n+ 2:F 1:7n+ 1:8n+ 1:9n+ 1:10n+ 1:11n+ 1:12n+ 1:13n+ "
        "1:14n+ 1:15n+ 2:2n+ 1:15- 1:15- 1:15n 1:15n 1:15- 1:15n 1:16n+ 1:16n 1:16- 2:3n+ "
        "1:16n 1:17-+ 1:17- 1:17- 1:17n 1:17n 1:17- 1:17- 1:17- 2:4n+ 1:17- 1:17- 1:17n 1:17n "
        "1:17- 1:17- 1:17n 1:17- 1:17- 2:5n+ 1:17n 1:17- 1:17- 1:18n+ 1:18n 1:18- 1:18- 1:18- "
        "1:18- 2:6n+ 1:18- 1:18- 1:18n"
    ),
    (
        "1:19n+ 1:20n+ 1:21-+ 1:22n+ 1:23n+ 1:24n+ 2:7n+ 1:24- 1:24- 1:24- 1:24- 1:24- 1:24- "
        "1:24- 1:24- 1:24n 2:8-+ 1:24- 1:24- 1:24- 1:24- 1:24- 1:24- 1:24- 1:24- 1:24- 2:9n+ "
        "1:25n+ 1:25- 1:25- 1:25- 1:25- 1:25- 1:25- 1:25- 1:25- 2:10n+ 1:25- 1:25- 1:25- "
        "1:25- 1:25- 1:25- 1:25- 1:25- 1:25- 2:11n+ 1:25n 1:25- 1:25n"
    ),
    (
        "1:26n+ 2:12n+ 1:27n+ 1:28n+ 1:29n+ 1:30n+ 1:31-+ 1:32n+ 1:32- 1:32- 1:32- 2:13n+ "
        "1:32- 1:32- 1:32n 1:32- 1:32- 1:32- 1:32- 1:32- 1:32- 2:14n+ 1:32- 1:32- 1:32- 1:32- "
        "1:32- 1:32- 1:32- 1:32n 1:32n 2:15n+ 1:33n+ 1:33n 1:34-+ 1:34- 1:34- 1:34n 1:34n "
        "1:34-"
    ),
    (
        "1:34- 1:34- 1:34- 1:34n 1:34- 1:34- 1:34- 1:34n 1:34- 1:34- 1:34- 1:34- 1:34- 1:34- "
        "1:34- 1:34n 2:16n+ 1:34n 1:34- 1:34n 1:34- 1:34- 1:35n+ 1:35- 1:36n+ 1:37n+ 2:17n+ "
        "1:38-+ 1:38- 1:38-"
    ),
]
#: The counters of the two stories at the end.
EXPECTED_COUNTERS = [38, 17]
#: Each batch's sightings (``said``), batch after batch.
EXPECTED_ONE_BY_ONE = (
    "1:F | 1:2n+ | 1:3n+ | 2:F | 1:4n+ 1:5n+ | 1:6n+ | 1:7n+ | 1:8n+ | 2:2n+ | 1:9n+ "
    "1:10n+ | 1:11n+ | 1:12n+ | 1:13n+ | 2:3n+ | 1:13- 1:14n+ | 1:14- | 1:14n | 1:14- | "
    "2:4n+ | 1:14- 1:14n | 1:14- | 1:14- | 1:15n+ | 2:5n+ | 1:15- 1:15- | 1:15- | 1:15- | "
    "1:15- | 2:6n+ | 1:15- 1:15n | 1:15- | 1:15- | 1:15- | 2:7n+ | 1:15- 1:15- | 1:15- | "
    "1:15- | 1:15- | 2:8n+ | 1:15- 1:15n | 1:15- | 1:15- | 1:15- | 2:9n+ | 1:15- 1:15-"
)
EXPECTED_ONE_BY_ONE_COUNTERS = [15, 9]
