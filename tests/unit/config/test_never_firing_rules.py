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


# A ``rating:`` no rating on the 0..5 scale satisfies: the query warning names the
# comparison; a rule needing it (an AND, every alternative of an OR) can never fire.
@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("rembours* rating:>5", "rating:>5 is never true, ratings being 0 to 5"),
        ("rating:<0 rembours*", "rating:<0 is never true, ratings being 0 to 5"),
        (
            "rembours* (rating:10 OR rating:≥8)",
            "rating:=10 compares with 10, outside the 0 to 5 scale ratings are read on; "
            "it is never true; rating:>=8 compares with 8, outside the 0 to 5 scale "
            "ratings are read on; it is never true",
        ),
        (
            "(rating:>5 arnaque) OR (rating:<0 fraude)",
            "rating:>5 is never true, ratings being 0 to 5; "
            "rating:<0 is never true, ratings being 0 to 5",
        ),
    ],
    ids=["and", "and-first", "or-of-dead-ratings", "or-of-dead-ands"],
)
def test_a_rule_needing_a_rating_no_review_has_can_never_fire(
    query: str, why: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warnings = rule_warnings(f"query = '{query}'\n", tmp_path, capsys)
    assert [w for w in warnings if "can never fire" in w] == [
        f"17: rules[0]: can never fire: {why}"
    ]
    # The query's own warning stays: it names the column.
    assert any(".query: column" in w and "never true" in w for w in warnings)


@pytest.mark.parametrize(
    "query",
    [
        "rating:>5 OR arnaque",  # arnaque alone fires it
        "rembours* NOT rating:>5",  # true of every review
        "rembours* rating:<=6",  # always true: warned about, but it fires
        "rembours* rating:<1",  # a 0.5/5 (1/10) review
        "rembours* rating:>4.9999999",  # a 5/5 review: not rounded up to >5
        "rembours* rating:<0.0000001",  # a 0/5 review
        "rating:0 OR rating:5",
    ],
)
def test_a_rating_some_review_has_is_not_called_dead(
    query: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not [
        w for w in rule_warnings(f"query = '{query}'\n", tmp_path, capsys) if "can never fire" in w
    ]


def test_check_calls_dead_exactly_the_ratings_no_review_fires(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The matcher is the judge: a rule fires on some rating of the 0..5 scale
    # (every hundredth, and each bound) unless check says it can never fire.
    from watchtower.config import BrandConfig, RuleConfig
    from watchtower.models import Item
    from watchtower.pipeline.match import Matcher

    bounds = ["0", "0.0000001", "1", "2,5", "4.9999999", "5", "5.0000001", "6", "1" + "0" * 17]
    queries = [f"rating:{op}{bound}" for op in ("<", "<=", ">", ">=", "") for bound in bounds]
    config = tmp_path / "w.toml"
    config.write_text(
        HEAD
        + "".join(f"[[rules]]\nname = \"r{i}\"\nquery = '{q}'\n" for i, q in enumerate(queries)),
        encoding="utf-8",
    )
    assert main(["check", "--config", str(config)]) == 0
    said_dead = {
        queries[int(line.split("rules[")[1].split("]")[0])]
        for line in capsys.readouterr().err.splitlines()
        if "can never fire" in line
    }
    acme = BrandConfig(name="Acmé", terms=["Acmé"])
    matcher = Matcher([acme], [RuleConfig(name=q, query=q) for q in queries])
    ratings = {i / 100 for i in range(501)}
    ratings |= {v for b in bounds if 0 <= (v := float(b.replace(",", "."))) <= 5}
    fired = {
        m.rule
        for rating in sorted(ratings)
        for m in matcher.match(Item(guid="1", title="", text="Acmé", rating=rating), "avis")
    }
    assert said_dead == set(queries) - fired
    assert "rating:>5" in said_dead and "rating:<0" in said_dead  # not vacuous
