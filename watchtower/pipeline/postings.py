"""What the near-duplicate index stores, and how it is kept: the storage half of
:class:`~watchtower.pipeline.neardup.NearDuplicateIndex`.

Each item's word codes and its id, time, story, site and author go in flat
arrays, one slot per item; its sampled keys go in a sorted ``uint32`` posting
array, with the recent additions in a small dict merged in batches. This
module adds, relabels, looks up the slots under a set of keys, prunes and
measures; :mod:`watchtower.pipeline.neardup` decides what is a duplicate.
"""

from __future__ import annotations

from array import array
from datetime import datetime

import numpy as np

from watchtower.pipeline.bigrams import (
    U32,
    ProbeKeys,
    bigram_hashes,
    sample_keys_bulk,
    sampled,
)
from watchtower.pipeline.fingerprint import Fingerprint
from watchtower.pipeline.title_scans import epoch

__all__ = ["Postings"]


class Postings:
    """The arrays of :class:`~watchtower.pipeline.neardup.NearDuplicateIndex`
    (created by its constructor) and what adds to, reads and prunes them."""

    sample_rate: int
    keys_per_doc: int
    max_postings: int
    _ids: array[int]
    _ts: array[int]
    _stories: array[int]
    _sites: array[int]
    _authors: array[int]
    _offsets: array[int]
    _codes: array[int]
    _keys: U32
    _slots: U32
    _delta: dict[int, list[int]]
    _delta_size: int
    _delta_keys: array[int]
    _delta_slots: array[int]

    # -- storing ----------------------------------------------------------------

    def _extend(self, chunk: list[tuple[int, str, int, int, int, int]]) -> None:
        first = len(self._ids)
        codes = "".join(row[1] for row in chunk).encode("utf-16-le")
        lengths = np.fromiter((len(row[1]) for row in chunk), dtype=np.int64, count=len(chunk))
        self._ids.extend(row[0] for row in chunk)
        self._ts.extend(row[2] for row in chunk)
        self._stories.extend(row[3] for row in chunk)
        self._sites.extend(row[4] for row in chunk)
        self._authors.extend(row[5] for row in chunk)
        ends = self._offsets[-1] + np.cumsum(lengths)
        self._offsets.extend(ends.tolist())
        self._codes.frombytes(codes)
        flat = np.frombuffer(codes, dtype=np.uint16)
        docs, keys = sample_keys_bulk(flat, lengths, self.sample_rate, self.keys_per_doc)
        self._merge(keys, docs + np.uint32(first))

    def add(
        self,
        doc_id: int,
        fp: Fingerprint,
        ts: datetime | float,
        keys: ProbeKeys | None = None,
        *,
        story: int = 0,
        site: int = 0,
        author: int = 0,
    ) -> int:
        """Store one item's fingerprint; return its slot (for :meth:`relabel`).

        ``keys``: :meth:`probe_keys` of ``fp``, if already computed. ``story``:
        the item's story (0: unknown, the item counts as a story of its own);
        ``site``: :func:`site_key` of its address (0: none known); ``author``:
        :func:`~watchtower.pipeline.sites.author_key` of its author (0: unknown).
        """
        slot = len(self._ids)
        self._ids.append(doc_id)
        self._ts.append(epoch(ts))
        self._stories.append(story)
        self._sites.append(site)
        self._authors.append(author)
        self._codes.frombytes(fp.words.encode("utf-16-le"))
        self._offsets.append(len(self._codes))
        stored = (
            keys.stored
            if keys is not None
            else sampled(bigram_hashes(fp.words), self.sample_rate, self.keys_per_doc)
        )
        delta = self._delta
        for key in stored:
            delta.setdefault(key, []).append(slot)
        self._delta_keys.extend(stored)
        self._delta_slots.extend([slot] * len(stored))
        self._delta_size += len(stored)
        # Merging is O(stored keys); batching makes it a few µs per add amortised.
        if self._delta_size >= max(4096, len(self._keys) // 32):
            self._flush()
        return slot

    def relabel(self, slot: int, doc_id: int | None = None, *, story: int | None = None) -> None:
        """Give the item in ``slot`` its final ``doc_id`` and/or ``story`` (added before
        its row, or its new story, had an id)."""
        if doc_id is not None:
            self._ids[slot] = doc_id
        if story is not None:
            self._stories[slot] = story

    def _flush(self) -> None:
        if not self._delta_size:
            return
        # From the flat copies: read back from the dict by a Python loop over
        # every posting, merging cost 1.8% of a first poll's recording (session
        # 12). Sorted stably by key, each key's slots stay in the order they
        # came, as they are in the dict.
        keys = np.frombuffer(self._delta_keys, dtype=np.uint32).copy()
        slots = np.frombuffer(self._delta_slots, dtype=np.uint32).copy()
        self._delta, self._delta_size = {}, 0
        self._delta_keys, self._delta_slots = array("I"), array("I")
        self._merge(keys, slots)

    def _merge(self, keys: U32, slots: U32) -> None:
        order = np.argsort(keys, kind="stable")
        keys, slots = keys[order], slots[order]
        at = np.searchsorted(self._keys, keys, side="right")
        self._keys = np.insert(self._keys, at, keys)
        self._slots = np.insert(self._slots, at, slots)

    # -- looking up -------------------------------------------------------------

    def _candidates(self, keys: U32) -> list[int]:
        """The slots stored under each of ``keys`` (sorted), key by key; crowded keys skipped."""
        found: list[int] = []
        if len(self._keys) and len(keys):
            lo = np.searchsorted(self._keys, keys, side="left")
            sizes = np.searchsorted(self._keys, keys, side="right") - lo
            usable = (sizes > 0) & (sizes <= self.max_postings)
            lo, sizes = lo[usable], sizes[usable]
            if len(sizes):
                # The posting ranges [lo, lo + size) laid end to end, in one gather.
                shift = np.repeat(lo - (np.cumsum(sizes) - sizes), sizes)
                found = self._slots[shift + np.arange(len(shift))].tolist()
        if self._delta:
            # Few of an item's keys are among the recent postings: the set
            # intersection finds them in C, where a dict lookup per key in Python
            # cost 1.0% of a first poll's recording (session 12). ``keys`` are
            # sorted, so are the shared ones: the same slots in the same order.
            limit = self.max_postings
            for key in sorted(self._delta.keys() & keys.tolist()):
                slots = self._delta[key]
                if len(slots) <= limit:
                    found.extend(slots)
        return found

    # -- housekeeping -----------------------------------------------------------

    def prune(self, before: datetime | float) -> int:
        """Drop items stored with a timestamp before ``before``; return how many."""
        self._flush()
        ts = np.frombuffer(self._ts, dtype=np.uint32) if len(self._ts) else np.zeros(0, np.uint32)
        keep = ts >= epoch(before)
        removed = int(len(keep) - keep.sum())
        if not removed:
            return 0
        offsets = np.frombuffer(self._offsets, dtype=np.uint64).astype(np.int64)
        lengths = np.diff(offsets)
        codes = np.frombuffer(self._codes, dtype=np.uint16)[np.repeat(keep, lengths)]
        new_slot = np.cumsum(keep, dtype=np.int64) - 1
        live = keep[self._slots]
        self._keys = self._keys[live]
        self._slots = new_slot[self._slots[live]].astype(np.uint32)
        self._ids = array("q", np.frombuffer(self._ids, dtype=np.int64)[keep].tobytes())
        self._ts = array("I", ts[keep].tobytes())
        self._stories = array("q", np.frombuffer(self._stories, dtype=np.int64)[keep].tobytes())
        self._sites = array("I", np.frombuffer(self._sites, dtype=np.uint32)[keep].tobytes())
        self._authors = array("I", np.frombuffer(self._authors, dtype=np.uint32)[keep].tobytes())
        self._offsets = array("Q", [0])
        self._offsets.extend(np.cumsum(lengths[keep]).tolist())
        self._codes = array("H", codes.tobytes())
        return removed

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def nbytes(self) -> int:
        """Bytes held by the index's arrays (the delta dict estimated at ~90 B a key)."""
        arrays = (
            self._ids,
            self._ts,
            self._stories,
            self._sites,
            self._authors,
            self._offsets,
            self._codes,
        )
        flat = sum(a.itemsize * len(a) for a in arrays)
        return flat + self._keys.nbytes + self._slots.nbytes + 90 * self._delta_size

    @property
    def last_doc_id(self) -> int | None:
        """The highest ``doc_id`` stored: resync with rows whose id is above it."""
        return max(self._ids) if len(self._ids) else None
