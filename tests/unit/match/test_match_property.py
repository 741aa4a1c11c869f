"""Property: the compiled matcher answers like the naive evaluator (tests/unit/match/naive.py)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.match.naive import naive_match
from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher

VOCAB = [
    "orange",
    "orage",
    "ornage",
    "le",
    "du",
    "Figaro",
    "madame",
    "acme",
    "Acmé",
    "arnaque",
    "rembourse",
    "remboursement",
    "client",
    "service",
    "plainte",
    "mutualis",
    "mutualiss",
    "corp",
    "globex",
    "scandale",
    "l'acme",
    "d’Acmé",
    "qu'il",
    "avocat",
    "ACME",
    "Globex",
]
SEPARATORS = [" ", "  ", ", ", ". ", " - ", "-", "\n", " — ", "… ", " (", ") ", "'"]
QUERY_TERMS = [
    "acme",
    "arnaque",
    "rembours*",
    "client",
    '"service client"',
    "plainte",
    "scandale",
    "avocat*",
    '"acme corp"',
    "mutualis",
    "globex",
    "l'acme",
]


@st.composite
def texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(VOCAB), max_size=14))
    out = ""
    for word in words:
        out += word + draw(st.sampled_from(SEPARATORS))
    return out


@st.composite
def queries(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(
        st.sampled_from(
            ["term", "term", "and", "or", "not", "minus", "near", "field", "meta", "rating"]
            if depth < 3
            else ["term", "meta"]
        )
    )
    if kind == "term":
        return draw(st.sampled_from(QUERY_TERMS))
    if kind in ("and", "or"):
        parts = draw(st.lists(queries(depth + 1), min_size=2, max_size=3))
        glue = draw(st.sampled_from([" AND ", " "])) if kind == "and" else " OR "
        return "(" + glue.join(parts) + ")"
    if kind == "not":
        return "NOT " + draw(queries(depth + 1))
    if kind == "minus":  # Google's -word, glued to a term or a group
        return "-" + draw(st.sampled_from([*QUERY_TERMS, "(client OR plainte)"]))
    if kind == "near":
        left = draw(st.sampled_from(QUERY_TERMS))
        right = draw(st.sampled_from([*QUERY_TERMS, "(client OR plainte)"]))
        return f"({left} NEAR/{draw(st.integers(1, 4))} {right})"
    if kind == "field":
        return draw(st.sampled_from(["title:", "text:"])) + draw(st.sampled_from(QUERY_TERMS))
    if kind == "meta":
        return draw(
            st.sampled_from(
                ["lang:fr", "lang:en", "lang:fr-CA", "source:forum", "brand:acme", "brand:globex"]
            )
        )
    return draw(st.sampled_from(["rating:<=2", "rating:>3", "rating:=5"]))


BRANDS = [
    BrandConfig(name="Acme", terms=["Acmé", "acme.fr"], exclude=["acme corp"]),
    BrandConfig(name="Globex", terms=["globex"], exclude=["globex scandale*"]),
    BrandConfig(name="Mutualis", terms=["Mutualis"], fuzzy=1),
    BrandConfig(name="Orange", terms=["Orange"], fuzzy=1),  # "orage" is a word, no typo
    BrandConfig(name="Figaro", terms=["Le Figaro"], exclude=["le figaro madame"]),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=texts(),
    text=texts(),
    query=queries(),
    rating=st.sampled_from([None, 1.0, 4.0, 5.0]),
    lang=st.sampled_from(["fr", "en", "fr-FR", "fr_CA", "EN"]),
    source=st.sampled_from(["forum", "news"]),
    exclude=st.sampled_from([[], ["plainte"], ["rembours*"], ["le figaro"]]),
)
def test_compiled_matcher_agrees_with_naive_evaluator(
    title: str,
    text: str,
    query: str,
    rating: float | None,
    lang: str,
    source: str,
    exclude: list[str],
) -> None:
    rules = [
        RuleConfig(name="q", query=query, exclude=exclude),
        RuleConfig(name="only-globex", brands=["Globex"], sources=["news"]),
    ]
    item = Item(guid="g", title=title, text=text, rating=rating, lang=lang)
    matcher = Matcher(BRANDS, rules)
    got = {(m.brand, m.rule) for m in matcher.match(item, source)}
    assert got == naive_match(BRANDS, rules, item, source), query
