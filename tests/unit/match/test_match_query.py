"""The query parser: one row per construct, and every error names its column."""

from __future__ import annotations

import time

import pytest

from watchtower.pipeline.match import Query, QuerySyntaxError, parse_query
from watchtower.pipeline.match.query import And, Meta, Near, Not, Or, Rating, Term, render


def t(*words: str, prefix: bool = False, field: str | None = None, source: str = "") -> Term:
    return Term(tuple(words), prefix, field, source or " ".join(words))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("acme", t("acme")),
        ("Acmé", t("acme", source="Acmé")),
        ("l'Acmé", t("acme", source="l'Acmé")),
        ('"service client"', t("service", "client", source="service client")),
        ("UFC-Que-Choisir", t("ufc", "que", "choisir", source="UFC-Que-Choisir")),
        ("acme.fr", t("acme", "fr", source="acme.fr")),
        ("rembours*", t("rembours", prefix=True, source="rembours*")),
        ('"service clien*"', t("service", "clien", prefix=True, source="service clien*")),
        (
            '"carte* bloqu*"',
            Term(("carte", "bloqu"), True, None, "carte* bloqu*", inner_prefixes=(0,)),
        ),
        (
            '"carte* bloquée"',
            Term(("carte", "bloquee"), False, None, "carte* bloquée", inner_prefixes=(0,)),
        ),
        ("a1 AND b2", And((t("a1"), t("b2")))),
        ("a1 b2", And((t("a1"), t("b2")))),
        ("a1 OR b2 c3", Or((t("a1"), And((t("b2"), t("c3")))))),
        ("(a1 OR b2) c3", And((Or((t("a1"), t("b2"))), t("c3")))),
        ("NOT a1", Not(t("a1"))),
        ("a1 NOT b2", And((t("a1"), Not(t("b2"))))),
        ("a1 NEAR/3 b2", Near(t("a1"), t("b2"), 3, "a1 NEAR/3 b2")),
        ("a1 NEAR/3 (b2 OR c3)", Near(t("a1"), Or((t("b2"), t("c3"))), 3, "a1 NEAR/3 (b2 OR c3)")),
        ("title:acme", t("acme", field="title")),
        ("text:(a1 OR b2)", Or((t("a1", field="text"), t("b2", field="text")))),
        ("title:(a1 text:b2)", And((t("a1", field="title"), t("b2", field="text")))),
        ("source:forum", Meta("source", "forum")),
        ('source:"Le Monde"', Meta("source", "Le Monde")),
        ("lang:fr", Meta("lang", "fr")),
        ("brand:acme", Meta("brand", "acme")),
        ("rating:<=2", Rating("<=", 2.0)),
        ("rating:>3.5", Rating(">", 3.5)),
        ("rating:4", Rating("=", 4.0)),
        ("and or", And((t("and"), t("or")))),  # lower-case words are terms
    ],
)
def test_constructs(query: str, expected: object) -> None:
    parsed = parse_query(query)
    assert isinstance(parsed, Query)
    assert parsed.root == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "column 1: empty query; expected a term"),
        ("   ", "column 1: empty query; expected a term"),
        (
            "(acme OR arnaque",
            "column 17: expected ')' to close the '(' at column 1, found the end of the query",
        ),
        ("acme)", "column 5: unbalanced ')': no '(' to close"),
        ("()", "column 2: expected a term inside '()', found ')'"),
        (
            "acme AND",
            "column 9: expected a term, a \"phrase\", '(' or a field such as title:, "
            "found the end of the query",
        ),
        (
            "OR acme",
            "column 1: expected a term, a \"phrase\", '(' or a field such as title:, found 'OR'",
        ),
        (
            "foo:bar",
            "column 1: unknown field 'foo:'; expected one of title:, text:, source:, "
            "lang:, brand:, rating:",
        ),
        ("title: acme", "column 8: expected a value right after 'title:' (no space), found 'acme'"),
        ("a NEAR/0 b", "column 3: NEAR/0: expected a distance between 1 and 1000 words"),
        ("a NEAR b", "column 3: expected NEAR/n with a number of words, found 'NEAR'"),
        ("a NEAR/2 b NEAR/2 c", "column 12: chained NEAR: use parentheses and AND"),
        (
            "(a AND b) NEAR/2 c",
            "column 1: NEAR needs a term, a phrase or an (… OR …) group on each side",
        ),
        ('"unclosed', "column 1: unclosed '\"': expected a closing quote"),
        ("re*", "column 1: a wildcard needs at least 3 letters before '*', in 're*'"),
        ("*bours", "column 1: '*' is only allowed at the end of a word, in '*bours'"),
        # A '*' may end any word of a phrase now, but still only the end of a word.
        (
            '"car*te bloquée"',
            "column 5: '*' is only allowed at the end of a word, in 'car*te bloquée'",
        ),
        (
            '"ca* bloqu*"',
            "column 2: a wildcard needs at least 3 letters before '*', in 'ca* bloqu*'",
        ),
        ("---", "column 1: '---' has no letters or digits; expected a term"),
        ("rating:bad", "column 8: expected a comparison such as rating:<=2, found 'bad'"),
        (
            "@nope",
            "column 1: unknown vocabulary '@nope'; expected one of @crisis_en, "
            "@crisis_en_service, @crisis_fr, @crisis_fr_service",
        ),
    ],
)
def test_errors_name_the_column(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A French keyboard's ≤ and ≥ (before: "expected a comparison").
        ("rating:≤2", Rating("<=", 2.0)),
        ("rating:≥4,5", Rating(">=", 4.5)),
        ("rating:<=2", Rating("<=", 2.0)),
    ],
)
def test_rating_operators(query: str, expected: Rating) -> None:
    assert parse_query(query).root == expected


def test_an_empty_vocabulary_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: IndexError from a pack with an empty list.
    monkeypatch.setattr("watchtower.packs.vocabularies", lambda: {"vide": ()})
    with pytest.raises(QuerySyntaxError) as info:
        parse_query("arnaque OR @vide")
    assert str(info.value) == "column 12: vocabulary '@vide' is empty; expected terms"


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        # Before: normalised ("carte bloquee") and vocabularies spelt out in full.
        ('"carte bloquée" OR « compte bloqué »', '("carte bloquée" OR "compte bloqué")'),
        ("procès-verbal NOT rembours*", "(procès-verbal AND NOT rembours*)"),
        ("@crisis_fr", "@crisis_fr"),
        ("title:@crisis_fr", "title:@crisis_fr"),
        ("title:(arnaque OR @crisis_fr)", "(title:arnaque OR title:@crisis_fr)"),
    ],
)
def test_render_shows_terms_as_written(query: str, shown: str) -> None:
    assert render(parse_query(query).root) == shown


def test_vocabulary_expands_to_its_terms() -> None:
    root = parse_query("@crisis_fr").root
    assert isinstance(root, Or)
    words = {c.words for c in root.children if isinstance(c, Term)}
    assert ("arnaque",) in words and ("mise", "en", "demeure") in words


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(QuerySyntaxError, match="nested more than 64 levels"):
        parse_query("(" * 500 + "a" + ")" * 500)
    with pytest.raises(QuerySyntaxError, match="nested more than 64 levels"):
        parse_query("NOT " * 500 + "a")


def test_ten_thousand_terms_parse() -> None:
    query = " OR ".join(f"mot{i}" for i in range(10_000))
    start = time.perf_counter()
    root = parse_query(query).root
    assert isinstance(root, Or) and len(root.children) == 10_000
    assert time.perf_counter() - start >= 0  # bounded by the test timeout, not asserted


def test_terms_lists_every_term_in_order() -> None:
    q = parse_query('a1 OR (b2 NEAR/2 "c3 d4") NOT e5x*')
    assert [x.source for x in q.terms()] == ["a1", "b2", "c3 d4", "e5x*"]
