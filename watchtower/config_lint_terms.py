"""Warnings about a brand's terms, for :func:`watchtower.config_lint.config_warnings`.

A term matched as something more common than what was written (``Canal+``), an
everyday word or a common first name (``Orange``, ``Alan``), a ``match_case``
that narrows an everyday word less than meant, ``fuzzy`` with no term long
enough to use it, or whose typos include everyday words the matcher leaves out
(``orage`` for ``Orange``). Each a valid config that probably floods or misses,
never an error.
"""

from __future__ import annotations

from watchtower.config_models import BrandConfig, Config
from watchtower.config_refs import problem
from watchtower.errors import ConfigProblem
from watchtower.tomllines import Lines

__all__ = [
    "everyday_match_case",
    "everyday_terms",
    "fuzzy_everyday_typos",
    "fuzzy_without_effect",
    "lossy_terms",
]


def lossy_terms(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """Terms matched as something more common than what was written (``Canal+`` is
    the word "canal"): worth an ``exclude`` or a rule query."""
    from watchtower.pipeline.lossy import lossy_term

    warnings = []
    for index, brand in enumerate(config.brands):
        for position, term in enumerate(brand.terms):
            lost = lossy_term(term)
            if lost:
                loc = ("brands", index, "terms", position)
                message = f"{term!r} is {lost}; narrow it with exclude or a rule's query"
                if _acronym(term) and ("case is" in lost or "accents are" in lost):
                    message += f', or move it to match_case = ["{term}"] to match it in capitals'
                warnings.append(problem(path, loc, message, lines))
    return warnings


def everyday_terms(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """Terms that are everyday words (``Orange``, ``Printemps``, ``Free``) or common
    first names (``Alan``, ``Lydia``): every text using the word is a mention,
    and the brand's channel floods. A brand already
    narrowed (``exclude``, or only rules with a query and nowhere for the rest to
    go) or marked ``allow_everyday_words`` is left alone, and so is a term that
    :func:`lossy_terms` already reports (``Canal+``, ``BA``: one warning a term)."""
    from watchtower.common_words import LANGUAGE_NAMES, common_first_name, everyday_languages
    from watchtower.pipeline.lossy import lossy_term

    warnings = []
    for index, brand in enumerate(config.brands):
        if _narrowed(brand, config):
            continue
        for position, term in enumerate(brand.terms):
            if lossy_term(term):
                continue  # "Canal+", "BA": its own warning says more, one a term
            languages = everyday_languages(term)
            written = f'"{term}"' if len(term.split()) > 1 else term
            if languages:
                named = " and ".join(LANGUAGE_NAMES[language] for language in languages)
                kind = "phrase" if len(term.split()) > 1 else "word"
                what = f"is an everyday {named} {kind}: every text using it"
            elif common_first_name(term):
                # "Alan", "Lydia": every article about someone so called.
                what = f"is a common French first name: every text about someone called {term}"
            else:
                continue
            query = _toml_string(f"{written} AND (forfait OR fibre OR box OR réseau)")
            message = (
                f"{term!r} {what} is a mention of {brand.name!r}{_contracted(term)}; "
                f"exclude its other meanings (exclude = [...]), or let "
                f"only rules whose query needs your context claim its mentions (a telecom "
                f"operator: query = {query}, "
                f"with [watchtower] default_notify = []), or set allow_everyday_words = true "
                f'to keep them all (docs/queries.md, "Everyday words")'
            )
            warnings.append(problem(path, ("brands", index, "terms", position), message, lines))
    return warnings


def everyday_match_case(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """``match_case = ["Orange"]``: the capitalised form of an everyday word is still
    how every sentence starts and every title writes it, so case narrows less than
    meant. Left alone like :func:`everyday_terms` (a brand narrowed on purpose),
    and for a term also in ``terms`` (its own warning), or not written capitalised
    (``ORANGE``, ``BA``: capitals are rare in running text)."""
    from watchtower.common_words import everyday_languages
    from watchtower.pipeline.normalise import normalise_term

    warnings = []
    for index, brand in enumerate(config.brands):
        if _narrowed(brand, config):
            continue
        in_terms = {normalise_term(term) for term in brand.terms}
        for position, term in enumerate(brand.match_case):
            letters = [char for char in term if char.isalpha()]
            capitalised = len(letters) > 1 and letters[0].isupper()
            if not capitalised or not all(char.islower() for char in letters[1:]):
                continue
            if normalise_term(term) in in_terms or not everyday_languages(term):
                continue
            message = (
                f"match_case does not narrow the everyday word {term!r} at the start of a "
                f'sentence or in a title ("{term} …" still matches); narrow it with '
                f"exclude = [...] or a rule's query with context "
                f'(docs/queries.md, "Everyday words")'
            )
            loc = ("brands", index, "match_case", position)
            warnings.append(problem(path, loc, message, lines))
    return warnings


def _contracted(term: str) -> str:
    """`` (so is every "du monde", "au monde")`` for a term the matcher also reads
    after a contracted article (``Le Monde``), else ""."""
    from watchtower.pipeline.match.automaton import CONTRACTIONS
    from watchtower.pipeline.normalise import normalise_term

    words = normalise_term(term)
    if len(words) < 2 or words[0] not in CONTRACTIONS:
        return ""
    rest = " ".join(words[1:])
    forms = ", ".join(f'"{article} {rest}"' for article in reversed(CONTRACTIONS[words[0]]))
    return f" (so is every {forms})"


def _toml_string(value: str) -> str:
    """``value`` as a TOML string to paste: ``'…'`` unless it holds an apostrophe."""
    import json

    return f"'{value}'" if "'" not in value else json.dumps(value, ensure_ascii=False)


def _narrowed(brand: BrandConfig, config: Config) -> bool:
    """Whether ``brand``'s mentions are already narrowed down on purpose: by
    ``exclude``, by ``allow_everyday_words``, or because every rule for it has a
    query and the mentions no rule claims go nowhere (no brand ``notify``,
    ``default_notify = []``)."""
    from watchtower.pipeline.route import default_targets

    if brand.exclude or brand.allow_everyday_words:
        return True
    rules = [r for r in config.rules if r.brands is None or brand.name in r.brands]
    if not rules or any(r.query is None for r in rules):
        return False
    return not brand.notify and not default_targets(config)


def _acronym(term: str) -> bool:
    """``BA``, ``SG``: letters, all capitals (what ``match_case`` is for)."""
    letters = term.strip()
    return letters.isalpha() and letters.isupper()


def fuzzy_without_effect(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    from watchtower.pipeline.match.automaton import FUZZY_MIN_LETTERS, Pattern
    from watchtower.pipeline.match.query import QuerySyntaxError, parse_term

    warnings = []
    for index, brand in enumerate(config.brands):
        if not brand.fuzzy:
            continue
        eligible = False
        for text in brand.terms:
            try:
                term = parse_term(text)
            except QuerySyntaxError:
                continue  # reported as an error
            if Pattern(term.words, term.prefix, brand.fuzzy).fuzzy_word is not None:
                eligible = True
                break
        if not eligible:
            warnings.append(
                problem(
                    path,
                    ("brands", index, "fuzzy"),
                    f"no effect: typos are tolerated only in single-word terms of "
                    f"{FUZZY_MIN_LETTERS} letters or more",
                    lines,
                )
            )
    return warnings


def fuzzy_everyday_typos(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """Terms whose typos under the brand's ``fuzzy`` include everyday words, common
    first names or well-known places (``orage``, ``grange`` for ``Orange``;
    ``Renaud`` for ``Renault``; ``Thames`` for ``Thales``):
    the matcher leaves those out, since a text using them is no mention, so a
    typo spelt like one of them is missed too. Named so that the editor knows
    which words fuzzy does not catch, and why "orage" is no mention. A brand with
    ``allow_everyday_words = true`` keeps them (none is left out): no warning."""
    from watchtower.pipeline.match.automaton import Pattern, everyday_typos
    from watchtower.pipeline.match.query import QuerySyntaxError, parse_term

    warnings = []
    for index, brand in enumerate(config.brands):
        if not brand.fuzzy or brand.allow_everyday_words:
            continue
        for position, text in enumerate(brand.terms):
            try:
                term = parse_term(text)
            except QuerySyntaxError:
                continue  # reported as an error
            word = Pattern(term.words, term.prefix, brand.fuzzy).fuzzy_word
            left_out = everyday_typos(word, brand.fuzzy) if word is not None else []
            if not left_out:
                continue
            shown = ", ".join(repr(w) for w in left_out[:_SHOWN])
            more = f" and {len(left_out) - _SHOWN} more" if len(left_out) > _SHOWN else ""
            message = (
                f"fuzzy = {brand.fuzzy} would take everyday words, first names and places "
                f"for typos of {text!r}: {shown}{more}; they are left out (a text using them is no "
                f"mention), so a typo spelt like one of them is missed too; "
                f"allow_everyday_words = true keeps them all "
                f'(docs/queries.md, "Matching: case, accents, French")'
            )
            loc = ("brands", index, "terms", position)
            warnings.append(problem(path, loc, message, lines))
    return warnings


#: Everyday typo words named in a warning; the rest are counted.
_SHOWN = 8
