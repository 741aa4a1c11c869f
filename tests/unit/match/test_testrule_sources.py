"""``watchtower test-rule --text``: a text typed on the command line has no source.

The example config's own suggested command, ``test-rule crise --text "Acmé :
une arnaque"``, answered "source 'test-rule' is not in the rule's sources":
a rule limited to some sources is now tried as from its first one, said in the
output, and ``--source`` chooses another. ``--stored`` keeps each item's real
source.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.unit.match.test_testrule import output, parse
from watchtower.errors import ConfigError
from watchtower.testrule import run

SOURCES = """
[watchtower]
database_url = "sqlite:///{db}"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "alertes-acme"
kind = "rss"
url = "http://127.0.0.1:9/alertes.xml"

[[sources]]
name = "forum-conso"
kind = "rss"
url = "http://127.0.0.1:9/forum.xml"

[[sources]]
name = "presse"
kind = "rss"
url = "http://127.0.0.1:9/presse.xml"

[[rules]]
name = "crise"
sources = ["forum-conso", "alertes-acme"]
query = "arnaque"

[[rules]]
name = "partout"
query = "arnaque"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "watchtower.toml"
    path.write_text(SOURCES.format(db=tmp_path / "w.db"), encoding="utf-8")
    return path


def test_the_example_configs_own_command_fires() -> None:
    got = output("-c", str(ROOT / "config.example.toml"), "crise", "--text", "Acmé : une arnaque")
    assert (
        "tried as from source 'alertes-acme' (the rule's only source); `--source NAME` to choose"
        in got
    )
    assert "brand 'Acmé': FIRES — the query is true" in got
    assert "not in the rule's sources" not in got


def test_a_rule_with_several_sources_is_tried_as_from_its_first(config: Path) -> None:
    got = output("-c", str(config), "crise", "--text", "Acmé : une arnaque")
    assert (
        "tried as from source 'forum-conso' (the first of the rule's 2 sources); "
        "`--source NAME` to choose" in got
    )
    assert "FIRES" in got


def test_source_chooses_and_is_answered_honestly(config: Path) -> None:
    got = output("-c", str(config), "crise", "--source", "alertes-acme", "--text", "Acmé arnaque")
    assert "FIRES" in got and "tried as from" not in got
    got = output("-c", str(config), "crise", "--source", "presse", "--text", "Acmé arnaque")
    assert "does not fire — source 'presse' is not in the rule's sources" in got
    assert "tried as from" not in got


def test_a_rule_of_every_source_needs_none(config: Path) -> None:
    got = output("-c", str(config), "partout", "--text", "Acmé : une arnaque")
    assert "FIRES" in got and "tried as from" not in got and "note:" not in got


def test_stored_items_keep_their_own_source(config: Path) -> None:
    with pytest.raises(ConfigError) as info:
        run(parse("-c", str(config), "crise", "--stored", "--source", "presse"), io.StringIO())
    assert "--source: --stored replays each item from its own source" in str(info.value)


def test_one_hidden_clause_is_one(config: Path) -> None:
    """Past 12 clauses only the true ones are listed: "(1 other clause false)"."""
    words = [f"mot{n}" for n in range(13)]
    got = output(
        "-c", str(config), "--query", " ".join(words), "--text", "Acmé " + " ".join(words[:-1])
    )
    assert "(1 other clause false)" in got
    got = output(
        "-c", str(config), "--query", " ".join(words), "--text", "Acmé " + " ".join(words[:-2])
    )
    assert "(2 other clauses false)" in got
