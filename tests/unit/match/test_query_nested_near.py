"""Nested ``NEAR``: a side of ``NEAR/n`` may be a ``NEAR`` itself (or an ``OR`` of them).

``(rappelle NEAR/3 #number) NEAR/1 ans`` ties a number to both the verb and
its unit, which two ``NEAR``s joined by ``AND`` cannot (they may use two
different numbers). An inner ``NEAR`` occurs as the span from the first word of
one side to the last word of the other; the outer one measures from the span's
edges as between two words (distance 1: adjacent; never overlapping).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher, QuerySyntaxError, parse_query
from watchtower.pipeline.match.query import Near, Node, Number, Or, Term, render
from watchtower.pipeline.normalise import tokenize

ACME = BrandConfig(name="Acmé", terms=["Acmé"])


def t(word: str, field: str | None = None) -> Term:
    return Term((word,), False, field, word)  # type: ignore[arg-type]


def fires(query: str, text: str, title: str = "") -> bool:
    matcher = Matcher([ACME], [RuleConfig(name="r", query=query)])
    item = Item(guid="g", title=title, text=text)
    return any(m.rule == "r" for m in matcher.match(item, "src"))


# ------------------------------------------------------------------ parsing
def test_a_near_side_may_be_a_parenthesised_near() -> None:
    root = parse_query("(rappelle NEAR/1 #number) NEAR/1 ans").root
    assert root == Near(
        Near(t("rappelle"), Number(), 1, "rappelle NEAR/1 #number"),
        t("ans"),
        1,
        "(rappelle NEAR/1 #number) NEAR/1 ans",
    )
    right = parse_query("a1 NEAR/2 (b2 NEAR/3 c3)").root
    assert right == Near(t("a1"), Near(t("b2"), t("c3"), 3, "b2 NEAR/3 c3"), 2, right.source)  # type: ignore[union-attr]


def test_a_near_side_may_be_an_or_of_nears_and_terms() -> None:
    root = parse_query("((a1 NEAR/2 b2) OR c3) NEAR/4 d4").root
    assert isinstance(root, Near)
    assert root.left == Or((Near(t("a1"), t("b2"), 2, "a1 NEAR/2 b2"), t("c3")))


def test_nests_to_any_depth_and_scopes_every_term() -> None:
    root = parse_query("title:(a1 NEAR/2 (b2 NEAR/1 (c3 NEAR/1 d4)))").root
    assert isinstance(root, Near) and isinstance(root.right, Near)
    assert isinstance(root.right.right, Near)
    assert root.right.right.right == t("d4", "title")


@pytest.mark.parametrize(
    "query",
    [
        "(rappelle NEAR/1 #number) NEAR/1 ans",
        "a1 NEAR/2 (b2 NEAR/3 c3)",
        "((a1 NEAR/2 b2) NEAR/1 c3) NEAR/5 d4",
    ],
)
def test_render_writes_nested_nears_back_with_their_parentheses(query: str) -> None:
    root = parse_query(query).root
    assert render(root) == query


def test_render_of_an_or_of_nears_parses_back_to_the_same_tree() -> None:
    # NEAR binds tighter than OR: its own parentheses are not needed in a group.
    root = parse_query("((a1 NEAR/2 b2) OR c3) NEAR/4 d4").root
    assert render(root) == "(a1 NEAR/2 b2 OR c3) NEAR/4 d4"
    again = parse_query(render(root)).root
    assert isinstance(again, Near) and again.left == root.left  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "(a1 NEAR/2 -b2) NEAR/1 c3",
            "column 12: NEAR needs a term, a phrase, a (… NEAR/n …) or an (… OR …) group "
            "on each side, not NOT; write NOT outside: (a NEAR/3 b) NOT c, or NOT (a NEAR/3 b)",
        ),
        (
            "a1 NEAR/2 -b2",
            "column 11: NEAR needs a term, a phrase, a (… NEAR/n …) or an (… OR …) group "
            "on each side, not NOT; write NOT outside: (a NEAR/3 b) NOT c, or NOT (a NEAR/3 b)",
        ),
        (
            "a1 NEAR/2 (b2 OR NOT c3)",
            "column 11: NEAR needs a term, a phrase, a (… NEAR/n …) or an (… OR …) group "
            "on each side, not NOT; write NOT outside: (a NEAR/3 b) NOT c, or NOT (a NEAR/3 b)",
        ),
        (
            "(a1 NEAR/2 b2 NOT c3) NEAR/1 d4",
            "column 1: NEAR needs a term, a phrase or an (… OR …) group on each side",
        ),
        (
            "((a1 NEAR/2 b2) AND c3) NEAR/1 d4",
            "column 1: NEAR needs a term, a phrase or an (… OR …) group on each side",
        ),
        ("(a1 NEAR/2 b2) NEAR/1 c3 NEAR/1 d4", "column 26: chained NEAR: use parentheses and AND"),
    ],
)
def test_what_stays_unsupported_is_refused_with_the_fix(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert str(info.value) == message


# ------------------------------------------------------------------ evaluation
@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        # The number tied to the verb and to its unit.
        ("(rappelle NEAR/3 #number) NEAR/1 ans", "Acmé rappelle près de 100 ans d'histoire", True),
        ("(rappelle NEAR/3 #number) NEAR/1 ans", "Acmé rappelle 100 ans d'histoire", True),
        ("(rappelle NEAR/3 #number) NEAR/1 ans", "Acmé rappelle 347 trottinettes en 3 ans", False),
        # Two NEARs with AND accept two different numbers: the nested one does not.
        (
            "rappelle NEAR/3 #number AND #number NEAR/1 ans",
            "Acmé rappelle 347 vélos en 3 ans",
            True,
        ),
        # Measured from the span's edge: "ans" 2 words after "100" is NEAR/2, not NEAR/1.
        ("(rappelle NEAR/1 #number) NEAR/1 ans", "Acmé rappelle 100 belles ans", False),
        ("(rappelle NEAR/1 #number) NEAR/2 ans", "Acmé rappelle 100 belles ans", True),
        # Either order at each level, and the outer side before the span.
        ("(rappelle NEAR/1 #number) NEAR/1 ans", "Acmé : ans 100 rappelle", True),
        ("(rappelle NEAR/1 #number) NEAR/2 ans", "Acmé : ans x rappelle 100", True),
        ("(rappelle NEAR/1 #number) NEAR/1 ans", "Acmé : ans x rappelle 100", False),
        # A word inside the span is not near it: a word is never near itself.
        ("(a1 NEAR/3 c3) NEAR/1 b2", "Acmé a1 b2 c3", False),
        ("(a1 NEAR/3 c3) NEAR/1 b2", "Acmé a1 b2 c3 b2", True),
        ("(a1 NEAR/1 b2) NEAR/1 b2", "Acmé a1 b2", False),
        ("(a1 NEAR/1 b2) NEAR/1 b2", "Acmé b2 a1 b2", True),
        # Phrases: the span runs to the phrase's last word.
        ('(a1 NEAR/1 "b2 c3") NEAR/1 d4', "Acmé a1 b2 c3 d4", True),
        ('(a1 NEAR/1 "b2 c3") NEAR/1 d4', "Acmé a1 b2 c3 x d4", False),
        # Grouping matters: the outer distance is measured from the inner pair.
        ("(a1 NEAR/2 b2) NEAR/2 c3", "Acmé b2 x a1 x c3", True),
        ("a1 NEAR/2 (b2 NEAR/2 c3)", "Acmé b2 x a1 x c3", False),
        # An OR of a NEAR and a term as a side.
        ("((a1 NEAR/1 b2) OR z9) NEAR/1 c3", "Acmé a1 b2 c3", True),
        ("((a1 NEAR/1 b2) OR z9) NEAR/1 c3", "Acmé z9 c3", True),
        ("((a1 NEAR/1 b2) OR z9) NEAR/1 c3", "Acmé a1 x b2 c3", False),
        # Three levels.
        ("((a1 NEAR/1 b2) NEAR/1 c3) NEAR/1 d4", "Acmé a1 b2 c3 d4", True),
        ("((a1 NEAR/1 b2) NEAR/1 c3) NEAR/1 d4", "Acmé a1 b2 c3 x d4", False),
    ],
)
def test_nested_near(query: str, text: str, expected: bool) -> None:
    assert fires(query, text) is expected


def test_a_nested_near_stays_in_one_field() -> None:
    query = "(a1 NEAR/1 b2) NEAR/1 c3"
    assert not fires(query, "c3 Acmé", title="a1 b2")
    assert fires(query, "Acmé", title="a1 b2 c3")
    assert not fires("title:((a1 NEAR/1 b2) NEAR/1 c3)", "Acmé a1 b2 c3")


def test_hits_name_the_outermost_near_as_written() -> None:
    query = "(rappelle NEAR/3 #number) NEAR/1 ans"
    matcher = Matcher([ACME], [RuleConfig(name="r", query=query)])
    (mention,) = matcher.match(Item(guid="g", title="", text="Acmé rappelle 100 ans"), "src")
    clauses = {h.term: h.clause for h in mention.hits if h.term != "acme"}
    assert clauses == {"rappelle": query, "#number": query, "ans": query}


def test_many_occurrences_stay_fast() -> None:
    # 2,000 words of one term: every pair within the distance is a span.
    text = "Acmé " + "a1 " * 2000
    assert fires("(a1 NEAR/50 a1) NEAR/50 a1", text)
    assert not fires("(a1 NEAR/50 a1) NEAR/50 b2", text)


# ------------------------------------------------------------------ property
WORDS = ["a1", "b2", "c3", "d4"]
Span = tuple[str, int, int]


def naive_spans(node: Node, fields: dict[str, list[str]]) -> set[Span]:
    """Every (field, first, last) where ``node`` occurs, by brute force over pairs."""
    if isinstance(node, Term):
        return {
            (f, i, i) for f, ws in fields.items() for i, w in enumerate(ws) if w == node.words[0]
        }
    if isinstance(node, Or):
        return set().union(*(naive_spans(c, fields) for c in node.children))
    assert isinstance(node, Near)
    out = set()
    for f1, a1, a2 in naive_spans(node.left, fields):
        for f2, b1, b2 in naive_spans(node.right, fields):
            if f1 == f2 and (0 < b1 - a2 <= node.distance or 0 < a1 - b2 <= node.distance):
                out.add((f1, min(a1, b1), max(a2, b2)))
    return out


@st.composite
def near_queries(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["word", "near", "or"] if depth < 3 else ["word"]))
    if kind == "word":
        return draw(st.sampled_from(WORDS))
    if kind == "or":
        return f"({draw(near_queries(depth + 1))} OR {draw(near_queries(depth + 1))})"
    left, right = draw(near_queries(depth + 1)), draw(near_queries(depth + 1))
    return f"({left} NEAR/{draw(st.integers(1, 4))} {right})"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    query=near_queries(),
    title=st.lists(st.sampled_from(WORDS), max_size=6),
    text=st.lists(st.sampled_from(WORDS), max_size=14),
)
def test_nested_near_agrees_with_naive_spans(query: str, title: list[str], text: list[str]) -> None:
    root = parse_query(query).root
    item_text = "Acmé " + " ".join(text)
    fields = {
        "title": [w.text for w in tokenize(" ".join(title))],
        "text": [w.text for w in tokenize(item_text)],
    }
    expected = bool(naive_spans(root, fields))
    assert fires(query, item_text, title=" ".join(title)) is expected, (query, title, text)


@pytest.mark.parametrize(
    "query",
    [
        "(a NEAR/51 b) NEAR/2 c",
        "(a NEAR/2 b) NEAR/51 c",
        "c NEAR/2 (x OR (a NEAR/900 b))",
        "((a NEAR/2 b) NEAR/60 c) NEAR/1 d",
    ],
)
def test_a_nesting_allows_fifty_words_at_most(query: str) -> None:
    # A feed's long, repetitive text would make a wide nested NEAR cost seconds.
    with pytest.raises(QuerySyntaxError, match="at most 50 words"):
        parse_query(query)


def test_a_near_alone_and_a_nesting_at_fifty_are_allowed() -> None:
    assert isinstance(parse_query("a NEAR/1000 b").root, Near)
    assert isinstance(parse_query("(a NEAR/50 b) NEAR/50 c").root, Near)
