"""What `watchtower check` tells marketing: every problem in one pass, each at its
line, with a hint for the usual mistakes; warnings for valid files that probably
do not do what was meant."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.unit.config.test_config import GOOD
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.errors import ConfigError


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(p).removeprefix(f"{path}:") for p in caught.value.problems]


def test_a_rule_with_a_misspelt_key_still_has_its_references_checked(
    write_config: Callable[[str], Path],
) -> None:
    text = GOOD.replace('brands = ["Acmé"]', 'brands = ["Acme"]\nquery = "(arnaque"').replace(
        "severity", "sevrity"
    )
    assert problems(write_config(text)) == [
        "16: rules[0].brands: unknown brand 'Acme'; did you mean 'Acmé'?",
        "17: rules[0].query: column 9: expected ')' to close the '(' at column 1,"
        " found the end of the query",
        "18: rules[0].sevrity: unknown key; did you mean 'severity'?",
    ]


def test_a_source_with_a_misspelt_key_still_has_its_brands_checked(
    write_config: Callable[[str], Path],
) -> None:
    text = GOOD.replace('every = "10m"', 'evry = "10m"\nbrands = ["Acne"]')
    assert problems(write_config(text)) == [
        "12: sources[0].evry: unknown key; did you mean 'every'?",
        "13: sources[0].brands: unknown brand 'Acne'; did you mean 'Acmé'?",
    ]


def test_include_below_a_table_is_explained(write_config: Callable[[str], Path]) -> None:
    text = GOOD + 'include = ["crisis-fr"]\n'  # lands in the last [[rules]] table
    assert problems(write_config(text)) == [
        "19: rules[0].include: include is a top-level key: move it above the first [table]"
    ]


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("name = 'L'Oréal'", "an apostrophe ends a '…' string"),
        ("""query = 'arnaque OR "service d'aide"'""", "an apostrophe ends a '…' string"),
        ("name = “Acmé”", "“ ” « » ‘ ’ are not TOML quotes"),
    ],
)
def test_toml_errors_from_french_quotes_get_a_hint(
    write_config: Callable[[str], Path], line: str, hint: str
) -> None:
    [message] = problems(write_config(f"[[brands]]\n{line}\nterms = ['x']\n"))
    assert message.startswith("2: TOML syntax error: ")
    assert hint in message


def test_lines_of_array_tables_dotted_keys_and_blank_terms(
    write_config: Callable[[str], Path],
) -> None:
    text = (
        '[watchtower]\nlanguage = "fr"\nbrands.name = "x"\n\n'
        '[[brand]]\nname = "A"\n\n'
        '[[brands]]\nname = "B"\nterms = [\n  "b",\n  " ",\n]\n'
    )
    assert problems(write_config(text)) == [
        "3: watchtower.brands: unknown key here; brands belongs in its own [[brands]] table",
        "5: brand: unknown key; did you mean 'brands'?",
        "10: brands[0].terms[1]: a term cannot be blank",
    ]


def test_warnings(write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        'include = ["crisis-fr"]\n'
        + GOOD.replace('terms = ["Acmé"]', 'terms = ["Acmé", "Banque Acmé"]\nfuzzy = 1')
        + '\n[[rules]]\nname = "crisis_fr"\nnotify = ["console:"]\n'
    )
    path = write_config(text)
    assert main(["check", "--config", str(path)]) == 0  # warnings do not refuse a config
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"warning: {path}:8: brands[0].fuzzy: no effect: typos are tolerated only in "
        "single-word terms of 6 letters or more",
        f"warning: {path}:23: rules[1].name: this rule has no query, so it fires on every "
        "mention; did you mean to override the pack rule 'crisis-fr'?",
    ]
    # A long enough term, and a rule that overrides the pack rule by its name: no warning.
    fixed = text.replace('"Banque Acmé"]', '"AcméPay"]').replace('"crisis_fr"', '"crisis-fr"')
    assert load_config(write_config(fixed)).warnings == ()


def test_no_sources_is_a_warning(write_config: Callable[[str], Path]) -> None:
    text = GOOD[: GOOD.index("[[sources]]")] + GOOD[GOOD.index("[[rules]]") :]
    [warning] = load_config(write_config(text)).warnings
    assert warning.message == "no [[sources]]: nothing is listened to"


def test_names_in_queries_are_checked(write_config: Callable[[str], Path]) -> None:
    text = GOOD.replace(
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n',
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n\n'
        '[[brands]]\nname = "Crédit Agricole"\nterms = ["Crédit Agricole"]\n',
    ).replace(
        'brands = ["Acmé"]',
        "query = 'brand:acmee OR source:alertez OR brand:Crédit Agricole"
        ' OR brand:ACME OR source:"alertes" OR brand:«crédit agricole»\'',
    )
    assert problems(write_config(text)) == [
        "20: rules[0].query: brand:acmee names no brand; did you mean 'Acmé'?",
        "20: rules[0].query: source:alertez names no source; did you mean 'alertes'?",
        "20: rules[0].query: brand:Crédit names no brand; a name with spaces needs quotes: "
        'brand:"Crédit Agricole"',
    ]


def test_query_warnings_in_check(write_config: Callable[[str], Path]) -> None:
    text = GOOD.replace('brands = ["Acmé"]', "query = 'arnaque OU escroquerie'")
    [warning] = load_config(write_config(text)).warnings
    assert (warning.line, warning.key) == (16, "rules[0].query")
    assert warning.message == "column 9: 'OU' is read as a word; for either word write OR"


def test_terms_that_lose_what_distinguishes_them_are_warned_about(
    write_config: Callable[[str], Path],
) -> None:
    text = GOOD.replace('terms = ["Acmé"]', 'terms = ["Acmé", "Canal+", "acme.fr"]')
    [warning] = load_config(write_config(text)).warnings
    assert warning.key == "brands[0].terms[1]"
    assert warning.message == (
        "'Canal+' is matched as 'canal': punctuation and symbols are ignored ('+'); "
        "narrow it with exclude or a rule's query"
    )


def test_an_error_in_a_multi_line_query_names_its_line(write_config: Callable[[str], Path]) -> None:
    text = GOOD.replace(
        'brands = ["Acmé"]', "query = '''arnaque\n  OR escroquerie\n  OR (plainte'''"
    )
    assert problems(write_config(text)) == [
        "16: rules[0].query: line 3, column 14: expected ')' to close the '(' at line 3,"
        " column 6, found the end of the query"
    ]
