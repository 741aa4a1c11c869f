"""The rule query language: a small recursive-descent parser into a typed tree.

Grammar (keywords are upper-case; ``docs/queries.md`` is the user guide)::

    query  := or EOF
    or     := and ("OR" and)*
    and    := unary (["AND"] unary)*          implicit AND between neighbours
    unary  := "NOT" unary | near
    near   := ["-"] atom ["NEAR/" n atom]      n >= 1 words, either order; NEAR/n in any case;
                                               each side a term, a phrase, #number, or a
                                               "(" … ")" of NEARs and ORs of those (nested NEAR)
    atom   := "(" or ")" | TERM | PHRASE | @vocabulary | "#number" [BOUND]
            | (title|text) ":" atom            restrict the terms inside to one field
            | (source|lang|brand) ":" (TERM | PHRASE)
            | rating ":" [<|<=|>|>=|=] NUMBER
    PHRASE := "…" | “…” | « … »
    BOUND  := (<|<=|>|>=|=) INTEGER            no space; INTEGER: 1000, 1,000 or 1.000

Each TERM and PHRASE is read by :mod:`.query_terms` (normalised like item text;
``rembours*``, ``"carte* bloqu*"``), and the result is the tree of
:mod:`.query_tree`. A ``-`` at the start of a word (after a space, a ``(`` or at
the start of the query) is ``NOT`` of the atom it is glued to, as in Google
Alerts, and so is a minus sign, an en dash or a Unicode hyphen there
(:data:`MINUS_SIGNS`, pasted from a word processor); inside a word it is a
hyphen. Errors are :class:`QuerySyntaxError` naming the column and what was
expected. :func:`field_values` names the
``brand:`` and ``source:`` names a query uses, for the config checker;
:mod:`.query_lint` what parses but probably does not mean what the writer meant
(``OU``, commas). ``#number`` (:class:`Number`) is any number written in digits
(``#numbers`` and ``#numberone`` stay hashtags); it may not appear in a phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from watchtower.pipeline.match.query_terms import parse_term
from watchtower.pipeline.match.query_tree import (
    And,
    Field,
    Meta,
    Near,
    Node,
    Not,
    Number,
    Or,
    Query,
    QuerySyntaxError,
    Rating,
    Term,
    field_values,
    node_terms,
    render,
    starred,
)

# The tree and the term reader live in .query_tree and .query_terms; callers
# outside this package import their names from here, with the parser's.
__all__ = [
    "MINUS_SIGNS",
    "And",
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
    "node_terms",
    "parse_query",
    "parse_term",
    "render",
    "starred",
]

MAX_QUERY_LENGTH = 200_000
MAX_DEPTH = 64
MAX_NEAR = 1000
# A nested NEAR lists every span its sides make (occurrences x distance), and
# the NEAR around it scans a window of them per occurrence: wide distances
# there make a long, repetitive text cost seconds (NEAR/1000 around NEAR/1000
# on 3,000 words: 5 s; NEAR/50: 0.1 s). A text comes from the feed, so it is
# bounded by what the query asks.
MAX_NESTED_NEAR = 50
FIELDS = ("title", "text", "source", "lang", "brand", "rating")


# ------------------------------------------------------------------ lexer
# Curly quotes and guillemets come from word processors and French keyboards;
# read as punctuation they would split a phrase into ANDed words, silently.
_CLOSING = {'"': '"', "\u201c": "\u201d", "\u00ab": "\u00bb"}  # " “” «»
_Q = '"\u201c\u201d\u00ab\u00bb'  # every quote, for character classes
#: What ``-word`` may be written with: hyphen-minus (also small and full-width),
#: hyphen, non-breaking hyphen, en dash, minus sign. Not an em dash, which opens
#: a French dialogue line: :mod:`.query_lint` warns about it.
MINUS_SIGNS = "-\u2010\u2011\u2013\u2212\ufe63\uff0d"
_MINUS = "".join(sorted(MINUS_SIGNS))  # "-" first: a literal in a character class
_NUMBER = r"\#(?i:number)(?![^\W\d])"  # "#" escaped: the pattern is VERBOSE
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
  # A word processor or a PDF gives a minus sign, an en dash or a Unicode hyphen
  # instead, read as "-": as a word they would turn "exclude" into "require".
  | (?P<minus>(?<![^\s(])[{_MINUS}](?=[\w"\u201c\u00ab(@]|{_NUMBER}))
  # "#number", "#number<1000"; not the hashtags "#numbers", "#number_one".
  | (?P<number>{_NUMBER}[^\s(){_Q}]*)
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
                tok.kind in ("lpar", "phrase", "field", "vocab", "word", "minus", "stray", "number")
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
        if right_tok.kind == "minus" or (right_tok.kind == "op" and right_tok.text == "NOT"):
            raise QuerySyntaxError(right_tok.column, _NOT_IN_NEAR)
        right = self.parse_atom()
        for side, tok in ((left, start), (right, right_tok)):
            if _has_not(side):
                # NOT has no position: where would "NOT a" be? Say what to write instead.
                raise QuerySyntaxError(tok.column, _NOT_IN_NEAR)
            if not _positional(side):
                raise QuerySyntaxError(
                    tok.column, "NEAR needs a term, a phrase or an (… OR …) group on each side"
                )
        if self.tok.kind == "near":
            raise QuerySyntaxError(self.tok.column, "chained NEAR: use parentheses and AND")
        widest = max(_near_distances(left) + _near_distances(right), default=0)
        if widest and max(widest, distance) > MAX_NESTED_NEAR:
            raise QuerySyntaxError(
                op.column,
                f"a NEAR inside a NEAR: expected distances of at most {MAX_NESTED_NEAR} "
                f"words on both, found NEAR/{max(widest, distance)}",
            )
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
            body, column = _phrase(tok)
            inside = _IN_PHRASE.search(body)
            if inside:
                raise QuerySyntaxError(
                    column + inside.start(),
                    "#number cannot be used inside a phrase; expected words only "
                    "(write rappelle NEAR/1 #number)",
                )
            return parse_term(body, column)
        if tok.kind == "number":
            self.advance()
            return _number(tok)
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


_NOT_IN_NEAR = (
    "NEAR needs a term, a phrase, a (… NEAR/n …) or an (… OR …) group on each side, "
    "not NOT; write NOT outside: (a NEAR/3 b) NOT c, or NOT (a NEAR/3 b)"
)


def _positional(node: Node) -> bool:
    """Whether ``node`` has positions in the text: a term, a number, a NEAR (the
    span covering both its sides), or an OR of those."""
    if isinstance(node, Term | Number | Near):
        return True
    return isinstance(node, Or) and all(_positional(c) for c in node.children)


def _near_distances(node: Node) -> list[int]:
    """The distances of the NEARs a NEAR side holds (nested NEARs)."""
    if isinstance(node, Near):
        return [node.distance, *_near_distances(node.left), *_near_distances(node.right)]
    if isinstance(node, Or):
        return [d for c in node.children for d in _near_distances(c)]
    return []


def _has_not(node: Node) -> bool:
    """Whether a NOT stands where a NEAR side needs positions (a ``-a`` too)."""
    if isinstance(node, Not):
        return True
    return isinstance(node, Or) and any(_has_not(c) for c in node.children)


def _scoped(node: Node, field: Field) -> Node:
    """Push a ``title:`` / ``text:`` scope down to the terms (an inner scope wins)."""
    if isinstance(node, Term | Number):
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


_IN_PHRASE = re.compile(rf"(?<!\w){_NUMBER}", re.VERBOSE)
# A bound: digits, maybe grouped by thousands ("1,000", "1.000"), as the text writes them.
_BOUND = re.compile(r"(<=|>=|<|>|=|\u2264|\u2265)?(\d{1,3}(?:[.,]\d{3})+|\d+)?(.*)", re.DOTALL)


def _number(tok: _Tok) -> Number:
    """``#number`` and its bound (``#number>=1000``) from a ``number`` token."""
    rest = tok.text[len("#number") :]
    if not rest:
        return Number()
    m = _BOUND.fullmatch(rest)
    assert m is not None  # every group is optional
    op, digits, junk = m.groups()
    if op is None or digits is None or junk:
        at = tok.column + len(tok.text) - len(junk) if op and digits else tok.column
        example = "such as #number<1000 or #number>=1000"
        if op and not digits and not junk:  # "#number< 1000"
            raise QuerySyntaxError(
                tok.column + len(tok.text),
                f"expected a whole number right after {tok.text!r} (no space), {example}",
            )
        raise QuerySyntaxError(
            at, f"expected #number or a bound on it {example}, found {tok.text!r}"
        )
    return Number(_RATING_OPS.get(op, op), int(re.sub(r"[.,]", "", digits)))  # type: ignore[arg-type]


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
