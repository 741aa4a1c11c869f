"""Rule queries, v0: ``term OR term`` groups of implicitly AND-ed terms."""

from __future__ import annotations

from dataclasses import dataclass

from watchtower.pipeline.normalise import normalise_term


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; the message names the column."""


@dataclass(frozen=True)
class Query:
    """Disjunction of conjunctions of terms (each a tuple of normalised words)."""

    text: str
    any_of: tuple[tuple[tuple[str, ...], ...], ...]


def parse_query(text: str) -> Query:
    """Parse ``text``; raise :class:`QuerySyntaxError` naming the column."""
    if not text.strip():
        raise QuerySyntaxError("column 1: empty query; expected a term")
    groups = []
    for group in text.split(" OR "):
        terms = tuple(t for t in (normalise_term(w.strip('"')) for w in group.split()) if t)
        if not terms:
            column = text.find(group) + 1
            raise QuerySyntaxError(f"column {column}: expected a term")
        groups.append(terms)
    return Query(text, tuple(groups))
