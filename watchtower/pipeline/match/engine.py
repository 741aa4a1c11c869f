"""Matcher v0: word-sequence matching of brand terms and rule queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchtower.models import Hit, Item, Match
from watchtower.pipeline.match.query import Query, parse_query
from watchtower.pipeline.normalise import Token, normalise_term, tokenize

if TYPE_CHECKING:
    from watchtower.config import BrandConfig, RuleConfig


def _find(terms: Sequence[tuple[str, ...]], tokens: list[Token], text: str, field: str
          ) -> list[Hit]:
    hits = []
    words = [t.text for t in tokens]
    for term in terms:
        n = len(term)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == term:
                start, end = tokens[i].start, tokens[i + n - 1].end
                hits.append(Hit(" ".join(term), text[start:end], field, start, end))
    return hits


@dataclass(frozen=True)
class _Brand:
    name: str
    terms: tuple[tuple[str, ...], ...]
    exclude: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Rule:
    name: str
    brands: frozenset[str] | None
    sources: frozenset[str] | None
    query: Query | None
    exclude: tuple[tuple[str, ...], ...]


class Matcher:
    """Brands and rules compiled once per configuration."""

    def __init__(self, brands: Sequence[BrandConfig], rules: Sequence[RuleConfig]) -> None:
        self._brands = [
            _Brand(b.name, _terms(b.terms), _terms(b.exclude)) for b in brands
        ]
        self._rules = [
            _Rule(
                r.name,
                frozenset(r.brands) if r.brands is not None else None,
                frozenset(r.sources) if r.sources is not None else None,
                parse_query(r.query) if r.query else None,
                _terms(r.exclude),
            )
            for r in rules
        ]

    def match(self, item: Item, source: str) -> list[Match]:
        """Every (brand, rule) that fires for ``item`` read from ``source``."""
        fields = [("title", item.title, tokenize(item.title)), ("text", item.text,
                                                                  tokenize(item.text))]

        def find(terms: Sequence[tuple[str, ...]]) -> list[Hit]:
            return [h for f, text, toks in fields for h in _find(terms, toks, text, f)]

        out: list[Match] = []
        for brand in self._brands:
            hits = find(brand.terms)
            if not hits or (brand.exclude and _excluded(find(brand.exclude), hits)):
                continue
            claimed = False
            for rule in self._rules:
                if rule.brands is not None and brand.name not in rule.brands:
                    continue
                if rule.sources is not None and source not in rule.sources:
                    continue
                if rule.exclude and find(rule.exclude):
                    continue
                query_hits: list[Hit] = []
                if rule.query is not None:
                    for group in rule.query.any_of:
                        group_hits = [find([t]) for t in group]
                        if all(group_hits):
                            query_hits = [h for gh in group_hits for h in gh]
                            break
                    else:
                        continue
                out.append(Match(brand.name, rule.name, tuple(hits + query_hits)))
                claimed = True
            if not claimed:
                out.append(Match(brand.name, None, tuple(hits)))
        return out


def _terms(values: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(t for t in (normalise_term(v) for v in values) if t)


def _excluded(excluded: list[Hit], hits: list[Hit]) -> bool:
    """A brand hit is excluded when it lies inside an excluded phrase."""
    spans = [(h.field, h.start, h.end) for h in excluded]
    return all(
        any(f == h.field and s <= h.start and h.end <= e for f, s, e in spans) for h in hits
    )
