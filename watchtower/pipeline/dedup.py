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
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, text, update
from sqlalchemy.orm import Session

from watchtower.pipeline.fingerprint import Fingerprint
from watchtower.pipeline.neardup import NearDuplicateIndex
from watchtower.storage.queries import insert_returning_id
from watchtower.storage.tables import ItemRow, StoryRow

# Built once: building the statement on each call cost more than running it.
_SAME_ITEM = (
    select(ItemRow.story_id)
    .where(
        or_(ItemRow.url_hash == bindparam("url"), ItemRow.content_hash == bindparam("content")),
        ItemRow.story_id.is_not(None),
        ItemRow.fetched_at >= bindparam("since"),
    )
    .order_by(ItemRow.id)
    .limit(1)
)
STORY_LOCK = 0x77746F7779  # "wtowy": the advisory lock id of story assignment


@dataclass(frozen=True)
class Sighting:
    """Where an item landed: its story, whether it started it, and whether to tell."""

    story_id: int
    first: bool
    sightings: int
    notify: bool  # a later sighting worth a thread reply (not the same feed re-posting)


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

    def _rows(
        self, session: Session, *, since: datetime | None = None, after: int = 0
    ) -> list[tuple[int, bytes, datetime]]:
        query = select(ItemRow.id, ItemRow.fingerprint, ItemRow.fetched_at).where(
            ItemRow.fingerprint.is_not(None), ItemRow.id > after
        )
        if since is not None:
            query = query.where(ItemRow.fetched_at >= since)
        out = []
        for item_id, blob, fetched in session.execute(query.order_by(ItemRow.id)):
            if blob is not None:
                out.append((item_id, bytes(blob), fetched))
        return out

    @staticmethod
    def _max_id(session: Session) -> int:
        return int(session.scalar(select(ItemRow.id).order_by(ItemRow.id.desc()).limit(1)) or 0)

    def _catch_up(self, session: Session) -> None:
        """Add items other workers or replicas stored since the last look."""
        for item_id, blob, fetched in self._rows(session, after=self.synced_id):
            try:
                self.index.add(item_id, Fingerprint.from_bytes(blob), fetched)
            except ValueError:  # a fingerprint from another format version
                continue
            self.synced_id = max(self.synced_id, item_id)

    def begin_batch(self, session: Session, now: datetime) -> None:
        """Take the story lock for the rest of this transaction, then catch up.

        A near-copy stored by another replica is invisible until that replica
        commits, so story assignment must not overlap across replicas: on
        PostgreSQL an advisory lock, taken before any insert so it cannot
        deadlock with the inserts' row locks; on SQLite the batch runs inside
        ``Database.writing()``, which admits one writer at a time. Holding
        it, nobody else can add items until this batch commits, so one
        catch-up per batch sees everything.
        """
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STORY_LOCK})
        if self.stale:
            self.load(session, now)
        with self.lock:
            self._catch_up(session)

    def forget_batch(self) -> None:
        """The batch rolled back: what it indexed is not in the database."""
        self.stale = True

    def prune(self, now: datetime) -> int:
        with self.lock:
            return self.index.prune(now - self.window)

    def assign(
        self,
        session: Session,
        *,
        source_id: int,
        url_hash: str,
        content_hash: str,
        fingerprint: Fingerprint,
        title: str,
        now: datetime,
    ) -> Sighting:
        """Find or start the story of an item about to be stored (after :meth:`begin_batch`).

        Call :meth:`added` once the item row exists.
        """
        since = now - self.window
        story_id = self._exact(session, since, url_hash, content_hash)
        if story_id is None:
            with self.lock:
                found = self.index.find(fingerprint, now=now)
            if found is not None:
                # Batches never overlap (begin_batch), so the item is committed
                # or belongs to this very transaction: the database knows its story.
                story_id = session.scalar(
                    select(ItemRow.story_id).where(ItemRow.id == found.doc_id)
                )
        if story_id is None:
            story_id, first = self._start(session, url_hash, content_hash, title, now)
            if first:
                return Sighting(story_id, True, 1, False)
        sightings = session.scalar(
            update(StoryRow)
            .where(StoryRow.id == story_id)
            .values(sightings=StoryRow.sightings + 1, last_seen_at=now)
            .returning(StoryRow.sightings)
        )
        # The same feed re-publishing the same URL (GUIDs that change on every
        # fetch) is not news; another source or another address is.
        repost = session.scalar(
            select(ItemRow.id)
            .where(
                ItemRow.story_id == story_id,
                ItemRow.source_id == source_id,
                (ItemRow.url_hash == url_hash) | (ItemRow.content_hash == content_hash),
            )
            .limit(1)
        )
        return Sighting(story_id, False, int(sightings or 1), repost is None)

    def added(self, item_id: int, fingerprint: Fingerprint, now: datetime) -> None:
        """Index a stored item, so later items of this batch and of later ones find it."""
        with self.lock:
            self.index.add(item_id, fingerprint, now)
            self.synced_id = max(self.synced_id, item_id)

    @staticmethod
    def _exact(session: Session, since: datetime, url_hash: str, content_hash: str) -> int | None:
        """The story of a stored item with the same URL key or the same content."""
        if not (url_hash or content_hash):
            return None
        # An empty hash must match nothing: "-" is never a hex digest.
        params = {"url": url_hash or "-", "content": content_hash or "-", "since": since}
        story_id = session.execute(_SAME_ITEM, params).scalar()
        return int(story_id) if story_id is not None else None

    @staticmethod
    def _start(
        session: Session, url_hash: str, content_hash: str, title: str, now: datetime
    ) -> tuple[int, bool]:
        key = f"url:{url_hash}" if url_hash else f"content:{content_hash}"
        story_id = insert_returning_id(
            session,
            StoryRow,
            ("key",),
            {
                "key": key,
                "title": title[:500],
                "sightings": 1,
                "created_at": now,
                "last_seen_at": now,
            },
        )
        if story_id is not None:
            return int(story_id), True
        # Another worker started it first (the insert waited for its commit).
        existing = session.scalar(select(StoryRow.id).where(StoryRow.key == key))
        assert existing is not None
        return int(existing), False
