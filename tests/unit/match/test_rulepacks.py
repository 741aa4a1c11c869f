"""Rule packs: shipped files are valid, ``include`` appends and merges, errors are clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.config import parse_config
from watchtower.errors import ConfigError
from watchtower.packs import load_pack, pack_names, vocabularies
from watchtower.pipeline.match import parse_query

BASE = """
[[brands]]
name = "Acmé"
terms = ["Acmé"]
"""


def test_shipped_packs_are_valid() -> None:
    assert {"crisis-fr", "crisis-en"} <= set(pack_names())
    for name in pack_names():
        pack = load_pack(name)
        assert pack["description"]
        for rule in pack["rules"]:
            parse_query(rule["query"])
    vocab = vocabularies()
    for word in (
        "arnaqué*",
        "escroquerie*",
        "scandale*",
        "boycott*",
        "plainte*",
        "rembours*",
        "injoignable*",
        "honteu*",
        "avocat*",
        "60 millions",
        "UFC-Que Choisir",
    ):
        assert word in vocab["crisis_fr"], word
    assert "scam*" in vocab["crisis_en"]


def test_include_appends_pack_rules() -> None:
    loaded = parse_config('include = ["crisis-fr", "crisis-en"]\n' + BASE, Path("w.toml"))
    names = [r.name for r in loaded.config.rules]
    assert names == ["crisis-fr", "crisis-fr-service", "crisis-en", "crisis-en-service"]
    assert loaded.config.rules[0].severity == "critical"


def test_a_config_rule_overrides_the_pack_rule_of_the_same_name() -> None:
    text = (
        'include = ["crisis-fr"]\n'
        + BASE
        + """
[[rules]]
name = "crisis-fr"
notify = ["console:"]
"""
    )
    rules = {r.name: r for r in parse_config(text, Path("w.toml")).config.rules}
    assert rules["crisis-fr"].query == "@crisis_fr"  # from the pack
    assert rules["crisis-fr"].notify == ["console:"]  # from the config
    assert len(rules) == 2


def test_unknown_pack() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config('include = ["crisis-de"]\n' + BASE, Path("w.toml"))
    assert str(info.value) == (
        "w.toml:1: include[0]: unknown rule pack 'crisis-de'; available: crisis-en, crisis-fr"
    )


def test_bad_query_names_the_rule_and_column() -> None:
    text = (
        BASE
        + """
[[rules]]
name = "bad"
query = "arnaque AND (rembours*"
"""
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("w.toml"))
    assert str(info.value) == (
        "w.toml:8: rules[0].query: column 23: expected ')' to close the '(' at column 13, "
        "found the end of the query"
    )
