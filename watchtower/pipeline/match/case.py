"""Brand terms matched in their case (``[[brands]] match_case``).

Matching ignores case, so a two-letter acronym is also a word: ``BA`` matches
the "ba" of "le b.a.-ba", ``CA`` matches "ça" and "ca va". A ``match_case``
term is found by the automaton like any other, then each hit is kept only if
the text writes the term's letters in the same case, letter for letter:
``BA`` keeps "la BA" and "chez BA", drops "b.a.-ba", "ba" and "Ba". Accents,
punctuation and elisions are still ignored: ``CA`` keeps "ÇA" and "(CA)".

Only the hits of items that already mention a brand term reach this check, so
it costs nothing on the path almost every item takes.
"""

from __future__ import annotations

from watchtower.pipeline.normalise import tokenize

__all__ = ["same_case"]


def _cases(text: str) -> list[bool]:
    """Whether each letter of ``text``'s words is upper case, in order (elisions,
    punctuation and spaces left out, as the matcher leaves them out)."""
    return [
        char.isupper()
        for token in tokenize(text)
        for char in text[token.start : token.end]
        if char.isalpha()
    ]


def same_case(written: str, surface: str) -> bool:
    """Whether ``surface`` (the text a term matched) has the case of ``written``.

    Letters are compared one for one over the term's letters (a wildcard
    term's are the start of the surface). A letter that normalisation expands
    (``ß``, ``œ``) can shift the count; then the longest common start decides.
    """
    term, text = _cases(written.replace("*", "")), _cases(surface)
    size = min(len(term), len(text))
    return size > 0 and term[:size] == text[:size]
