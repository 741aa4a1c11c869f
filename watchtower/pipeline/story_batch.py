"""One batch of a source's items placed in their stories, inside its transaction
(built by :meth:`watchtower.pipeline.dedup.StoryIndex.begin_batch`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from watchtower.pipeline.bigrams import ProbeKeys
from watchtower.pipeline.fingerprint import Fingerprint
from watchtower.pipeline.headlines import Headline, Headlines
from watchtower.pipeline.sites import (
    author_key,
    item_site,
    one_byline,
    other_authors,
    place,
    site_key,
)
from watchtower.pipeline.story_pairing import LOOKUP_CHUNK, TitlePairing
from watchtower.pipeline.story_seen import Seen
from watchtower.storage.insert_returning import insert_ignoring_many
from watchtower.storage.one_of import execute, fetch_all
from watchtower.storage.story_queries import (
    FIRST_ITEM_OF_STORY,
    SEEN_AGAIN,
    SEEN_AT_ADDRESS,
    SEEN_IN_STORY,
    SIGHTED,
    STORIES_BY_KEY,
    STORY_OF_ITEM,
    add_places,
    site_patterns,
)
from watchtower.storage.tables import ITEMS, STORIES

if TYPE_CHECKING:
    from watchtower.pipeline.dedup import StoryIndex

__all__ = ["Candidate", "First", "Sighting", "StoryBatch"]

#: What a story's sightings ask of its stored items (as ``SEEN_IN_STORY`` asks
#: of some), all read at once for a story seen more than once in a batch.
_STORY_ROWS = select(
    ITEMS.c.source_id, ITEMS.c.url_hash, ITEMS.c.content_hash, ITEMS.c.canonical_url, ITEMS.c.site
).where(ITEMS.c.story_id == bindparam("story"))
#: The byline of a stored item, read only when a near-copy of the same site by
#: another author could join: the index holds author keys, not names.
_AUTHOR_OF_ITEM = select(ITEMS.c.author).where(ITEMS.c.id == bindparam("item"))


@dataclass(frozen=True)
class Sighting:
    """Where an item landed: its story, whether it started it, and whether to tell."""

    story_id: int
    first: bool
    sightings: int
    notify: bool  # a later sighting worth a thread reply (not a repost)
    counted: bool = False  # a place new to the story: its counter changed


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
    #: two stories (:func:`~watchtower.pipeline.sites.other_authors`), unless
    #: their bylines are one (:func:`~watchtower.pipeline.sites.one_byline`).
    author: str = ""
    #: The site it is on when its link names none (a Google News link: its
    #: publisher's, :func:`~watchtower.pipeline.sites.publisher_site`), stored
    #: with it; ``""``: the host of ``url``. Where it counts for the story's
    #: places and replies; near-duplicates still compare by ``url``'s site (a
    #: headline through Google News is no page of the site, held to its bar),
    #: and its title pairs it with the site's own article
    #: (:mod:`~watchtower.pipeline.headlines`).
    site: str = ""


@dataclass(frozen=True, slots=True)
class First:
    """The first item with a URL key or content hash: its id, story, site and author
    (its key, and its byline as written)."""

    item_id: int
    story_id: int
    site: int = 0
    author: int = 0
    byline: str = ""


class StoryBatch(TitlePairing):
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
        self.story_ids: list[int] = []  # the story of each assigned item

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
        titled: set[int] = set()  # positions paired by title: a headline and its article
        # This batch's headlines, for an article after them in it (their stories
        # as in ``stories``: placeholders until created).
        pending = Headlines()
        stamp = int(self.now.timestamp())
        for at, item in enumerate(items):
            site, author = site_key(item.url), author_key(item.author)
            story = self._exact(item, site, author)
            if story is None:
                story = self._titled(item, stories, pending)
                if story is not None:
                    titled.add(at)
            if story is None:
                story = self._near(item, self.probes[at], stories, site, author)
            if story is None:
                key = f"url:{item.url_hash}" if item.url_hash else f"content:{item.content_hash}"
                story = by_key.get(key)
            if story is None:
                story = by_key[key] = -1 - len(new_stories)
                new_stories[story], starts[story] = (key, item.title[:500]), at
            stories.append(story)
            if item.site:
                pending.add(item.site, item.title, Headline(-1 - at, story, stamp))
            for key in self._keys(item.url_hash, item.content_hash):
                self.first.setdefault(
                    key, First(after_stored + at, story, site, author, item.author)
                )
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
        # A new story's first place is not written here: most stories are never
        # seen elsewhere, and on a first poll nearly every item starts one (an
        # insert per batch, +6% of its CPU). ``_first_place`` writes it when a
        # second place joins the story.
        created, existing = self._create(new_stories)
        sightings: list[Sighting] = []
        seen: dict[int, Seen] = {}  # story id -> what its sightings in this batch read
        repeated = Counter(stories)
        for at, (item, story) in enumerate(zip(items, stories, strict=True)):
            story_id = created.get(story) or existing.get(story) or story
            if story_id < 0:  # neither inserted nor found: never store an item without one
                raise RuntimeError(f"story {new_stories[story][0]} was neither created nor found")
            if story_id != story:  # a new story's placeholder: the index learns its id
                with self.index.lock:
                    if self.index.generation == self.generation:
                        self.index.index.relabel(self.slots[at], story=story_id)
            self.story_ids.append(story_id)
            if story in created and starts[story] == at:
                sightings.append(Sighting(story_id, True, 1, False))
                continue
            earlier = seen.get(story_id)
            if earlier is None:
                if story in created:
                    # A story this batch started, seen again: built only now
                    # (most stories a batch starts get no second item in it),
                    # its first item read first, as if added at its own turn.
                    start = starts[story]
                    earlier = Seen(source_id, (), self._started_at(source_id, start))
                    earlier.items.append(items[start])
                else:
                    earlier = Seen(source_id, self._stored(story, story_id, repeated, created))
                seen[story_id] = earlier
            sightings.append(self._sighted(source_id, story_id, item, earlier, repost=at in titled))
            earlier.items.append(item)
        return sightings

    def _stored(
        self, story: int, story_id: int, repeated: Counter[int], created: dict[int, int]
    ) -> Sequence[Any] | None:
        """The stored items of a story met in this batch, read once when it is seen
        more than once in it; ``None`` when once: each sighting then reads only
        those at its address or place (most stories of a batch)."""
        if story in created:  # started by this batch: no stored item (ids never reused, 0012)
            return ()
        if repeated[story] < 2:
            return None
        return fetch_all(self.connection, _STORY_ROWS, {"story": story_id})

    def _started_at(self, source_id: int, at: int) -> tuple[str, int]:
        """The place of the candidate at ``at``, which starts a story of this batch."""
        item = self.candidates[at]
        return place(item_site(item.url, item.site), source_id)

    def _first_place(self, story_id: int, mine: tuple[str, int], earlier: Seen) -> bool:
        """``mine`` is the story's only row in ``story_places``: it had none, seen at
        its first place only, never written (:meth:`assign`). Is ``mine``
        another place? Then the first place is added too, for SIGHTED to count
        both; else ``mine`` was that place (now written, the counter untouched).

        The story lock (:meth:`StoryIndex.begin_batch`) holds across replicas,
        so no other batch adds a place between the insert and this. With no
        row, every item of the story is at its first place (any other place
        would have written it), so retention pruning its first item leaves the
        next one, at the same place. A story left without items (all pruned
        while it lives, joined again by its key) tells no first place:
        ``mine`` is taken for it, so a same-key item of another place (a
        content key: an e-mail from another source) is not counted where the
        eagerly written first place counted it.
        """
        first = earlier.first
        if first is None:
            rows = fetch_all(self.connection, FIRST_ITEM_OF_STORY, {"story": story_id})
            if not rows:
                return False
            source, url, named = rows[0]
            first = place(item_site(url or "", named), int(source))
        if first == mine:
            return False
        execute(
            self.connection,
            add_places(self.connection.dialect.name),
            {"story": story_id, "site": first[0], "source": first[1]},
        )
        return True

    def _near(
        self, item: Candidate, keys: ProbeKeys, stories: list[int], site: int, author: int
    ) -> int | None:
        """The story of the closest near-copy, stored or earlier in this batch.

        A near-copy of the same site by another author joins only when the two
        bylines are one (a site's republication, "Le Monde avec AFP" after
        "Le Monde"): its byline is read then, from the batch or the database.
        """

        def related(doc_id: int) -> bool:
            if doc_id < 0:  # an item of this batch
                return one_byline(item.author, self.candidates[-1 - doc_id].author)
            byline = self.connection.execute(_AUTHOR_OF_ITEM, {"item": doc_id}).scalar()
            return one_byline(item.author, byline)

        with self.index.lock:
            found = self.index.index.find(
                item.fingerprint,
                now=self.now,
                keys=keys,
                site=site,
                author=author,
                related=related if author else None,
            )
        if found is None or self._headline_and_article(item, found.doc_id):
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
        for at in range(0, len(missing), LOOKUP_CHUNK):
            found = fetch_all(
                self.connection, STORIES_BY_KEY, {"keys": missing[at : at + LOOKUP_CHUNK]}
            )
            existing.update((placeholder[key], int(sid)) for sid, key in found)
        return created, existing

    def _sighted(
        self,
        source_id: int,
        story_id: int,
        item: Candidate,
        earlier: Seen,
        *,
        repost: bool = False,
    ) -> Sighting:
        """One more sighting of an existing story: is it news, and is it a new place?

        A repost is no news: the story's very address again (from any source:
        Google Alerts finding the article a site's own feed gave), or the same
        text at the same place (a feed re-listing its item under a new URL or
        GUID). The same text on another site is a copy: news, even from the
        same feed (an aggregator, a Google Alert listing it on two sites).

        The story's counter counts places (``sites.place``): a place new to
        ``story_places`` is added there and the counter set to their number,
        so replicas, and stories counted by an older rule, agree. A story seen
        at its first place only has no row: its first other place adds both
        (:meth:`_first_place`).

        ``repost``: paired by title (a Google News headline and the site's own
        article, :mod:`~watchtower.pipeline.headlines`): the same article, the
        story's message shows it already.
        """
        site = item_site(item.url, item.site)
        mine = place(site, source_id)
        earlier.digest()
        # A place of an item read is the story's already; any other is asked of
        # ``story_places``, which holds every place of its stored items and of
        # this batch's items placed before this one, or none of them when they
        # are all at its first place (written lazily): one insert-if-absent.
        counted: Sequence[Any] = ()
        new_place = mine not in earlier.places and bool(
            fetch_all(
                self.connection,
                add_places(self.connection.dialect.name, returning=True),
                {"story": story_id, "site": mine[0], "source": mine[1]},
            )
        )
        if new_place:
            params = {"story": story_id, "now": self.now, "site": mine[0], "source": mine[1]}
            counted = fetch_all(self.connection, SIGHTED, params)
            # Nothing counted: the story's only row, so it had none. Its first
            # place decides, before the repost reads below (SEEN_IN_STORY if
            # it is this one).
            if not counted:
                new_place = self._first_place(story_id, mine, earlier)
                if new_place:
                    counted = fetch_all(self.connection, SIGHTED, params)
        seen: list[tuple[tuple[str, int], str | None, str | None]] = []
        if not earlier.stored:  # the stored items at its address or place
            # Through fetch_all, compiled once on SQLite: through SQLAlchemy, these
            # two statements a sighting cost 1.5% of a first poll's recording (session 12).
            if new_place:  # no stored item is there: those at its address only
                rows = [
                    row[1:]
                    for row in fetch_all(
                        self.connection, SEEN_AT_ADDRESS, {"url": item.url_hash or "-"}
                    )
                    if row[0] == story_id
                ]
            else:  # the story's items of any place, filtered in SQL: a read of them all
                params = {
                    "story": story_id,
                    "url": item.url_hash or "-",
                    "source": 0 if site else source_id,  # ids start at 1: 0 selects nothing
                    **site_patterns(site),
                }
                rows = list(fetch_all(self.connection, SEEN_IN_STORY, params))
            seen = [
                (place(item_site(url or "", named), int(source)), url_hash, content_hash)
                for source, url_hash, content_hash, url, named in rows
            ]
        repost = (
            repost
            or earlier.repeats(item, mine)
            or any(
                (item.url_hash and url_hash == item.url_hash)
                or (item.content_hash and content_hash == item.content_hash and where == mine)
                for where, url_hash, content_hash in seen
            )
        )
        if not counted:  # no new place: SIGHTED left the story as it was
            counted = fetch_all(self.connection, SEEN_AGAIN, {"story": story_id, "now": self.now})
        sightings = counted[0][0] if counted else None
        return Sighting(story_id, False, int(sightings or 1), not repost, new_place)

    def added(self, at: int, item_id: int) -> None:
        """The item at position ``at`` of :meth:`assign` is stored as ``item_id``."""
        item = self.candidates[at]
        with self.index.lock:
            if item.site:  # a headline: later articles of its site find it by title
                stamp = int(self.now.timestamp())
                headline = Headline(item_id, self.story_ids[at], stamp)
                self.index.add_headline(item.site, item.title, headline)
            if self.index.generation != self.generation:  # pruned meanwhile: slots moved
                self.index.stale = True
                return
            self.index.index.relabel(self.slots[at], item_id)
            self.index.synced_id = max(self.index.synced_id, item_id)

    def finish(self, stored: int) -> None:
        """After :meth:`added` for ``stored`` items: if some item was not stored, its
        placeholder must not outlive the batch, so the index is rebuilt next time.
        """
        if stored != len(self.slots):
            self.index.forget_batch()

    @staticmethod
    def _keys(url_hash: str, content_hash: str) -> list[str]:
        return [
            k for k in (url_hash and f"u:{url_hash}", content_hash and f"c:{content_hash}") if k
        ]

    def _exact(self, item: Candidate, site: int, author: int) -> int | None:
        """The story of the first item with the same URL key or the same content.

        The same address is the same item, whoever the feeds say wrote it. The
        same content is not when another author wrote it on the same site: two
        members pasting one complaint are two people to answer (the item may
        still join a post of its own author's through the near-duplicates);
        unless the two bylines are one: the site republishing its article
        signed "Le Monde avec AFP" after "Le Monde" (``one_byline``).
        """
        hits = [
            first
            for key in self._keys(item.url_hash, item.content_hash)
            if (first := self.first.get(key)) is not None
            and (
                key.startswith("u:")
                or not other_authors(site, author, first.site, first.author)
                or one_byline(item.author, first.byline)
            )
        ]
        return min(hits, key=lambda hit: hit.item_id).story_id if hits else None
