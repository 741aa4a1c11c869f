"""The typed tree a rule query parses into, and what reads it back.

:class:`Term` (a word, a phrase or a wildcard), :class:`Number` (``#number``),
:class:`Meta`, :class:`Rating` and the operators :class:`Not`, :class:`And`,
:class:`Or`, :class:`Near` make a :class:`Query`; :class:`QuerySyntaxError` is
what a query that cannot be parsed raises (:mod:`.query` parses,
:mod:`.query_terms` reads a term). The automaton is built from
:func:`node_terms` (a :class:`Number` is read from the text, see
:func:`node_numbers`); :func:`field_values` names the ``brand:`` and
``source:`` names a query uses, for the config checker; :func:`render` writes a
tree back as query text, for explanations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = [
    "And",
    "Field",
    "Meta",
    "Near",
    "Node",
    "Not",
    "Number",
    "Or",
    "Query",
    "QuerySyntaxError",
    "Rating",
    "Term",
    "field_values",
    "node_numbers",
    "node_terms",
    "render",
    "starred",
]

Field = Literal["title", "text"]


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed; the message names the column (1-based)."""

    def __init__(self, column: int, message: str) -> None:
        super().__init__(f"column {column}: {message}")
        self.column = column


@dataclass(frozen=True)
class Term:
    """Consecutive words (a phrase when several); ``prefix``: the last word is a prefix.

    ``inner_prefixes``: the indices of the other words written with a ``*``
    (``(0,)`` for ``"carte* bloqu*"``); empty for every term without one.
    """

    words: tuple[str, ...]
    prefix: bool = False
    field: Field | None = None
    source: str = ""  # as written in the query, for explanations
    inner_prefixes: tuple[int, ...] = ()

    @property
    def key(self) -> tuple[tuple[str, ...], bool, tuple[int, ...]]:
        """Identity of the pattern in the automaton (the field is checked afterwards)."""
        return self.words, self.prefix, self.inner_prefixes

    @property
    def matched(self) -> str:
        """The words as matched, each prefix with its ``*``: ``carte* bloqu*``."""
        return starred(self.words, self.prefix, self.inner_prefixes)


def starred(words: tuple[str, ...], prefix: bool, inner_prefixes: tuple[int, ...]) -> str:
    """Normalised words joined by spaces, a ``*`` after each prefix word."""
    last = len(words) - 1
    return " ".join(
        word + ("*" if i in inner_prefixes or (prefix and i == last) else "")
        for i, word in enumerate(words)
    )


@dataclass(frozen=True)
class Number:
    """``#number`` (any number written in digits), ``#number<1000`` (bounded).

    ``op`` and ``value``: the bound, ``None`` for any number; ``field``: like a
    :class:`Term`'s. Found in the item text by :mod:`.evaluate` (a number is no
    key an automaton can list), only for the queries that use it.
    """

    op: Literal["<", "<=", ">", ">=", "="] | None = None
    value: int = 0
    field: Field | None = None

    @property
    def matched(self) -> str:
        """As written back and shown in explanations: ``#number>=1000``."""
        return f"#number{self.op}{self.value}" if self.op else "#number"

    def accepts(self, value: int) -> bool:
        """Whether a number of the text satisfies the bound."""
        op, bound = self.op, self.value
        if op is None:
            return True
        if op == "<":
            return value < bound
        if op == "<=":
            return value <= bound
        if op == ">":
            return value > bound
        if op == ">=":
            return value >= bound
        return value == bound


@dataclass(frozen=True)
class Meta:
    """``source:``, ``lang:`` or ``brand:`` compared with the item's metadata."""

    name: Literal["source", "lang", "brand"]
    value: str


@dataclass(frozen=True)
class Rating:
    """``rating:<=2``: true when the item has a rating satisfying the comparison."""

    op: Literal["<", "<=", ">", ">=", "="]
    value: float


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Either child; ``vocabulary``: the ``@name`` it was written as, for explanations."""

    children: tuple[Node, ...]
    vocabulary: str = ""


@dataclass(frozen=True)
class Near:
    """Both sides occur in the same field within ``distance`` words, either order.

    A side is a :class:`Term`, a :class:`Number`, a :class:`Near` or an
    :class:`Or` of those. A nested :class:`Near` occurs where its two sides are
    near each other, as the span from the first word of the one to the last
    word of the other; two occurrences are within ``distance`` words when the
    later one starts at most ``distance`` words after the end of the other
    (``distance - 1`` words between them, none for ``NEAR/1``), and never when
    they overlap: the same rule as for single words.
    """

    left: Node
    right: Node
    distance: int
    source: str = ""


Node: TypeAlias = Term | Number | Meta | Rating | Not | And | Or | Near


@dataclass(frozen=True)
class Query:
    """A parsed query: the text as written and its tree."""

    text: str
    root: Node

    def terms(self) -> list[Term]:
        """Every term of the tree, in order (the automaton is built from these)."""
        return node_terms(self.root)


def node_terms(root: Node) -> list[Term]:
    """Every term of the tree under ``root``, in order."""
    return [node for node in _nodes(root) if isinstance(node, Term)]


def node_numbers(root: Node) -> list[Number]:
    """Every ``#number`` of the tree under ``root``, in order."""
    return [node for node in _nodes(root) if isinstance(node, Number)]


def _nodes(root: Node) -> Iterator[Node]:
    """Every node of the tree, depth first, left to right (a stack: trees can be wide)."""
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Not):
            stack.append(node.child)
        elif isinstance(node, And | Or):
            stack.extend(reversed(node.children))
        elif isinstance(node, Near):
            stack.extend((node.right, node.left))


def field_values(query: Query) -> list[tuple[str, str]]:
    """The ``brand:`` and ``source:`` names ``query`` uses, as written, in order, once each.

    ``("brand", "Crédit")`` for ``brand:Crédit Agricole`` (unquoted, the value
    stops at the space), so a checker can report names that match no brand or
    source. Matching ignores case and accents (:func:`~watchtower.pipeline.
    normalise.normalise` of both sides), so compare names that way.
    """
    found = (
        (node.name, node.value)
        for node in _nodes(query.root)
        if isinstance(node, Meta) and node.name in ("brand", "source")
    )
    return list(dict.fromkeys(found))


def render(node: Node) -> str:
    """A tree back as query text, to name a clause in explanations.

    Terms are shown as written (``"carte bloquée"``, not ``"carte bloquee"``) and
    a vocabulary as its ``@name``, not the fifty terms it stands for.
    """
    if isinstance(node, Term):
        text = node.source.strip()
        if not text:
            text = node.matched
        # A phrase written "procès-verbal" (one word) stays unquoted.
        text = f'"{text}"' if text.split(maxsplit=1)[1:] else text
        return f"{node.field}:{text}" if node.field else text
    if isinstance(node, Or) and node.vocabulary:
        fields = {c.field for c in node.children if isinstance(c, Term)}
        field = fields.pop() if len(fields) == 1 else None
        return f"{field}:{node.vocabulary}" if field else node.vocabulary
    if isinstance(node, Number):
        return f"{node.field}:{node.matched}" if node.field else node.matched
    if isinstance(node, Meta):
        return f"{node.name}:{node.value}"
    if isinstance(node, Rating):
        return f"rating:{node.op}{node.value:g}"
    if isinstance(node, Not):
        return f"NOT {render(node.child)}"
    if isinstance(node, Near):
        left, right = (
            f"({render(side)})" if isinstance(side, Near) else render(side)
            for side in (node.left, node.right)
        )
        return f"{left} NEAR/{node.distance} {right}"
    glue = " AND " if isinstance(node, And) else " OR "
    return "(" + glue.join(render(c) for c in node.children) + ")"
