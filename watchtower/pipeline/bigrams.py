"""Word-bigram keys of a fingerprint: the hashes :mod:`watchtower.pipeline.neardup`
files items under and looks them up by.

A bigram is two consecutive word codes (16 bits each, see
:mod:`watchtower.pipeline.fingerprint`); its key is a 64-bit mix of the pair:
the low 32 bits are the key, the high bits decide the 1-in-``sample_rate``
sample an item is stored under. Vectorised with numpy: one item costs a few
µs, a million load in seconds.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from typing import TypeVar

import numpy as np
import numpy.typing as npt

__all__ = [
    "MIN_KEYS",
    "U32",
    "U64",
    "ProbeKeys",
    "among",
    "bigram_hashes",
    "bigram_keys",
    "bigrams_by_doc",
    "mix",
    "probe_keys",
    "probe_keys_many",
    "sample_keys",
    "sample_keys_bulk",
    "sampled",
]

_MUL1, _MUL2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9
U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
_Key = TypeVar("_Key", np.uint32, np.uint64)
#: Fewer sampled keys than this and an item is stored under all its bigrams.
MIN_KEYS = 4


def sample_keys(words: str, sample_rate: int = 4, limit: int | None = None) -> list[int]:
    """The keys an item is *stored* under, in document order, unique.

    Bigrams whose hash falls in the 1-in-``sample_rate`` bucket, the first
    ``limit`` of them. An item with fewer than :data:`MIN_KEYS` sampled bigrams
    (a short snippet) is stored under all its bigrams instead, so it still has
    keys to be found by.
    """
    return sampled(bigram_hashes(words), sample_rate, limit)


def sampled(hashes: U64, sample_rate: int, limit: int | None) -> list[int]:
    sampled = hashes[(hashes >> np.uint64(32)) % np.uint64(sample_rate) == 0]
    chosen = sampled if len(sampled) >= MIN_KEYS else hashes
    keys = list(dict.fromkeys((chosen & np.uint64(0xFFFFFFFF)).tolist()))
    return keys[:limit] if limit is not None else keys


def bigram_keys(words: str) -> list[int]:
    """64-bit mixed hashes of every word bigram: low 32 bits key, high bits sample."""
    hashes: list[int] = bigram_hashes(words).tolist()
    return hashes


@functools.lru_cache(maxsize=1024)
def bigram_hashes(words: str) -> U64:
    """:func:`bigram_keys` as an array: the same mix, vectorised (one item costs a few
    µs instead of half a µs per bigram). Cached: an item is looked up, then added,
    in more than one index (a batch's own and the shared one). Never mutate the result."""
    codes = np.frombuffer(words.encode("utf-16-le"), dtype=np.uint16).astype(np.uint64)
    return mix((codes[:-1] << np.uint64(16)) | codes[1:])


def mix(x: U64) -> U64:
    """The bigram hash, in place: (first code << 16 | second code) mixed to 64 bits."""
    x *= np.uint64(_MUL1)
    x ^= x >> np.uint64(29)
    x *= np.uint64(_MUL2)
    x ^= x >> np.uint64(32)
    return x


def bigrams_by_doc(
    codes: npt.NDArray[np.uint16] | U64, lengths: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], U64]:
    """``(doc index, hash)`` of every bigram of docs laid end to end, in order.

    ``codes`` holds the docs' word codes one after the other, ``lengths`` their
    sizes; a bigram never spans two docs.
    """
    doc = np.repeat(np.arange(len(lengths)), lengths)
    first = doc[:-1] == doc[1:]  # positions that start a bigram within one doc
    wide = codes.astype(np.uint64)
    return doc[:-1][first], mix((wide[:-1][first] << np.uint64(16)) | wide[1:][first])


def sample_keys_bulk(
    codes: npt.NDArray[np.uint16], lengths: npt.NDArray[np.int64], sample_rate: int, limit: int
) -> tuple[U32, U32]:
    """Vectorised :func:`sample_keys` for many docs: (doc index, key) pairs.

    Same keys as the scalar path: unique within a doc, first ``limit`` in
    document order.
    """
    n = len(lengths)
    doc = np.repeat(np.arange(n, dtype=np.uint32), lengths)
    valid = np.ones(len(codes), dtype=bool)
    ends = np.cumsum(lengths) - 1
    valid[ends[lengths > 0]] = False  # the last word of a doc starts no bigram
    pos = np.flatnonzero(valid)
    x = mix((codes[pos].astype(np.uint64) << np.uint64(16)) | codes[pos + 1].astype(np.uint64))
    keep = (x >> np.uint64(32)) % np.uint64(sample_rate) == 0
    short = np.bincount(doc[pos[keep]], minlength=n) < MIN_KEYS
    keep |= short[doc[pos]]
    pairs = (doc[pos[keep]].astype(np.uint64) << np.uint64(32)) | (x[keep] & np.uint64(0xFFFFFFFF))
    _, first = np.unique(pairs, return_index=True)  # first occurrence of a key in its doc
    pairs = pairs[np.sort(first)]
    key_doc = (pairs >> np.uint64(32)).astype(np.uint32)
    starts = np.searchsorted(key_doc, np.arange(n, dtype=np.uint32))
    rank = np.arange(len(key_doc)) - starts[key_doc]
    pairs = pairs[rank < limit]
    return (pairs >> np.uint64(32)).astype(np.uint32), pairs.astype(np.uint32)


def among(values: U32, known: U32) -> npt.NDArray[np.bool_]:
    """``np.isin(values, known)`` for a sorted ``known`` of a few keys.

    ``isin`` sorts both arrays again, which was most of a template's cost; here
    a 64 KB bitmap of the keys' low 16 bits rules out nearly every value in one
    gather, and the few left are looked up.
    """
    found = np.zeros(len(values), dtype=bool)
    if not len(known) or not len(values):
        return found
    bitmap = np.zeros(1 << 16, dtype=bool)
    bitmap[known & np.uint32(0xFFFF)] = True
    maybe = np.flatnonzero(bitmap[values & np.uint32(0xFFFF)])
    if len(maybe):
        some = values[maybe]
        at = np.searchsorted(known, some)
        at[at == len(known)] = 0
        found[maybe] = known[at] == some
    return found


@dataclass(frozen=True, slots=True)
class ProbeKeys:
    """An item's keys, computed before the index's lock is taken (they read no state)."""

    lookup: U32  # every bigram key, unique, sorted: what the index's ``find`` looks up
    stored: list[int]  # the sampled keys the index's ``add`` files it under


def probe_keys(words: str, sample_rate: int, limit: int) -> ProbeKeys:
    """The keys an item is looked up by (all its bigrams) and stored under (a sample)."""
    hashes = bigram_hashes(words)
    # All bigrams on the lookup side: a stored snippet is keyed by unsampled bigrams.
    lookup = sorted_unique((hashes & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    return ProbeKeys(lookup, sampled(hashes, sample_rate, limit))


def sorted_unique(values: npt.NDArray[_Key]) -> npt.NDArray[_Key]:
    """``np.unique(values)`` of a fresh array (sorted in place), by sorting it.

    numpy 2.3+ finds the unique values of a plain ``np.unique`` with a hash table,
    then sorts them: for the thousand keys of a batch, 3.8% of a first poll's
    recording instructions (session 12), four times what the sort alone costs.
    """
    values.sort()
    keep = np.empty(len(values), dtype=np.bool_)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def probe_keys_many(words: Sequence[str], sample_rate: int, limit: int) -> list[ProbeKeys]:
    """:func:`probe_keys` of each of ``words``, the same keys, computed for all at once:
    numpy costs a few µs a call whatever the size, and an item has under 100
    bigrams, so a batch's items go through each step together."""
    n = len(words)
    if n < 2:
        return [probe_keys(w, sample_rate, limit) for w in words]
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=n)
    codes = np.frombuffer("".join(words).encode("utf-16-le"), dtype=np.uint16)
    doc, hashes = bigrams_by_doc(codes, lengths)  # item by item
    owner = doc.astype(np.uint64)
    low = hashes & np.uint64(0xFFFFFFFF)
    # (item << 32 | key), unique: each item's keys sorted, items in order.
    lookups = sorted_unique((owner << np.uint64(32)) | low)
    ranks = np.arange(n + 1, dtype=np.uint64)
    lookup_at = np.searchsorted(lookups >> np.uint64(32), ranks).tolist()
    lookups32 = lookups.astype(np.uint32)
    at = np.searchsorted(owner, ranks).tolist()
    keys: list[int] = low.tolist()
    in_sample: list[bool] = ((hashes >> np.uint64(32)) % np.uint64(sample_rate) == 0).tolist()
    out: list[ProbeKeys] = []
    for i in range(n):
        start, end = at[i], at[i + 1]
        own = keys[start:end]
        chosen = list(compress(own, in_sample[start:end]))
        if len(chosen) < MIN_KEYS:
            chosen = own
        stored = list(dict.fromkeys(chosen))[:limit]
        out.append(ProbeKeys(lookups32[lookup_at[i] : lookup_at[i + 1]], stored))
    return out
