"""Stage: put each new item in its story — one story, one alert.

An item joins an existing story (within the dedup window) when it has the same
URL equality key, the same normalised content, or near-duplicate text (see
:mod:`watchtower.pipeline.neardup`); otherwise it starts a story. The story's
unique ``key`` makes replicas racing on the same article agree on one story;
the in-memory index is caught up from the database before each lookup so that
another replica's recent items are seen too.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from watchtower.pipeline.bigrams import ProbeKeys
from watchtower.pipeline.fingerprint import Fingerprint
from watchtower.pipeline.neardup import NearDuplicateIndex
from watchtower.pipeline.sites import (
    NO_SITE_HOSTS,
    author_key,
    other_authors,
    place,
    site_host,
    site_key,
)
from watchtower.storage.one_of import fetch_all
from watchtower.storage.queries import insert_ignoring_many
from watchtower.storage.story_queries import (
    FINGERPRINTS,
    FINGERPRINTS_SINCE,
    FIRST_STORIES,
    MAX_ITEM_ID,
    SEEN_AGAIN,
    SEEN_IN_STORY,
    SIGHTED,
    STORIES_BY_KEY,
    STORY_OF_ITEM,
    STORY_PLACES,
    site_patterns,
)
from watchtower.storage.tables import STORIES

__all__ = [
    "NO_SITE_HOSTS",
    "STORY_LOCK",
    "Candidate",
    "Sighting",
    "StoryBatch",
    "StoryIndex",
    "site_key",
]

_LOOKUP_CHUNK = 500
STORY_LOCK = 0x77746F7779  # "wtowy": the advisory lock id of story assignment


@dataclass(frozen=True)
class Sighting:
    """Where an item landed: its story, whether it started it, and whether to tell."""

    story_id: int
    first: bool
    sightings: int
    notify: bool  # a later sighting worth a thread reply (not a repost)
    counted: bool = False  # a place new to the story: its counter changed


class StoryIndex:
    """Near-duplicate lookup over the window's items, shared by the poll threads."""

    def __init__(self, window: timedelta = timedelta(days=7), threshold: float = 0.6) -> None:
        self.window = window
        self.threshold = threshold
        self.index = NearDuplicateIndex(window=window, threshold=threshold)
        self.synced_id = 0
        self.lock = threading.Lock()
        # Set when a batch rolled back after indexing its items: those ids may
        # not exist (or, on SQLite, be reused), so the index is rebuilt.
        self.stale = False
        # Bumped when slots are renumbered (prune, rebuild): a batch that added
        # items before then cannot relabel them and has the index rebuilt.
        self.generation = 0

    def configure(self, window: timedelta, threshold: float) -> None:
        """New ``[dedup]`` settings (a config reload): the index is rebuilt for the next batch."""
        with self.lock:
            if (window, threshold) == (self.window, self.threshold):
                return
            self.window, self.threshold = window, threshold
            self.stale = True

    def load(self, session: Session, now: datetime) -> None:
        """Rebuild from the database (at start): every fingerprint in the window."""
        with self.lock:
            self.index = NearDuplicateIndex.from_rows(
                self._rows(session, since=now - self.window),
                window=self.window,
                threshold=self.threshold,
            )
            self.synced_id = self._max_id(session)
            self.stale = False
            self.generation += 1

    def _rows(
        self, session: Session, *, since: datetime | None = None, after: int = 0
    ) -> list[tuple[int, bytes, datetime, int, int, int]]:
        """``(id, fingerprint, fetched_at, story, site, author)`` of the stored items."""
        query = FINGERPRINTS if since is None else FINGERPRINTS_SINCE
        params = {"after": after} if since is None else {"after": after, "since": since}
        out = []
        connection = session.connection()
        # The rebuild streams up to the whole window; a catch-up is a few rows.
        rows = (
            connection.execute(query, params)
            if since is not None
            else fetch_all(connection, query, params)
        )
        for item_id, blob, fetched, story, url, author in rows:
            if blob is not None:
                out.append(
                    (
                        item_id,
                        bytes(blob),
                        fetched,
                        int(story or 0),
                        site_key(url or ""),
                        author_key(author),
                    )
                )
        return out

    @staticmethod
    def _max_id(session: Session) -> int:
        return int(session.connection().execute(MAX_ITEM_ID).scalar() or 0)

    def _catch_up(self, session: Session) -> None:
        """Add items other workers or replicas stored since the last look."""
        for item_id, blob, fetched, story, site, author in self._rows(
            session, after=self.synced_id
        ):
            try:
                fp = Fingerprint.from_bytes(blob)
                self.index.add(item_id, fp, fetched, story=story, site=site, author=author)
            except ValueError:  # a fingerprint from another format version
                continue
            self.synced_id = max(self.synced_id, item_id)

    def begin_batch(
        self, session: Session, now: datetime, candidates: Sequence[Candidate]
    ) -> StoryBatch:
        """Take the story lock for the rest of this transaction, catch up, and look up
        the stories of the batch's URL keys and content hashes in one go.

        What needs no lock (the near-duplicate keys of each candidate) is
        computed before the lock is taken: every replica's batch waits for it.

        A near-copy stored by another replica is invisible until that replica
        commits, so story assignment must not overlap across replicas: on
        PostgreSQL an advisory lock, taken before any insert so it cannot
        deadlock with the inserts' row locks; on SQLite the batch runs inside
        ``Database.writing()``, which admits one writer at a time. Holding
        it, nobody else can add items until this batch commits, so one
        catch-up (and one exact lookup) per batch sees everything.
        """
        candidates = [self._story_keys(c) for c in candidates]
        probes = self.index.probe_keys_many([c.fingerprint for c in candidates])
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STORY_LOCK})
        if self.stale:
            self.load(session, now)
        with self.lock:
            self._catch_up(session)
        first: dict[str, First] = {}
        urls, contents = (
            sorted({c.url_hash for c in candidates if c.url_hash}),
            sorted({c.content_hash for c in candidates if c.content_hash}),
        )
        for at in range(0, max(len(urls), len(contents)), _LOOKUP_CHUNK):
            params = {
                "urls": urls[at : at + _LOOKUP_CHUNK] or ["-"],  # "-" is never a hex digest
                "contents": contents[at : at + _LOOKUP_CHUNK] or ["-"],
                "since": now - self.window,
            }
            for kind, key, item_id, story_id, url, author in fetch_all(
                connection, FIRST_STORIES, params
            ):
                first[f"{kind}:{key}"] = First(
                    int(item_id), int(story_id), site_key(url or ""), author_key(author)
                )
        return StoryBatch(self, session, now, first, candidates, probes)

    def _story_keys(self, candidate: Candidate) -> Candidate:
        """``candidate`` with only the keys that may join it to another item's story.

        Identical short content at two addresses is not a copy: two customers
        writing "Nul.", two press releases titled "Communiqué de presse – Acmé".
        Below ``min_words`` content words, where near-duplicates are not looked
        for either, the content hash joins nothing; the URL still does. An item
        without a URL key keeps it: its content is all it has (a review's hash
        includes its guid, see ``normalise_items``).
        """
        if (
            candidate.content_hash
            and candidate.url_hash
            and len(candidate.fingerprint.words) < self.index.min_words
        ):
            return replace(candidate, content_hash="")
        return candidate

    def forget_batch(self) -> None:
        """The batch rolled back: what it indexed is not in the database."""
        self.stale = True

    def prune(self, now: datetime) -> int:
        with self.lock:
            self.generation += 1
            return self.index.prune(now - self.window)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What story assignment reads of an item about to be stored."""

    url_hash: str
    content_hash: str
    fingerprint: Fingerprint
    title: str
    #: The canonical URL: its host is the item's site (:func:`site_key`).
    url: str = ""
    #: Who wrote it (``Item.author``): two items of one site by two authors are
    #: two stories (:func:`~watchtower.pipeline.sites.other_authors`).
    author: str = ""


@dataclass(frozen=True, slots=True)
class First:
    """The first item with a URL key or content hash: its id, story, site and author."""

    item_id: int
    story_id: int
    site: int = 0
    author: int = 0


class StoryBatch:
    """Story assignment for one batch of a source's items, inside its transaction.

    Built by :meth:`StoryIndex.begin_batch`, which already looked up the first
    stored item of each URL key and content hash of the batch. :meth:`assign`
    places the whole batch at once — items of the batch find each other through
    the same maps, and through the shared near-duplicate index, where they sit
    under placeholder ids — and creates the new stories in one statement; the
    caller then stores the items, reports each with :meth:`added` and ends
    with :meth:`finish`.
    """

    def __init__(
        self,
        index: StoryIndex,
        session: Session,
        now: datetime,
        first: dict[str, First],
        candidates: Sequence[Candidate],
        probes: Sequence[ProbeKeys],
    ) -> None:
        self.index = index
        self.connection = session.connection()
        self.now = now
        self.first = first  # "u:<url hash>" / "c:<content hash>" -> its first item
        self.candidates = candidates
        self.probes = probes  # near-duplicate keys of each candidate
        self.slots: list[int] = []  # near-duplicate index slot of each assigned item
        self.generation = index.generation

    def assign(self, source_id: int) -> list[Sighting]:
        """The story of each candidate, in order, as if they were stored one by one."""
        items = self.candidates
        # Stories to be created are numbered -1, -2, … until the insert; items
        # of this batch rank after every stored item, in batch order, and are in
        # the near-duplicate index as -1 - their position until :meth:`added`.
        after_stored = 1 << 62
        stories: list[int] = []
        new_stories: dict[int, tuple[str, str]] = {}  # placeholder -> (key, title)
        starts: dict[int, int] = {}  # placeholder -> the position of the item starting it
        by_key: dict[str, int] = {}  # story key -> placeholder
        for at, item in enumerate(items):
            site, author = site_key(item.url), author_key(item.author)
            story = self._exact(item.url_hash, item.content_hash, site, author)
            if story is None:
                story = self._near(item.fingerprint, self.probes[at], stories, site, author)
            if story is None:
                key = f"url:{item.url_hash}" if item.url_hash else f"content:{item.content_hash}"
                story = by_key.get(key)
            if story is None:
                story = by_key[key] = -1 - len(new_stories)
                new_stories[story], starts[story] = (key, item.title[:500]), at
            stories.append(story)
            for key in self._keys(item.url_hash, item.content_hash):
                self.first.setdefault(key, First(after_stored + at, story, site, author))
            with self.index.lock:
                self.slots.append(
                    self.index.index.add(
                        -1 - at,
                        item.fingerprint,
                        self.now,
                        self.probes[at],
                        story=story,
                        site=site,
                        author=author,
                    )
                )
        created, existing = self._create(new_stories)
        sightings: list[Sighting] = []
        seen: dict[int, list[Candidate]] = {}  # story id -> its items earlier in this batch
        for at, (item, story) in enumerate(zip(items, stories, strict=True)):
            story_id = created.get(story) or existing.get(story) or story
            if story_id < 0:  # neither inserted nor found: never store an item without one
                raise RuntimeError(f"story {new_stories[story][0]} was neither created nor found")
            if story_id != story:  # a new story's placeholder: the index learns its id
                with self.index.lock:
                    if self.index.generation == self.generation:
                        self.index.index.relabel(self.slots[at], story=story_id)
            earlier = seen.setdefault(story_id, [])
            if story in created and starts[story] == at:
                sightings.append(Sighting(story_id, True, 1, False))
            else:
                sightings.append(self._sighted(source_id, story_id, item, earlier))
            earlier.append(item)
        return sightings

    def _near(
        self, fingerprint: Fingerprint, keys: ProbeKeys, stories: list[int], site: int, author: int
    ) -> int | None:
        """The story of the closest near-copy, stored or earlier in this batch."""
        with self.index.lock:
            found = self.index.index.find(
                fingerprint, now=self.now, keys=keys, site=site, author=author
            )
        if found is None:
            return None
        if found.doc_id < 0:  # an item of this batch
            return stories[-1 - found.doc_id]
        # Batches never overlap (begin_batch): the database knows this item's story.
        story_id = self.connection.execute(STORY_OF_ITEM, {"item": found.doc_id}).scalar()
        return int(story_id) if story_id is not None else None

    def _create(
        self, new_stories: dict[int, tuple[str, str]]
    ) -> tuple[dict[int, int], dict[int, int]]:
        """Insert the batch's new stories: (placeholder -> created id, -> existing id).

        A key can exist already (a story older than the window, or one another
        worker started first): the item then joins it.
        """
        if not new_stories:
            return {}, {}
        placeholder = {key: ph for ph, (key, _) in new_stories.items()}
        rows = [
            {
                "key": key,
                "title": title,
                "sightings": 1,
                "created_at": self.now,
                "last_seen_at": self.now,
            }
            for key, title in new_stories.values()
        ]
        inserted = insert_ignoring_many(self.connection, STORIES, rows, ("key",), ("key",))
        created = {placeholder[key]: int(sid) for sid, key in inserted}
        missing = [key for key, ph in placeholder.items() if ph not in created]
        existing: dict[int, int] = {}
        for at in range(0, len(missing), _LOOKUP_CHUNK):
            found = fetch_all(
                self.connection, STORIES_BY_KEY, {"keys": missing[at : at + _LOOKUP_CHUNK]}
            )
            existing.update((placeholder[key], int(sid)) for sid, key in found)
        return created, existing

    def _sighted(
        self, source_id: int, story_id: int, item: Candidate, earlier: list[Candidate]
    ) -> Sighting:
        """One more sighting of an existing story: is it news, and is it a new place?

        A repost is no news: the story's very address again (from any source:
        Google Alerts finding the article a site's own feed gave), or the same
        text at the same place (a feed re-listing its item under a new URL or
        GUID). The same text on another site is a copy: news, even from the
        same feed (an aggregator, a Google Alert listing it on two sites).

        The story's counter counts places (``sites.place``): set from the
        database when this one is new to it, so replicas, and stories counted
        by an older rule, agree.
        """
        site = site_host(item.url)
        mine = place(site, source_id)
        params = {
            "story": story_id,
            "url": item.url_hash or "-",
            "source": 0 if site else source_id,  # ids start at 1: 0 selects nothing
            **site_patterns(site),
        }
        seen = [
            (place(site_host(url or ""), int(source)), url_hash, content_hash)
            for source, url_hash, content_hash, url in self.connection.execute(
                SEEN_IN_STORY, params
            )
        ]
        seen += [(place(site_host(o.url), source_id), o.url_hash, o.content_hash) for o in earlier]
        repost = any(
            (item.url_hash and url_hash == item.url_hash)
            or (item.content_hash and content_hash == item.content_hash and where == mine)
            for where, url_hash, content_hash in seen
        )
        new_place = all(where != mine for where, _, _ in seen)
        if new_place:
            places = {
                place(site_host(url or ""), int(source))
                for source, url in self.connection.execute(STORY_PLACES, {"story": story_id})
            }
            places.update(place(site_host(o.url), source_id) for o in earlier)
            places.add(mine)
            sightings = self.connection.execute(
                SIGHTED, {"story": story_id, "now": self.now, "count": len(places)}
            ).scalar()
        else:
            sightings = self.connection.execute(
                SEEN_AGAIN, {"story": story_id, "now": self.now}
            ).scalar()
        return Sighting(story_id, False, int(sightings or 1), not repost, new_place)

    def added(self, at: int, item_id: int) -> None:
        """The item at position ``at`` of :meth:`assign` is stored as ``item_id``."""
        with self.index.lock:
            if self.index.generation != self.generation:  # pruned meanwhile: slots moved
                self.index.stale = True
                return
            self.index.index.relabel(self.slots[at], item_id)
            self.index.synced_id = max(self.index.synced_id, item_id)

    def finish(self, stored: int) -> None:
        """After :meth:`added` for ``stored`` items: if some item was not stored, its
        placeholder must not outlive the batch, so the index is rebuilt next time."""
        if stored != len(self.slots):
            self.index.forget_batch()

    @staticmethod
    def _keys(url_hash: str, content_hash: str) -> list[str]:
        return [
            k for k in (url_hash and f"u:{url_hash}", content_hash and f"c:{content_hash}") if k
        ]

    def _exact(self, url_hash: str, content_hash: str, site: int, author: int) -> int | None:
        """The story of the first item with the same URL key or the same content.

        The same address is the same item, whoever the feeds say wrote it. The
        same content is not when another author wrote it on the same site: two
        members pasting one complaint are two people to answer (the item may
        still join a post of its own author's through the near-duplicates).
        """
        hits = [
            self.first[key]
            for key in self._keys(url_hash, content_hash)
            if key in self.first
            and (
                key.startswith("u:")
                or not other_authors(site, author, self.first[key].site, self.first[key].author)
            )
        ]
        return min(hits, key=lambda hit: hit.item_id).story_id if hits else None
