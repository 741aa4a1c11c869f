"""``lang:`` on an item whose language nobody can tell: the configured language.

A review such as "Nul. Injoignable." is too short to detect (below
``MIN_LETTERS`` letters, or too few words for a confident guess) and its page
or feed often declares no language; the
rule ``lang:fr AND rating:<=2`` used to miss it. An item whose language is
neither declared nor detected now counts as ``[watchtower] language`` (the
team's own language) for ``lang:`` clauses; a declared or detected language
still decides, and the item's stored language stays unknown."""

from __future__ import annotations

from watchtower.adapters.reviews import ReviewsSettings
from watchtower.config import BrandConfig, RuleConfig
from watchtower.lang import detect
from watchtower.models import Item
from watchtower.pipeline.match import Matcher

ACME = BrandConfig(name="Acmé", terms=["Acmé"])
# A review page about Acmé: its reviews are about the brand without naming it.
AVIS = ReviewsSettings(
    name="avis", kind="reviews", url="https://avis.example.fr/", brands=("Acmé",)
)


def rules_fired(query: str, item: Item, language: str | None) -> list[str | None]:
    rules = [RuleConfig(name="r", query=query)]
    matcher = Matcher([ACME], rules, sources=[AVIS], language=language)
    return [m.rule for m in matcher.match(item, "avis")]


def review(text: str, lang: str | None = None) -> Item:
    return Item(guid="1", title="", text=text, rating=1.0, lang=lang)


def test_a_short_review_is_too_short_to_detect() -> None:
    assert detect("\nNul. Injoignable.") is None


def test_a_short_review_counts_as_the_configured_language() -> None:
    item = review("Nul. Injoignable.")
    assert rules_fired("lang:fr AND rating:<=2", item, "fr") == ["r"]
    assert rules_fired("lang:fr-FR", item, "fr") == [None]  # "fr" is no "fr-FR"
    assert rules_fired("lang:en", item, "fr") == [None]
    assert rules_fired("NOT lang:fr", item, "fr") == [None]
    assert rules_fired("lang:en", item, "en") == ["r"]


def test_without_a_configured_language_unknown_matches_no_lang_clause() -> None:
    assert rules_fired("lang:fr", review("Nul. Injoignable."), None) == [None]


def test_a_declared_language_still_decides() -> None:
    item = review("Nul. Injoignable.", lang="en")
    assert rules_fired("lang:fr", item, "fr") == [None]
    assert rules_fired("lang:en", item, "fr") == ["r"]


def test_a_detected_language_still_decides() -> None:
    item = review("Terrible service, nobody ever answers the phone and my card is blocked.")
    assert rules_fired("lang:fr", item, "fr") == [None]
    assert rules_fired("lang:en", item, "fr") == ["r"]


def test_the_trace_says_the_clause_is_true() -> None:
    rules = [RuleConfig(name="r", query="lang:fr")]
    matcher = Matcher([ACME], rules, sources=[AVIS], language="fr")
    [trace] = matcher.trace(review("Nul. Injoignable."), "avis")
    assert trace.fired and trace.clauses == (("lang:fr", True),)
