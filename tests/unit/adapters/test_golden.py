"""Golden tests: every file in tests/corpus/ parsed, compared with NAME.expected.json.

Regenerate (then review the diff) with::

    WATCHTOWER_REGEN_GOLDEN=1 .venv/bin/pytest tests/unit/adapters/test_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from watchtower.adapters._feed import parse_feed
from watchtower.adapters._jsonld import jsonld_blocks
from watchtower.adapters.discourse import parse_posts
from watchtower.adapters.google_alerts import GoogleAlertsSource
from watchtower.adapters.reviews import parse_reviews
from watchtower.models import Item

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
REGEN = os.environ.get("WATCHTOWER_REGEN_GOLDEN") == "1"
SAMPLES = sorted(
    p for p in CORPUS.glob("*/*") if p.is_file() and not p.name.endswith(".expected.json")
)

# Where each sample was served from (relative links resolve against it).
URLS = {
    "phpbb_feed_php_classicshell_t2652.atom.xml": "http://www.classicshell.net/forum/feed.php?f=10&t=2652",
    "discourse_topic_2144.rss.xml": "https://discuss.criticalfallibilism.com/t/kpop-demon-hunters/2144.rss",
    "discourse_topic_posts_criticalfallibilism_2144.json": "https://discuss.criticalfallibilism.com",
    "discourse_topic_try_discourse_2013.json": "https://try.discourse.org",
    "synthetic_xenforo_index.rss.xml": "https://forum.example.fr/forums/-/index.rss",
    "synthetic_vbulletin_external_rss2.xml": "https://auto.example.fr/forum/external.php?type=RSS2",
    "synthetic_appstore_customerreviews.json": "https://itunes.apple.com/fr/rss/customerreviews/id=1400000000/sortBy=mostRecent/json",
    "synthetic_appstore_customerreviews.xml": "https://itunes.apple.com/fr/rss/customerreviews/id=1400000000/sortBy=mostRecent/xml",
}


def _parse(path: Path) -> dict[str, Any]:
    """Run the parser a source of this kind would use; return what the golden file records."""
    data = path.read_bytes()
    url = URLS.get(path.name, f"https://example.org/{path.parent.name}/{path.name}")
    kind = path.parent.name
    out: dict[str, Any] = {}
    if kind in ("rss", "forums", "google_alerts") and path.suffix == ".xml":
        feed = parse_feed(data, url=url)
        items = feed.items
        if kind == "google_alerts":
            items = GoogleAlertsSource().adapt(items)
        out.update(feed_title=feed.title, warning=feed.warning)
    elif kind == "forums" and path.suffix == ".json":
        items = parse_posts(json.loads(data), url)
    elif kind == "reviews":
        items = parse_reviews(data, url)
        if path.suffix == ".html":
            out["jsonld_blocks_read"] = len(jsonld_blocks(data.decode("utf-8", "replace")))
    else:  # pragma: no cover - a new corpus folder needs a parser here
        raise AssertionError(f"no parser for {path.relative_to(CORPUS)}")
    out["count"] = len(items)
    out["items"] = [_summary(item) for item in items]
    return out


def _summary(item: Item) -> dict[str, Any]:
    return {
        "guid": item.guid,
        "url": item.url,
        "title": item.title,
        "published": item.published.isoformat() if item.published else None,
        "author": item.author,
        "rating": item.rating,
        "lang": item.lang,
        "text_start": item.text[:160],
        "text_length": len(item.text),
        "extra": item.extra,
    }


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_golden(path: Path) -> None:
    expected_path = path.with_name(path.name + ".expected.json")
    actual = _parse(path)
    if REGEN:
        expected_path.write_text(
            json.dumps(actual, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    assert expected_path.exists(), f"no golden file; run with WATCHTOWER_REGEN_GOLDEN=1: {path}"
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual["count"] == expected["count"]
    assert [i["title"] for i in actual["items"]] == [i["title"] for i in expected["items"]]
    assert [i["url"] for i in actual["items"]] == [i["url"] for i in expected["items"]]
    assert [i["published"] for i in actual["items"]] == [i["published"] for i in expected["items"]]
    assert [i["rating"] for i in actual["items"]] == [i["rating"] for i in expected["items"]]
    assert actual == expected


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_sample_has_provenance(path: Path) -> None:
    provenance = (CORPUS / "PROVENANCE.md").read_text(encoding="utf-8")
    assert f"| {path.parent.name}/{path.name} |" in provenance


def test_the_shared_corpus_is_all_here() -> None:
    shared = Path(__file__).resolve().parents[4] / "shared" / "corpus"
    if not shared.is_dir():
        pytest.skip("the shared corpus is not next to this checkout")
    for original in shared.glob("*/*"):
        copy = CORPUS / original.parent.name / original.name
        assert copy.read_bytes() == original.read_bytes(), copy


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_items_survive_validation(path: Path) -> None:
    data = _parse(path)
    for summary in data["items"]:
        assert summary["guid"]
        assert summary["title"] == " ".join(summary["title"].split())
        assert "<b>" not in summary["title"]
