"""Warnings about queries: what parses but probably does not mean what was meant.

``watchtower check`` and ``watchtower test-rule`` print them; they never refuse a
query (it may really look for the word "ou").
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from watchtower.pipeline.match.query import (
    _RATING,
    _RATING_OPS,
    MAX_QUERY_LENGTH,
    MINUS_SIGNS,
    _lex,
    _Tok,
)

__all__ = ["query_warnings", "rating_verdict", "rating_warning"]

_FRENCH_OPERATORS = {
    "ou": "for either word write OR",
    "et": "for both words write AND, or nothing (AND is implicit)",
    "sauf": "to exclude a word write NOT word (or -word)",
}
# English operators not in capitals: "or" is also a French word (gold; now).
_LOWER_OPERATORS = {
    "and": "for both words write AND, or nothing (AND is implicit)",
    "or": "for either word write OR",
    "not": "to exclude a word write NOT word (or -word)",
}
_COMMA = re.compile(r"(?<!\d),|,(?!\d)")  # not a decimal comma (2,5)
_LANG_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
#: The scale every adapter brings a rating to (``adapters/_review_ratings.py``).
RATING_MAX = 5


def query_warnings(text: str) -> list[str]:
    """What parses but probably does not mean what was meant, one sentence each.

    French operators (``OU``, ``ET``, ``SAUF``), English ones not in capitals
    (``and``, ``or``, ``not``), commas and a dash that is no minus (``—word``,
    an em dash) are read as words, ``lang:`` wants a language code, and a
    ``rating:`` bound outside 0..5 or a comparison always true or false on that
    scale (``rating:<=6``, ``rating:<=5``, ``rating:>5``) is probably a slip. They
    are not errors: a query may really look for the word "ou". Works on queries
    that do not parse too (on their tokens); the messages start with the
    column, like :class:`QuerySyntaxError`.
    """
    tokens = _lex(text[:MAX_QUERY_LENGTH])
    out: list[str] = []
    comma_seen = False
    for i, tok in enumerate(tokens):
        field = tokens[i - 1] if i else None
        if field is None or field.kind != "field" or tok.column != field.column + len(field.text):
            field = None
        if field is not None and field.text == "lang:" and tok.kind == "word":
            if not _LANG_CODE.fullmatch(tok.text):
                out.append(
                    f"column {tok.column}: lang:{tok.text} is never true; "
                    "expected a language code such as lang:fr or lang:fr-CA"
                )
            continue
        if field is not None and field.text == "rating:" and tok.kind == "word":
            warning = rating_warning(tok.text)
            if warning:
                out.append(f"column {tok.column}: {warning}")
            continue
        # A name or a rating ("rating:<=2,5") is not a word of the text; title:OU is.
        if tok.kind != "word" or (field is not None and field.text not in ("title:", "text:")):
            continue
        dash = _leading_dash(tok.text)
        if dash:
            word = tok.text[1:]
            out.append(
                f"column {tok.column}: {tok.text!r} is read as the word {word!r} (the "
                f"{dash} is not read as a minus); to exclude it write -{word} (or NOT {word})"
            )
        hint = _FRENCH_OPERATORS.get(tok.text.casefold())
        if hint:
            out.append(f"column {tok.column}: {tok.text!r} is read as a word; {hint}")
        hint = _LOWER_OPERATORS.get(tok.text.casefold())
        if hint:  # "AND" itself is an operator token, never a word
            out.append(
                f"column {tok.column}: {tok.text!r} is read as a word (operators are written "
                f"in capitals); {hint}"
            )
        comma = _COMMA.search(tok.text)
        if comma and not comma_seen:
            comma_seen = True  # once is enough to explain
            out.append(_comma_warning(tokens, i, comma.start()))
    return out


def rating_warning(text: str) -> str:
    """What is wrong with the comparison ``text`` of ``rating:`` (``<=6``) on the
    0..5 scale, or "" (also for one that does not parse: that is an error)."""
    m = _RATING.match(text)
    if not m:
        return ""
    op = _RATING_OPS.get(m.group(1), m.group(1) or "=")
    value = float(m.group(2).replace(",", "."))
    verdict = rating_verdict(op, value)
    every = "true of every rated review"
    if value > RATING_MAX:
        outcome = "it is never true"
        if verdict == "always":
            outcome = f"it is {every} (it only needs a rating)"
        return (
            f"rating:{text} compares with {value:g}, outside the 0 to {RATING_MAX} scale "
            f"ratings are read on; {outcome}"
        )
    if verdict == "always":
        return f"rating:{text} is {every}, ratings being 0 to {RATING_MAX} (it only needs a rating)"
    if verdict == "never":
        return f"rating:{text} is never true, ratings being 0 to {RATING_MAX}"
    return ""


def rating_verdict(op: str, value: float) -> Literal["always", "never", ""]:
    """Whether ``rating:`` with ``op`` (``<``, ``<=``, ``>``, ``>=``, ``=``) and
    ``value`` holds for every rating on the 0..5 scale, for none, or for some
    ("")."""
    # No bound is negative: the query syntax has no minus sign for them.
    always = {"<=": value >= RATING_MAX, "<": value > RATING_MAX, ">=": value <= 0}
    never = {"<": value <= 0, ">=": value > RATING_MAX, ">": value >= RATING_MAX}
    never["="] = value > RATING_MAX
    if always.get(op):
        return "always"
    if never.get(op):
        return "never"
    return ""


def _leading_dash(word: str) -> str:
    """The name of the dash ``word`` starts with, if it is not one read as ``-``
    (an em dash, a figure dash, a horizontal bar) and a word follows it."""
    first = word[:1]
    if not first or first in MINUS_SIGNS or len(word) < 2 or not word[1].isalnum():
        return ""
    if unicodedata.category(first) == "Pd":
        return unicodedata.name(first, "dash").lower()
    return ""


def _comma_warning(tokens: list[_Tok], i: int, at: int) -> str:
    """The comma warning, with the words around the comma at ``at`` in ``tokens[i]``."""
    tok = tokens[i]
    before = tokens[i - 1].text if i and tokens[i - 1].kind in ("word", "phrase") else ""
    after = tokens[i + 1].text if tokens[i + 1].kind in ("word", "phrase") else ""
    head, tail = tok.text[:at], tok.text[at + 1 :]
    column = tok.column + at
    if head and tail:  # "a,b": punctuation inside a word joins a phrase
        left, right = head.strip(","), tail.split(",")[0]
        if left and right:
            return (
                f"column {column}: commas separate nothing: '{left},{right}' is the phrase "
                f'"{left} {right}"; for either word write {left} OR {right}'
            )
    left, right = (head or before).strip(","), (tail or after).strip(",").split(",")[0]
    if not (left and right):
        left, right = "a", "b"
    return (
        f"column {column}: commas separate nothing: '{left}, {right}' means "
        f"{left} AND {right}; for either word write {left} OR {right}"
    )
