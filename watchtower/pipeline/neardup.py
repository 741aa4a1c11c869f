"""In-memory near-duplicate index over item fingerprints.

Candidates come from sampled word bigrams, confirmation from rapidfuzz:

1. Each stored item contributes up to ``keys_per_doc`` keys: 32-bit hashes of
   the bigrams of its content-word codes, kept when the hash falls in a fixed
   1-in-``sample_rate`` bucket. Sampling by *value* rather than by position is
   what makes a truncated copy's keys a subset of the original's, and
   boilerplate added around the text leaves the article's keys where they were.
2. A check hashes *all* bigrams of the incoming item the same way, looks them
   up in a sorted ``uint32`` posting array (plus a small dict of recent
   additions), skips keys shared by more than ``max_postings`` items (boiler-
   plate, the brand name next to a common word) and ranks items by shared keys.
3. The best few candidates are confirmed with rapidfuzz LCS over the word codes
   (:func:`~watchtower.pipeline.fingerprint.similarity`) and the best score at
   or above ``threshold`` wins. When one text has more than twice the other's
   words, the shorter must be contained at :data:`UNEQUAL_THRESHOLD` at least:
   an excerpt of an article is contained almost whole, while a short post
   about the same brand finds a good part of its words, in order, in any long
   article (a 14-word question about card fees scored 0.64 against a dispatch
   about an outage).
4. Templates are not stories: two items of one ``site`` must be alike at
   :data:`SAME_SITE_THRESHOLD` over the longer text (and are never alike when
   two different authors wrote them: two members' posts, two reviews; see
   :func:`~watchtower.pipeline.sites.other_authors`; unless the caller's
   ``related`` finds their bylines are one: a news site's republication signed
   "Le Monde avec AFP" after "Le Monde"), and a candidate must also
   pass without the words the item shares with :data:`TEMPLATE_STORIES`
   different stories among its candidates (a signature, a title pattern; see
   :mod:`watchtower.pipeline.templates`).

The keys of steps 1 and 2 are computed in :mod:`watchtower.pipeline.bigrams`;
the items and their keys are stored in :mod:`watchtower.pipeline.postings`.

Memory is a handful of flat arrays — codes (2 bytes a word), offsets, ids,
timestamps, stories, sites, authors, postings (8 bytes a key) — about 350 bytes per
item at the default settings, so a 7-day window of a million items fits in ~350 MB and is rebuilt
from the database at start with :meth:`NearDuplicateIndex.from_rows`.

Not thread-safe: one writer at a time (the caller holds the lock that also
serialises "find, then insert story").
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from rapidfuzz.distance import LCSseq

from watchtower.pipeline.bigrams import (
    MIN_KEYS,
    U32,
    ProbeKeys,
    probe_keys,
    probe_keys_many,
)
from watchtower.pipeline.fingerprint import Fingerprint
from watchtower.pipeline.postings import Postings
from watchtower.pipeline.sites import other_authors
from watchtower.pipeline.templates import (
    SAME_SITE_THRESHOLD,
    TEMPLATE_STORIES,
    distinct_score,
    template_codes,
)
from watchtower.pipeline.title_scans import TitleScans, epoch

#: The least containment of a text in another more than twice its length.
UNEQUAL_THRESHOLD = 0.8

__all__ = [
    "MIN_KEYS",
    "SAME_SITE_THRESHOLD",
    "TEMPLATE_STORIES",
    "DuplicateOf",
    "NearDuplicateIndex",
    "ProbeKeys",
]

_BULK_CHUNK = 65_536  # docs per vectorised batch: bounds the uint64 temporaries
#: ``(doc_id, fingerprint, ts)``, ``(doc_id, fingerprint, ts, story, site)`` or
#: ``(doc_id, fingerprint, ts, story, site, author)``.
Row = (
    tuple[int, bytes | Fingerprint, datetime | float]
    | tuple[int, bytes | Fingerprint, datetime | float, int, int]
    | tuple[int, bytes | Fingerprint, datetime | float, int, int, int]
)


@dataclass(frozen=True, slots=True)
class DuplicateOf:
    """A stored item the checked item duplicates, and how closely (0–1)."""

    doc_id: int
    score: float


class NearDuplicateIndex(Postings, TitleScans):
    """Near-duplicate lookup over the fingerprints of a time window.

    ``doc_id`` is the caller's key (the item row id); the index never touches
    the database. Build it at start with :meth:`from_rows`, :meth:`add` each new
    item after it is stored, :meth:`find` before deciding whether an item starts
    a new story, and :meth:`prune` daily.
    """

    def __init__(
        self,
        *,
        threshold: float = 0.6,
        min_words: int = 8,
        keys_per_doc: int = 16,
        sample_rate: int = 4,
        max_postings: int = 512,
        max_candidates: int = 32,
        window: timedelta = timedelta(days=7),
    ) -> None:
        self.threshold = threshold
        self._unequal = max(threshold, UNEQUAL_THRESHOLD)
        self.min_words = min_words
        self.keys_per_doc = keys_per_doc
        self.sample_rate = sample_rate
        self.max_postings = max_postings
        self.max_candidates = max_candidates
        self.window = window
        self._ids = array("q")
        self._ts = array("I")  # epoch seconds; uint32 lasts until 2106
        self._stories = array("q")  # the item's story (0: unknown, its own)
        self._sites = array("I")  # :func:`site_key` of its address (0: none)
        self._authors = array("I")  # :func:`author_key` of its author (0: unknown)
        self._offsets = array("Q", [0])
        self._codes = array("H")
        self._keys: U32 = np.zeros(0, dtype=np.uint32)
        self._slots: U32 = np.zeros(0, dtype=np.uint32)
        self._delta: dict[int, list[int]] = {}  # recent postings, merged in batches
        self._delta_size = 0
        # The same postings, flat and in the order they came, for the merge.
        self._delta_keys = array("I")
        self._delta_slots = array("I")

    # -- building ---------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[Row], **settings: object) -> NearDuplicateIndex:
        """Build from ``(doc_id, fingerprint blob or object, ts[, story, site[, author]]])``
        rows in one pass (``story``, ``site``, ``author``: as in :meth:`add`, 0 when left out).

        Vectorised: a million rows load in seconds, unlike a million :meth:`add`.
        ``settings`` are the constructor's keyword arguments.
        """
        index = cls(**settings)  # type: ignore[arg-type]
        chunk: list[tuple[int, str, int, int, int, int]] = []
        for row in rows:
            doc_id, fp, ts = row[:3]
            story, site = (row[3], row[4]) if len(row) >= 5 else (0, 0)
            author = row[5] if len(row) == 6 else 0
            words = (fp if isinstance(fp, Fingerprint) else Fingerprint.from_bytes(fp)).words
            chunk.append((doc_id, words, epoch(ts), story, site, author))
            if len(chunk) >= _BULK_CHUNK:
                index._extend(chunk)
                chunk = []
        if chunk:
            index._extend(chunk)
        return index

    def probe_keys(self, fp: Fingerprint) -> ProbeKeys:
        """The keys :meth:`find` and :meth:`add` need for ``fp``.

        Reads only the index's settings, so callers compute them before taking
        the lock that serialises :meth:`find` and :meth:`add`.
        """
        return probe_keys(fp.words, self.sample_rate, self.keys_per_doc)

    def probe_keys_many(self, fps: Sequence[Fingerprint]) -> list[ProbeKeys]:
        """:meth:`probe_keys` of each of ``fps``, computed for all at once."""
        return probe_keys_many([fp.words for fp in fps], self.sample_rate, self.keys_per_doc)

    # -- querying ---------------------------------------------------------------

    def find(
        self,
        fp: Fingerprint,
        *,
        now: datetime | float | None = None,
        keys: ProbeKeys | None = None,
        site: int = 0,
        author: int = 0,
        related: Callable[[int], bool] | None = None,
    ) -> DuplicateOf | None:
        """The stored item that ``fp`` near-duplicates, or ``None``.

        With ``now``, items older than ``now - window`` are ignored even before
        :meth:`prune` removes them. Items with fewer than ``min_words`` content
        words are never near-duplicates (exact ``content_hash`` only).
        ``keys``: :meth:`probe_keys` of ``fp``, if already computed. ``site``:
        the checked item's :func:`site_key`; a stored item of the same site must
        be similar at :data:`SAME_SITE_THRESHOLD` over the longer text.
        ``author``: the checked item's ``author_key``; a stored item of the same
        site by another known author is never its duplicate, however alike
        (two members' posts, two reviews: each its author's own words), unless
        ``related(doc_id)`` says its byline and the checked item's are one
        (:func:`~watchtower.pipeline.sites.one_byline`, a site's republished
        article). It is called only for such a candidate once it would win, so
        the names it reads (the index holds only their keys) are seldom read.

        Words that the checked item shares with :data:`TEMPLATE_STORIES`
        different stories among its candidates are a template (a signature, a
        title pattern, a templated finance brief): a candidate must also pass
        without them.
        """
        words = fp.words
        if len(words) < self.min_words or not len(self._ids):
            return None
        lookup = (keys or self.probe_keys(fp)).lookup
        # Counter counts in C and keeps first-seen order, so ties rank as they appear.
        counts = Counter(self._candidates(lookup))
        if not counts:
            return None
        ranked = sorted(counts, key=counts.__getitem__, reverse=True)[: self.max_candidates]
        if now is not None:
            oldest = epoch(now) - int(self.window.total_seconds())
            ranked = [slot for slot in ranked if self._ts[slot] >= oldest]
        template: dict[int, None] | None = None  # computed when a candidate passes
        best: DuplicateOf | None = None
        for slot in ranked:
            other = self._words(slot)
            shorter, longer = sorted((len(words), len(other)))
            if shorter < self.min_words:
                continue
            same_site = bool(site) and self._sites[slot] == site
            by_other = same_site and other_authors(site, author, site, self._authors[slot])
            if by_other and related is None:
                continue
            if same_site:
                floor, length = SAME_SITE_THRESHOLD, longer
            else:
                floor = self.threshold if longer <= 2 * shorter else self._unequal
                length = shorter
            need = max(best.score if best else 0.0, floor) * length
            common = LCSseq.similarity(words, other, score_cutoff=int(np.ceil(need)))
            score = common / length
            if score < floor or (best is not None and score <= best.score):
                continue
            if template is None:
                template = template_codes(
                    words,
                    lookup,
                    ranked,
                    codes=self._codes,
                    offsets=self._offsets,
                    stories=self._stories,
                )
            if template:
                score = min(score, distinct_score(words, other, template, score, same_site))
            if score < floor or (best is not None and score <= best.score):
                continue
            if by_other and related is not None and not related(self._ids[slot]):
                continue
            best = DuplicateOf(self._ids[slot], score)
        return best
