"""Common ways of writing a query from habit: Google's ``-word``, curly quotes and
guillemets, ``near/5``, French operators and commas, language subtags, and the
``brand:``/``source:`` names a query uses (for the config checker)."""

from __future__ import annotations

import pytest

from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher, QuerySyntaxError, parse_query
from watchtower.pipeline.match.evaluate import lang_matches
from watchtower.pipeline.match.query import (
    And,
    Meta,
    Near,
    Not,
    Or,
    Term,
    field_values,
)
from watchtower.pipeline.match.query_lint import query_warnings

ACME = BrandConfig(name="Acmé", terms=["Acmé"])


def t(*words: str, source: str = "") -> Term:
    return Term(tuple(words), False, None, source or " ".join(words))


def fires(query: str, text: str, lang: str | None = None) -> bool:
    matcher = Matcher([ACME], [RuleConfig(name="r", query=query)])
    item = Item(guid="1", text=text, lang=lang)
    return any(m.rule == "r" for m in matcher.match(item, "src"))


# ------------------------------------------------------------------ -word
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("arnaque -concours", And((t("arnaque"), Not(t("concours"))))),
        ("-concours", Not(t("concours"))),
        ('arnaque -"jeu gratuit"', And((t("arnaque"), Not(t("jeu", "gratuit"))))),
        ("arnaque -(concours OR jeu)", And((t("arnaque"), Not(Or((t("concours"), t("jeu"))))))),
        ("(arnaque -concours)", And((t("arnaque"), Not(t("concours"))))),
        (
            "arnaque -title:concours",
            And((t("arnaque"), Not(Term(("concours",), False, "title", "concours")))),
        ),
        ("arnaque -source:jeux", And((t("arnaque"), Not(Meta("source", "jeux"))))),
        # a hyphen inside a word stays a hyphen: the phrase of its words
        ("procès-verbal", t("proces", "verbal", source="procès-verbal")),
        (
            "UFC-Que Choisir",
            And((t("ufc", "que", source="UFC-Que"), t("choisir", source="Choisir"))),
        ),
        ("e-mail", t("e", "mail", source="e-mail")),
    ],
)
def test_leading_minus_is_not(query: str, expected: object) -> None:
    assert parse_query(query).root == expected


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("arnaque -concours", "Acmé : arnaque", True),
        ("arnaque -concours", "Concours Acmé : ce n'est pas une arnaque", False),
        ("procès-verbal", "Le procès-verbal d'Acmé", True),
        ("procès-verbal", "Le procès d'Acmé, verbal", False),
    ],
)
def test_leading_minus_when_matching(query: str, text: str, expected: bool) -> None:
    assert fires(query, text) is expected


def test_minus_binds_to_its_atom_so_near_refuses_it() -> None:
    with pytest.raises(QuerySyntaxError, match="column 1: NEAR needs a term"):
        parse_query("-a1 NEAR/3 b2")


# ------------------------------------------------------------------ quotes
@pytest.mark.parametrize(
    "query",
    [
        '"service client"',
        "“service client”",
        "«service client»",
        "« service client »",
        "«\u00a0service client\u00a0»",  # non-breaking spaces, as French typography wants
        "«\u202fservice client\u202f»",  # narrow non-breaking spaces
    ],
)
def test_curly_quotes_and_guillemets_delimit_phrases(query: str) -> None:
    assert parse_query(query).root == t("service", "client")


def test_curly_phrase_in_a_query_and_a_field() -> None:
    root = parse_query("“service client” injoignable").root
    assert root == And((t("service", "client"), t("injoignable")))
    assert parse_query("brand:«Crédit Agricole»").root == Meta("brand", "Crédit Agricole")
    assert parse_query("source:“Le Monde”").root == Meta("source", "Le Monde")
    assert fires("“service client” injoignable", "Acmé : client injoignable, service nul") is False


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("“service client", "column 1: unclosed '“': expected a closing '”'"),
        ("a « b", "column 3: unclosed '«': expected a closing '»'"),
        ("a b»", "column 4: '»' closes no opening quote"),
        ("a ” b", "column 3: '”' closes no opening quote"),
        ('source:"Le', "column 8: unclosed '\"': expected a closing quote"),
    ],
)
def test_unbalanced_curly_quotes_are_errors(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert str(info.value) == message


# ------------------------------------------------------------------ NEAR
@pytest.mark.parametrize("op", ["NEAR/5", "near/5", "Near/5", "nEaR/5"])
def test_near_in_any_case(op: str) -> None:
    root = parse_query(f'injoignable {op} "service client"').root
    assert isinstance(root, Near) and root.distance == 5
    assert root.right == t("service", "client")


def test_bare_near_in_lower_case_is_still_a_word() -> None:
    assert parse_query("near miss").root == And((t("near"), t("miss")))
    with pytest.raises(
        QuerySyntaxError, match="expected NEAR/n with a number of words, found 'near/x'"
    ):
        parse_query("a near/x b")


# ------------------------------------------------------------------ warnings
@pytest.mark.parametrize(
    ("query", "warnings"),
    [
        ("arnaque OR escroquerie", []),
        ("arnaque -concours", []),
        ('"arnaque ou escroquerie"', []),  # inside a phrase: meant
        ("rating:<=2,5 prix", []),  # a decimal comma
        ("prix 2,5", []),
        ("source:ET", []),  # a name, not a word of the text
        (
            "arnaque OU escroquerie",
            ["column 9: 'OU' is read as a word; for either word write OR"],
        ),
        (
            "arnaque ET plainte",
            [
                "column 9: 'ET' is read as a word; "
                "for both words write AND, or nothing (AND is implicit)"
            ],
        ),
        (
            "arnaque SAUF concours",
            ["column 9: 'SAUF' is read as a word; to exclude a word write NOT word (or -word)"],
        ),
        (
            "title:(arnaque ou escroquerie)",
            ["column 16: 'ou' is read as a word; for either word write OR"],
        ),
        (
            "arnaque, escroquerie, fraude",
            [
                "column 8: commas separate nothing: 'arnaque, escroquerie' means "
                "arnaque AND escroquerie; for either word write arnaque OR escroquerie"
            ],
        ),
        (
            "arnaque ,escroquerie",
            [
                "column 9: commas separate nothing: 'arnaque, escroquerie' means "
                "arnaque AND escroquerie; for either word write arnaque OR escroquerie"
            ],
        ),
        (
            "arnaque,escroquerie",
            [
                "column 8: commas separate nothing: 'arnaque,escroquerie' is the phrase "
                '"arnaque escroquerie"; for either word write arnaque OR escroquerie'
            ],
        ),
        (
            "lang:french",
            [
                "column 6: lang:french is never true; "
                "expected a language code such as lang:fr or lang:fr-CA"
            ],
        ),
        ("lang:fr_CA", []),
        # English operators not in capitals are words (before: no warning at all).
        (
            "carte and not concours",
            [
                "column 7: 'and' is read as a word (operators are written in capitals); "
                "for both words write AND, or nothing (AND is implicit)",
                "column 11: 'not' is read as a word (operators are written in capitals); "
                "to exclude a word write NOT word (or -word)",
            ],
        ),
        (
            "carte Or compte",
            [
                "column 7: 'Or' is read as a word (operators are written in capitals); "
                "for either word write OR"
            ],
        ),
        ('"lingot d or"', []),
    ],
)
def test_query_warnings(query: str, warnings: list[str]) -> None:
    parse_query(query)  # they all parse: warnings are not errors
    assert query_warnings(query) == warnings


def test_warnings_on_a_query_that_does_not_parse() -> None:
    assert query_warnings("(arnaque OU") == [
        "column 10: 'OU' is read as a word; for either word write OR"
    ]


# ------------------------------------------------------------------ field_values
def test_field_values_lists_brand_and_source_names_once_in_order() -> None:
    query = parse_query(
        '(brand:acme AND source:"forum conso") OR (brand:globex -source:news) '
        "OR brand:acme lang:fr rating:<=2"
    )
    assert field_values(query) == [
        ("brand", "acme"),
        ("source", "forum conso"),
        ("brand", "globex"),
        ("source", "news"),
    ]
    assert field_values(parse_query("arnaque")) == []


def test_field_values_shows_an_unquoted_two_word_brand() -> None:
    # The value stops at the space: the checker can say 'Crédit' is no brand.
    query = parse_query("brand:Crédit Agricole AND frais")
    assert field_values(query) == [("brand", "Crédit")]
    assert field_values(parse_query('brand:"Crédit Agricole" frais')) == [
        ("brand", "Crédit Agricole")
    ]


# ------------------------------------------------------------------ lang
@pytest.mark.parametrize(
    ("wanted", "lang", "expected"),
    [
        ("fr", "fr", True),
        ("fr", "fr-FR", True),
        ("fr", "fr_CA", True),
        ("fr", "FR", True),
        ("FR", "fr-fr", True),
        ("fr", " fr-FR ", True),
        ("fr", "fry", False),
        ("fr", "en-FR", False),
        ("fr", None, False),
        ("fr-CA", "fr-CA", True),
        ("fr-CA", "fr_ca", True),
        ("fr_CA", "FR-ca", True),
        ("fr-CA", "fr-CA-x-qc", True),
        ("fr-CA", "fr", False),
        ("fr-CA", "fr-FR", False),
        ("fr-CA", "fr-CAN", False),
    ],
)
def test_lang_matches_the_primary_subtag_or_the_exact_region(
    wanted: str, lang: str | None, expected: bool
) -> None:
    assert lang_matches(wanted, lang) is expected


@pytest.mark.parametrize(
    ("query", "lang", "expected"),
    [
        ("lang:fr", "fr-FR", True),  # WordPress's <language>fr-FR</language>
        ("lang:fr", "fr_CA", True),
        ("lang:fr", "FR", True),
        ("lang:fr", "en-GB", False),
        ("lang:fr-CA", "fr-CA", True),
        ("lang:fr-CA", "fr-FR", False),
        ("lang:fr-CA", "fr", False),
    ],
)
def test_lang_clause_on_items(query: str, lang: str, expected: bool) -> None:
    assert fires(query, "Acmé a refusé le remboursement", lang=lang) is expected


def test_lang_clause_with_a_detected_language() -> None:
    matcher = Matcher(
        [ACME], [RuleConfig(name="r", query="lang:fr")], detect_language=lambda _: "fr"
    )
    assert [m.rule for m in matcher.match(Item(guid="1", text="Acmé"), "src")] == ["r"]


# ------------------------------------------------------------------ config errors
def _config_errors(rule: str) -> str:
    from pathlib import Path

    from watchtower.config import parse_config
    from watchtower.errors import ConfigError

    text = f'[[brands]]\nname = "Banque Acmé"\nterms = ["Acmé"]\n\n[[rules]]\nname = "r"\n{rule}\n'
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("w.toml"))
    return str(info.value)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        # Before: accepted, and the rule silently never fired.
        (
            "brands = []",
            "w.toml:7: rules[0].brands: an empty list matches no brand: "
            "the rule would never fire; remove the key to match every brand",
        ),
        (
            "sources = []",
            "w.toml:7: rules[0].sources: an empty list matches no source: "
            "the rule would never fire; remove the key to match every source",
        ),
        (
            "query = 'rating:<= 2'",
            "w.toml:7: rules[0].query: column 8: expected a number right after "
            "'rating:<=' (no space), such as rating:<=2",
        ),
    ],
)
def test_rule_config_errors(rule: str, message: str) -> None:
    assert _config_errors(rule) == message
