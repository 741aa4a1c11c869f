"""The matcher: brands and rules compiled once, evaluated per item.

Per item (see ``docs/queries.md`` for the semantics):

1. title and text are normalised once into ``" title words \x02 text words "``;
2. the *brand* automaton (brand terms, their fuzzy variants and brand
   exclusions) scans it; no brand term → the item is done. This is the path
   almost every item takes, so it is one C scan plus the normalisation;
3. otherwise the *rule* automaton (query terms and rule exclusions) scans it
   once, and each rule's tree is evaluated on those hits — never a regex, never
   a pass per term;
4. only for what fired are the original spans computed
   (:func:`~watchtower.pipeline.normalise.tokenize`), to show the surface form.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING

from watchtower.models import Hit, Item, Match
from watchtower.pipeline.match.automaton import Automaton, Pattern, Spans
from watchtower.pipeline.match.case import same_case
from watchtower.pipeline.match.evaluate import (
    MAX_HITS,
    Evaluator,
    ItemContext,
    cheap_first,
    term_pattern,
)
from watchtower.pipeline.match.exclusions import (
    EXCLUSION,
    Stopped,
    stopped_hits,
    typo_exclusions,
)
from watchtower.pipeline.match.query import parse_query
from watchtower.pipeline.match.query_terms import parse_term
from watchtower.pipeline.match.query_tree import And, Node, Or, Query, QuerySyntaxError, render
from watchtower.pipeline.normalise import SEPARATOR, normalise, normalise_quick, normalise_term

if TYPE_CHECKING:
    from watchtower.adapters.base import SourceSettings
    from watchtower.config import BrandConfig, RuleConfig

__all__ = ["EXCLUSION", "Matcher", "Stopped", "Trace"]


@dataclass(frozen=True)
class Trace:
    """Why a rule did or did not fire for a brand mention (for ``test-rule``).

    ``clauses``: each top-level clause of the query as text, and its value;
    ``stopped``: the brand hits a brand exclusion stopped, and which (the
    exclusions are among ``hits``).
    """

    brand: str
    rule: str | None
    fired: bool
    reason: str
    hits: tuple[Hit, ...] = ()
    clauses: tuple[tuple[str, bool], ...] = field(default=())
    stopped: tuple[Stopped, ...] = ()


def _patterns(texts: Sequence[str], fuzzy: int = 0, keep_words: bool = False) -> list[Pattern]:
    """Brand terms and exclusions as patterns (``acme*``, ``"carte* bloqu*"`` allowed,
    like in queries; ``fuzzy`` applies to single words only, see :class:`Pattern`,
    and ``keep_words`` keeps its typo variants that are everyday words;
    a leading ``le``/``les`` also matches its contracted forms ``au``/``du``,
    ``aux``/``des``: "un article du Figaro" names ``Le Figaro``).

    A term the query syntax rejects (no letters, ``*`` inside a word) is matched
    as plain words, or skipped when it has none: a brand must never stop the daemon.
    """
    out = []
    for text in texts:
        try:
            term = parse_term(text)
        except QuerySyntaxError:
            words = normalise_term(text.replace("*", " "))
            if words:
                out.append(Pattern(words, False, fuzzy, contractions=True, keep_words=keep_words))
            continue
        out.append(Pattern(term.words, term.prefix, fuzzy, term.inner_prefixes, True, keep_words))
    return out


def _terms(brand: BrandConfig) -> list[Pattern]:
    """``brand``'s ``terms`` as patterns, with its ``fuzzy`` and ``allow_everyday_words``."""
    return _patterns(brand.terms, brand.fuzzy, brand.allow_everyday_words)


def _cased(brand: BrandConfig, automaton: Automaton) -> dict[int, tuple[str, ...]]:
    """``brand``'s ``match_case`` terms as (pattern id, the ways it is written:
    ``BA`` and ``Ba`` are one pattern), leaving out a pattern its ``terms``
    already match in any case."""
    plain = {automaton.id(p) for p in _terms(brand)}
    cased: dict[int, tuple[str, ...]] = {}
    for text in brand.match_case:
        for pattern in _patterns([text]):
            pid = automaton.id(pattern)
            if pid not in plain:
                cased[pid] = (*cased.get(pid, ()), text)
    return cased


@dataclass(frozen=True)
class _Brand:
    name: str
    key: str  # normalised name, for brand:
    terms: tuple[int, ...]
    exclude: tuple[int, ...]
    # ``match_case`` terms: pattern id → the ways it is written (whose case a hit
    # must have), built once; for the patterns not also among ``terms`` (those: any case).
    cased: dict[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Rule:
    name: str
    brands: frozenset[str] | None
    sources: frozenset[str] | None
    query: Query | None
    exclude: tuple[int, ...]
    root: Node  # the query's tree, cheapest tests first


class Matcher:
    """Brands and rules compiled once per configuration.

    ``detect_language`` is called (once per item, only when a ``lang:`` clause
    has to be evaluated and the item has no ``lang``). ``language``
    (``[watchtower] language``) is the language ``lang:`` reads for an item
    whose language is neither declared nor detected ("Nul. Injoignable." is
    too short to tell): a team's short reviews are mostly in its own language,
    and a ``lang:fr`` rule should not miss them. ``None``: such an item
    matches no ``lang:`` clause.
    """

    def __init__(
        self,
        brands: Sequence[BrandConfig],
        rules: Sequence[RuleConfig],
        *,
        sources: Sequence[SourceSettings] = (),
        detect_language: Callable[[Item], str | None] | None = None,
        language: str | None = None,
    ) -> None:
        if detect_language is None:
            from watchtower.lang import detect_item

            detect_language = detect_item
        self._detect = detect_language
        self._language = language
        brand_patterns: list[Pattern] = []
        for b in brands:
            brand_patterns += _terms(b) + _patterns(b.exclude)
            brand_patterns += _patterns(b.match_case)
        self._brand_automaton = Automaton(brand_patterns, prefilter=True)
        ba = self._brand_automaton
        self._brands = [
            _Brand(
                b.name,
                normalise(b.name),
                tuple(dict.fromkeys(ba.id(p) for p in _terms(b))),
                tuple(ba.id(p) for p in _patterns(b.exclude)),
                _cased(b, ba),
            )
            for b in brands
        ]
        # A source's ``brands``: every item it gives is about them, named or not.
        index_of = {b.name: i for i, b in enumerate(self._brands)}
        self._implied = {
            s.name: tuple(index_of[name] for name in s.brands if name in index_of)
            for s in sources
            if s.brands
        }
        self._brands_of: dict[int, list[int]] = {}
        for index, brand in enumerate(self._brands):
            for pid in (*brand.terms, *brand.cased):
                self._brands_of.setdefault(pid, []).append(index)
        # Every rule's terms and exclusions in one automaton, scanned once per candidate.
        queries = [parse_query(r.query) if r.query else None for r in rules]
        rule_patterns: list[Pattern] = []
        for query, config in zip(queries, rules, strict=True):
            if query is not None:
                rule_patterns += [term_pattern(t) for t in query.terms()]
            rule_patterns += _patterns(config.exclude)
        self._rule_automaton = ra = Automaton(rule_patterns)
        self._rules = [
            _Rule(
                r.name,
                frozenset(r.brands) if r.brands is not None else None,
                frozenset(r.sources) if r.sources is not None else None,
                query,
                tuple(ra.id(p) for p in _patterns(r.exclude)),
                cheap_first(query.root) if query else And(()),
            )
            for r, query in zip(rules, queries, strict=True)
        ]

    def match(self, item: Item, source: str) -> list[Match]:
        """Every (brand, rule) that fires for ``item`` read from ``source``."""
        out: list[Match] = []
        for brand, hits, ctx in self._mentions(item, source):
            claimed = False
            for rule in self._rules:
                fired, _ = self._rule_fires(rule, brand, ctx)
                if fired is not None:
                    out.append(Match(brand.name, rule.name, (*hits, *fired)))
                    claimed = True
            if not claimed:
                out.append(Match(brand.name, None, tuple(hits)))
        return out

    def trace(self, item: Item, source: str) -> list[Trace]:
        """Like :meth:`match`, but says for every brand mention why each rule fired or not."""
        out: list[Trace] = []
        for brand, hits, ctx in self._mentions(item, source, keep_excluded=True):
            exclusions: tuple[Hit, ...] = ()
            stopped: tuple[Stopped, ...] = ()
            if brand.exclude:
                exclusions, stopped = stopped_hits(
                    self._brand_automaton, ctx, brand.terms, brand.exclude, brand.cased
                )
            if not hits:
                reason = "every mention is inside a brand exclusion"
                out.append(Trace(brand.name, None, False, reason, exclusions, stopped=stopped))
                continue
            # With some mentions left, the exclusions that stopped the others.
            exclusions = tuple(dict.fromkeys(s.exclusion for s in stopped))
            for rule in self._rules:
                fired, reason = self._rule_fires(rule, brand, ctx)
                clauses: tuple[tuple[str, bool], ...] = ()
                found: list[Hit] = []
                if rule.query is not None and ctx.rule_hits is not None:
                    evaluator = Evaluator(self._rule_automaton, ctx, brand.key)
                    root = rule.query.root
                    parts = (
                        root.children
                        if isinstance(root, And | Or)
                        and not (isinstance(root, Or) and root.vocabulary)
                        else (root,)
                    )
                    rendered = [render(c) for c in parts]
                    clauses = tuple(
                        (text, evaluator.eval(c)) for text, c in zip(rendered, parts, strict=True)
                    )
                    if fired is None:  # the words it found anyway: "concours" in NOT concours
                        found = [
                            h
                            for text, c in zip(rendered, parts, strict=True)
                            for h in evaluator.found(c, text)
                        ]
                out.append(
                    Trace(
                        brand.name,
                        rule.name,
                        fired is not None,
                        reason,
                        (*hits, *exclusions, *(fired or found)),
                        clauses,
                        stopped,
                    )
                )
        return out

    def _mentions(
        self, item: Item, source: str, *, keep_excluded: bool = False
    ) -> list[tuple[_Brand, list[Hit], ItemContext]]:
        """The brands mentioned in ``item`` with their hits (after brand exclusions)."""
        title, text = item.title, item.text
        if SEPARATOR in title or SEPARATOR in text:  # the same length, so spans still hold
            title, text = title.replace(SEPARATOR, " "), text.replace(SEPARATOR, " ")
        # Both fields at once: " title words \x02 text words ".
        joined = f"{title} {SEPARATOR} {text}"
        implied = self._implied.get(source, ())
        if not implied and not self._brand_automaton.maybe(normalise_quick(joined)):
            return []  # the path of almost every item
        ctx = ItemContext(
            item, source, self._detect, (title, text), normalise(joined), self._language
        )
        found = self._brand_automaton.scan(ctx.text)
        # Only the brands whose terms were found: a loop over all of them would
        # cost more than the scan with thousands of brands.
        candidates = sorted({b for pid in found for b in self._brands_of.get(pid, ())})
        out = []
        for index in candidates:
            brand = self._brands[index]
            hits = self._brand_hits(brand, found, ctx)
            if hits or keep_excluded:
                out.append((brand, hits, ctx))
        named = {brand.name for brand, hits, _ in out if hits}
        for index in implied:
            brand = self._brands[index]
            if brand.name not in named:  # about it by its source, not by its words
                out = [entry for entry in out if entry[0].name != brand.name]
                out.append((brand, [Hit(brand.name, "", "title", 0, 0, "source")], ctx))
        return out

    def _brand_hits(self, brand: _Brand, found: Spans, ctx: ItemContext) -> list[Hit]:
        patterns = self._brand_automaton.patterns
        # A hit is excluded when it overlaps an excluded span ("notre banque : Acme
        # Corporation" must not match the phrase "Banque Acmé"), compared in the
        # original text: a hashtag's parts come before it in the normalised text
        # (" mc donald mcdonald "), so an exclusion "McDonald" covers "#McDonald"'s
        # "donald" only there. Among the spans starting before the hit ends, does
        # the furthest end reach past its start?
        excluded = sorted(
            self._offsets(ctx.hit(patterns[pid].term, start, end, len(patterns[pid].words), ""))
            for pid in brand.exclude
            for start, end in found.get(pid, {}).items()
        )
        starts = [start for start, _ in excluded]
        reach = list(accumulate((end for _, end in excluded), max))
        hits = []
        cased = brand.cased
        typo_excluded = (
            typo_exclusions(self._brand_automaton, brand.terms, brand.exclude, found, ctx.text)
            if brand.exclude
            else {}
        )
        for pid in (*brand.terms, *cased):
            pattern = patterns[pid]
            kept = 0
            for start, end in found.get(pid, {}).items():
                hit = ctx.hit(pattern.term, start, end, len(pattern.words), "brand")
                if pid in cased and not any(same_case(w, hit.surface) for w in cased[pid]):
                    continue  # "BA" in match_case: not the "ba" of "b.a.-ba"
                if excluded:
                    hit_start, hit_end = self._offsets(hit)
                    i = bisect_left(starts, hit_end) - 1
                    if i >= 0 and reach[i] > hit_start:
                        continue
                if (pid, start) in typo_excluded:
                    continue
                hits.append(hit)
                kept += 1
                if kept == MAX_HITS:
                    break
        return hits

    @staticmethod
    def _offsets(hit: Hit) -> tuple[int, int]:
        """A hit's span in title + text, the text after the title (for overlaps)."""
        shift = 0 if hit.field == "title" else 1 << 40
        return hit.start + shift, hit.end + shift

    def _rule_fires(
        self, rule: _Rule, brand: _Brand, ctx: ItemContext
    ) -> tuple[list[Hit] | None, str]:
        """The query hits when ``rule`` fires for ``brand`` (else ``None``), and why."""
        if rule.brands is not None and brand.name not in rule.brands:
            return None, f"brand {brand.name!r} is not in the rule's brands"
        if rule.sources is not None and ctx.source not in rule.sources:
            return None, f"source {ctx.source!r} is not in the rule's sources"
        if rule.query is None and not rule.exclude:
            return [], "no query: every mention"
        if ctx.rule_hits is None:
            ctx.rule_hits = self._rule_automaton.scan(ctx.text)
        for pid in rule.exclude:
            if pid in ctx.rule_hits:
                term = self._rule_automaton.patterns[pid].term
                return None, f"excluded by the rule's exclude term {term!r}"
        if rule.query is None:
            return [], "no query: every mention"
        evaluator = Evaluator(self._rule_automaton, ctx, brand.key)
        if not evaluator.eval(rule.root):
            return None, "the query is false"
        return evaluator.explain(rule.root), "the query is true"
