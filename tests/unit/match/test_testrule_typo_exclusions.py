"""``watchtower test-rule`` says which brand exclusion stopped which hit, typo
hits ("Mutualiss") as well as exact ones."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher
from watchtower.testrule import add_parser, run

CONFIG = """
[watchtower]
database_url = "sqlite:///{db}"

[[brands]]
name = "Mutualis"
terms = ["Mutualis"]
fuzzy = 1
exclude = ["Mutualis Corporation"]

[[rules]]
name = "tout"
"""

MUTUALIS = BrandConfig(
    name="Mutualis", terms=["Mutualis"], fuzzy=1, exclude=["Mutualis Corporation"]
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "watchtower.toml"
    path.write_text(CONFIG.format(db=tmp_path / "w.db"), encoding="utf-8")
    return path


def output(config: Path, text: str) -> list[str]:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    out = io.StringIO()
    args = parser.parse_args(["test-rule", "-c", str(config), "tout", "--text", text])
    assert run(args, out) == 0
    return out.getvalue().splitlines()


def test_a_typo_stopped_by_an_exclusion_is_explained(config: Path) -> None:
    got = output(config, "Mutualiss Corporation")
    at = got.index("brand 'Mutualis': does not fire — every mention is inside a brand exclusion")
    assert got[at + 1 : at + 3] == [
        "  'mutualis corporation' as 'Mutualiss Corporation' at text 0-21 (line 1, col 1), "
        "brand exclusion",
        "    stops brand term 'mutualis' as 'Mutualiss' at text 0-9 (line 1, col 1), "
        "a typo the exclusion reads as 'mutualis'",
    ]


def test_an_exact_hit_stopped_by_an_exclusion_is_explained(config: Path) -> None:
    got = output(config, "Mutualis Corporation")
    assert (
        "  'mutualis corporation' as 'Mutualis Corporation' at text 0-20 (line 1, col 1), "
        "brand exclusion" in got
    )
    assert "    stops brand term 'mutualis' as 'Mutualis' at text 0-8 (line 1, col 1)" in got


def test_each_exclusion_names_the_hit_it_stopped(config: Path) -> None:
    got = output(config, "Mutualis Corporation et\nla MUTUALISS CORPORATION")
    excl = [line for line in got if line.startswith("  '") and line.endswith("brand exclusion")]
    stops = [line.strip() for line in got if line.startswith("    stops")]
    assert excl == [
        "  'mutualis corporation' as 'Mutualis Corporation' at text 0-20 (line 1, col 1), "
        "brand exclusion",
        "  'mutualis corporation' as 'MUTUALISS CORPORATION' at text 27-48 (line 2, col 4), "
        "brand exclusion",
    ]
    assert stops == [
        "stops brand term 'mutualis' as 'Mutualis' at text 0-8 (line 1, col 1)",
        "stops brand term 'mutualis' as 'MUTUALISS' at text 27-36 (line 2, col 4), "
        "a typo the exclusion reads as 'mutualis'",
    ]


def test_a_brand_that_fires_still_shows_what_an_exclusion_stopped(config: Path) -> None:
    got = output(config, "Mutualiss Corporation, puis Mutualiss seul")
    assert "brand 'Mutualis': FIRES — no query: every mention" in got
    assert "  'mutualis' as 'Mutualiss' at text 28-37 (line 1, col 29), brand term" in got
    assert (
        "    stops brand term 'mutualis' as 'Mutualiss' at text 0-9 (line 1, col 1), "
        "a typo the exclusion reads as 'mutualis'" in got
    )


def test_the_trace_pairs_each_stopped_hit_with_its_exclusion() -> None:
    # Offsets of the original text, whatever the typo's length: the exclusion is
    # found in a copy where "Mutualisss" (2 letters more) is spelt "Mutualis".
    text = "Mutualisss  Corporation ; Mutualis, Mutualiss Corporation\u00b9"
    brand = MUTUALIS.model_copy(update={"fuzzy": 2})
    matcher = Matcher([brand], [RuleConfig(name="tout")])
    (trace,) = matcher.trace(Item(guid="1", title="", text=text), "src")
    assert trace.fired
    assert [h.surface for h in trace.hits if h.clause == "brand"] == ["Mutualis"]
    pairs = [
        (s.exclusion.surface, s.exclusion.start, s.hit.surface, s.hit.start, s.typo)
        for s in trace.stopped
    ]
    assert pairs == [
        ("Mutualisss  Corporation", 0, "Mutualisss", 0, True),
        ("Mutualiss Corporation", 36, "Mutualiss", 36, True),
    ]
    for stop in trace.stopped:
        for hit in (stop.exclusion, stop.hit):
            assert text[hit.start : hit.end] == hit.surface
