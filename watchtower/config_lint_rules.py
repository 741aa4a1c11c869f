"""Warnings about a rule that can never fire, for :func:`watchtower.config_lint.config_warnings`.

A rule copied for a new client with its ``brands`` changed but not the
``brand:`` in its query, or whose ``exclude`` holds the very word its query
requires, or which needs a ``rating:`` no rating satisfies (``rating:>5``),
validates and never fires: that client's crises go to the default
route, without the rule's severity and targets, or nowhere. What the query
needs on every path comes from :func:`~watchtower.pipeline.match.query_needs.needs`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchtower.config_models import Config, RuleConfig
from watchtower.config_refs import problem
from watchtower.errors import ConfigProblem
from watchtower.tomllines import Lines

if TYPE_CHECKING:
    from watchtower.pipeline.match.query_needs import TermKey
    from watchtower.pipeline.match.query_tree import Node, Rating

__all__ = ["never_firing_rules"]


def never_firing_rules(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """``rules[i]: can never fire: …`` for each rule whose query needs what the
    rule rules out: a ``brand:``/``source:`` outside its ``brands``/``sources``
    (or two different ones), a term its ``exclude`` drops, a term both present
    and absent, a ``rating:`` comparison no rating on the 0..5 scale satisfies."""
    from watchtower.pipeline.match.query import QuerySyntaxError, parse_query

    warnings = []
    for index, rule in enumerate(config.rules):
        if rule.query is None:
            continue
        try:
            query = parse_query(rule.query)
        except QuerySyntaxError:
            continue  # reported as an error
        why = _why_never(rule, query.root)
        if why:
            loc: tuple[str | int, ...] = ("rules", index)
            named = ""
            if loc not in lines:  # a pack's rule: no line of its own in the file
                loc, named = ("include",), f"rule {rule.name!r}: "
            message = f"{named}can never fire: {why}"
            warnings.append(problem(path, loc, message, lines))
    return warnings


def _why_never(rule: RuleConfig, root: Node) -> str:
    """Why ``rule`` (whose query parsed into ``root``) can never fire, or ""."""
    from watchtower.pipeline.match.query import QuerySyntaxError, parse_term

    exclusions = []
    for text in rule.exclude:
        try:
            exclusions.append((text, parse_term(text).key))
        except QuerySyntaxError:
            continue  # reported as an error
    return _dead(root, rule, exclusions)


def _dead(node: Node, rule: RuleConfig, exclusions: list[tuple[str, TermKey]]) -> str:
    """Why ``node`` is never true in an item ``rule`` looks at, or "" (it may be).

    An AND is dead when a part is, or when what its parts need at once clash
    (:func:`~watchtower.pipeline.match.query_needs.needs`); an OR when every
    alternative is; a term when one of the rule's exclusions covers it; a
    ``rating:`` when no rating satisfies it (:func:`_rating_never`).
    """
    from watchtower.pipeline.match.query import And, Meta, Near, Or, Rating, Term, render
    from watchtower.pipeline.match.query_needs import covers, needs
    from watchtower.pipeline.normalise import normalise

    if isinstance(node, Term):
        for text, key in exclusions:
            if covers(key, node.key):
                return f"its query needs {render(node)}, and its exclude {text!r} drops it"
        return ""
    if isinstance(node, Meta) and node.name in ("brand", "source"):
        allowed = rule.brands if node.name == "brand" else rule.sources
        if allowed is not None and normalise(node.value) not in {normalise(a) for a in allowed}:
            return (
                f"its query needs {node.name}:{node.value}, which is not in its "
                f"{node.name}s = {allowed!r}; change one of them"
            )
        return ""
    if isinstance(node, Rating):
        return _rating_never(node)
    if isinstance(node, Or):
        reasons = [_dead(child, rule, exclusions) for child in node.children]
        if all(reasons):
            return "; ".join(dict.fromkeys(reasons))
        return ""
    if isinstance(node, And | Near):
        parts = node.children if isinstance(node, And) else (node.left, node.right)
        for child in parts:
            if reason := _dead(child, rule, exclusions):
                return reason
        need = needs(node)
        for name in ("brand", "source"):
            values = sorted({m.value for m in need.meta if m.name == name}, key=normalise)
            if len({normalise(v) for v in values}) > 1:
                both = " and ".join(f"{name}:{v}" for v in values)
                return f"its query needs {both} at once, and an item has one {name}"
        absent = {t.key: t for t in need.absent}
        for term in sorted(need.present, key=render):
            if term.key in absent:
                return f"its query needs {render(term)} and NOT {render(absent[term.key])}"
    return ""  # NOT, lang: may always be true


def _rating_never(node: Rating) -> str:
    """Why no rating satisfies ``node`` (``rating:>5``, ``rating:<0``), or "": the
    query warning's sentence for it (:mod:`~watchtower.pipeline.match.query_lint`
    knows the 0..5 scale)."""
    from decimal import Decimal

    from watchtower.pipeline.match.query_lint import rating_verdict, rating_warning

    if rating_verdict(node.op, node.value) != "never":
        return ""
    # The exact bound, not render()'s 6 digits (rounding rating:>4.9999999 up to
    # >5 would call dead a rule a 5-star review fires), written without an
    # exponent (repr's 1e-07 is no comparison the warning reads).
    number = format(Decimal(repr(node.value)).normalize(), "f")
    return rating_warning(f"{node.op}{number}")
