"""``watchtower check`` warns about a rule that can never fire: a rule copied for a
new client with its ``brands`` changed but not the ``brand:`` of its query, an
``exclude`` holding a word the query requires, a word both required and
excluded. Such a rule validates, and the client's crises go to the default
route without the rule's severity and targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.cli import main

HEAD = (
    '[watchtower]\ndefault_notify = ["console:"]\n'
    '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
    '[[brands]]\nname = "Globex"\nterms = ["Globex"]\n'
    '[[sources]]\nname = "avis"\nkind = "rss"\nurl = "http://127.0.0.1:9/a.xml"\n'
    '[[sources]]\nname = "presse"\nkind = "rss"\nurl = "http://127.0.0.1:9/p.xml"\n'
)


def rule_warnings(rule: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    config = tmp_path / "w.toml"
    config.write_text(HEAD + '[[rules]]\nname = "crise-globex"\n' + rule, encoding="utf-8")
    assert main(["check", "--config", str(config)]) == 0
    prefix = f"warning: {config}:"
    return [
        line.removeprefix(prefix)
        for line in capsys.readouterr().err.splitlines()
        if line.startswith(prefix) and "rules[0]" in line
    ]


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        (
            "brands = [\"Globex\"]\nquery = 'brand:Acmé AND (arnaque OR escroquerie)'\n",
            "its query needs brand:Acmé, which is not in its brands = ['Globex']; "
            "change one of them",
        ),
        (
            "sources = [\"avis\"]\nquery = 'source:presse arnaque'\n",
            "its query needs source:presse, which is not in its sources = ['avis']; "
            "change one of them",
        ),
        (
            "query = 'brand:Acmé brand:Globex'\n",
            "its query needs brand:Acmé and brand:Globex at once, and an item has one brand",
        ),
        (
            "query = 'arnaque'\nexclude = [\"arnaque\"]\n",
            "its query needs arnaque, and its exclude 'arnaque' drops it",
        ),
        (
            'query = \'"arnaque au faux conseiller" OR (escroc* "faux conseiller")\'\n'
            'exclude = ["faux conseil*"]\n',
            "its query needs \"arnaque au faux conseiller\", and its exclude 'faux conseil*' "
            "drops it; its query needs \"faux conseiller\", and its exclude 'faux conseil*' "
            "drops it",
        ),
        ("query = 'arnaque -arnaque'\n", "its query needs arnaque and NOT arnaque"),
        (
            "query = '(arnaque -arnaque) OR (fraude -fraude)'\n",
            "its query needs arnaque and NOT arnaque; its query needs fraude and NOT fraude",
        ),
    ],
    ids=[
        "brands-vs-brand-field",
        "sources-vs-source-field",
        "two-brands",
        "exclude-holds-the-required-word",
        "exclude-covers-every-alternative",
        "word-and-not-word",
        "every-alternative-clashes",
    ],
)
def test_check_warns_about_a_rule_that_can_never_fire(
    rule: str, why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rule_warnings(rule, tmp_path, capsys) == [f"17: rules[0]: can never fire: {why}"]


@pytest.mark.parametrize(
    "rule",
    [
        "brands = [\"Globex\"]\nquery = 'brand:Acmé OR brand:globex'\n",
        'brands = ["Globex", "Acmé"]\nquery = \'brand:ACME arnaque\'\n',
        "query = 'arnaque* NOT concours'\nexclude = [\"arnaque\"]\n",  # "arnaques" fires
        "query = 'arnaque OR escroquerie'\nexclude = [\"arnaque\"]\n",
        "query = 'NOT (arnaque -arnaque)'\n",
        "query = '(arnaque OR fraude) -arnaque'\n",
    ],
)
def test_a_rule_that_may_fire_is_not_warned_about(
    rule: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rule_warnings(rule, tmp_path, capsys) == []


def test_pack_rules_are_not_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "w.toml"
    config.write_text('include = ["crisis-fr", "crisis-en"]\n' + HEAD, encoding="utf-8")
    assert main(["check", "--config", str(config)]) == 0
    assert "can never fire" not in capsys.readouterr().err
