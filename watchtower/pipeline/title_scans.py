"""Scans of the near-duplicate index for the items of a site whose words open
like a title: how a Google News headline finds its publisher's own article
(:mod:`watchtower.pipeline.headlines`), for
:class:`~watchtower.pipeline.neardup.NearDuplicateIndex`."""

from __future__ import annotations

from array import array
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import LCSseq

__all__ = ["TitleScans", "epoch"]


def epoch(ts: datetime | float) -> int:
    """Epoch seconds of ``ts`` (a datetime or already seconds)."""
    return int(ts.timestamp() if isinstance(ts, datetime) else ts)


class TitleScans:
    """The title scans of :class:`~watchtower.pipeline.neardup.NearDuplicateIndex`,
    over its flat arrays."""

    window: timedelta
    _ids: array[int]
    _ts: array[int]
    _sites: array[int]
    _offsets: array[int]
    _codes: array[int]

    def starting_with(
        self, prefix: str, *, site: int, now: datetime | float | None = None
    ) -> list[int]:
        """The ``doc_id`` of each item of ``site`` whose words start with ``prefix``
        (word codes), oldest slot first; with ``now``, within the window.

        A scan of the site's items, not a key lookup: a headline's few words are
        seldom among an article's sampled keys (``watchtower.pipeline.headlines``).
        Vectorised on the first two words; the survivors are checked whole.
        """
        slots, starts = self._site_slots(prefix, site, now, len(prefix))
        codes = np.frombuffer(self._codes, dtype=np.uint16)
        for at, char in enumerate(prefix[:2]):
            keep = codes[starts + at] == ord(char)
            slots, starts = slots[keep], starts[keep]
        return [self._ids[slot] for slot in slots.tolist() if self._words(slot).startswith(prefix)]

    def opening_like(
        self, words: str, *, site: int, now: datetime | float | None = None
    ) -> list[int]:
        """The ``doc_id`` of each item of ``site`` whose first ``len(words) + 1``
        words hold ``words`` but one at most (a title edited by one word: changed,
        added or dropped), oldest slot first; with ``now``, within the window.

        The same scan as :meth:`starting_with`; one of the item's first two words
        is one of ``words``' first two (else two words differ), and the
        survivors are confirmed with rapidfuzz LCS.
        """
        slots, starts = self._site_slots(words, site, now, len(words) - 1)
        if len(words) < 2:
            return []
        codes = np.frombuffer(self._codes, dtype=np.uint16)
        ends = np.frombuffer(self._offsets, dtype=np.uint64)[slots + 1].astype(np.int64)
        heads = (ord(words[0]), ord(words[1]))
        first = np.isin(codes[starts], heads)
        second = np.isin(codes[np.minimum(starts + 1, ends - 1)], heads) & (ends - starts > 1)
        keep = first | second
        need = len(words) - 1
        return [
            self._ids[slot]
            for slot in slots[keep].tolist()
            if LCSseq.similarity(words, self._words(slot)[: need + 2], score_cutoff=need) >= need
        ]

    def _site_slots(
        self, words: str, site: int, now: datetime | float | None, least: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The slots (and their first code's offset) of ``site``'s items of
        ``least`` words or more; with ``now``, within the window."""
        none = np.zeros(0, dtype=np.int64)
        if not site or not words or not len(self._ids):
            return none, none
        mask = np.frombuffer(self._sites, dtype=np.uint32) == site
        if now is not None:
            oldest = max(0, epoch(now) - int(self.window.total_seconds()))
            mask &= np.frombuffer(self._ts, dtype=np.uint32) >= oldest
        slots = np.flatnonzero(mask)
        offsets = np.frombuffer(self._offsets, dtype=np.uint64)
        starts = offsets[slots].astype(np.int64)
        lengths = offsets[slots + 1].astype(np.int64) - starts
        keep = lengths >= max(least, 1)
        return slots[keep], starts[keep]

    def _words(self, slot: int) -> str:
        return (
            self._codes[self._offsets[slot] : self._offsets[slot + 1]].tobytes().decode("utf-16-le")
        )
