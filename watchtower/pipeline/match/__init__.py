"""Matching brands and rules against items.

Public interface (stable; the rule-engine work replaces the internals):

- :func:`parse_query` validates a rule query, raising :class:`QuerySyntaxError`.
- :class:`Matcher` is compiled once from the config's brands and rules;
  ``matcher.match(item, source)`` returns one :class:`~watchtower.models.Match`
  per (brand, rule) that fired, and ``rule=None`` for a brand mention no rule claimed.
"""

from __future__ import annotations

from watchtower.pipeline.match.engine import Matcher
from watchtower.pipeline.match.query import Query, QuerySyntaxError, parse_query

__all__ = ["Matcher", "Query", "QuerySyntaxError", "parse_query"]
