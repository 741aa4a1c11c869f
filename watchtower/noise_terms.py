"""Which words set apart the mentions people marked *not relevant*, and what to exclude.

Words and phrases (1 to 3 words) are read as the matcher reads them
(:func:`~watchtower.pipeline.normalise.tokenize`: case, accents and elisions do
not count), without phrases that begin or end with a common function word
(``le``, ``de``, ``the``…). A phrase is *over-represented* when it is in a larger
share of the marked mentions than of the others.

The suggestion is checked with the real :class:`~watchtower.pipeline.match.Matcher`:
a phrase is kept only if, added to the brand's ``exclude`` (or as ``NOT (…)``
to the rule's query), it stops at least one more marked mention and none of
the others. A brand's ``exclude`` only removes the brand hits it overlaps
(``"jus d'orange"`` for ``Orange``), so the matcher, not the word counts,
decides which phrases work.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from watchtower.config import BrandConfig, LoadedConfig, RuleConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.normalise import tokenize

__all__ = ["Mention", "Phrase", "Suggestion", "over_represented", "suggest"]

MAX_WORDS = 3  # longest phrase considered
MAX_CANDIDATES = 40  # phrases tried for a suggestion, the most frequent first
MAX_TERMS = 8  # phrases in one suggestion
SHOWN = 8  # over-represented phrases reported per brand or rule
#: Characters of a title or text read for phrases: an e-mail of 1 MB says what it is
#: about early; the matcher's check reads the whole item.
MAX_CHARS = 5000

# Function words, normalised (no accents): a phrase may hold them ("pomme de terre")
# but not begin or end with one ("de la", "the").
_FUNCTION_WORDS = """
    a au aux avec ce ces cet cette c d dans de des du elle en est et etre il ils j je l la le
    les leur lui m ma mais me mes meme moi mon n ne ni nos notre nous on ou par pas pour qu que
    qui s sa se ses si son sont sur t ta te tes toi ton tu un une vos votre vous y ete a ca plus
    tres tout tous toute aussi comme fait faire deja encore ici la
    an and are as at be been but by can do does for from had has have he her his i if in into
    is it its me my no not of on or our she so than that the their them then there these they
    this to too was we were what when which who will with you your just also very all more
"""
STOPWORDS = frozenset(_FUNCTION_WORDS.split())
_SURFACE = re.compile(r"^[\w'’\- ]+$")
_PLAIN_WORD = re.compile(r"^\w+$")
_OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})


@dataclass(frozen=True)
class Mention:
    """One alerted item, as ``noise`` reads it back."""

    item_id: int
    source: str
    item: Item
    brands: tuple[str, ...]
    rules: tuple[str, ...]
    marked: bool


@dataclass(frozen=True)
class Phrase:
    """A word or phrase and in how many marked and other mentions it appears."""

    text: str  # as first written in a marked mention, lower case
    marked: int
    others: int


@dataclass(frozen=True)
class Suggestion:
    """Phrases to exclude, and what they do to the mentions of the window."""

    terms: tuple[str, ...]
    stopped: int  # marked mentions the matcher no longer alerts
    marked: int  # marked mentions it still alerted before
    others: int  # other mentions it still alerts (all of them: checked)


def phrases(item: Item) -> dict[tuple[str, ...], str]:
    """The phrases of an item (title and text), normalised → as written (lower case)."""
    found: dict[tuple[str, ...], str] = {}
    for field in (item.title[:MAX_CHARS], item.text[:MAX_CHARS]):
        tokens = tokenize(field)
        for i in range(len(tokens)):
            for n in range(1, MAX_WORDS + 1):
                span = tokens[i : i + n]
                if len(span) < n:
                    break
                # A hashtag's parts overlap the whole tag: not a phrase anyone wrote.
                if any(b.start < a.end for a, b in pairwise(span)):
                    break
                words = tuple(t.text for t in span)
                if words[0] in STOPWORDS or words[-1] in STOPWORDS:
                    continue
                if all(w.isdigit() or len(w) < 2 for w in words):
                    continue
                surface = field[span[0].start : span[-1].end].lower()
                if _SURFACE.match(surface) and words not in found:
                    found[words] = " ".join(surface.split())
    return found


def over_represented(mentions: Sequence[Mention]) -> list[Phrase]:
    """Phrases of the marked mentions, those most over-represented first."""
    marked = [m for m in mentions if m.marked]
    others = [m for m in mentions if not m.marked]
    in_marked: Counter[tuple[str, ...]] = Counter()
    in_others: Counter[tuple[str, ...]] = Counter()
    written: dict[tuple[str, ...], str] = {}
    for mention in marked:
        found = phrases(mention.item)
        in_marked.update(found.keys())
        for words, surface in found.items():
            written.setdefault(words, surface)
    for mention in others:
        in_others.update(w for w in phrases(mention.item) if w in in_marked)

    def lift(words: tuple[str, ...]) -> tuple[float, int, int]:
        share = in_marked[words] / len(marked) - in_others[words] / max(len(others), 1)
        return (-share, -in_marked[words], len(words))

    # With a few marked mentions, a phrase of only one of them says little of the rest.
    least = 2 if len(marked) >= 3 else 1
    return [
        Phrase(written[w], in_marked[w], in_others[w])
        for w in sorted(in_marked, key=lift)
        # A larger share of the marked mentions than of the others.
        if lift(w)[0] < 0 and in_marked[w] >= least
    ]


def suggest(
    loaded: LoadedConfig,
    scope: str,
    name: str,
    mentions: Sequence[Mention],
    ranked: Sequence[Phrase] | None = None,
) -> Suggestion | None:
    """Phrases that stop marked mentions of ``name`` and none of its others (matcher-checked).

    ``ranked``: :func:`over_represented` of ``mentions``, when already known.
    """
    fires = _fires(loaded, scope, name)
    if fires is None:
        return None
    current = fires(())
    marked = [m for m in mentions if m.marked and current(m)]
    others = [m for m in mentions if not m.marked and current(m)]
    if not marked:
        return None
    if ranked is None:
        ranked = over_represented(mentions)
    candidates = [p.text for p in ranked if p.others == 0][:MAX_CANDIDATES]
    chosen: tuple[str, ...] = ()
    remaining = marked
    for phrase in candidates:
        if not remaining or len(chosen) == MAX_TERMS:
            break
        trial = fires((*chosen, phrase))
        still = [m for m in remaining if trial(m)]
        if len(still) < len(remaining) and all(trial(m) for m in others):
            chosen, remaining = (*chosen, phrase), still
    if not chosen:
        return None
    return Suggestion(chosen, len(marked) - len(remaining), len(marked), len(others))


def _fires(
    loaded: LoadedConfig, scope: str, name: str
) -> Callable[[Iterable[str]], Callable[[Mention], bool]] | None:
    """For a set of excluded phrases: whether the brand or rule still alerts a mention."""
    config = loaded.config
    if scope == "brand":
        brand = next((b for b in config.brands if b.name == name), None)
        if brand is None:
            return None

        def brand_with(terms: Iterable[str]) -> Callable[[Mention], bool]:
            changed = brand_excluding(brand, terms)
            matcher = Matcher(
                [changed], [], sources=loaded.sources, language=config.watchtower.language
            )
            return lambda m: any(x.brand == name for x in matcher.match(m.item, m.source))

        return brand_with
    rule = next((r for r in config.rules if r.name == name), None)
    if rule is None:
        return None

    def rule_with(terms: Iterable[str]) -> Callable[[Mention], bool]:
        changed = rule_excluding(rule, terms)
        matcher = Matcher(
            config.brands, [changed], sources=loaded.sources, language=config.watchtower.language
        )
        return lambda m: any(x.rule == name for x in matcher.match(m.item, m.source))

    return rule_with


def brand_excluding(brand: BrandConfig, terms: Iterable[str]) -> BrandConfig:
    """``brand`` with ``terms`` added to its ``exclude``."""
    return brand.model_copy(update={"exclude": [*brand.exclude, *terms]})


def rule_excluding(rule: RuleConfig, terms: Iterable[str]) -> RuleConfig:
    """``rule`` with ``NOT (terms)`` added to its query (to its ``exclude`` if it has none)."""
    terms = list(terms)
    if not terms:
        return rule
    if rule.query:
        return rule.model_copy(update={"query": query_excluding(rule.query, terms)})
    return rule.model_copy(update={"exclude": [*rule.exclude, *terms]})


def query_excluding(query: str, terms: Sequence[str]) -> str:
    """``(query) AND NOT (a OR "b c")``: phrases quoted, as a query writes them."""
    return f"({query}) AND NOT ({' OR '.join(_query_term(term) for term in terms)})"


def _query_term(term: str) -> str:
    """A word as it is; a phrase, or a word the query syntax would read otherwise, quoted."""
    if _PLAIN_WORD.match(term) and term.upper() not in _OPERATORS:
        return term
    return '"' + term.replace('"', " ") + '"'
