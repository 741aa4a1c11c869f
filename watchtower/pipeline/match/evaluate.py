"""Evaluating one item: its normalised form, lazily computed extras, and query trees.

:class:`ItemContext` holds what the matcher computes once per candidate item;
:class:`Evaluator` evaluates a query tree on it for one brand. Both are internal
to the ``match`` package.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from itertools import accumulate, pairwise, repeat
from operator import add

from watchtower.models import Hit, Item
from watchtower.pipeline.match.automaton import Automaton, Pattern, Spans
from watchtower.pipeline.match.query_tree import (
    And,
    Field,
    Meta,
    Near,
    Node,
    Not,
    Number,
    Or,
    Rating,
    Term,
    node_numbers,
    node_terms,
)
from watchtower.pipeline.normalise import SEPARATOR, normalise, word_spans

__all__ = [
    "MAX_HITS",
    "Evaluator",
    "ItemContext",
    "cheap_first",
    "lang_matches",
    "term_pattern",
]

MAX_HITS = 10  # occurrences reported per term: enough to explain, small enough to store
_LONG = 20_000  # characters: beyond this, word positions come from a table, not a count
# A number in the normalised text: digits, maybe followed by groups of three
# ("12 000" from "12 000", "12,000", "1.200", "12\u202f000"); a first group of
# four digits or more groups nothing ("2024 347" is a year and a number).
_NUMBER = re.compile(r"(?<= )(?:\d{1,3}(?: \d{3})+|\d+)(?= )")
# What may stand between the groups of one number in the original text.
_THOUSANDS = frozenset({" ", "\u00a0", "\u202f", "\u2009", ",", ".", "'", "\u2019"})


class ItemContext:
    """One item being matched: its normalised form, hits and lazily computed extras."""

    __slots__ = (
        "_detect",
        "_lang",
        "_lang_done",
        "_numbers",
        "_spaces",
        "_spans",
        "_text_first",
        "_unknown_lang",
        "fields",
        "item",
        "rule_hits",
        "source",
        "split",
        "text",
    )

    def __init__(
        self,
        item: Item,
        source: str,
        detect: Callable[[Item], str | None],
        fields: tuple[str, str],
        normalised: str,
        unknown_lang: str | None = None,
    ) -> None:
        self.item = item
        self.source = source
        self.fields = {"title": fields[0], "text": fields[1]}
        self.text = normalised
        self.split = self.text.index(SEPARATOR)  # spans starting before this are in the title
        self.rule_hits: Spans | None = None
        self._detect = detect
        self._lang: str | None = None
        self._lang_done = False
        # What ``lang:`` reads for an item whose language nobody can tell.
        self._unknown_lang = unknown_lang
        self._spans: dict[str, list[tuple[int, int]]] = {}
        self._spaces: list[int] | None = None
        self._text_first = 0
        self._numbers: list[tuple[int, int, int, int]] | None = None

    def field(self, start: int) -> str:
        return "title" if start < self.split else "text"

    def word_index(self, start: int) -> int:
        """Index, within its field, of the word starting at ``start + 1``."""
        if len(self.text) > _LONG:  # many hits in a long text: avoid counting from 0 each time
            if self._spaces is None:
                # Position + 1 of every space, from the lengths of the pieces between them.
                lengths = map(len, self.text.split(" ")[:-1])
                self._spaces = list(accumulate(map(add, lengths, repeat(1))))
                self._text_first = bisect_left(self._spaces, self.split + 2)
            index = bisect_left(self._spaces, start + 1)  # spaces before ``start``
            return index if start < self.split else index - self._text_first
        if start < self.split:
            return self.text.count(" ", 0, start)
        return self.text.count(" ", self.split + 1, start)

    def numbers(self) -> list[tuple[int, int, int, int]]:
        """``(start, end, words, value)`` of each number written in digits, spans
        like the automaton's; computed on first use (only ``#number`` asks)."""
        if self._numbers is None:
            self._numbers = []
            for m in _NUMBER.finditer(self.text):
                self._numbers += self._split(m.start() - 1, m.group().split(" "))
        return self._numbers

    def _split(self, start: int, groups: list[str]) -> list[tuple[int, int, int, int]]:
        """The numbers a run of digit groups at ``start`` is: one, unless the
        original text separates two groups by more than a thousands separator
        ("12, 347" and "27/110" are two numbers)."""
        cuts = [0]
        if len(groups) > 1:
            field = self.field(start)
            if field not in self._spans:
                self._spans[field] = word_spans(self.fields[field])
            spans, first = self._spans[field], self.word_index(start)
            for i in range(1, len(groups)):
                if first + i >= len(spans):  # cannot happen; keep the groups apart
                    cuts.append(i)
                    continue
                gap = self.fields[field][spans[first + i - 1][1] : spans[first + i][0]]
                if len(gap) != 1 or gap not in _THOUSANDS:
                    cuts.append(i)
        out = []
        cuts.append(len(groups))
        at = start
        for a, b in pairwise(cuts):
            part = groups[a:b]
            end = at + sum(map(len, part)) + len(part) + 1
            out.append((at, end, len(part), int("".join(part))))
            at = end - 1
        return out

    @property
    def lang(self) -> str | None:
        if not self._lang_done:
            self._lang = self.item.lang or self._detect(self.item)
            self._lang_done = True
        return self._lang

    @property
    def rule_lang(self) -> str | None:
        """The language ``lang:`` compares with: :attr:`lang`, or when neither the
        item nor detection can tell (a review of a few words), the configured
        language the matcher was given."""
        return self.lang or self._unknown_lang

    def hit(self, term: str, start: int, end: int, nwords: int, clause: str) -> Hit:
        """A :class:`Hit` with the surface form of the words at ``[start, end)``."""
        field = self.field(start)
        original = self.fields[field]
        if field not in self._spans:
            self._spans[field] = word_spans(original)
        spans = self._spans[field]
        first = self.word_index(start)
        last = min(first + nwords, len(spans)) - 1
        if first >= len(spans):  # cannot happen; never fail a match on it
            return Hit(term, "", field, 0, 0, clause)
        span_start, span_end = spans[first][0], spans[last][1]
        return Hit(term, original[span_start:span_end], field, span_start, span_end, clause)


class Evaluator:
    """Evaluates one query tree on one item's hits, for one brand."""

    def __init__(self, automaton: Automaton, ctx: ItemContext, brand_key: str) -> None:
        self.automaton = automaton
        self.ctx = ctx
        self.brand_key = brand_key  # the brand's normalised name, for brand:

    def spans(self, term: Term) -> list[tuple[int, int]]:
        memo = self.automaton.memo.get(id(term))
        if memo is not None and memo[0] is term:
            pid = memo[1]
        else:  # building and hashing the pattern costs more than the lookup of its hits
            pid = self.automaton.id(term_pattern(term))
            self.automaton.memo[id(term)] = (term, pid)
        spans = self.ctx.rule_hits.get(pid, {}) if self.ctx.rule_hits else {}
        if term.field is None:
            return list(spans.items())
        return [(s, e) for s, e in spans.items() if self.ctx.field(s) == term.field]

    def numbers(self, node: Number) -> list[tuple[int, int, int]]:
        """``(start, end, words)`` of each number of the item ``node`` accepts."""
        return [
            (start, end, words)
            for start, end, words, value in self.ctx.numbers()
            if node.accepts(value) and (node.field is None or self.ctx.field(start) == node.field)
        ]

    def positions(self, node: Node) -> list[tuple[str, int, int]]:
        """(field, first word, last word) of each occurrence of a positional node."""
        if isinstance(node, Term):
            out = []
            for start, _ in self.spans(node):
                first = self.ctx.word_index(start)
                out.append((self.ctx.field(start), first, first + len(node.words) - 1))
            return out
        if isinstance(node, Number):
            found = []
            for start, _, words in self.numbers(node):
                first = self.ctx.word_index(start)
                found.append((self.ctx.field(start), first, first + words - 1))
            return found
        if isinstance(node, Or):
            return [p for child in node.children for p in self.positions(child)]
        assert isinstance(node, Near)  # last: trees without a nested NEAR pay nothing
        return self.near_spans(node)

    def near_spans(self, node: Near) -> list[tuple[str, int, int]]:
        """(field, first word, last word) of each span where ``node`` is true: from
        the first word of one side to the last word of the other, for every pair
        of occurrences within ``node.distance`` words (:meth:`near`'s test). Only
        a NEAR inside a NEAR asks: the outer one measures from these spans."""
        left = self.positions(node.left)
        if not left:
            return []
        right = self.positions(node.right)
        n = node.distance
        found: set[tuple[str, int, int]] = set()
        for field in ("title", "text"):
            # Sorted by first word and by last word, to bisect each window.
            by_first = sorted((b, c) for f, b, c in right if f == field)
            if not by_first:
                continue
            by_last = sorted((c, b) for b, c in by_first)
            firsts = [b for b, _ in by_first]
            lasts = [c for c, _ in by_last]
            for f, a_first, a_last in left:
                if f != field:
                    continue
                # The right side after: it starts 1..n words after the left's end.
                i = bisect_left(firsts, a_last + 1)
                while i < len(firsts) and firsts[i] <= a_last + n:
                    found.add((field, a_first, max(a_last, by_first[i][1])))
                    i += 1
                # The right side before: it ends 1..n words before the left's start.
                j = bisect_left(lasts, a_first - n)
                while j < len(lasts) and lasts[j] <= a_first - 1:
                    found.add((field, min(a_first, by_last[j][1]), a_last))
                    j += 1
        return sorted(found)

    def eval(self, node: Node) -> bool:
        if isinstance(node, Term):
            return bool(self.spans(node))
        if isinstance(node, And):
            return all(self.eval(c) for c in node.children)
        if isinstance(node, Or):
            return any(self.eval(c) for c in node.children)
        if isinstance(node, Not):
            return not self.eval(node.child)
        if isinstance(node, Near):
            return self.near(node)
        if isinstance(node, Number):  # after the common nodes: ordinary trees pay nothing
            return bool(self.numbers(node))
        if isinstance(node, Rating):
            return _compare(self.ctx.item.rating, node)
        return self.meta(node)

    def near(self, node: Near) -> bool:
        """Some occurrence of the right side starts within ``distance`` words after one
        of the left side, or ends within ``distance`` words before it (bisect, not
        all pairs: a long text may hold thousands of each)."""
        left = self.positions(node.left)
        if not left:
            return False
        right = self.positions(node.right)
        n = node.distance
        for field in ("title", "text"):
            firsts = sorted(b for f, b, _ in right if f == field)
            lasts = sorted(b for f, _, b in right if f == field)
            if not firsts:
                continue
            for f, a_first, a_last in left:
                if f != field:
                    continue
                i = bisect_left(firsts, a_last + 1)
                if i < len(firsts) and firsts[i] <= a_last + n:
                    return True
                j = bisect_left(lasts, a_first - n)
                if j < len(lasts) and lasts[j] <= a_first - 1:
                    return True
        return False

    def meta(self, node: Meta) -> bool:
        if node.name == "lang":
            return lang_matches(node.value, self.ctx.rule_lang)
        value = normalise(node.value)
        if node.name == "brand":
            return value == self.brand_key
        return value == normalise(self.ctx.source)

    def explain(self, node: Node, clause: str = "") -> list[Hit]:
        """Hits of the terms that made a true query true (negated parts give none)."""
        if isinstance(node, Term):
            return [
                self.ctx.hit(
                    node.matched,
                    s,
                    e,
                    len(node.words),
                    clause or node.source,
                )
                for s, e in self.spans(node)[:MAX_HITS]
            ]
        if isinstance(node, Number):
            return self._number_hits(node, clause)
        if isinstance(node, Or) and node.vocabulary:
            clause = clause or node.vocabulary  # "@crisis_fr", not each of its terms
        if isinstance(node, And | Or):
            return [h for c in node.children if self.eval(c) for h in self.explain(c, clause)]
        if isinstance(node, Near):
            # A nested NEAR's hits are labelled with the outermost NEAR, as written.
            clause = clause or node.source
            return [*self.explain(node.left, clause), *self.explain(node.right, clause)]
        return []

    def found(self, node: Node, clause: str) -> list[Hit]:
        """Hits of every term of ``node`` in the item, whether it made ``node`` true or
        false (``concours`` in a false ``NOT concours``), labelled ``clause``."""
        out: list[Hit] = []
        seen: set[tuple[tuple[tuple[str, ...], bool, tuple[int, ...]], Field | None]] = set()
        for term in node_terms(node):
            if (term.key, term.field) in seen:
                continue
            seen.add((term.key, term.field))
            out += [
                self.ctx.hit(term.matched, s, e, len(term.words), clause)
                for s, e in self.spans(term)[:MAX_HITS]
            ]
        for number in dict.fromkeys(node_numbers(node)):
            out += self._number_hits(number, clause)
        return out

    def _number_hits(self, node: Number, clause: str) -> list[Hit]:
        return [
            self.ctx.hit(node.matched, s, e, words, clause or node.matched)
            for s, e, words in self.numbers(node)[:MAX_HITS]
        ]


def term_pattern(term: Term) -> Pattern:
    """The automaton pattern a query term is found by (its field is checked afterwards)."""
    return Pattern(term.words, term.prefix, inner_prefixes=term.inner_prefixes)


def _compare(rating: float | None, node: Rating) -> bool:
    if rating is None:
        return False
    return {
        "<": rating < node.value,
        "<=": rating <= node.value,
        ">": rating > node.value,
        ">=": rating >= node.value,
        "=": rating == node.value,
    }[node.op]


def _cost(node: Node) -> int:
    """Rough cost of evaluating ``node``: language detection is by far the dearest."""
    if isinstance(node, Meta):
        return 100 if node.name == "lang" else 1
    if isinstance(node, Not):
        return _cost(node.child)
    if isinstance(node, And | Or):
        return sum(_cost(c) for c in node.children)
    # A number is read from the text (once per item), not looked up in the scan's hits.
    return 3 if isinstance(node, Near) else 2 if isinstance(node, Number) else 1


def cheap_first(node: Node) -> Node:
    """The same tree with AND/OR children sorted by cost, so ``lang:`` runs last."""
    if isinstance(node, Not):
        return Not(cheap_first(node.child))
    if isinstance(node, And):
        return And(tuple(sorted((cheap_first(c) for c in node.children), key=_cost)))
    if isinstance(node, Or):
        children = tuple(sorted((cheap_first(c) for c in node.children), key=_cost))
        return Or(children, node.vocabulary)
    return node


def _lang_tag(code: str) -> str:
    return code.strip().replace("_", "-").lower()


def lang_matches(wanted: str, lang: str | None) -> bool:
    """``lang:wanted`` for an item in ``lang``: RFC 4647 basic filtering.

    Feeds say ``fr-FR`` (WordPress's default) as often as ``fr``, so ``fr``
    matches ``fr``, ``fr-FR``, ``fr_CA``, ``FR``; ``fr-CA`` matches ``fr-CA``
    only (and its own subtags, ``fr-CA-x-qc``). Case and ``_``/``-`` are ignored.
    """
    if lang is None:
        return False
    want, have = _lang_tag(wanted), _lang_tag(lang)
    return have == want or have.startswith(want + "-")
