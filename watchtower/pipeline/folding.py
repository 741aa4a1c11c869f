"""What each character becomes in normalised text, and how that runs fast.

The definition, character by character (:func:`fold_char`), that
:mod:`watchtower.pipeline.normalise` applies to every word:

* letters and digits are casefolded, their accents folded (``É`` → ``e``,
  ``œ`` → ``oe``) and their compatibility forms unified (full-width ``Ａ`` and
  mathematical bold ``𝐀`` → ``a``, full-width ``１`` → ``1``); combining marks
  are dropped, so decomposed text folds like NFC;
* superscript and subscript digits (``¹ ² ³ ⁴ … ₀ ₁ …``) are footnote marks
  and exponents, not part of a word: boundaries, so ``Acme¹`` is ``acme`` as
  ``Acme.`` is, and ``m²`` is ``m`` (an ordinary digit stays part of its word:
  ``Acme2`` is ``acme2``);
* apostrophes (``'`` ``’`` ``ʼ`` …) end a word, and a word among the French
  elisions (``l d j m n s t c qu jusqu lorsqu puisqu``) right before one is
  dropped when the next character (folded, invisibles skipped) is a vowel
  (``a e i o u y``) or ``h``, the only place French elides: ``l’Acmé`` →
  ``acme``, ``qu'il`` → ``il``, ``l'hôtel`` → ``hotel``, but ``M&M's`` →
  ``m m s`` (not ``m``, which "25 m/s" would match), ``rock'n'roll`` →
  ``rock n roll``, ``aujourd'hui`` → ``aujourd hui``;
* zero-width characters (ZWSP, ZWJ, soft hyphen, BOM…) vanish, so ``Ac\u200bmé``
  is ``acme``;
* everything else — spaces, hyphens, punctuation, symbols, emoji — is a word
  boundary. ``acme.fr`` becomes ``acme fr``, which a term ``acme.fr`` (normalised
  the same way) matches as a phrase.

The hashtag and handle sigils have compatibility forms too (full-width ``＃``
``＠`` typed on CJK and some mobile keyboards, small ``﹟`` ``﹫``):
:func:`ascii_sigils` writes them as ``#`` and ``@``, one character for one,
before tags are looked for.

Speed: ``unicodedata.normalize`` per item and ``str.translate`` with a dict both
cost more than the whole automaton scan, so Latin text goes through
``str.encode('latin-1')`` + ``bytes.translate`` (a 256-byte table, in C); the
few characters outside Latin-1 (``’``, ``œ``, dashes, emoji) go through a cached
codec error handler, and other scripts fall back to ``str.translate``
(:data:`FOLD_TABLE`). :func:`shape`, each character's kind (word, boundary,
apostrophe, invisible), takes the same path.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Callable
from functools import lru_cache

__all__ = [
    "ELIDING_NEXT",
    "ELISIONS",
    "FOLD_TABLE",
    "SEPARATOR",
    "TranslateTable",
    "ascii_sigils",
    "fold",
    "fold_char",
    "fold_latin1",
    "has_sigil_forms",
    "shape",
]

# U+0002 stays a word of its own: the matcher joins title and text around it.
SEPARATOR = "\x02"
ELISIONS = frozenset(("l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu"))
# French elides only before a vowel or a mute h: "l'", "d'" before anything else
# ("M's", "rock'n'roll") are letters of a name or an abbreviation, to be kept.
ELIDING_NEXT = frozenset("aeiouyh")
_APOSTROPHES = frozenset("'’ʼ‘`´′")
# Invisible characters used to split words (or evade filters): removed, not boundaries.
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e\u2061\u2062\u2063\u2064")
# Letters whose accent-stripped form is not given by their canonical decomposition.
_SPECIAL = {"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "ŀ": "l", "ħ": "h"}
# Characters whose NFKC form is a sigil: full-width and small "#" and "@"
# (a test checks the list against every code point).
_SIGIL_FORMS = {"\uff03": "#", "\ufe5f": "#", "\uff20": "@", "\ufe6b": "@"}
_SIGIL_TABLE = str.maketrans(_SIGIL_FORMS)


def has_sigil_forms(text: str) -> bool:
    """Whether ``text`` holds a full-width or small ``＃ ﹟ ＠ ﹫``.

    Four ``in`` tests (``＠``'s low byte is a space's, so on text beyond
    Latin-1 that one is a scan with many false starts): ask it only of text
    :func:`fold_latin1` refused, which it does for text holding these.
    """
    return not text.isascii() and any(form in text for form in _SIGIL_FORMS)


def ascii_sigils(text: str) -> str:
    """``text`` with the full-width and small ``＃ ﹟ ＠ ﹫`` written ``# # @ @``.

    The same length, so spans in the result are spans in ``text``.
    """
    return text.translate(_SIGIL_TABLE) if has_sigil_forms(text) else text


def _script_digit(char: str) -> bool:
    """Whether ``char`` is a superscript or subscript digit (``¹``, ``⁴``, ``₂``)."""
    return unicodedata.decomposition(char).startswith(("<super>", "<sub>")) and (
        unicodedata.normalize("NFKD", char).isdigit()
    )


@lru_cache(maxsize=65536)
def fold_char(char: str) -> str:
    """What one character becomes: folded letters, ``"'"``, ``" "`` or ``""``.

    Letters and digits (not superscript or subscript ones) → casefolded,
    accent-folded letters; apostrophes → ``"'"``;
    zero-width characters and combining marks → ``""``; anything else → ``" "``.
    """
    if char == SEPARATOR:
        return SEPARATOR
    if char in _APOSTROPHES or unicodedata.normalize("NFKC", char) in _APOSTROPHES:
        return "'"  # also the full-width "＇"
    if char in _INVISIBLE or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return ""
    if _script_digit(char):  # a footnote mark or an exponent: "Acme¹" is "Acme"
        return " "
    out = []
    for c in char.casefold():
        if c in _APOSTROPHES:  # "ŉ" casefolds to "ʼn"
            continue
        # Compatibility decomposition: full-width "ＡＣＭＥ" and the mathematical
        # "𝐀𝐂𝐌𝐄" that tweets use for bold are the letters A C M E.
        base = "".join(
            _SPECIAL.get(d, d)
            for d in unicodedata.normalize("NFKD", c).casefold()
            if not unicodedata.combining(d)
        )
        if not base or not base.isalnum():
            return " "
        out.append(base)
    return "".join(out)


class TranslateTable(dict[int, str]):
    """A ``str.translate`` table filled on demand: ``of(character)`` for each code."""

    def __init__(self, of: Callable[[str], str]) -> None:
        super().__init__()
        self._of = of

    def __missing__(self, code: int) -> str:
        value = self._of(chr(code))
        self[code] = value
        return value


#: :func:`fold_char` as a ``str.translate`` table, for scripts beyond Latin.
FOLD_TABLE = TranslateTable(fold_char)


# ------------------------------------------------------------------ fast path
def _byte_table() -> bytes:
    """256-byte translation table for Latin-1 text (see :func:`fold_char`).

    Characters folding to several letters (``ß``, ``æ``) or out of Latin-1 (``µ`` →
    ``μ``) map to the sentinel NUL; NUL itself (a control character) maps to a
    space, so a NUL in the output always means "take the general path". Removed
    characters map to 0x01, deleted after translation.
    """
    table = bytearray(256)
    for code in range(256):
        folded = fold_char(chr(code))
        if folded == "":
            table[code] = 0x01
        elif len(folded) == 1 and ord(folded) < 256 and folded != "\x01":
            table[code] = ord(folded)
        else:
            table[code] = 0
    return bytes(table)


_BYTES = _byte_table()


class _NotLatin(Exception):
    """Raised by the codec error handler: this text needs the general path."""


def _fold_unencodable(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    out = []
    for char in error.object[error.start : error.end]:
        if char in _SIGIL_FORMS:  # "＃Acme": the caller must read it as "#Acme" first
            raise _NotLatin
        folded = fold_char(char)
        if not folded:
            out.append("\xad")  # the soft hyphen: translated to the "removed" marker
            continue
        for c in folded:
            if ord(c) > 255:
                raise _NotLatin
        out.append(folded)
    return "".join(out), error.end


codecs.register_error("watchtower-fold", _fold_unencodable)


# Common non-Latin-1 characters of French and English text, replaced up front:
# a ``str.replace`` that finds nothing costs far less than one error-handler call.
_COMMON = tuple((c, fold_char(c) or "\xad") for c in "’‘“”…–—•€œ")


def fold_latin1(text: str) -> bytes | None:
    """Fold ``text`` to Latin-1 bytes in C, or ``None`` if it needs the general path
    (always for text with a full-width or small sigil, see :func:`has_sigil_forms`)."""
    if not text.isascii():
        for char, replacement in _COMMON:
            if char in text:
                text = text.replace(char, replacement)
    try:
        data = text.encode("latin-1", "watchtower-fold").translate(_BYTES)
    except _NotLatin:
        return None
    # A byte is looked for by its value: ``b"\x00" in data`` first tries its
    # operand as an integer, and the TypeError raised and cleared each time cost
    # eight times the search (1.6% of a first poll's recording, with normalise).
    if 0 in data:  # ß, æ, µ: rare, take the general path
        return None
    if 1 in data:
        data = data.replace(b"\x01", b"")
    return data


def fold(text: str) -> str:
    """Fold every character of ``text`` (see :func:`fold_char`), apostrophes kept."""
    data = fold_latin1(text)
    return text.translate(FOLD_TABLE) if data is None else data.decode("latin-1")


# ----------------------------------------------------------------- shape
def _shape_char(char: str) -> str:
    folded = fold_char(char)
    return {"": "\x01", " ": " ", "'": "'"}.get(folded, "x")


_SHAPE = bytes(ord(_shape_char(chr(code))) for code in range(256))
_SHAPE_LATIN1 = {"\x01": "\xad", " ": " ", "'": "'", "x": "x"}


def _shape_unencodable(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    # One Latin-1 character per original character, of the same kind.
    chars = error.object[error.start : error.end]
    return "".join(_SHAPE_LATIN1[_shape_char(c)] for c in chars), error.end


codecs.register_error("watchtower-shape", _shape_unencodable)


_COMMON_SHAPE = tuple((c, _SHAPE_LATIN1[_shape_char(c)]) for c, _ in _COMMON)


def shape(text: str) -> str:
    """One character per character of ``text``: ``x`` word, space, ``'``, or ``\\x01``."""
    if not text.isascii():
        for char, replacement in _COMMON_SHAPE:
            if char in text:
                text = text.replace(char, replacement)
    return text.encode("latin-1", "watchtower-shape").translate(_SHAPE).decode("latin-1")
