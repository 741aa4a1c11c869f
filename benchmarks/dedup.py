"""Near-duplicate check at 1M stored fingerprints vs a rapidfuzz extractOne baseline.

Stored docs are synthetic: content words drawn from a Zipf vocabulary, built
through the same bulk path the daemon uses at start. Queries are real text
through ``fingerprint()`` + ``find()``: half edited/truncated copies of stored
docs (must be found), half new docs. Baseline: ``process.extractOne`` with
``fuzz.ratio`` over a 10k sample of the same texts, measured in the same run.
Latencies are best-of-3 per query (2 shared cores), then p50/p99.
"""

from __future__ import annotations

import random
import statistics
import time
import tracemalloc

import numpy as np
from _bench import parse_args, report  # benchmarks/ is the script folder
from rapidfuzz import fuzz, process

from watchtower.pipeline.fingerprint import MAX_WORDS, fingerprint, word_code
from watchtower.pipeline.neardup import NearDuplicateIndex

BENCH = "dedup"
VOCAB_SIZE = 40_000
STOP = ["le", "de", "la", "the", "of", "and", "et", "des", "a", "in"]


def _vocab() -> tuple[list[str], np.ndarray, np.ndarray]:
    rng = random.Random(7)
    syll = [
        "ba",
        "co",
        "di",
        "fu",
        "ga",
        "lo",
        "mi",
        "ne",
        "pa",
        "ri",
        "su",
        "ta",
        "ve",
        "zo",
        "an",
    ]
    words = list(
        dict.fromkeys("".join(rng.choices(syll, k=rng.randint(2, 4))) for _ in range(90_000))
    )
    words = words[:VOCAB_SIZE]
    codes = np.array([word_code(w) for w in words], dtype=np.uint16)
    p = 1.0 / np.arange(1, len(words) + 1) ** 1.05
    return words, codes, p / p.sum()


def _build(
    n: int, codes: np.ndarray, p: np.ndarray
) -> tuple[NearDuplicateIndex, np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(11)
    lengths = rng.integers(20, MAX_WORDS + 1, size=n)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    word_idx = rng.choice(len(codes), size=int(offsets[-1]), p=p).astype(np.int32)
    flat = codes[word_idx].tobytes()  # utf-16-le code units
    now = 1_700_000_000

    def rows():  # type: ignore[no-untyped-def]
        header = b"\x01" + bytes(8)
        for i in range(n):
            yield i, header + flat[2 * offsets[i] : 2 * offsets[i + 1]], now - i % 600_000

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    t = time.perf_counter()
    index = NearDuplicateIndex.from_rows(rows())
    build = time.perf_counter() - t
    retained = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return index, word_idx, offsets, build, retained  # type: ignore[return-value]


def _text(words: list[str], idx: np.ndarray, rng: random.Random) -> str:
    out: list[str] = []
    for i in idx.tolist():
        if rng.random() < 0.5:
            out.append(rng.choice(STOP))
        out.append(words[i])
    return " ".join(out)


def _best_of(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    args = parse_args(__doc__ or BENCH)
    n = 100_000 if args.quick else 1_000_000
    n_queries = 400 if args.quick else 1000
    words, codes, p = _vocab()
    index, word_idx, offsets, build_s, retained = _build(n, codes, p)
    rng = random.Random(3)
    nprng = np.random.default_rng(5)
    queries: list[tuple[str, int | None]] = []
    for q in range(n_queries):
        if q % 2:
            new = nprng.choice(len(codes), size=rng.randint(20, 90), p=p)
            queries.append((_text(words, new, rng), None))
            continue
        doc = rng.randrange(n)
        idx = word_idx[offsets[doc] : offsets[doc + 1]].copy()
        idx = idx[: max(20, int(len(idx) * rng.uniform(0.5, 1.0)))]  # truncation
        for _ in range(2):  # small edits
            idx[rng.randrange(len(idx))] = rng.randrange(len(words))
        boiler = nprng.choice(len(codes), size=5, p=p)  # byline-like prefix
        queries.append((_text(words, np.concatenate((boiler, idx)), rng), doc))

    found = sum(
        1
        for text, doc in queries
        if doc is not None and (h := index.find(fingerprint("", text))) and h.doc_id == doc
    )
    false = sum(1 for text, doc in queries if doc is None and index.find(fingerprint("", text)))
    check = [_best_of(lambda t=text: index.find(fingerprint("", t))) * 1000 for text, _ in queries]
    fps = [fingerprint("", text) for text, _ in queries]
    find_only = [_best_of(lambda f=fp: index.find(f)) * 1000 for fp in fps]

    sample = [_text(words, word_idx[offsets[i] : offsets[i + 1]], rng) for i in range(10_000)]
    base = [
        _best_of(lambda t=text: process.extractOne(t, sample, scorer=fuzz.ratio), repeat=1) * 1000
        for text, _ in queries[:40]
    ]
    base_p50 = statistics.median(base)
    p50 = statistics.median(check)
    p99 = float(np.percentile(check, 99))
    per_doc = index.nbytes / len(index)
    extra = {
        "docs": len(index),
        "queries": len(queries),
        "recall_synthetic": round(found / (n_queries // 2), 3),
        "false_matches": false,
        "build_s": round(build_s, 1),
    }
    report(
        BENCH,
        f"check_p50_{len(index)}",
        value=p50,
        unit="ms",
        baseline=base_p50,
        target="p50 <= 1 ms at 1M",
        ok=p50 <= 1.0,
        higher_is_better=False,
        baseline_desc="rapidfuzz extractOne(fuzz.ratio) over 10k texts, p50",
        **extra,
    )
    report(
        BENCH,
        f"check_p99_{len(index)}",
        value=p99,
        unit="ms",
        baseline=float(np.percentile(base, 99)),
        target="p50 <= 1 ms at 1M",
        ok=p50 <= 1.0,
        higher_is_better=False,
        find_only_p50_ms=round(statistics.median(find_only), 4),
    )
    avg_text = statistics.mean(len(t.encode()) for t in sample)
    report(
        BENCH,
        "bytes_per_doc",
        value=per_doc,
        unit="bytes",
        baseline=avg_text,
        target="<= 500 bytes/doc",
        ok=per_doc <= 500,
        higher_is_better=False,
        baseline_desc="mean UTF-8 text size the baseline keeps per doc",
        tracemalloc_bytes_per_doc=round(retained / len(index), 1),
    )


if __name__ == "__main__":
    main()
