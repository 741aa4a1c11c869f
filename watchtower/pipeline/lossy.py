"""Terms that normalisation changes in meaning: ``Canal+`` is matched as "canal".

Terms and text are normalised alike (:mod:`watchtower.pipeline.normalise`), so a
term loses whatever normalisation drops and then matches text that never had
it. :func:`lossy_term` names those losses for ``watchtower check`` to warn.
"""

from __future__ import annotations

import re
import unicodedata

from watchtower.pipeline.normalise import fold_char, normalise_quick, normalise_term, tokenize

__all__ = ["lossy_term"]

# Punctuation that only separates words (sentence punctuation, quotes, brackets,
# dashes, the dots and slashes of addresses): a term matched as the phrase of its
# words loses nothing when it is dropped.
_NEUTRAL_PUNCTUATION = frozenset('.,;:!?"()[]{}«»“”„…/\\_·•')
# Marks that decorate a name without being part of it.
_DECORATION = frozenset("®©™℠")
# Short French words that differ from another word by their accents only; a
# short term without accents (``CA``, ``LA``) also matches them, and nothing
# else about the term can tell them apart.
_SHORT_ACCENTED = {
    "a": "à",
    "age": "âge",
    "ame": "âme",
    "bat": "bât",
    "ble": "blé",
    "ca": "ça",
    "cle": "clé",
    "cru": "crû",
    "de": "dé",
    "des": "dès",
    "du": "dû",
    "elu": "élu",
    "emu": "ému",
    "epi": "épi",
    "es": "ès",
    "ete": "été",
    "fee": "fée",
    "gre": "gré",
    "ile": "île",
    "la": "là",
    "les": "lès",
    "lie": "lié",
    "mat": "mât",
    "mu": "mû",
    "mur": "mûr",
    "ne": "né",
    "nie": "nié",
    "ose": "osé",
    "ou": "où",
    "pre": "pré",
    "re": "ré",
    "sur": "sûr",
    "the": "thé",
    "tot": "tôt",
    "use": "usé",
}
_SHORT_TERM_LETTERS = 3


def _dropped_symbols(body: str) -> list[str]:
    """Characters of ``body`` that normalisation drops and that may tell it apart."""
    dropped: dict[str, None] = {}
    for index, char in enumerate(body):
        if char.isspace() or fold_char(char) != " ":
            continue
        if char in _NEUTRAL_PUNCTUATION or char in _DECORATION:
            continue
        if unicodedata.category(char) == "Pd":  # hyphens and dashes: word boundaries
            continue
        before = body[index - 1] if index else " "
        after = body[index + 1] if index + 1 < len(body) else " "
        if char == "@" and fold_char(before).isalnum() and fold_char(after).isalnum():
            continue  # an e-mail address: matched as the phrase of its parts
        if char == "&" and before.isspace() and after.isspace():
            continue  # "Procter & Gamble": the "and" of a name, not part of a word
        dropped[char] = None
    return list(dropped)


# A wildcard: a "*" that ends a word ("carte* bloqu*").
_WILDCARD = re.compile(r"\*(?=\s|$)")


def lossy_term(term: str) -> str | None:
    """Why a brand or query term may match text it does not mean, or ``None``.

    Normalisation is the same for terms and text, so a term loses whatever
    normalisation drops, and then matches text that never had it. This names
    the losses that change what a term means, for the config checker to warn:

    * punctuation or symbols that distinguish it (``Canal+`` is matched as
      ``canal``, the waterway; ``M&M's`` as ``m m s``);
    * a leading elision (``L'Équipe`` is matched as ``equipe``: any "équipe");
    * accents, when they are the only difference and the term is short
      (``CA`` also matches "ça", ``ÇA`` also matches "ca").

    Returns a short English explanation (``"matched as 'canal': …"``); a
    ``*`` ending a word (a wildcard, on any word of a phrase) is not a loss.
    """
    body = _WILDCARD.sub("", term)
    words = normalise_term(body)
    if not words:
        return None  # no words at all: reported as an invalid term elsewhere
    reasons = []
    dropped = _dropped_symbols(body)
    if dropped:
        shown = ", ".join(repr(c) for c in dropped)
        reasons.append(f"punctuation and symbols are ignored ({shown})")
    kept = normalise_quick(body).split()  # the same words with the elisions kept
    if kept[0] != words[0]:
        first = tokenize(body)[0].start
        elided, rest = body[:first].strip(), body[first:].strip()
        reasons.append(f"the leading elision {elided!r} is dropped, so it also matches {rest!r}")
    if len(words) == 1 and sum(c.isalpha() for c in words[0]) <= _SHORT_TERM_LETTERS:
        accented = any(c.isalpha() and fold_char(c) != c.casefold() for c in body)
        if accented:
            reasons.append(f"accents are ignored, so it also matches {words[0]!r}")
        elif words[0] in _SHORT_ACCENTED:
            also = _SHORT_ACCENTED[words[0]]
            reasons.append(f"accents are ignored, so it also matches {also!r}")
        elif len(words[0]) <= 2 and body.strip().isalpha() and body.strip().isupper():
            # "BA" (Banque Acmé) is also the word "ba" of "le b.a.-ba", "ba ba ba".
            reasons.append(f"case is ignored, so the acronym also matches the word {words[0]!r}")
    if not reasons:
        return None
    return f"matched as {' '.join(words)!r}: " + "; ".join(reasons)
