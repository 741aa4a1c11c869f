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
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from watchtower.pipeline.fingerprint import Fingerprint
from watchtower.pipeline.headlines import Headline, Headlines, headline_title
from watchtower.pipeline.neardup import NearDuplicateIndex
from watchtower.pipeline.sites import (
    NO_SITE_HOSTS,
    author_key,
    site_key,
)
from watchtower.pipeline.story_batch import Candidate, First, Sighting, StoryBatch
from watchtower.pipeline.story_pairing import LOOKUP_CHUNK
from watchtower.storage.one_of import fetch_all
from watchtower.storage.story_queries import (
    CAUGHT_UP,
    FINGERPRINTS_SINCE,
    FIRST_STORIES,
    MAX_ITEM_ID,
)
from watchtower.storage.tables import ITEMS

__all__ = [
    "NO_SITE_HOSTS",
    "STORY_LOCK",
    "Candidate",
    "Sighting",
    "StoryBatch",
    "StoryIndex",
    "site_key",
]

STORY_LOCK = 0x77746F7779  # "wtowy": the advisory lock id of story assignment

# Stored Google News headlines (an item whose link names no site, with its
# publisher's site in ``items.site``): paired by title with the site's own
# article (``watchtower.pipeline.headlines``).
_HEADLINES = select(
    ITEMS.c.id, ITEMS.c.story_id, ITEMS.c.site, ITEMS.c.title, ITEMS.c.author, ITEMS.c.fetched_at
).where(ITEMS.c.site.is_not(None), ITEMS.c.story_id.is_not(None))
_HEADLINES_SINCE = _HEADLINES.where(ITEMS.c.fetched_at >= bindparam("since"))


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
        # The window's Google News headlines by their publisher's site (an
        # item of another site never normalises its title for the lookup).
        self.headlines = Headlines()

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
            self.headlines = Headlines()
            self._add_headlines(session, _HEADLINES_SINCE, {"since": now - self.window})
            self.synced_id = self._max_id(session)
            self.stale = False
            self.generation += 1

    def _rows(
        self, session: Session, *, since: datetime
    ) -> list[tuple[int, bytes, datetime, int, int, int]]:
        """``(id, fingerprint, fetched_at, story, site, author)`` of the items
        stored since ``since`` (the rebuild streams up to the whole window)."""
        params = {"after": 0, "since": since}
        return [
            (
                item_id,
                bytes(blob),
                fetched,
                int(story or 0),
                site_key(url or ""),
                author_key(author),
            )
            for item_id, blob, fetched, story, url, author in session.connection().execute(
                FINGERPRINTS_SINCE, params
            )
            if blob is not None
        ]

    @staticmethod
    def _max_id(session: Session) -> int:
        return int(session.connection().execute(MAX_ITEM_ID).scalar() or 0)

    def add_headline(self, site: str, title: str, headline: Headline) -> None:
        """Remember a stored Google News headline (``title`` without Google's suffix)."""
        self.headlines.add(site, title, headline)

    def _add_headlines(self, session: Session, query: Any, params: dict[str, Any]) -> None:
        for item_id, story, site, title, author, fetched in session.connection().execute(
            query, params
        ):
            stamp = int(fetched.timestamp()) if isinstance(fetched, datetime) else 0
            self.add_headline(
                site or "",
                headline_title(title or "", author),
                Headline(int(item_id), int(story), stamp),
            )

    def _catch_up(self, session: Session) -> None:
        """Add items other workers or replicas stored since the last look."""
        rows = fetch_all(session.connection(), CAUGHT_UP, {"after": self.synced_id})
        for item_id, blob, fetched, story, url, author, named, title in rows:
            if named is not None and story is not None:  # a Google News headline
                stamp = int(fetched.timestamp()) if isinstance(fetched, datetime) else 0
                self.add_headline(
                    named, headline_title(title or "", author), Headline(item_id, story, stamp)
                )
            if blob is None:
                continue
            try:
                self.index.add(
                    item_id,
                    Fingerprint.from_bytes(bytes(blob)),
                    fetched,
                    story=int(story or 0),
                    site=site_key(url or ""),
                    author=author_key(author),
                )
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
        for at in range(0, max(len(urls), len(contents)), LOOKUP_CHUNK):
            params = {
                "urls": urls[at : at + LOOKUP_CHUNK] or ["-"],  # "-" is never a hex digest
                "contents": contents[at : at + LOOKUP_CHUNK] or ["-"],
                "since": now - self.window,
            }
            for kind, key, item_id, story_id, url, author in fetch_all(
                connection, FIRST_STORIES, params
            ):
                first[f"{kind}:{key}"] = First(
                    int(item_id),
                    int(story_id),
                    site_key(url or ""),
                    author_key(author),
                    author or "",
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
            oldest = int((now - self.window).timestamp())
            self.headlines.prune(oldest)
            return self.index.prune(now - self.window)
