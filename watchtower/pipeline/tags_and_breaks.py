"""Words joined across a line break, and the parts of camel-case hashtags.

Two text rules of :mod:`watchtower.pipeline.normalise` (see its docstring),
found here as spans of the original text so that every implementation there
(fast, character-by-character, spans) applies them the same way:

* a hyphen, then a line break with spaces or tabs around it, between a letter
  and a lower-case letter, is a word cut at the end of a line: ``rembour-⏎sement``;
* a word right after ``#`` or ``@`` (not itself after a word character: an
  e-mail address) is a tag; its parts start at a case change or where letters
  and digits meet: ``#BoycottAcme`` → ``Boycott``, ``Acme``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise

from watchtower.pipeline.folding import TranslateTable

__all__ = ["SIGILS", "breaks", "char_kind", "cut", "part_starts", "tags"]

# A hyphen, then a line break with spaces or tabs around it: a word cut at the end
# of a line (PDF-to-text, e-mail wrapped at 72 columns) when it is between a
# letter and a lower-case letter (see :func:`breaks`).
_BREAK = re.compile("[-\u2010\u00ad][ \t]*(?:\r\n|\n|\r)[ \t]*")
SIGILS = "#@"


def breaks(text: str) -> list[tuple[int, int]]:
    """Spans of the hyphens + line breaks that join the two halves of a word.

    Joined only between a letter and a *lower-case* letter: ``rembour-⏎sement``
    is one word, ``Saint-⏎Étienne`` stays two (a compound cut at its own hyphen
    keeps it; lower-case compounds, ``après-⏎vente``, are joined: the hyphen
    cannot be told from a syllable break without a dictionary).
    """
    if ("\n" not in text and "\r" not in text) or (
        "-" not in text and "\u2010" not in text and "\u00ad" not in text
    ):
        return []
    out = []
    for m in _BREAK.finditer(text):
        start, end = m.span()
        if (
            start
            and end < len(text)
            and unicodedata.category(text[start - 1])[0] == "L"
            and unicodedata.category(text[end]) == "Ll"
        ):
            out.append((start, end))
    return out


def cut(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without the characters in ``spans`` (sorted, disjoint)."""
    pieces, last = [], 0
    for start, end in spans:
        pieces.append(text[last:start])
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


@lru_cache(maxsize=65536)
def char_kind(char: str) -> str:
    """``U`` upper-case (or title-case) letter, ``L`` lower-case, ``D`` digit, ``O`` other."""
    category = unicodedata.category(char)
    if category in ("Lu", "Lt"):
        return "U"
    return {"Ll": "L", "Nd": "D"}.get(category, "O")


def part_starts(kinds: str) -> list[int]:
    """Where the parts of a hashtag start, from its characters' :func:`char_kind` (not 0).

    ``aB`` (``boycottAcme``), ``ABc`` (``ACMEFail``: an acronym ends before the
    capital of the next part), a letter next to a digit (``Acme2024``).
    """
    out = []
    for i in range(1, len(kinds)):
        a, b = kinds[i - 1], kinds[i]
        if (
            (a == "L" and b == "U")
            or (a == "U" and b == "U" and kinds[i + 1 : i + 2] == "L")
            or (a in "UL" and b == "D")
            or (a == "D" and b in "UL")
        ):
            out.append(i)
    return out


# ``str.translate`` table: each character's :func:`char_kind`.
_KINDS = TranslateTable(char_kind)
# :func:`part_starts` as one regex over the kinds: the same rules, run in C.
_PART_START = re.compile(r"(?<=L)(?=U)|(?<=U)(?=UL)|(?<=[UL])(?=D)|(?<=D)(?=[UL])")
# The word after a sigil in the shape: invisibles skipped, ends on a word character.
_TAG_WORD = re.compile("\x01*(x(?:[x\x01]*x)?)")


def tags(text: str, shape: str) -> list[tuple[int, list[tuple[int, int]]]]:
    """Each hashtag or handle with parts: its sigil's index and its parts' spans.

    A tag is a word right after ``#`` or ``@``, itself not right after a word
    character (``contact@AcmeSupport`` is an address); ``shape`` is
    :func:`~watchtower.pipeline.folding.shape` of ``text``, where ``\\x01``
    (removed characters, line-break hyphens) is skipped everywhere. Tags
    without a case change or a digit next to a letter (``#acme``,
    ``#ACMEFAIL``) have no parts and are left out.
    """
    out = []
    for sigil in _sigils(text):
        before = sigil - 1
        while before >= 0 and shape[before] == "\x01":
            before -= 1
        if before >= 0 and shape[before] == "x":
            continue
        word = _TAG_WORD.match(shape, sigil + 1)
        if word is None:
            continue
        start, end = word.span(1)
        tag = text[start:end]
        if tag.isalpha() and (tag.isupper() or tag[1:].islower()):
            continue  # "#acme", "#ACME", "#Acme": letters, in one case after the first
        kinds = tag.translate(_KINDS)
        visible = None
        if "\x01" in shape[start:end]:
            visible = [i for i in range(start, end) if shape[i] == "x"]
            kinds = "".join(kinds[i - start] for i in visible)
        starts = [m.start() for m in _PART_START.finditer(kinds)]
        if starts:
            bounds = pairwise([0, *starts, len(kinds)])
            if visible is None:
                parts = [(start + a, start + b) for a, b in bounds]
            else:
                parts = [(visible[a], visible[b - 1] + 1) for a, b in bounds]
            out.append((sigil, parts))
    return out


def _sigils(text: str) -> list[int]:
    """Indexes of ``#`` and ``@`` in ``text``, in order (``str.find``: faster than a regex)."""
    found = []
    for sigil in SIGILS:
        at = text.find(sigil)
        while at >= 0:
            found.append(at)
            at = text.find(sigil, at + 1)
    return sorted(found)
