"""A pasted dash before a word is a NOT, like ``-``: a query copied from a word
processor, a PDF or a web page carries a minus sign (U+2212), an en dash
(U+2013) or a Unicode hyphen instead of the ASCII one, and read as a word it
turned ``arnaque –concours`` into ``arnaque AND concours``. Inside a word or
between spaced words a dash still separates words; an em dash before a word is
not read as NOT but warned about."""

from __future__ import annotations

import pytest

from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.match.query import Not, Term, parse_query
from watchtower.pipeline.match.query_lint import query_warnings

ACME = BrandConfig(name="Acmé", terms=["Acmé"])


def fires(query: str, text: str) -> bool:
    matcher = Matcher([ACME], [RuleConfig(name="r", query=query)])
    return any(m.rule == "r" for m in matcher.match(Item(guid="1", text=text), "src"))


DASHES = {
    "minus-sign": "\u2212",
    "en-dash": "\u2013",
    "hyphen": "\u2010",
    "non-breaking-hyphen": "\u2011",
    "full-width": "\uff0d",
    "ascii": "-",
}


@pytest.mark.parametrize("dash", DASHES.values(), ids=DASHES.keys())
def test_a_dash_glued_to_a_word_excludes_it(dash: str) -> None:
    query = f"arnaque {dash}concours"
    assert fires(query, "Acmé : encore une arnaque")
    assert not fires(query, "Acmé : grand concours, attention arnaque")
    assert query_warnings(query) == []


@pytest.mark.parametrize("dash", ["\u2212", "\u2013"])
def test_a_dash_before_a_group_or_a_phrase_excludes_it(dash: str) -> None:
    assert parse_query(f"a {dash}(b OR c)").root == parse_query("a -(b OR c)").root
    assert parse_query(f'a {dash}"jeu gratuit"').root == parse_query('a -"jeu gratuit"').root


@pytest.mark.parametrize(
    "query", ["Saint\u2013Gobain", '"Saint \u2013Gobain"', "procès\u2212verbal"]
)
def test_a_dash_inside_a_word_or_a_phrase_separates_words(query: str) -> None:
    assert not any(isinstance(node, Not) for node in _walk(parse_query(query).root))


def test_an_em_dash_is_warned_about() -> None:
    query = "arnaque \u2014concours"
    assert parse_query(query).root.children[1] == Term(  # type: ignore[union-attr]
        ("concours",), source="\u2014concours"
    )
    assert query_warnings(query) == [
        "column 9: '\u2014concours' is read as the word 'concours' (the em dash is not "
        "read as a minus); to exclude it write -concours (or NOT concours)"
    ]


def _walk(node: object) -> list[object]:
    children = getattr(node, "children", ())
    return [node, *(n for c in children for n in _walk(c))]
