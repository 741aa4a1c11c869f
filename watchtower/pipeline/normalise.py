"""Text normalisation shared by brand terms, query terms and item text.

One definition, several implementations that must agree (property tests check it):

* :func:`normalise` returns ``" w1 w2 … wn "``: folded words separated by single
  spaces, padded with a space at both ends so the Aho-Corasick automaton can
  anchor keys on word boundaries (``" acme "``);
* :func:`normalise_quick` is the cheaper superset the matcher's prefilter scans
  for every item (elisions kept, spaces not squeezed);
* :func:`word_spans` / :func:`tokenize`, run only for items that matched, give
  each word's span in the *original* text, to show the surface form.

The definition, character by character (:func:`fold_char`):

* letters and digits are casefolded, their accents folded (``É`` → ``e``,
  ``œ`` → ``oe``) and their compatibility forms unified (full-width ``Ａ`` and
  mathematical bold ``𝐀`` → ``a``, ``²`` → ``2``); combining marks are dropped,
  so decomposed text folds like NFC;
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

Two rules look at more than one character, and apply first (:func:`_prepare`):

* a word cut at a line end — a hyphen (``-``, ``‐``, soft hyphen), spaces or
  tabs, one line break, spaces or tabs, between a letter and a *lower-case*
  letter — is joined: ``rembour-⏎sement`` → ``remboursement``. ``Saint-⏎Étienne``
  stays two words; ``après-⏎vente`` becomes ``apresvente`` (a compound cut at
  its own hyphen cannot be told from a cut word without a dictionary);
* a hashtag or handle — the word right after ``#`` or ``@``, itself not right
  after a word character (invisibles skipped), so never ``contact@AcmeFR`` — in
  camel case is preceded by its parts: ``#BoycottAcme`` → ``boycott acme
  boycottacme``. Parts start at a capital after a small letter, at the last of
  several capitals followed by a small letter (``ACMEFail``) and where letters
  and digits meet (:func:`part_starts`); one-case tags (``#boycottacme``) have
  no parts. The whole word stays, so a term written as one word (terms are never
  split, see :func:`normalise_term`) matches every spelling of the tag; the parts
  come *before* it so that the whole word keeps its neighbours (an apostrophe
  after it still decides elisions as before). Running text is never split:
  ``McDonald``, ``iPhone``, ``PayPal`` are names, not tags.

Speed: ``unicodedata.normalize`` per item and ``str.translate`` with a dict both
cost more than the whole automaton scan, so Latin text goes through
``str.encode('latin-1')`` + ``bytes.translate`` (a 256-byte table, in C); the
few characters outside Latin-1 (``’``, ``œ``, dashes, emoji) go through a cached
codec error handler, and other scripts fall back to ``str.translate``. The two
rules above cost a few ``in`` tests on text without ``#``, ``@`` or line breaks.
"""

from __future__ import annotations

import bisect
import codecs
import re
import unicodedata
from functools import lru_cache
from itertools import accumulate, compress, pairwise, repeat
from operator import add
from typing import NamedTuple

from watchtower.pipeline.tags_and_breaks import SIGILS, char_kind, cut, part_starts
from watchtower.pipeline.tags_and_breaks import breaks as find_breaks
from watchtower.pipeline.tags_and_breaks import tags as find_tags

__all__ = [
    "ELIDING_NEXT",
    "ELISIONS",
    "SEPARATOR",
    "Token",
    "fold_char",
    "normalise",
    "normalise_quick",
    "normalise_term",
    "tokenize",
    "word_spans",
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


@lru_cache(maxsize=65536)
def fold_char(char: str) -> str:
    """What one character becomes: folded letters, ``"'"``, ``" "`` or ``""``.

    Letters and digits → casefolded, accent-folded letters; apostrophes → ``"'"``;
    zero-width characters and combining marks → ``""``; anything else → ``" "``.
    """
    if char == SEPARATOR:
        return SEPARATOR
    if char in _APOSTROPHES or unicodedata.normalize("NFKC", char) in _APOSTROPHES:
        return "'"  # also the full-width "＇"
    if char in _INVISIBLE or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return ""
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


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on demand, for scripts beyond Latin."""

    def __missing__(self, code: int) -> str:
        folded = fold_char(chr(code))
        self[code] = folded
        return folded


_TABLE = _FoldTable()


# Common non-Latin-1 characters of French and English text, replaced up front:
# a ``str.replace`` that finds nothing costs far less than one error-handler call.
_COMMON = tuple((c, fold_char(c) or "\xad") for c in "’‘“”…–—•€œ")


def _fold_latin1(text: str) -> bytes | None:
    """Fold ``text`` to Latin-1 bytes in C, or ``None`` if it needs the general path."""
    if not text.isascii():
        for char, replacement in _COMMON:
            if char in text:
                text = text.replace(char, replacement)
    try:
        data = text.encode("latin-1", "watchtower-fold").translate(_BYTES)
    except _NotLatin:
        return None
    if b"\x00" in data:  # ß, æ, µ: rare, take the general path
        return None
    if b"\x01" in data:
        data = data.replace(b"\x01", b"")
    return data


def _fold(text: str) -> str:
    """Fold every character of ``text`` (see :func:`fold_char`), apostrophes kept."""
    data = _fold_latin1(text)
    return text.translate(_TABLE) if data is None else data.decode("latin-1")


# "'" + a reversed elision, then a boundary: an elision and its apostrophe, reversed.
# The lookbehind, placed after the literal "'" so the regex engine can still jump
# from apostrophe to apostrophe, requires the character that followed the
# apostrophe in the original order to be one before which French elides.
_ELIDED_PATTERN = (
    "'(?<=["
    + "".join(sorted(ELIDING_NEXT))
    + "]')(?:"
    + "|".join(sorted((e[::-1] for e in ELISIONS), key=len, reverse=True))
    + ")(?=[ ']|$)"
)
_ELIDED_REVERSED = re.compile(_ELIDED_PATTERN.encode())
_ELIDED_REVERSED_STR = re.compile(_ELIDED_PATTERN)


def normalise(text: str, *, tags: bool = True) -> str:
    """``" w1 w2 … wn "``: the folded words of ``text``, space-separated and padded.

    ``tags=False`` leaves camel-case hashtags whole (for terms, see :func:`normalise_term`).
    """
    text = _prepare(text, tags=tags)
    data = _fold_latin1(text)
    if data is None:
        return _normalise_str(text.translate(_TABLE))
    if b"'" in data:
        # Elisions are found on the reversed bytes, where the pattern starts with a
        # literal apostrophe the regex engine can jump to; then apostrophes are spaces.
        data = _ELIDED_REVERSED.sub(b" ", data[::-1])[::-1].replace(b"'", b" ")
    joined = b" ".join(data.split())
    return f" {joined.decode('latin-1')} " if joined else " "


def _normalise_str(folded: str) -> str:
    """:func:`normalise` after the general-path fold (the same steps on ``str``)."""
    if "'" in folded:
        folded = _ELIDED_REVERSED_STR.sub(" ", folded[::-1])[::-1].replace("'", " ")
    joined = " ".join(folded.split())
    return f" {joined} " if joined else " "


def normalise_quick(text: str) -> str:
    """A cheaper superset of :func:`normalise`, for prefilters on single words.

    Every word of ``normalise(text)`` is in it between spaces, but elisions are
    kept (``l'acme`` → ``l acme``) and spaces are not squeezed: dropping
    elisions and squeezing spaces cost as much as folding, and a prefilter
    looking for whole single words needs neither. The parts of hashtags are
    at the end (``#AcmeFail`` → ``acmefail … acme fail``), not before the tag.
    """
    text = _prepare(text, quick=True)
    data = _fold_latin1(text)
    if data is None:
        return f" {text.translate(_TABLE).replace(chr(39), ' ')} "
    return (b" " + data.replace(b"'", b" ") + b" ").decode("latin-1")


def _prepare(text: str, *, tags: bool = True, quick: bool = False) -> str:
    """``text`` with line-break hyphens removed and each tag's parts written before it.

    ``#BoycottAcme`` → `` Boycott Acme #BoycottAcme``: the parts, then the whole
    word, as separate words of the same text. ``quick``: the parts are written
    at the end instead (:func:`normalise_quick` needs the words, not their order).
    """
    breaks = find_breaks(text)
    if breaks:
        text = cut(text, breaks)
    if tags and ("#" in text or "@" in text):
        found = find_tags(text, _shape(text))
        if found and quick:
            parts = [text[start:end] for _, spans in found for start, end in spans]
            text = f"{text} {' '.join(parts)}"
        elif found:
            pieces, last = [], 0
            for sigil, spans in found:
                words = " ".join(text[start:end] for start, end in spans)
                pieces += [text[last:sigil], " ", words, " "]
                last = sigil
            pieces.append(text[last:])
            text = "".join(pieces)
    return text


# ------------------------------------------------------------------ slow path
class Token(NamedTuple):
    """A normalised word and its span ``[start, end)`` in the original text.

    A named tuple: candidates create hundreds of them, a frozen dataclass is slower.
    """

    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """The words of :func:`normalise`, with their spans in the original ``text``.

    ``[t.text for t in tokenize(x)] == normalise(x).split()`` for every ``x``.
    """
    words = normalise(text).split()
    spans = word_spans(text)
    if len(spans) != len(words):  # cannot happen; stay correct if it does
        return _tokenize_chars(text)
    return [Token(w, s, e) for w, (s, e) in zip(words, spans, strict=True)]


def word_spans(text: str) -> list[tuple[int, int]]:
    """The span in ``text`` of each word of :func:`normalise`, in order.

    Found on a same-length "shape" of the text (word character, boundary,
    apostrophe or invisible; line-break hyphens count as invisible) by one
    regex; elisions are then dropped by looking only at the apostrophes, and
    the parts of hashtags put before them. A joined word's span includes its
    hyphen and line break (``rembour-⏎sement``); parts overlap their hashtag's span.
    """
    shape = _shape(text)
    breaks = find_breaks(text)
    if breaks:  # line-break hyphens: removed, like invisible characters
        pieces, last = [], 0
        for start, end in breaks:
            pieces += [shape[last:start], "\x01" * (end - start)]
            last = end
        shape = "".join(pieces) + shape[last:]
    if "\x01" in shape:  # invisible characters: runs must not start or end on them
        spans = [m.span() for m in _RUN.finditer(shape)]
    else:
        # Split on boundaries and add up the lengths, all in C: a regex match
        # object per word costs several times more.
        lengths = list(map(len, shape.replace("'", " ").split(" ")))
        starts = list(accumulate(map(add, lengths, repeat(1)), initial=0))
        spans = list(compress(zip(starts, map(add, starts, lengths), strict=False), lengths))
    if "'" in shape:
        spans = _drop_elisions(text, shape, spans)
    if "#" in text or "@" in text:
        found = find_tags(text, shape)
        if found:  # each tag's parts come right before it (see _prepare)
            starts = [start for start, _ in spans]
            out: list[tuple[int, int]] = []
            last = 0
            for sigil, parts in found:
                index = bisect.bisect_left(starts, sigil)
                out += spans[last:index]
                out += parts
                last = index
            spans = out + spans[last:]
    return spans


def _drop_elisions(text: str, shape: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` without the elisions (the words before an apostrophe, see above)."""
    ends = [end for _, end in spans]
    dropped = set()
    at = shape.find("'")
    while at >= 0:
        end = at
        while end > 0 and shape[end - 1] == "\x01":
            end -= 1
        index = bisect.bisect_left(ends, end)
        if index < len(spans) and ends[index] == end and _elides_before(text, shape, at + 1):
            start = spans[index][0]
            run = text[start:end]
            if len(run) <= 12 and (run.lower() if run.isascii() else _fold(run)) in ELISIONS:
                dropped.add(index)
        at = shape.find("'", at + 1)
    if dropped:
        spans = [span for index, span in enumerate(spans) if index not in dropped]
    return spans


def _elides_before(text: str, shape: str, at: int) -> bool:
    """Whether the first visible character from ``at`` is one French elides before."""
    size = len(shape)
    while at < size and shape[at] == "\x01":
        at += 1
    return at < size and shape[at] == "x" and fold_char(text[at])[:1] in ELIDING_NEXT


# A word run in the shape: starts and ends on a word character, may hold invisibles.
_RUN = re.compile(r"[^ '\x01](?:[^ ']*[^ '\x01])?")


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


def _shape(text: str) -> str:
    """One character per character of ``text``: ``x`` word, space, ``'``, or ``\\x01``."""
    if not text.isascii():
        for char, replacement in _COMMON_SHAPE:
            if char in text:
                text = text.replace(char, replacement)
    return text.encode("latin-1", "watchtower-shape").translate(_SHAPE).decode("latin-1")


def _tokenize_chars(text: str) -> list[Token]:
    """:func:`tokenize`, one character at a time: any script."""
    tokens: list[Token] = []
    removed = {i for start, end in find_breaks(text) for i in range(start, end)}
    buf: list[str] = []
    start = end = 0
    # An elision before an apostrophe waits for the next visible character,
    # which decides whether it is dropped (a vowel or h) or kept.
    pending: Token | None = None
    # Hashtags and handles: a word right after "#" or "@" that is not itself
    # right after a word; its characters are kept to cut it into parts.
    after_word = after_sigil = in_tag = False
    chars: list[tuple[int, str, str]] = []  # (index, character, folded) of a tag
    for index, char in enumerate(text):
        folded = fold_char(char)
        if folded == "" or index in removed:
            continue
        if pending is not None:
            if folded[0] not in ELIDING_NEXT:
                tokens.append(pending)
            pending = None
        if folded == " " or folded == "'":
            if buf:
                if in_tag:
                    tokens += _tag_tokens(chars)
                token = Token("".join(buf), start, end)
                if folded == "'" and token.text in ELISIONS:
                    pending = token
                else:
                    tokens.append(token)
                buf = []
            after_sigil = char in SIGILS and not after_word
            after_word = False
            continue
        if not buf:
            start = index
            in_tag, chars = after_sigil, []
        if in_tag:
            chars.append((index, char, folded))
        after_word, after_sigil = True, False
        buf.append(folded)
        end = index + 1
    if pending is not None:
        tokens.append(pending)
    if buf:
        if in_tag:
            tokens += _tag_tokens(chars)
        tokens.append(Token("".join(buf), start, end))
    return tokens


def _tag_tokens(chars: list[tuple[int, str, str]]) -> list[Token]:
    """The parts of a tag as tokens, from its (index, character, folded) list."""
    starts = part_starts("".join(char_kind(char) for _, char, _ in chars))
    if not starts:
        return []
    bounds = [0, *starts, len(chars)]
    return [
        Token("".join(f for _, _, f in chars[a:b]), chars[a][0], chars[b - 1][0] + 1)
        for a, b in pairwise(bounds)
    ]


def normalise_term(term: str) -> tuple[str, ...]:
    """A brand or query term as a sequence of normalised words.

    A term is not split at its case changes: ``#BanqueAcme`` or ``BanqueAcme``
    is the one word ``banqueacme``, which every hashtag keeps whole.
    """
    return tuple(normalise(term, tags=False).split())
