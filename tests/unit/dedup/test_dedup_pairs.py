"""Precision and recall of near-duplicate detection on the labelled FR/EN pairs.

``pairs.jsonl`` (synthetic, see its first line) holds syndicated copies, small
edits, rewrites by another outlet, truncations, and hard negatives: different
stories about the same brand and topic, as full texts, as snippets, and as
pages from the same site sharing a byline and footer. Each pair is checked in
both directions through a real :class:`NearDuplicateIndex`, so candidate
generation is exercised as well as the confirmation.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from watchtower.pipeline.fingerprint import fingerprint
from watchtower.pipeline.neardup import NearDuplicateIndex

PAIRS = Path(__file__).with_name("pairs.jsonl")


def _load() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line]
    assert "synthetic" in rows[0]["_provenance"].lower()
    return rows[1:]


def _predict(a: dict[str, str], b: dict[str, str]) -> bool:
    index = NearDuplicateIndex()
    index.add(1, fingerprint(a["title"], a["text"]), 1_700_000_000)
    found = index.find(fingerprint(b["title"], b["text"]), now=1_700_000_100)
    return found is not None and found.doc_id == 1


def _confusion(rows: list[dict[str, Any]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in rows:
        for a, b in ((row["a"], row["b"]), (row["b"], row["a"])):
            predicted = _predict(a, b)
            counts[
                ("t" if predicted == row["duplicate"] else "f") + ("p" if predicted else "n")
            ] += 1
    return counts


def test_labelled_set_is_balanced_enough() -> None:
    rows = _load()
    langs = Counter(row["lang"] for row in rows)
    labels = Counter(row["duplicate"] for row in rows)
    assert len(rows) >= 60 and langs["fr"] >= len(rows) // 2 - 1
    assert labels[True] >= 20 and labels[False] >= 20
    assert len({row["id"] for row in rows}) == len(rows)


@pytest.mark.parametrize("lang", ["all", "fr", "en"])
def test_precision_and_recall(lang: str) -> None:
    rows = [row for row in _load() if lang in ("all", row["lang"])]
    c = _confusion(rows)
    precision = c["tp"] / (c["tp"] + c["fp"])
    recall = c["tp"] / (c["tp"] + c["fn"])
    print(f"{lang}: precision={precision:.3f} recall={recall:.3f} {dict(c)}")
    assert precision >= 0.95, dict(c)
    assert recall >= 0.90, dict(c)


def test_no_hard_negative_is_merged() -> None:
    merged = [
        row["id"]
        for row in _load()
        if not row["duplicate"] and _predict(row["a"], row["b"]) | _predict(row["b"], row["a"])
    ]
    assert merged == []
