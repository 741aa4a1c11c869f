"""A notification's "Termes" names each word once, whatever its case or
Unicode form, in the form first met (the real matcher finds the words)."""

from __future__ import annotations

import unicodedata

from watchtower.config import BrandConfig, Config, RuleConfig
from watchtower.models import Hit, Item, Match, Severity
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.route import Route, route

ACME = BrandConfig(name="Acmé", terms=["Acmé"])


def terms(title: str, text: str, rules: list[RuleConfig]) -> list[str]:
    config = Config(brands=[ACME], rules=rules)
    matches = Matcher(config.brands, config.rules).match(
        Item(guid="1", title=title, text=text), "s"
    )
    [r] = route(matches, config)  # every rule here goes to the default target
    return r.terms


def test_a_phrase_at_a_sentences_start_and_later_is_one_term() -> None:
    rappel = RuleConfig(name="rappel", query='"rappel de produit" OR listeria', severity="critical")
    got = terms(
        "Rappel de produit chez Acmé",
        "Acmé annonce un rappel de produit : des traces de listeria. Le rappel de produit "
        "concerne trois lots.",
        [rappel],
    )
    assert got == ["Acmé", "Rappel de produit", "listeria"]


def test_two_rules_sharing_a_target_name_a_word_once() -> None:
    # "Fuite" in one rule's hits, "fuite" in the other's: one route, one term.
    crise = RuleConfig(name="crise", query="fuite", severity="critical")
    donnees = RuleConfig(name="donnees", query="fuite AND données", severity="warning")
    got = terms("Fuite chez Acmé", "Une fuite de données chez ACMÉ.", [crise, donnees])
    assert got == ["Acmé", "Fuite", "données"]


def test_the_first_form_is_kept_and_unicode_forms_are_one_word() -> None:
    decomposed = unicodedata.normalize("NFD", "Acmé")
    r = Route("slack:#veille")
    for surfaces in ((decomposed, "Fuite"), ("ACMÉ", "fuite", "FUITE", "Straße"), ("STRASSE",)):
        hits = tuple(Hit(s.casefold(), s) for s in surfaces)
        r.add(Match("Acmé", "crise", hits), Severity.critical)
    assert r.terms == [decomposed, "Fuite", "Straße"]
    assert r.brands == ["Acmé"] and r.rules == ["crise"]


def test_brands_are_config_names_compared_exactly() -> None:
    # Two brands are two identities (targets are looked up by name), even if
    # their names differ only in case.
    r = Route("console:")
    r.add(Match("Acme", None, (Hit("acme", "Acme"),)), Severity.info)
    r.add(Match("ACME", None, (Hit("acme", "ACME"),)), Severity.info)
    assert r.brands == ["Acme", "ACME"] and r.terms == ["Acme"]
