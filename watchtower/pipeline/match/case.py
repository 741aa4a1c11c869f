"""Brand terms matched in their case (``[[brands]] match_case``).

Matching ignores case, so a two-letter acronym is also a word: ``BA`` matches
the "ba" of "le b.a.-ba", ``CA`` matches "ça" and "ca va". A ``match_case``
term is found by the automaton like any other, then each hit is kept only if
the text writes the term's letters in the same case, letter for letter:
``BA`` keeps "la BA" and "chez BA", drops "b.a.-ba", "ba" and "Ba". Accents,
punctuation and elisions are still ignored: ``CA`` keeps "ÇA" and "(CA)".

A term starting with the article ``le``/``les`` (``Le Monde``) is also found
with ``du``/``au`` (``des``/``aux``) in its place, as every brand term is
(:data:`~watchtower.pipeline.match.automaton.CONTRACTIONS`). That article is
grammar, not the name: its case is not compared, only the name's words are,
so ``Le Monde`` keeps "du Monde" and "le Monde", drops "du monde".

Only the hits of items that already mention a brand term reach this check, so
it costs nothing on the path almost every item takes.
"""

from __future__ import annotations

from watchtower.pipeline.match.automaton import CONTRACTIONS
from watchtower.pipeline.normalise import tokenize

__all__ = ["same_case"]


def _cases(text: str) -> list[tuple[str, list[bool]]]:
    """Each word of ``text`` as the matcher reads it, with whether each of its
    letters is upper case, in order (elisions, punctuation and spaces left out,
    as the matcher leaves them out)."""
    return [
        (token.text, [char.isupper() for char in text[token.start : token.end] if char.isalpha()])
        for token in tokenize(text)
    ]


def _letters(words: list[tuple[str, list[bool]]]) -> list[bool]:
    return [upper for _, cases in words for upper in cases]


def same_case(written: str, surface: str) -> bool:
    """Whether ``surface`` (the text a term matched) has the case of ``written``.

    Letters are compared one for one over the term's letters (a wildcard
    term's are the start of the surface). A letter that normalisation expands
    (``ß``, ``œ``) can shift the count; then the longest common start decides.
    A leading article ``le``/``les`` of ``written`` is left out of the
    comparison when ``surface`` starts with it or one of its contracted forms.
    """
    term, text = _cases(written.replace("*", "")), _cases(surface)
    if len(term) > 1 and text and term[0][0] in CONTRACTIONS:
        article = term[0][0]
        if text[0][0] in (article, *CONTRACTIONS[article]):
            term, text = term[1:], text[1:]
    term_letters, text_letters = _letters(term), _letters(text)
    size = min(len(term_letters), len(text_letters))
    return size > 0 and term_letters[:size] == text_letters[:size]
