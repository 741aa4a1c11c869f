"""`watchtower check` warns before the flood: a brand term that is an everyday
French or English word ("Orange", "Printemps", "Free") is a mention in every
text using the word. Real brand names, and brands already narrowed on purpose,
get no warning."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.common_words import common_first_name, everyday_languages
from watchtower.config import load_config
from watchtower.pipeline.match.query import parse_query

ROOT = Path(__file__).resolve().parents[3]

CONFIG = """\
[watchtower]
database_url = "sqlite:///state/wt.db"

[[brands]]
name = "{name}"
terms = {terms}
{extra}
[[sources]]
name = "alertes"
kind = "google_alerts"
url = "https://www.google.com/alerts/feeds/1/2"
{rules}"""


def config(terms: list[str], extra: str = "", rules: str = "", name: str = "Marque") -> str:
    quoted = "[" + ", ".join(f'"{t}"' for t in terms) + "]"
    return CONFIG.format(name=name, terms=quoted, extra=extra, rules=rules)


def everyday_warnings(path: Path) -> list[str]:
    """The everyday-word warnings of the config at ``path``, without the file name."""
    return [
        str(w).removeprefix(f"{path}:")
        for w in load_config(path).warnings
        if "is an everyday" in str(w) or "is a common French first name" in str(w)
    ]


@pytest.mark.parametrize(
    ("term", "said"),
    [
        ("Orange", "'Orange' is an everyday French and English word"),
        ("Printemps", "'Printemps' is an everyday French word"),
        ("Boulanger", "'Boulanger' is an everyday French word"),
        ("Carrefour", "'Carrefour' is an everyday French word"),
        ("Casino", "'Casino' is an everyday French and English word"),
        ("Total", "'Total' is an everyday French and English word"),
        ("Leader", "'Leader' is an everyday French and English word"),
        ("Free", "'Free' is an everyday English word"),
        ("Red", "'Red' is an everyday English word"),
        ("printemps", "'printemps' is an everyday French word"),  # any case
        ("PRINTEMPS", "'PRINTEMPS' is an everyday French word"),
        ("Prïntemps", "'Prïntemps' is an everyday French word"),  # accents ignored
        ("Le Bon Coin", "'Le Bon Coin' is an everyday French phrase"),
        ("Société Générale", "'Société Générale' is an everyday French phrase"),
        ("Best Buy", "'Best Buy' is an everyday English phrase"),
    ],
)
def test_check_warns_about_an_everyday_word(
    write_config: Callable[[str], Path], term: str, said: str
) -> None:
    path = write_config(config(["Marque SA", term]))
    [warning] = everyday_warnings(path)
    assert warning.startswith(f"6: brands[0].terms[1]: {said}: every text using it is a mention")


def test_the_warning_says_what_to_do(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(config(["Orange"], name="Orange"))
    assert main(["check", "--config", str(path)]) == 0  # a warning, not an error
    err = capsys.readouterr().err
    assert (
        f"warning: {path}:6: brands[0].terms[0]: 'Orange' is an everyday French and English "
        "word: every text using it is a mention of 'Orange'; exclude its other meanings "
        "(exclude = [...]), or let only rules whose query needs your context claim its "
        "mentions (a telecom operator: query = 'Orange AND (forfait OR fibre OR box OR "
        "réseau)', with [watchtower] default_notify = []), or set allow_everyday_words = "
        'true to keep them all (docs/queries.md, "Everyday words")\n'
    ) in err


@pytest.mark.parametrize("term", ["Orange", "Société Générale", "Côte d'Or"])
def test_the_suggested_query_is_valid_toml_and_a_valid_query(
    write_config: Callable[[str], Path], term: str
) -> None:
    path = write_config(config([term.replace('"', '\\"')]))
    [warning] = everyday_warnings(path)
    value = re.search(r"query = (.*?), with \[watchtower\]", warning)
    assert value is not None
    query = tomllib.loads(f"query = {value.group(1)}")["query"]
    assert query.endswith(" AND (forfait OR fibre OR box OR réseau)")
    parse_query(query)  # raises if not


@pytest.mark.parametrize(
    "term",
    [
        "Acmé",
        "L'Oréal",  # "oreal": not a word (its elision has its own warning)
        "Renault",
        "Decathlon",
        "SNCF",
        "Google",
        "Leboncoin",
        "La Poste",  # everyday words, but the phrase mostly means the brand
        "Crédit Agricole",
        "Banque Populaire",
        "Orange Business",
        "orang*",  # a wildcard is meant to match many words
        "acme.fr",
    ],
)
def test_no_warning_for_a_brand_name(write_config: Callable[[str], Path], term: str) -> None:
    assert everyday_warnings(write_config(config([term]))) == []


def test_no_warning_for_the_brands_of_the_example_and_the_fixtures() -> None:
    files = [ROOT / "config.example.toml", *sorted((ROOT / "tests" / "fixtures").rglob("*.toml"))]
    terms = [
        term
        for file in files
        for brand in tomllib.loads(file.read_text(encoding="utf-8")).get("brands", [])
        for term in brand.get("terms", [])
    ]
    assert "Boulangeries Durand" in terms and "Vélo Rapide" in terms
    assert {term: everyday_languages(term) for term in terms if everyday_languages(term)} == {}
    assert [term for term in terms if common_first_name(term)] == []
    assert everyday_warnings(ROOT / "config.example.toml") == []


@pytest.mark.parametrize(
    ("term", "said"),
    [
        ("BA", "the acronym also matches the word 'ba'"),  # "ba" is in the English list
        ("Canal+", "'Canal+' is matched as 'canal'"),
        ("l'Orange", "so it also matches 'Orange'"),
    ],
)
def test_a_term_gets_one_warning_not_two(
    write_config: Callable[[str], Path], term: str, said: str
) -> None:
    # Each is an everyday word as the matcher reads it; its own warning says why.
    path = write_config(config([term]))
    [warning] = [str(w) for w in load_config(path).warnings]
    assert said in warning


@pytest.mark.parametrize(
    ("extra", "rules"),
    [
        ('exclude = ["jus d\'orange", "orange pressée"]\n', ""),
        ("allow_everyday_words = true\n", ""),
        (
            "",
            '[[rules]]\nname = "orange-telecom"\nbrands = ["Orange"]\n'
            "query = 'Orange AND (forfait OR fibre OR box OR réseau)'\n",
        ),
    ],
    ids=["exclude", "allowed", "rules-with-a-query"],
)
def test_a_brand_narrowed_on_purpose_is_not_nagged(
    write_config: Callable[[str], Path], extra: str, rules: str
) -> None:
    text = config(["Orange"], extra=extra, rules=rules, name="Orange")
    if rules:  # the mentions no rule claims go nowhere
        text = text.replace('wt.db"\n', 'wt.db"\ndefault_notify = []\n')
    assert everyday_warnings(write_config(text)) == []


@pytest.mark.parametrize(
    ("default_notify", "rule"),
    [
        # The query narrows the rule, but unclaimed mentions still reach #veille.
        ("", "query = 'forfait OR fibre'\n"),
        # Nowhere for unclaimed mentions, but a rule without a query claims them all.
        ("default_notify = []\n", ""),
    ],
    ids=["unclaimed-go-to-default", "a-rule-without-query"],
)
def test_a_brand_still_flooding_is_warned(
    write_config: Callable[[str], Path], default_notify: str, rule: str
) -> None:
    rules = f'[[rules]]\nname = "orange"\nbrands = ["Orange"]\n{rule}'
    text = config(["Orange"], rules=rules, name="Orange").replace(
        '"sqlite:///state/wt.db"\n', f'"sqlite:///state/wt.db"\n{default_notify}'
    )
    assert len(everyday_warnings(write_config(text))) == 1


def test_allow_everyday_words_must_be_a_boolean(write_config: Callable[[str], Path]) -> None:
    from watchtower.errors import ConfigError

    with pytest.raises(ConfigError, match="allow_everyday_words"):
        load_config(write_config(config(["Orange"], extra='allow_everyday_words = "oui"\n')))


@pytest.mark.parametrize(
    "term",
    ["Alan", "Lydia", "ALAN", "Léon", "Leon", "Victoria", "Anne-Marie", "Margaux"],
)
def test_check_warns_about_a_common_first_name(
    write_config: Callable[[str], Path], term: str
) -> None:
    """An insurer called Alan, a payment app called Lydia: every article about
    someone so called is a mention of the brand."""
    path = write_config(config(["Marque SA", term]))
    [warning] = everyday_warnings(path)
    assert warning.startswith(
        f"6: brands[0].terms[1]: {term!r} is a common French first name: every text about "
        f"someone called {term} is a mention of 'Marque'; exclude its other meanings"
    )
    assert "allow_everyday_words = true" in warning


@pytest.mark.parametrize(
    "term",
    [
        "Chanel",  # a first name, but a rare one: mostly the brand
        "Mercedes",
        "Hermès",
        "Clarins",
        "Alan Assurance",  # the name within a phrase is the brand
        "Lydia App",
        "Lydi*",  # a wildcard is meant to match many words
    ],
)
def test_no_warning_for_a_rare_first_name_or_a_phrase(
    write_config: Callable[[str], Path], term: str
) -> None:
    assert everyday_warnings(write_config(config([term]))) == []


def test_a_first_name_that_is_also_a_word_gets_the_word_warning_once(
    write_config: Callable[[str], Path],
) -> None:
    [warning] = everyday_warnings(write_config(config(["Rose"])))
    assert "'Rose' is an everyday French and English word" in warning


@pytest.mark.parametrize("extra", ['exclude = ["Alan Turing"]', "allow_everyday_words = true"])
def test_a_first_name_brand_narrowed_on_purpose_is_not_nagged(
    write_config: Callable[[str], Path], extra: str
) -> None:
    assert everyday_warnings(write_config(config(["Alan"], extra=extra))) == []
