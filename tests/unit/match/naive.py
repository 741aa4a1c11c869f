"""A naive reference evaluator: word lists and loops, no automaton, no cleverness.

The property test checks that the compiled :class:`Matcher` gives the same
answers on random queries and texts.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz.distance import DamerauLevenshtein

from watchtower.common_words import ordinary_words
from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item
from watchtower.pipeline.match.query import (
    And,
    Meta,
    Near,
    Node,
    Not,
    Or,
    Rating,
    Term,
    parse_query,
    parse_term,
)
from watchtower.pipeline.normalise import normalise, tokenize

Occurrence = tuple[str, int, int]  # field, first word, last word


def _words(item: Item) -> dict[str, list[str]]:
    return {
        "title": [t.text for t in tokenize(item.title)],
        "text": [t.text for t in tokenize(item.text)],
    }


def _letters(word: str) -> int:
    return sum(c.isalpha() for c in word)


#: Brand terms and exclusions: a first "le" ("les") also matches as "au"/"du" ("aux"/"des").
_CONTRACTED = {"le": ("le", "au", "du"), "les": ("les", "aux", "des")}


def occurrences(
    term: Term, words: dict[str, list[str]], fuzzy: int = 0, *, contract: bool = False
) -> list[Occurrence]:
    out = []
    n = len(term.words)
    firsts = (term.words[0],)
    if contract and n > 1 and 0 not in term.inner_prefixes:
        firsts = _CONTRACTED.get(term.words[0], firsts)
    for field, ws in words.items():
        if term.field and field != term.field:
            continue
        for i in range(len(ws) - n + 1):
            ok = all(
                ws[i + k] in firsts if k == 0 else ws[i + k] == term.words[k] for k in range(n - 1)
            )
            last, want = ws[i + n - 1], term.words[-1]
            ok = ok and (last.startswith(want) if term.prefix else last == want)
            if not ok and fuzzy and n == 1 and not term.prefix and _letters(want) >= 6:
                # A typo, not another word ("orage" is no "orange").
                ok = DamerauLevenshtein.distance(last, want) <= fuzzy
                ok = ok and last not in ordinary_words()
            if ok:
                out.append((field, i, i + n - 1))
    return out


def evaluate(node: Node, words: dict[str, list[str]], item: Item, source: str, brand: str) -> bool:
    if isinstance(node, Term):
        return bool(occurrences(node, words))
    if isinstance(node, And):
        return all(evaluate(c, words, item, source, brand) for c in node.children)
    if isinstance(node, Or):
        return any(evaluate(c, words, item, source, brand) for c in node.children)
    if isinstance(node, Not):
        return not evaluate(node.child, words, item, source, brand)
    if isinstance(node, Near):
        left, right = _positions(node.left, words), _positions(node.right, words)
        return any(
            f1 == f2 and (0 < b1 - a2 <= node.distance or 0 < a1 - b2 <= node.distance)
            for f1, a1, a2 in left
            for f2, b1, b2 in right
        )
    if isinstance(node, Rating):
        r = item.rating
        if r is None:
            return False
        return {
            "<": r < node.value,
            "<=": r <= node.value,
            ">": r > node.value,
            ">=": r >= node.value,
            "=": r == node.value,
        }[node.op]
    assert isinstance(node, Meta)
    value = normalise(node.value)
    if node.name == "brand":
        return value == normalise(brand)
    if node.name == "source":
        return value == normalise(source)
    if item.lang is None:
        return False
    # Language tags by subtags: "fr" is a prefix of "fr-FR"; case and "_" do not count.
    have = item.lang.strip().lower().replace("_", "-").split("-")
    want = node.value.strip().lower().replace("_", "-").split("-")
    return have[: len(want)] == want


def _positions(node: Node, words: dict[str, list[str]]) -> list[Occurrence]:
    if isinstance(node, Term):
        return occurrences(node, words)
    assert isinstance(node, Or)
    return [o for c in node.children for o in _positions(c, words)]


def naive_match(
    brands: Sequence[BrandConfig], rules: Sequence[RuleConfig], item: Item, source: str
) -> set[tuple[str, str | None]]:
    """(brand, rule) pairs that fire; ``rule=None`` for an unclaimed mention."""
    words = _words(item)
    fired: set[tuple[str, str | None]] = set()
    for brand in brands:
        excluded = [
            o for t in brand.exclude for o in occurrences(parse_term(t), words, contract=True)
        ]
        mentions = [
            o
            for t in brand.terms
            for o in occurrences(parse_term(t), words, brand.fuzzy, contract=True)
            if not any(f == o[0] and a <= o[2] and o[1] <= b for f, a, b in excluded)
        ]
        if not mentions:
            continue
        claimed = False
        for rule in rules:
            if rule.brands is not None and brand.name not in rule.brands:
                continue
            if rule.sources is not None and source not in rule.sources:
                continue
            if any(occurrences(parse_term(t), words, contract=True) for t in rule.exclude):
                continue
            if rule.query and not evaluate(
                parse_query(rule.query).root, words, item, source, brand.name
            ):
                continue
            fired.add((brand.name, rule.name))
            claimed = True
        if not claimed:
            fired.add((brand.name, None))
    return fired
