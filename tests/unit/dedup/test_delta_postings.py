"""The near-duplicate index's recent postings (its delta): merged as a bulk build files them,
and looked up as the merged postings are (session 12 keeps them flat for the merge)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import numpy as np

from watchtower.pipeline.fingerprint import Fingerprint, fingerprint
from watchtower.pipeline.neardup import NearDuplicateIndex

T0 = datetime(2024, 3, 1, tzinfo=UTC)
# A small vocabulary: many items share keys, so a key's postings span flushes.
VOCAB = [f"mot{i}" for i in range(400)]


def _corpus(n: int) -> list[Fingerprint]:
    rng = random.Random(7)
    return [
        fingerprint(f"titre {i}", " ".join(rng.choice(VOCAB) for _ in range(rng.randint(10, 120))))
        for i in range(n)
    ]


def test_added_items_merge_into_the_postings_a_bulk_build_makes() -> None:
    fps = _corpus(1500)
    added = NearDuplicateIndex()
    flushes = 0
    for i, fp in enumerate(fps):
        before = len(added._keys)
        added.add(i, fp, T0)
        flushes += len(added._keys) != before
    assert flushes >= 3  # several merges, each after the postings of earlier ones
    added._flush()
    bulk = NearDuplicateIndex.from_rows((i, fp, T0) for i, fp in enumerate(fps))
    assert len(added._keys) > 10_000
    assert np.array_equal(added._keys, bulk._keys)
    assert np.array_equal(added._slots, bulk._slots)  # each key's slots in order
    assert not added._delta and added._delta_size == 0


def test_an_item_finds_the_same_duplicate_before_and_after_the_merge() -> None:
    fps = _corpus(200)
    pending, merged = NearDuplicateIndex(), NearDuplicateIndex()
    for i, fp in enumerate(fps):
        pending.add(i, fp, T0)
        merged.add(i, fp, T0)
    merged._flush()
    assert pending._delta and not merged._delta  # one looks in its delta, one in the postings
    found = 0
    for fp in fps:
        query = Fingerprint(0, "\u4e00" + fp.words[: len(fp.words) * 3 // 4])
        expected = merged.find(query)
        assert pending.find(query) == expected
        found += expected is not None
    assert found > 150
