"""Reading one term of a query: a word, a phrase, a wildcard (``rembours*``,
``"carte* bloqu*"``).

Terms are normalised like item text (:mod:`watchtower.pipeline.normalise`), so
``l'Acmé`` is the word ``acme`` and ``ufc-que-choisir`` a three-word phrase;
``rembours*`` matches words starting with ``rembours``, on any word of a
phrase (``"carte* bloqu*"``). :mod:`.query` calls :func:`parse_term` for each
word and phrase of a query, the matcher and the config checker for brand terms.
"""

from __future__ import annotations

from itertools import pairwise

from watchtower.pipeline.match.query_tree import QuerySyntaxError, Term
from watchtower.pipeline.normalise import normalise_term

__all__ = ["MIN_PREFIX", "parse_term"]

MIN_PREFIX = 3


def parse_term(text: str, column: int = 1) -> Term:
    """A term or phrase as written (``rembours*``, ``"carte* bloqu*"``, ``acme.fr``).

    A ``*`` at the end of a word, on any word of a phrase, makes that word a
    prefix of at least :data:`MIN_PREFIX` letters; it applies to the last of
    the words normalisation makes of what precedes it (``ufc-que-choi*``: ``choi``).
    """
    raw = text
    prefix = raw.endswith("*")
    body = raw[:-1] if prefix else raw
    if "*" in body:
        return _starred_phrase(raw, body, prefix, column)
    words = normalise_term(body)
    if not words:
        raise QuerySyntaxError(column, f"{raw!r} has no letters or digits; expected a term")
    if prefix and (body[-1:].isspace() or len(words[-1]) < MIN_PREFIX):
        raise _short_prefix(raw, column)
    return Term(words, prefix, None, raw)


def _short_prefix(raw: str, column: int) -> QuerySyntaxError:
    return QuerySyntaxError(
        column, f"a wildcard needs at least {MIN_PREFIX} letters before '*', in {raw!r}"
    )


def _starred_phrase(raw: str, body: str, prefix: bool, column: int) -> Term:
    """:func:`parse_term` for a ``*`` before the end: ``"carte* bloqu*"``, ``"service* client"``.

    The text is read piece by piece between the stars: each piece's words are
    normalised alone (a ``*`` is a word boundary, so this gives the words of the
    whole), and the last word of each piece followed by a ``*`` is a prefix.
    """
    pieces = body.split("*")
    words: list[str] = []
    prefixes: set[int] = set()
    at = 0  # index in ``raw`` of the star after the current piece
    for piece, following in pairwise(pieces):
        at += len(piece)
        piece_words = normalise_term(piece)
        # "car*te", "*bours", "carte** x": the star must end a word of its own piece.
        if not piece_words or normalise_term(following[:1]):
            raise QuerySyntaxError(
                column + at, f"'*' is only allowed at the end of a word, in {raw!r}"
            )
        words += piece_words
        if piece[-1].isspace() or len(words[-1]) < MIN_PREFIX:
            raise _short_prefix(raw, column)
        prefixes.add(len(words) - 1)
        at += 1
    words += normalise_term(pieces[-1])
    last = len(words) - 1
    if prefix:
        if last in prefixes:  # "carte*.*": the final star ends no word of its own
            raise QuerySyntaxError(
                column + len(body), f"'*' is only allowed at the end of a word, in {raw!r}"
            )
        if body[-1].isspace() or len(words[-1]) < MIN_PREFIX:
            raise _short_prefix(raw, column)
    elif last in prefixes:  # "carte*." or a phrase's "carte* ": the last word is the prefix
        prefixes.discard(last)
        prefix = True
    return Term(tuple(words), prefix, None, raw, tuple(sorted(prefixes)))
