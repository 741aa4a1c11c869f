"""Templates are not stories: what two near-duplicate candidates may not share.

Step 4 of :mod:`watchtower.pipeline.neardup`'s confirmation. Two items of one
``site`` must be alike at :data:`SAME_SITE_THRESHOLD` over the longer text, and
a candidate must also pass without the words the item shares with
:data:`TEMPLATE_STORIES` different stories among its candidates (a signature,
a title pattern, a templated finance brief): :func:`template_codes` finds those
words, :func:`distinct_score` scores a pair without them.
"""

from __future__ import annotations

from array import array
from collections import Counter

import numpy as np
from rapidfuzz.distance import LCSseq

from watchtower.pipeline.bigrams import U32, among, bigram_hashes, bigrams_by_doc

__all__ = [
    "MIN_DISTINCT_WORDS",
    "SAME_SITE_THRESHOLD",
    "TEMPLATE_STORIES",
    "distinct_score",
    "template_codes",
]

#: The least similarity, over the *longer* text, of two items from the same site:
#: a site publishes a story once; two of its pages that only look alike share
#: its template (a signature, a title pattern), not a story.
SAME_SITE_THRESHOLD = 0.9
#: Words the checked item shares with this many different stories among its
#: candidates are a template, not evidence of a copy.
TEMPLATE_STORIES = 2
#: Fewer words than this left once the template is set aside: only a nearly
#: identical text (:data:`SAME_SITE_THRESHOLD`) is the same story.
MIN_DISTINCT_WORDS = 4

_UNKNOWN = -(1 << 48)  # story keys of items of no known story: one each, below any placeholder


def distinct_score(
    words: str, other: str, template: dict[int, None], score: float, same_site: bool
) -> float:
    """The similarity of two word strings once the ``template`` codes are set aside.

    Over the shorter remainder (the longer one for two items of one site). When
    fewer than :data:`MIN_DISTINCT_WORDS` remain, the texts are all template:
    only a nearly identical pair (``score`` at :data:`SAME_SITE_THRESHOLD`)
    keeps its score.
    """
    mine, theirs = words.translate(template), other.translate(template)
    shorter, longer = sorted((len(mine), len(theirs)))
    if shorter < MIN_DISTINCT_WORDS:
        return score if score >= SAME_SITE_THRESHOLD else 0.0
    return LCSseq.similarity(mine, theirs) / (longer if same_site else shorter)


def template_codes(
    words: str,
    lookup: U32,
    ranked: list[int],
    *,
    codes: array[int],
    offsets: array[int],
    stories: array[int],
) -> dict[int, None]:
    """Codes of ``words`` in bigrams shared with :data:`TEMPLATE_STORIES` different
    stories among the candidates (``ranked``), as a ``str.translate`` table.

    ``ranked`` are slots of an index that keeps slot ``i``'s word codes at
    ``codes[offsets[i]:offsets[i + 1]]`` and its story at ``stories[i]`` (0:
    unknown); ``lookup`` is every bigram key of ``words``, sorted.

    Counted per *story*, not per item: ten syndicated copies of a dispatch
    are one story, so its words stay evidence; a forum signature or a
    finance brief's template recurs in different stories.
    """
    story_of = {slot: stories[slot] or _UNKNOWN - slot for slot in ranked}
    labels = {story: n for n, story in enumerate(dict.fromkeys(story_of.values()))}
    if len(labels) < TEMPLATE_STORIES:
        return {}
    # Every bigram of every candidate at once, labelled with its story, as in
    # sample_keys_bulk: (story label << 32 | key), unique, then keys counted.
    flat_offsets = np.frombuffer(offsets, dtype=np.uint64)
    slots = np.fromiter(ranked, dtype=np.int64, count=len(ranked))
    starts = flat_offsets[slots].astype(np.int64)
    lengths = flat_offsets[slots + 1].astype(np.int64) - starts
    at = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    gathered = np.frombuffer(codes, dtype=np.uint16)[at]
    labelled = np.fromiter(map(labels.__getitem__, story_of.values()), np.uint64)
    doc, x = bigrams_by_doc(gathered, lengths)
    owner = labelled[doc]
    keys = (x & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    mine = among(keys, lookup)
    # The few bigrams shared with the item: counted in Python, cheaper than
    # numpy's calls on arrays this small. Distinct stories per key:
    counted = Counter(
        key for _, key in set(zip(owner[mine].tolist(), keys[mine].tolist(), strict=True))
    )
    shared = {key for key, count in counted.items() if count >= TEMPLATE_STORIES}
    if not shared:
        return {}
    own = (bigram_hashes(words) & np.uint64(0xFFFFFFFF)).tolist()
    hit = [at for at, key in enumerate(own) if key in shared]
    return dict.fromkeys(ord(words[i]) for i in (*hit, *(at + 1 for at in hit)))
