"""Text normalisation shared by brand terms, query terms and item text.

NFC, casefold, accent folding through a translation table (built once: calling
``unicodedata.normalize('NFKD')`` per item is slow and glues ``l’entreprise``),
French elisions dropped (``l'``, ``d’``, ``qu'``…), punctuation and hyphens as
word boundaries, dots inside words kept so ``acme.fr`` stays matchable.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base != char and base.isascii():
            table[code] = base.casefold()
    table.update({ord("œ"): "oe", ord("Œ"): "oe", ord("æ"): "ae", ord("Æ"): "ae", ord("ß"): "ss"})
    return table


FOLD = _build_fold_table()
_APOSTROPHES = "'’ʼ‘`´"
ELISIONS = ("jusqu", "lorsqu", "puisqu", "qu", "l", "d", "j", "m", "n", "s", "t", "c")
_TOKEN = re.compile(r"\w+(?:\.\w+)*", re.UNICODE)


@dataclass(frozen=True)
class Token:
    """A normalised word and its span in the original text."""

    text: str
    start: int
    end: int


def fold(text: str) -> str:
    """Casefold and strip accents, keeping length-independent semantics."""
    return unicodedata.normalize("NFC", text).casefold().translate(FOLD)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into normalised words with their original spans.

    Elisions are skipped (``l'Acmé`` → ``acme``); an apostrophe, hyphen or any
    punctuation is a boundary; ``acme.fr`` stays one token.
    """
    text = unicodedata.normalize("NFC", text)
    tokens = [Token(fold(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    return [t for t in tokens if not _is_elision(t, text)]


def _is_elision(token: Token, text: str) -> bool:
    return (
        token.text in ELISIONS
        and token.end < len(text)
        and text[token.end] in _APOSTROPHES
        and token.end + 1 < len(text)
        and text[token.end + 1].isalnum()
    )


def normalise_term(term: str) -> tuple[str, ...]:
    """A brand or query term as a sequence of normalised words."""
    return tuple(t.text for t in tokenize(term))
