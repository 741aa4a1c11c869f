"""Where each word of normalised text stands in the original text.

:func:`word_spans` (and :func:`~watchtower.pipeline.normalise.tokenize`, which
pairs its spans with the words of
:func:`~watchtower.pipeline.normalise.normalise`) runs only for items that
matched, to show the surface form of a match. It must find exactly the words
of ``normalise``, in order (property tests check it): the same elisions
dropped, the same line-break hyphens joined, the same hashtag parts, each at
the same place. :func:`tokenize_chars` is the reference, one character at a
time, for any script.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from itertools import accumulate, compress, pairwise, repeat
from operator import add
from typing import NamedTuple

from watchtower.pipeline.folding import (
    ELIDING_NEXT,
    ELISIONS,
    ascii_sigils,
    fold,
    fold_char,
    shape,
)
from watchtower.pipeline.tags_and_breaks import SIGILS, char_kind, part_starts
from watchtower.pipeline.tags_and_breaks import breaks as find_breaks
from watchtower.pipeline.tags_and_breaks import tags as find_tags

__all__ = ["Token", "tokenize_chars", "word_spans"]


class Token(NamedTuple):
    """A normalised word and its span ``[start, end)`` in the original text.

    A named tuple: candidates create hundreds of them, a frozen dataclass is slower.
    """

    text: str
    start: int
    end: int


def word_spans(text: str) -> list[tuple[int, int]]:
    """The span in ``text`` of each word of :func:`~watchtower.pipeline.normalise.normalise`.

    Found on a same-length "shape" of the text (word character, boundary,
    apostrophe or invisible; line-break hyphens count as invisible) by one
    regex; elisions are then dropped by looking only at the apostrophes, and
    the parts of hashtags put before them. A joined word's span includes its
    hyphen and line break (``rembour-⏎sement``); parts overlap their hashtag's span.
    A word's span ends after the combining marks that follow its last letter
    (see :func:`_over_marks`).
    """
    text = ascii_sigils(text)  # the same length: spans in it are spans in the text
    kinds = shape(text)
    breaks = find_breaks(text)
    if breaks:  # line-break hyphens: removed, like invisible characters
        pieces, last = [], 0
        for start, end in breaks:
            pieces += [kinds[last:start], "\x01" * (end - start)]
            last = end
        kinds = "".join(pieces) + kinds[last:]
    if "\x01" in kinds:  # invisible characters: runs must not start or end on them
        spans = [m.span() for m in _RUN.finditer(kinds)]
    else:
        # Split on boundaries and add up the lengths, all in C: a regex match
        # object per word costs several times more.
        lengths = list(map(len, kinds.replace("'", " ").split(" ")))
        starts = list(accumulate(map(add, lengths, repeat(1)), initial=0))
        spans = list(compress(zip(starts, map(add, starts, lengths), strict=False), lengths))
    if "'" in kinds:
        spans = _drop_elisions(text, kinds, spans)
    if "#" in text or "@" in text:
        found = find_tags(text, kinds)
        if found:  # each tag's parts come right before it (see normalise's _prepare)
            starts = [start for start, _ in spans]
            out: list[tuple[int, int]] = []
            last = 0
            for sigil, parts in found:
                index = bisect.bisect_left(starts, sigil)
                out += spans[last:index]
                out += parts
                last = index
            spans = out + spans[last:]
    if "\x01" in kinds:  # removed characters, among them maybe combining marks
        spans = _over_marks(text, kinds, spans)
    return spans


_MARKS = ("Mn", "Me")


def _over_marks(text: str, kinds: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans``, each end moved over the combining marks right after it.

    Folding drops the marks, so a word's span ends on its last letter; but a
    mark belongs to the letter before it, and a surface ``Acme`` cut from the
    decomposed (NFD) ``Acme\u0301`` loses the accent of ``Acmé``. Marks before
    a word's first letter belong to the character before the word: left out.
    Run only on text with removed characters (``kinds`` is its shape).
    """
    size = len(text)
    out = []
    for start, end in spans:
        while end < size and kinds[end] == "\x01" and unicodedata.category(text[end]) in _MARKS:
            end += 1
        out.append((start, end))
    return out


def _drop_elisions(text: str, shape: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` without the elisions (the words before an apostrophe, see :mod:`.folding`)."""
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
            if len(run) <= 12 and (run.lower() if run.isascii() else fold(run)) in ELISIONS:
                dropped.add(index)
        at = shape.find("'", at + 1)
    if dropped:
        spans = [span for index, span in enumerate(spans) if index not in dropped]
    return spans


def _elides_before(text: str, shape: str, at: int) -> bool:
    """Whether the first visible character from ``at`` is one French elides before
    (a ``#`` or ``@`` right after the apostrophe skipped: ``l’@Acme``)."""
    size = len(shape)
    while at < size and shape[at] == "\x01":
        at += 1
    if at < size and text[at] in SIGILS:
        at += 1
        while at < size and shape[at] == "\x01":
            at += 1
    return at < size and shape[at] == "x" and fold_char(text[at])[:1] in ELIDING_NEXT


# A word run in the shape: starts and ends on a word character, may hold invisibles.
_RUN = re.compile(r"[^ '\x01](?:[^ ']*[^ '\x01])?")


def tokenize_chars(text: str) -> list[Token]:
    """:func:`~watchtower.pipeline.normalise.tokenize`, one character at a time: any script."""
    text = ascii_sigils(text)
    tokens: list[Token] = []
    removed = {i for start, end in find_breaks(text) for i in range(start, end)}
    buf: list[str] = []
    start = end = 0
    # An elision before an apostrophe waits for the next visible character,
    # which decides whether it is dropped (a vowel or h) or kept.
    pending: Token | None = None
    sigil_skipped = False
    # Hashtags and handles: a word right after "#" or "@" that is not itself
    # right after a word; its characters are kept to cut it into parts.
    after_word = after_sigil = in_tag = False
    chars: list[tuple[int, str, str]] = []  # (index, character, folded) of a tag
    for index, char in enumerate(text):
        folded = fold_char(char)
        if folded == "" or index in removed:
            continue
        if pending is not None and char in SIGILS and not sigil_skipped:
            sigil_skipped = True  # "l’@Acme": the tag's first letter decides
        elif pending is not None:
            if folded[0] not in ELIDING_NEXT:
                tokens.append(pending)
            pending = None
        if folded == " " or folded == "'":
            if buf:
                if in_tag:
                    tokens += _tag_tokens(chars)
                token = Token("".join(buf), start, end)
                if folded == "'" and token.text in ELISIONS:
                    pending, sigil_skipped = token, False
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
    # A word ends after the combining marks of its last letter (see word_spans).
    marks = _over_marks(text, shape(text), [(t.start, t.end) for t in tokens])
    return [Token(t.text, *span) for t, span in zip(tokens, marks, strict=True)]


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
