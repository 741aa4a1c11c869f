"""The rule query language: a small recursive-descent parser into a typed tree.

Grammar (keywords are upper-case; ``docs/queries.md`` is the user guide)::

    query  := or EOF
    or     := and ("OR" and)*
    and    := unary (["AND"] unary)*          implicit AND between neighbours
    unary  := "NOT" unary | near
    near   := ["-"] atom ["NEAR/" n atom]      n >= 1 words, either order; NEAR/n in any case
    atom   := "(" or ")" | TERM | PHRASE | @vocabulary
            | (title|text) ":" atom            restrict the terms inside to one field
            | (source|lang|brand) ":" (TERM | PHRASE)
            | rating ":" [<|<=|>|>=|=] NUMBER
    PHRASE := "…" | “…” | « … »

Terms are normalised like item text (:mod:`watchtower.pipeline.normalise`), so
``l'Acmé`` is the word ``acme`` and ``ufc-que-choisir`` a three-word phrase;
``rembours*`` matches words starting with ``rembours``, on any word of a
phrase (``"carte* bloqu*"``). A ``-`` at the start of a word (after a space, a
``(`` or at the start of the query) is ``NOT`` of the atom it is glued to, as in
Google Alerts; inside a word it is a hyphen. Errors
are :class:`QuerySyntaxError` naming the column and what was expected.
:func:`field_values` names the ``brand:`` and ``source:`` names a query uses,
for the config checker; :mod:`.query_lint` what parses but probably does not
mean what the writer meant (``OU``, commas).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Literal, TypeAlias

from watchtower.pipeline.normalise import normalise_term

__all__ = [
    "And",
    "Meta",
    "Near",
    "Node",
    "Not",
    "Or",
    "Query",
    "QuerySyntaxError",
    "Rating",
    "Term",
    "field_values",
    "node_terms",
    "parse_query",
    "parse_term",
    "render",
    "starred",
]

MAX_QUERY_LENGTH = 200_000
MAX_DEPTH = 64
MAX_NEAR = 1000
MIN_PREFIX = 3
Field = Literal["title", "text"]
FIELDS = ("title", "text", "source", "lang", "brand", "rating")


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
    """Both sides occur in the same field within ``distance`` words, either order."""

    left: Node
    right: Node
    distance: int
    source: str = ""


Node: TypeAlias = Term | Meta | Rating | Not | And | Or | Near


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


# ------------------------------------------------------------------ lexer
# Curly quotes and guillemets come from word processors and French keyboards;
# read as punctuation they would split a phrase into ANDed words, silently.
_CLOSING = {'"': '"', "\u201c": "\u201d", "\u00ab": "\u00bb"}  # " “” «»
_Q = '"\u201c\u201d\u00ab\u00bb'  # every quote, for character classes
_TOKEN = re.compile(
    rf"""
    (?P<space>\s+)
  | (?P<lpar>\()
  | (?P<rpar>\))
  | (?P<phrase>"[^"]*"?|\u201c[^\u201d]*\u201d?|\u00ab[^\u00bb]*\u00bb?)
  | (?P<stray>[\u201d\u00bb])
  # NEAR/n in any case, but a bare "near" (no slash) in lower case is an English word.
  | (?P<near>(?:NEAR(?:/[^\s(){_Q}]*)?|(?i:near)/[^\s(){_Q}]*)(?=[\s(){_Q}]|$))
  | (?P<op>(?:AND|OR|NOT)(?=[\s(){_Q}]|$))
  # Google's "-word": only where a word starts, so "procès-verbal" keeps its hyphen.
  | (?P<minus>(?<![^\s(])-(?=[\w"\u201c\u00ab(@]))
  | (?P<field>[A-Za-z_]+:)
  | (?P<vocab>@[\w-]*)
  | (?P<word>[^\s(){_Q}]+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    column: int


def _lex(text: str) -> list[_Tok]:
    tokens = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "word"
        if kind != "space":
            tokens.append(_Tok(kind, m.group(), m.start() + 1))
    tokens.append(_Tok("end", "", len(text) + 1))
    return tokens


def _describe(tok: _Tok) -> str:
    return "the end of the query" if tok.kind == "end" else repr(tok.text)


def _phrase(tok: _Tok) -> tuple[str, int]:
    """The text between a phrase token's quotes, and the column where it starts."""
    opening = tok.text[0]
    closing = _CLOSING[opening]
    if len(tok.text) < 2 or not tok.text.endswith(closing):
        expected = "quote" if closing == '"' else repr(closing)
        raise QuerySyntaxError(tok.column, f"unclosed {opening!r}: expected a closing {expected}")
    body = tok.text[1:-1]
    if opening == '"':
        return body, tok.column + 1
    # French typography puts a (non-breaking) space inside « » and “ ”: not part of the phrase.
    stripped = body.lstrip()
    return stripped.rstrip(), tok.column + 1 + len(body) - len(stripped)


# "≤" and "≥" as a French keyboard (or a word processor) writes them.
_RATING = re.compile(r"(<=|>=|<|>|=|\u2264|\u2265)?(\d+(?:[.,]\d+)?)$")
_RATING_OPS = {"\u2264": "<=", "\u2265": ">="}


def parse_term(text: str, column: int = 1) -> Term:
    """A term or phrase as written (``rembours*``, ``"carte* bloqu*"``, ``acme.fr``).

    A ``*`` at the end of a word, on any word of a phrase, makes that word a
    prefix of at least :data:`MIN_PREFIX` letters; it applies to the last of
    the words normalisation makes of what precedes it (``ufc-que-choi*``: ``choi``).
    """
    raw = text
    prefix = raw.endswith("*")
    body = raw[:-1] if prefix else raw
    if "*" in body:
        return _starred_phrase(raw, body, prefix, column)
    words = normalise_term(body)
    if not words:
        raise QuerySyntaxError(column, f"{raw!r} has no letters or digits; expected a term")
    if prefix and (body[-1:].isspace() or len(words[-1]) < MIN_PREFIX):
        raise _short_prefix(raw, column)
    return Term(words, prefix, None, raw)


def _short_prefix(raw: str, column: int) -> QuerySyntaxError:
    return QuerySyntaxError(
        column, f"a wildcard needs at least {MIN_PREFIX} letters before '*', in {raw!r}"
    )


def _starred_phrase(raw: str, body: str, prefix: bool, column: int) -> Term:
    """:func:`parse_term` for a ``*`` before the end: ``"carte* bloqu*"``, ``"service* client"``.

    The text is read piece by piece between the stars: each piece's words are
    normalised alone (a ``*`` is a word boundary, so this gives the words of the
    whole), and the last word of each piece followed by a ``*`` is a prefix.
    """
    pieces = body.split("*")
    words: list[str] = []
    prefixes: set[int] = set()
    at = 0  # index in ``raw`` of the star after the current piece
    for piece, following in pairwise(pieces):
        at += len(piece)
        piece_words = normalise_term(piece)
        # "car*te", "*bours", "carte** x": the star must end a word of its own piece.
        if not piece_words or normalise_term(following[:1]):
            raise QuerySyntaxError(
                column + at, f"'*' is only allowed at the end of a word, in {raw!r}"
            )
        words += piece_words
        if piece[-1].isspace() or len(words[-1]) < MIN_PREFIX:
            raise _short_prefix(raw, column)
        prefixes.add(len(words) - 1)
        at += 1
    words += normalise_term(pieces[-1])
    last = len(words) - 1
    if prefix:
        if last in prefixes:  # "carte*.*": the final star ends no word of its own
            raise QuerySyntaxError(
                column + len(body), f"'*' is only allowed at the end of a word, in {raw!r}"
            )
        if body[-1].isspace() or len(words[-1]) < MIN_PREFIX:
            raise _short_prefix(raw, column)
    elif last in prefixes:  # "carte*." or a phrase's "carte* ": the last word is the prefix
        prefixes.discard(last)
        prefix = True
    return Term(tuple(words), prefix, None, raw, tuple(sorted(prefixes)))


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _lex(text)
        self.pos = 0
        self.depth = 0

    @property
    def tok(self) -> _Tok:
        return self.tokens[self.pos]

    def advance(self) -> _Tok:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def error(self, tok: _Tok, expected: str) -> QuerySyntaxError:
        return QuerySyntaxError(tok.column, f"expected {expected}, found {_describe(tok)}")

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise QuerySyntaxError(1, "empty query; expected a term")
        node = self.parse_or()
        tok = self.tok
        if tok.kind == "rpar":
            raise QuerySyntaxError(tok.column, "unbalanced ')': no '(' to close")
        if tok.kind != "end":
            raise self.error(tok, "AND, OR, NOT or the end of the query")
        return node

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError(self.tok.column, f"nested more than {MAX_DEPTH} levels deep")

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while self.tok.kind == "op" and self.tok.text == "OR":
            self.advance()
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_unary()]
        while True:
            tok = self.tok
            if tok.kind == "op" and tok.text == "AND":
                self.advance()
            elif not (
                tok.kind in ("lpar", "phrase", "field", "vocab", "word", "minus", "stray")
                or (tok.kind == "op" and tok.text == "NOT")
            ):
                break
            children.append(self.parse_unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Node:
        if self.tok.kind == "op" and self.tok.text == "NOT":
            self.advance()
            self.enter()
            child = self.parse_unary()
            self.depth -= 1
            return Not(child)
        return self.parse_near()

    def parse_near(self) -> Node:
        start = self.tok
        if start.kind == "minus":
            # Binds to the atom alone: "-a NEAR/3 b" is an error below, not NOT (a NEAR b).
            self.advance()
            self.enter()
            left: Node = Not(self.parse_atom())
            self.depth -= 1
        else:
            left = self.parse_atom()
        if self.tok.kind != "near":
            return left
        op = self.advance()
        m = re.fullmatch(r"NEAR/(\d+)", op.text, re.IGNORECASE)
        if not m:
            raise QuerySyntaxError(
                op.column, f"expected NEAR/n with a number of words, found {op.text!r}"
            )
        distance = int(m.group(1))
        if not 1 <= distance <= MAX_NEAR:
            raise QuerySyntaxError(
                op.column, f"{op.text}: expected a distance between 1 and {MAX_NEAR} words"
            )
        right_tok = self.tok
        right = self.parse_atom()
        for side, tok in ((left, start), (right, right_tok)):
            if not _positional(side):
                raise QuerySyntaxError(
                    tok.column, "NEAR needs a term, a phrase or an (… OR …) group on each side"
                )
        if self.tok.kind == "near":
            raise QuerySyntaxError(self.tok.column, "chained NEAR: use parentheses and AND")
        end = self.tok.column - 1
        return Near(left, right, distance, self.text[start.column - 1 : end].strip())

    def parse_atom(self) -> Node:
        tok = self.tok
        if tok.kind == "lpar":
            self.advance()
            self.enter()
            if self.tok.kind == "rpar":
                raise self.error(self.tok, "a term inside '()'")
            node = self.parse_or()
            if self.tok.kind != "rpar":
                raise QuerySyntaxError(
                    self.tok.column,
                    f"expected ')' to close the '(' at column {tok.column}, "
                    f"found {_describe(self.tok)}",
                )
            self.advance()
            self.depth -= 1
            return node
        if tok.kind == "phrase":
            self.advance()
            return parse_term(*_phrase(tok))
        if tok.kind == "stray":
            raise QuerySyntaxError(tok.column, f"{tok.text!r} closes no opening quote")
        if tok.kind == "word":
            self.advance()
            return parse_term(tok.text, tok.column)
        if tok.kind == "vocab":
            self.advance()
            return _vocabulary(tok)
        if tok.kind == "field":
            return self.parse_field()
        raise self.error(tok, "a term, a \"phrase\", '(' or a field such as title:")

    def parse_field(self) -> Node:
        tok = self.advance()
        name = tok.text[:-1]
        if name not in FIELDS:
            known = ", ".join(f"{f}:" for f in FIELDS)
            raise QuerySyntaxError(
                tok.column, f"unknown field {name + ':'!r}; expected one of {known}"
            )
        value = self.tok
        if name == "rating":
            self.advance()
            m = _RATING.match(value.text) if value.kind == "word" else None
            if not m or value.column != tok.column + len(tok.text):
                if value.kind == "word" and _RATING.match(value.text + "1"):  # "rating:<= 2"
                    raise QuerySyntaxError(
                        value.column,
                        f"expected a number right after 'rating:{value.text}' (no space), "
                        "such as rating:<=2",
                    )
                raise self.error(value, "a comparison such as rating:<=2")
            op = _RATING_OPS.get(m.group(1), m.group(1) or "=")
            return Rating(op, float(m.group(2).replace(",", ".")))  # type: ignore[arg-type]
        if value.column != tok.column + len(tok.text) or value.kind == "end":
            raise self.error(value, f"a value right after {tok.text!r} (no space)")
        if name in ("title", "text"):
            self.enter()
            node = _scoped(self.parse_atom(), name)  # type: ignore[arg-type]
            self.depth -= 1
            return node
        if value.kind not in ("word", "phrase"):
            raise self.error(value, f"a name after {tok.text!r}")
        self.advance()
        raw = _phrase(value)[0] if value.kind == "phrase" else value.text
        if not raw.strip():
            raise self.error(value, f"a name after {tok.text!r}")
        return Meta(name, raw)  # type: ignore[arg-type]


def _positional(node: Node) -> bool:
    if isinstance(node, Term):
        return True
    return isinstance(node, Or) and all(_positional(c) for c in node.children)


def _scoped(node: Node, field: Field) -> Node:
    """Push a ``title:`` / ``text:`` scope down to the terms (an inner scope wins)."""
    if isinstance(node, Term):
        return node if node.field else replace(node, field=field)
    if isinstance(node, Not):
        return Not(_scoped(node.child, field))
    if isinstance(node, And):
        return And(tuple(_scoped(c, field) for c in node.children))
    if isinstance(node, Or):
        return Or(tuple(_scoped(c, field) for c in node.children), node.vocabulary)
    if isinstance(node, Near):
        return Near(
            _scoped(node.left, field), _scoped(node.right, field), node.distance, node.source
        )
    return node


def _vocabulary(tok: _Tok) -> Node:
    from watchtower.packs import vocabularies

    name = tok.text[1:]
    known = vocabularies()
    if name not in known:
        names = ", ".join(f"@{n}" for n in sorted(known)) or "none"
        raise QuerySyntaxError(
            tok.column, f"unknown vocabulary {tok.text!r}; expected one of {names}"
        )
    if not known[name]:
        raise QuerySyntaxError(tok.column, f"vocabulary {tok.text!r} is empty; expected terms")
    terms = tuple(parse_term(t) for t in known[name])
    return Or(terms, tok.text) if len(terms) > 1 else terms[0]


def parse_query(text: str) -> Query:
    """Parse ``text``; raise :class:`QuerySyntaxError` naming the column."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(1, f"query longer than {MAX_QUERY_LENGTH} characters")
    return Query(text, _Parser(text).parse())


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
    if isinstance(node, Meta):
        return f"{node.name}:{node.value}"
    if isinstance(node, Rating):
        return f"rating:{node.op}{node.value:g}"
    if isinstance(node, Not):
        return f"NOT {render(node.child)}"
    if isinstance(node, Near):
        return f"{render(node.left)} NEAR/{node.distance} {render(node.right)}"
    glue = " AND " if isinstance(node, And) else " OR "
    return "(" + glue.join(render(c) for c in node.children) + ")"
