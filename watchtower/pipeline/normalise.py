"""Text normalisation shared by brand terms, query terms and item text.

One definition, several implementations that must agree (property tests check it):

* :func:`normalise` returns ``" w1 w2 … wn "``: folded words separated by single
  spaces, padded with a space at both ends so the Aho-Corasick automaton can
  anchor keys on word boundaries (``" acme "``);
* :func:`normalise_quick` is the cheaper superset the matcher's prefilter scans
  for every item (elisions kept, spaces not squeezed);
* :func:`word_spans` / :func:`tokenize`, run only for items that matched, give
  each word's span in the *original* text, to show the surface form
  (:mod:`watchtower.pipeline.spans`).

The definition, character by character, is :func:`fold_char`'s, in
:mod:`watchtower.pipeline.folding` (with how it runs fast): letters and digits
folded, apostrophes ending a word and dropping a French elision before a vowel
or ``h``, zero-width characters removed, everything else a word boundary.

Two rules look at more than one character, and apply first (:func:`_prepare`,
with the spans :mod:`watchtower.pipeline.tags_and_breaks` finds):

* a word cut at a line end — a hyphen (``-``, ``‐``, soft hyphen), spaces or
  tabs, one line break, spaces or tabs, between a letter and a *lower-case*
  letter — is joined: ``rembour-⏎sement`` → ``remboursement``. ``Saint-⏎Étienne``
  stays two words; ``après-⏎vente`` becomes ``apresvente`` (a compound cut at
  its own hyphen cannot be told from a cut word without a dictionary);
* a hashtag or handle — the word right after ``#`` or ``@``, itself not right
  after a word character (invisibles skipped), so never ``contact@AcmeFR`` — in
  camel case is preceded by its parts: ``#BoycottAcme`` → ``boycott acme
  boycottacme`` (the full-width and small ``＃ ＠ ﹟ ﹫`` are sigils too,
  :func:`~watchtower.pipeline.folding.ascii_sigils`). Parts start at a capital
  after a small letter, at the last of several capitals followed by a small
  letter (``ACMEFail``) and where letters
  and digits meet (:func:`~watchtower.pipeline.tags_and_breaks.part_starts`);
  one-case tags (``#boycottacme``) have no parts. The whole word stays, so a
  term written as one word (terms are never split, see :func:`normalise_term`)
  matches every spelling of the tag; the parts come *before* it so that the
  whole word keeps its neighbours (an apostrophe after it still decides
  elisions as before). Running text is never split: ``McDonald``, ``iPhone``,
  ``PayPal`` are names, not tags. A ``#`` or ``@`` right after an apostrophe
  is dropped (the parts written in its place), so that ``l’@Acme`` elides as
  ``l’Acme`` does: else an exclusion ``Fondation de l'Acme`` would miss
  ``Fondation de l’@Acme`` while the brand ``Acme`` matched it.

The two rules cost a few ``in`` tests on text without ``#``, ``@`` or line breaks.
"""

from __future__ import annotations

import re

from watchtower.pipeline.folding import (
    ELIDING_NEXT,
    ELISIONS,
    FOLD_TABLE,
    SEPARATOR,
    ascii_sigils,
    fold_char,
    fold_latin1,
    has_sigil_forms,
    shape,
)
from watchtower.pipeline.spans import Token, tokenize_chars, word_spans
from watchtower.pipeline.tags_and_breaks import breaks as find_breaks
from watchtower.pipeline.tags_and_breaks import cut
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
_APOSTROPHE = ord("'")
_ELIDED_REVERSED = re.compile(_ELIDED_PATTERN.encode())
_ELIDED_REVERSED_STR = re.compile(_ELIDED_PATTERN)


def normalise(text: str, *, tags: bool = True) -> str:
    """``" w1 w2 … wn "``: the folded words of ``text``, space-separated and padded.

    ``tags=False`` leaves camel-case hashtags whole (for terms, see :func:`normalise_term`).
    """
    text, data = _prepare_and_fold(text, tags=tags)
    if data is None:
        return _normalise_str(text.translate(FOLD_TABLE))
    if _APOSTROPHE in data:  # by value: see fold_latin1
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
    text, data = _prepare_and_fold(text, quick=True)
    if data is None:
        return f" {text.translate(FOLD_TABLE).replace(chr(39), ' ')} "
    return (b" " + data.replace(b"'", b" ") + b" ").decode("latin-1")


def _prepare_and_fold(
    text: str, *, tags: bool = True, quick: bool = False
) -> tuple[str, bytes | None]:
    """:func:`_prepare` and :func:`~watchtower.pipeline.folding.fold_latin1` of ``text``.

    A full-width or small sigil (``＃BoycottAcme``) is read as ``#`` or ``@``.
    Looking for one costs a scan of the text, so only text ``fold_latin1``
    refused is searched, and ``fold_latin1`` refuses text holding one: French
    and English text pays nothing.
    """
    prepared = _prepare(text, tags=tags, quick=quick)
    data = fold_latin1(prepared)
    if data is None and has_sigil_forms(text):
        prepared = _prepare(ascii_sigils(text), tags=tags, quick=quick)
        data = fold_latin1(prepared)
    return prepared, data


def _prepare(text: str, *, tags: bool = True, quick: bool = False) -> str:
    """``text`` with line-break hyphens removed and each tag's parts written before it.

    ``#BoycottAcme`` → `` Boycott Acme #BoycottAcme``: the parts, then the whole
    word, as separate words of the same text. ``quick``: the parts are written
    at the end instead (:func:`normalise_quick` needs the words, not their order).
    """
    breaks = find_breaks(text)
    if breaks:
        text = cut(text, breaks)
    if "#" not in text and "@" not in text:
        return text
    kinds = shape(text)
    found = find_tags(text, kinds) if tags else []
    if found and quick:
        parts = [text[start:end] for _, spans in found for start, end in spans]
        return f"{text} {' '.join(parts)}"
    elided = set() if quick else _elided_sigils(text, kinds)
    if found or elided:
        parts_of = dict(found)
        pieces, last = [], 0
        for sigil in sorted({*parts_of, *elided}):
            pieces.append(text[last:sigil])
            if sigil in parts_of:
                words = " ".join(text[start:end] for start, end in parts_of[sigil])
                # Right after the apostrophe, so that "l’#AcmeFail" elides like "l’Acme".
                pieces += [words, " "] if sigil in elided else [" ", words, " "]
                last = sigil  # the whole tag follows its parts
            else:
                last = sigil + 1  # "l’@Acme" is read as "l’Acme"
        pieces.append(text[last:])
        text = "".join(pieces)
    return text


def _elided_sigils(text: str, kinds: str) -> set[int]:
    """The ``#`` and ``@`` right after an apostrophe (invisibles between skipped).

    French elides before the tag's first letter, so ``l’@Acme`` is ``acme`` as
    ``l’Acme`` is; without its sigil, the elision is decided as everywhere else.
    ``kinds`` is :func:`~watchtower.pipeline.folding.shape` of ``text``.
    """
    out: set[int] = set()
    if "'" not in kinds:
        return out
    for char in "#@":
        sigil = text.find(char)
        while sigil >= 0:
            before = sigil - 1
            while before >= 0 and kinds[before] == "\x01":
                before -= 1
            if before >= 0 and kinds[before] == "'":
                out.add(sigil)
            sigil = text.find(char, sigil + 1)
    return out


def tokenize(text: str) -> list[Token]:
    """The words of :func:`normalise`, with their spans in the original ``text``.

    ``[t.text for t in tokenize(x)] == normalise(x).split()`` for every ``x``.
    """
    words = normalise(text).split()
    spans = word_spans(text)
    if len(spans) != len(words):  # cannot happen; stay correct if it does
        return tokenize_chars(text)
    return [Token(w, s, e) for w, (s, e) in zip(words, spans, strict=True)]


def normalise_term(term: str) -> tuple[str, ...]:
    """A brand or query term as a sequence of normalised words.

    A term is not split at its case changes: ``#BanqueAcme`` or ``BanqueAcme``
    is the one word ``banqueacme``, which every hashtag keeps whole.
    """
    return tuple(normalise(term, tags=False).split())
