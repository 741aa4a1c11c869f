"""NearDuplicateIndex: incremental and bulk paths agree, window, prune, memory."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import numpy as np

from watchtower.pipeline.bigrams import bigram_keys, sample_keys, sample_keys_bulk
from watchtower.pipeline.fingerprint import Fingerprint, fingerprint
from watchtower.pipeline.neardup import NearDuplicateIndex

T0 = datetime(2024, 3, 1, tzinfo=UTC)
VOCAB = [f"mot{i}" for i in range(3000)]


def _doc(rng: random.Random, n: int = 80) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(n))


def _corpus(n: int, seed: int = 1) -> list[Fingerprint]:
    rng = random.Random(seed)
    return [fingerprint(f"titre {i}", _doc(rng, rng.randint(10, 150))) for i in range(n)]


def test_bulk_keys_equal_scalar_keys() -> None:
    fps = [*_corpus(300), fingerprint("", "a b " * 40), fingerprint("", ""), fingerprint("", "x")]
    codes = np.frombuffer("".join(f.words for f in fps).encode("utf-16-le"), dtype=np.uint16)
    lengths = np.array([len(f.words) for f in fps], dtype=np.int64)
    docs, keys = sample_keys_bulk(codes, lengths, 4, 16)
    bulk: dict[int, set[int]] = {}
    for d, k in zip(docs.tolist(), keys.tolist(), strict=True):
        bulk.setdefault(d, set()).add(k)
    for i, fp in enumerate(fps):
        assert bulk.get(i, set()) == set(sample_keys(fp.words, 4, 16))


def _reference_bigram_keys(words: str) -> list[int]:
    """The scalar definition the vectorised hashing must reproduce."""
    m64 = (1 << 64) - 1
    out = []
    for a, b in itertools.pairwise(words):
        x = (((ord(a) << 16) | ord(b)) * 0x9E3779B97F4A7C15) & m64
        x ^= x >> 29
        x = (x * 0xBF58476D1CE4E5B9) & m64
        out.append(x ^ (x >> 32))
    return out


def test_bigram_keys_match_the_scalar_definition() -> None:
    for fp in [*_corpus(50), fingerprint("", ""), fingerprint("", "mot"), fingerprint("a b", "")]:
        assert bigram_keys(fp.words) == _reference_bigram_keys(fp.words)
    assert bigram_keys("\uffff\u0800\ud7ff") == _reference_bigram_keys("\uffff\u0800\ud7ff")


def test_add_and_from_rows_find_the_same() -> None:
    fps = _corpus(500)
    one = NearDuplicateIndex()
    for i, fp in enumerate(fps):
        one.add(i, fp, T0)
    bulk = NearDuplicateIndex.from_rows((i, fp.to_bytes(), T0) for i, fp in enumerate(fps))
    for i in range(0, 500, 7):
        words = fps[i].words
        query = Fingerprint(0, "\u4e00\u4e01" + words[: len(words) * 2 // 3])  # truncated, prefixed
        a, b = one.find(query), bulk.find(query)
        assert a is not None and b is not None and a.doc_id == b.doc_id == i


def test_keys_computed_ahead_give_the_same_index_and_answers() -> None:
    """Batches compute ``probe_keys`` before taking the story lock: same result."""
    fps = [*_corpus(400), fingerprint("", "a b " * 40), fingerprint("", "court texte")]
    plain, ahead = NearDuplicateIndex(), NearDuplicateIndex()
    for i, fp in enumerate(fps):
        assert plain.add(i, fp, T0) == ahead.add(i, fp, T0, ahead.probe_keys(fp))
    assert plain._delta == ahead._delta
    assert np.array_equal(plain._keys, ahead._keys)
    assert np.array_equal(plain._slots, ahead._slots)
    queries = [Fingerprint(0, "\u4e00" + fp.words[: len(fp.words) * 3 // 4]) for fp in fps]
    found = 0
    for query in queries:
        expected = plain.find(query)
        assert ahead.find(query, keys=ahead.probe_keys(query)) == expected
        found += expected is not None
    assert found > 300  # the truncated copies are found, so the comparison means something


def test_unrelated_and_short_items_are_not_duplicates() -> None:
    index = NearDuplicateIndex.from_rows((i, fp, T0) for i, fp in enumerate(_corpus(300)))
    assert all(index.find(fp) is None for fp in _corpus(50, seed=99))
    assert index.find(Fingerprint(0, "")) is None
    short = fingerprint("Acme", "Acme rappelle")
    index.add(999, short, T0)
    assert index.find(short) is None  # below min_words: exact content hash only


def test_window_and_prune() -> None:
    fps = _corpus(40)
    index = NearDuplicateIndex(window=timedelta(days=7))
    for i, fp in enumerate(fps):
        index.add(i, fp, T0 + timedelta(days=i % 4))
    assert index.find(fps[0], now=T0 + timedelta(days=8)) is None  # outside the window
    assert index.find(fps[1], now=T0 + timedelta(days=8)) is not None
    removed = index.prune(T0 + timedelta(days=2))
    assert removed == 20 and len(index) == 20
    for i, fp in enumerate(fps):
        found = index.find(fp)
        assert (found.doc_id if found else None) == (i if i % 4 >= 2 else None)
    index.add(100, fps[0], T0 + timedelta(days=9))
    found = index.find(fps[0])
    assert found is not None and found.doc_id == 100
    assert index.last_doc_id == 100


def test_merging_many_adds_keeps_everything_findable() -> None:
    fps = _corpus(5000, seed=3)
    index = NearDuplicateIndex()
    for i, fp in enumerate(fps):
        index.add(i, fp, T0)
    hits = [index.find(fp) for fp in fps[::97] if len(fp.words) >= index.min_words]
    assert all(h is not None for h in hits)
    assert index.nbytes / len(index) < 500


def test_common_keys_are_skipped_but_rest_still_matches() -> None:
    index = NearDuplicateIndex(max_postings=5)
    boiler = " ".join(f"pied{i}" for i in range(30))
    rng = random.Random(5)
    docs = [f"{_doc(rng, 60)} {boiler}" for _ in range(20)]
    for i, text in enumerate(docs):
        index.add(i, fingerprint("", text), T0)
    found = index.find(fingerprint("", docs[7]))
    assert found is not None and found.doc_id == 7


def test_keys_of_a_batch_are_each_items_keys() -> None:
    """``probe_keys_many`` computes a batch's keys together: the same keys, item by item
    (empty, one-word and short items included)."""
    index = NearDuplicateIndex()
    fps = [
        *_corpus(60),
        Fingerprint(0, ""),
        Fingerprint(0, "\u4e00"),
        Fingerprint(0, "\u4e00\u4e01"),
        fingerprint("", "a b " * 40),
        Fingerprint(0, "\uffff\u0800\ud7ff\uffff\u0800"),
    ]
    for batch in (fps, fps[::-1], fps[-6:], fps[:1], []):
        many = index.probe_keys_many(batch)
        assert len(many) == len(batch)
        for fp, keys in zip(batch, many, strict=True):
            one = index.probe_keys(fp)
            assert keys.stored == one.stored
            assert keys.lookup.dtype == one.lookup.dtype
            assert keys.lookup.tolist() == one.lookup.tolist()
