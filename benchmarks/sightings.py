"""Placing a story seen on many sites: the cost of its sightings against the
former bookkeeping, which grew with the square of a story's sightings.

A dispatch syndicated on hundreds of sites comes in one batch (an aggregator,
a Google Alert listing it everywhere). Before it, other sources stored it on
some sites already. Each sighting asks whether it is a repost and whether its
place is new to the story; the former ``_sighted`` read the place of every
earlier item of the story in the batch at each sighting, and the stored places
from the database at each new place.

Case ``one batch``: ``StoryBatch.assign`` of a batch holding the story on
``K`` sites (two items a site: the second one the same text at the same place,
a repost), the story stored before by another source on ``K``/4 sites (the
batch's first K/8 among them; two items each), on a fresh SQLite database;
each measurement in its own transaction, rolled back (best of 3, 2 shared
cores). Baseline: the same ``assign`` with the former
``_sighted`` (kept below as :class:`FormerBatch`), measured in the same run,
which must answer the same (``same``). ``ratio`` = baseline time / new time;
target: at least 2x at the full size, and a cost per sighting that stays flat
when ``K`` grows (``per_sighting_us`` at K and K/4).

Case ``one a batch``: a site's own feed, the story once in its batch on a site
new to it, stored before on ``K`` sites (two items each); baseline as above.
The former bookkeeping read every stored place of the story (``STORY_PLACES``,
kept below) at each new place; now the place is one insert into
``story_places`` and the counter a count of it (migration 0013). Target: no
slower than the former bookkeeping (``ms_at_quarter``: with ``K``/4 sites).

Case ``once a batch on N feeds``: the syndication case over the life of a
story: ``N`` feeds (1,000; ``--quick``: 300) each list it once on a site of its
own, batch after batch, each batch stored and committed, on a fresh SQLite
database per bookkeeping. ``value``: the total seconds of ``assign`` over the
``N`` batches, against the former recount (quadratic over the story's life);
``ms_per_batch_first_tenth`` and ``..._last_tenth`` show whether a batch's cost
grows with the story's stored sightings. Target: the same answers, faster in
total.

Run: ``python benchmarks/sightings.py [--quick]`` (``--quick``: K = 400, N = 300,
about 10 s; full: K = 1,600, N = 1,000, about a minute, most of it the former
bookkeeping).
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _bench import parse_args, report  # benchmarks/ is the script folder
from sqlalchemy import bindparam, select, update

from watchtower.models import Item
from watchtower.pipeline.dedup import Candidate, Sighting, StoryIndex
from watchtower.pipeline.normalise_items import prepare
from watchtower.pipeline.sites import item_site, place
from watchtower.pipeline.store import named_site, store_items
from watchtower.pipeline.story_batch import StoryBatch
from watchtower.storage.db import Database
from watchtower.storage.one_of import fetch_all
from watchtower.storage.story_queries import SEEN_AGAIN, SEEN_IN_STORY, site_patterns
from watchtower.storage.tables import ITEMS, STORIES, SourceRow

BENCH = "sightings"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ROUNDS = 3
MIN_RATIO = 2.0
LONE_MIN_RATIO = 0.8  # the same path: noise only
TEXT = (
    "Des centaines de clients de la Banque Acmé dénoncent des prélèvements effectués deux "
    "fois sur leur compte courant depuis la migration informatique de la semaine dernière."
)


# The former bookkeeping's statements (before 0013's ``story_places``): every
# place of the story from its items, and the counter set to their number.
STORY_PLACES = (
    select(ITEMS.c.source_id, ITEMS.c.canonical_url, ITEMS.c.site)
    .where(ITEMS.c.story_id == bindparam("story"))
    .distinct()
)
SIGHTED = (
    update(STORIES)
    .where(STORIES.c.id == bindparam("story"))
    .values(sightings=bindparam("count"), last_seen_at=bindparam("now"))
    .returning(STORIES.c.sightings)
)


class FormerBatch(StoryBatch):
    """``StoryBatch`` with ``_sighted`` as it was (0.7.0): the baseline. It reads
    and writes no ``story_places``."""

    def _stored(self, *args: object) -> None:  # type: ignore[override]
        return None  # it read no story's stored items at once

    def _sighted(  # type: ignore[override]
        self,
        source_id: int,
        story_id: int,
        item: Candidate,
        earlier: object,
        *,
        repost: bool = False,
    ) -> Sighting:
        items: list[Candidate] = earlier.items  # type: ignore[attr-defined]
        site = item_site(item.url, item.site)
        mine = place(site, source_id)
        params = {
            "story": story_id,
            "url": item.url_hash or "-",
            "source": 0 if site else source_id,
            **site_patterns(site),
        }
        seen = [
            (place(item_site(url or "", named), int(source)), url_hash, content_hash)
            for source, url_hash, content_hash, url, named in fetch_all(
                self.connection, SEEN_IN_STORY, params
            )
        ]
        seen += [
            (place(item_site(o.url, o.site), source_id), o.url_hash, o.content_hash) for o in items
        ]
        repost = repost or any(
            (item.url_hash and url_hash == item.url_hash)
            or (item.content_hash and content_hash == item.content_hash and where == mine)
            for where, url_hash, content_hash in seen
        )
        new_place = all(where != mine for where, _, _ in seen)
        if new_place:
            places = {
                place(item_site(url or "", named), int(source))
                for source, url, named in fetch_all(
                    self.connection, STORY_PLACES, {"story": story_id}
                )
            }
            places.update(place(item_site(o.url, o.site), source_id) for o in items)
            places.add(mine)
            counted = fetch_all(
                self.connection, SIGHTED, {"story": story_id, "now": self.now, "count": len(places)}
            )
        else:
            counted = fetch_all(self.connection, SEEN_AGAIN, {"story": story_id, "now": self.now})
        sightings = counted[0][0] if counted else None
        return Sighting(story_id, False, int(sightings or 1), not repost, new_place)


class _RolledBack(Exception):
    pass


def _items(prefix: str, sites: range, copies: int = 2) -> list[Item]:
    """The dispatch on each site of ``sites``, ``copies`` times: its page, then the
    same text at other addresses of the site (reposts)."""
    return [
        Item(
            guid=f"{prefix}{k}-{n}", url=f"https://www.site{k}.fr/eco/{n}", title="Acmé", text=TEXT
        )
        for k in sites
        for n in range(copies)
    ]


def _candidates(items: list[Item]) -> list[Candidate]:
    return [
        Candidate(
            p.url_hash,
            p.content_hash,
            p.fingerprint,
            p.item.title,
            p.canonical_url,
            p.item.author or "",
            named_site(p),
        )
        for p in prepare(items)
    ]


def _database(folder: Path, stored: int) -> tuple[Database, StoryIndex, int]:
    """A database where source ``early`` stored the story on ``stored`` sites;
    the id of source ``big``, whose batch is measured."""
    db = Database(f"sqlite:///{folder / 'watchtower.db'}")
    db.upgrade()
    with db.writing() as session:
        for name in ("early", "big"):
            session.add(
                SourceRow(
                    name=name, kind="rss", url=f"https://{name}.fr/", cursor={}, next_check_at=NOW
                )
            )
    stories = StoryIndex()
    with db.writing() as session:
        early = session.scalar(select(SourceRow.id).where(SourceRow.name == "early"))
        big = session.scalar(select(SourceRow.id).where(SourceRow.name == "big"))
        assert early is not None and big is not None
        items = _items("e", range(stored))
        prepared = prepare(items)
        batch = stories.begin_batch(session, NOW, _candidates(items))
        sightings = batch.assign(early)
        ids = store_items(session, early, prepared, NOW, [s.story_id for s in sightings])
        for at, p in enumerate(prepared):
            batch.added(at, ids[p.item.guid])
        batch.finish(len(ids))
    return db, stories, big


def _assign(
    db: Database, stories: StoryIndex, source_id: int, candidates: list[Candidate], former: bool
) -> tuple[float, list[Sighting]]:
    """Seconds of ``assign`` for ``candidates``, and its answer; rolled back."""
    answer: list[Sighting] = []
    elapsed = 0.0
    try:
        with db.writing() as session:
            batch = stories.begin_batch(session, NOW, candidates)
            if former:
                batch.__class__ = FormerBatch
            t = time.perf_counter()
            answer = batch.assign(source_id)
            elapsed = time.perf_counter() - t
            batch.finish(0)  # nothing stored: the index forgets the batch
            raise _RolledBack
    except _RolledBack:
        pass
    return elapsed, answer


def _case(sites: range, stored: int, rounds: int, copies: int = 2) -> tuple[float, float, bool]:
    """Best-of-``rounds`` seconds (new, former) of a batch on ``sites`` with the story
    stored on ``stored`` sites before, and whether both answered the same."""
    with tempfile.TemporaryDirectory() as folder:
        db, stories, big = _database(Path(folder), stored)
        candidates = _candidates(_items("b", sites, copies))
        new, former = float("inf"), float("inf")
        same = True
        for _ in range(rounds):
            t_new, mine = _assign(db, stories, big, candidates, former=False)
            t_old, theirs = _assign(db, stories, big, candidates, former=True)
            new, former = min(new, t_new), min(former, t_old)
            same = same and [(s.first, s.sightings, s.notify, s.counted) for s in mine] == [
                (s.first, s.sightings, s.notify, s.counted) for s in theirs
            ]
        db.dispose()
    return new, former, same


def _syndicated(batches: int, former: bool) -> tuple[list[float], list[tuple[int, bool]]]:
    """A story seen once a batch on ``batches`` feeds, each listing it on a site
    of its own, stored batch after batch (committed) on a fresh SQLite database:
    the seconds of each batch's ``assign``, and its (counter, new place)."""
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'watchtower.db'}")
        db.upgrade()
        with db.writing() as session:
            feeds = [
                SourceRow(name=f"feed{k}", kind="rss", url=f"https://feed{k}.fr/", cursor={})
                for k in range(batches)
            ]
            for feed in feeds:
                feed.next_check_at = NOW
            session.add_all(feeds)
            session.flush()
            ids = [feed.id for feed in feeds]
        stories = StoryIndex()
        seconds: list[float] = []
        answers: list[tuple[int, bool]] = []
        for k, source_id in enumerate(ids):
            items = [
                Item(guid=f"s{k}", url=f"https://www.site{k}.fr/eco/1", title="Acmé", text=TEXT)
            ]
            prepared = prepare(items)
            with db.writing() as session:
                batch = stories.begin_batch(session, NOW, _candidates(items))
                if former:
                    batch.__class__ = FormerBatch
                t = time.perf_counter()
                (sighting,) = batch.assign(source_id)
                seconds.append(time.perf_counter() - t)
                stored = store_items(session, source_id, prepared, NOW, [sighting.story_id])
                batch.added(0, stored[f"s{k}"])
                batch.finish(1)
            answers.append((sighting.sightings, sighting.counted))
        db.dispose()
    return seconds, answers


def main() -> None:
    args = parse_args(__doc__ or BENCH)
    sites = 400 if args.quick else 1_600
    stored = sites // 4
    # The batch starts on sites the story was stored on, then goes on to new ones.
    small_new, small_former, small_same = _case(
        range(stored // 2, stored // 2 + sites // 4), stored, ROUNDS
    )
    new, former, same = _case(range(stored // 2, stored // 2 + sites), stored, ROUNDS)
    sightings, small_sightings = 2 * sites, 2 * (sites // 4)
    per, small_per = new / sightings * 1e6, small_new / small_sightings * 1e6
    report(
        BENCH,
        "one batch",
        value=new,
        unit="s",
        baseline=former,
        target=f">= {MIN_RATIO:g}x faster than the former bookkeeping, the same answer",
        ok=same and small_same and former >= MIN_RATIO * new,
        higher_is_better=False,
        sightings=sightings,
        stored=stored,
        same=same and small_same,
        per_sighting_us=round(per, 1),
        per_sighting_us_at_quarter=round(small_per, 1),
        former_per_sighting_us=round(former / sightings * 1e6, 1),
        former_per_sighting_us_at_quarter=round(small_former / small_sightings * 1e6, 1),
    )
    # A site's own feed: the story once in its batch, on a site new to it.
    lone = {n: _case(range(10 * n, 10 * n + 1), n, 5 * ROUNDS, 1) for n in (sites // 4, sites)}
    new, former, same = lone[sites]
    report(
        BENCH,
        "one a batch",
        value=new * 1e3,
        unit="ms",
        baseline=former * 1e3,
        target=f"no slower than the former bookkeeping (ratio >= {LONE_MIN_RATIO:g})",
        ok=same and lone[sites // 4][2] and former >= LONE_MIN_RATIO * new,
        higher_is_better=False,
        stored=sites,
        same=same and lone[sites // 4][2],
        ms_at_quarter=round(lone[sites // 4][0] * 1e3, 3),
        former_ms_at_quarter=round(lone[sites // 4][1] * 1e3, 3),
    )

    # A site's own feed, batch after batch: the story stored on one more site each time.
    batches = 300 if args.quick else 1_000
    new_times, new_said = _syndicated(batches, former=False)
    old_times, old_said = _syndicated(batches, former=True)
    tenth = batches // 10

    def per_batch_ms(times: list[float]) -> float:
        return round(sum(times) / len(times) * 1e3, 3)

    report(
        BENCH,
        "once a batch on N feeds",
        value=sum(new_times),
        unit="s",
        baseline=sum(old_times),
        target="faster than the former recount, the same answer, a flat cost per batch",
        ok=new_said == old_said and sum(old_times) >= sum(new_times),
        higher_is_better=False,
        batches=batches,
        same=new_said == old_said,
        counter=new_said[-1][0],
        ms_per_batch_first_tenth=per_batch_ms(new_times[:tenth]),
        ms_per_batch_last_tenth=per_batch_ms(new_times[-tenth:]),
        former_ms_per_batch_first_tenth=per_batch_ms(old_times[:tenth]),
        former_ms_per_batch_last_tenth=per_batch_ms(old_times[-tenth:]),
    )


if __name__ == "__main__":
    main()
