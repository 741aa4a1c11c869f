"""Camel-case hashtags and handles, and words cut by a hyphen at a line end (docs/queries.md)."""

from __future__ import annotations

import pytest

from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher

ACME = BrandConfig(name="Acmé", terms=["Acmé"], exclude=["Acme Corporation"])
BANQUE = BrandConfig(name="Banque Acmé", terms=["BanqueAcme"])
DONALD = BrandConfig(name="Donald", terms=["Donald"], exclude=["McDonald"])


def brands_found(text: str) -> set[str]:
    matcher = Matcher([ACME, BANQUE, DONALD], [])
    return {m.brand for m in matcher.match(Item(guid="1", title="", text=text), "src")}


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("#BoycottAcme", {"Acmé"}),
        ("Service nul #AcmeFail", {"Acmé"}),
        ("#BanqueAcmé", {"Acmé", "Banque Acmé"}),  # the parts, and the whole word
        ("#banqueacme, BanqueAcme", {"Banque Acmé"}),  # no parts: no "Acmé"
        ("merci @AcmeSupport", {"Acmé"}),
        ("#Acme2024", {"Acmé"}),
        # All lower-case or capitals cannot be split without guessing.
        ("#boycottacme #ACMEFAIL", set()),
        # Running text and addresses are never split.
        ("BoycottAcme AcmeFail", set()),
        ("contact@AcmeSupport.fr", set()),
        # Exclusions cover a tag's parts: "#McDonald" is not "Donald".
        ("#McDonald", set()),
        ("#AcmeCorporation", set()),
        ("Donald, pas #McDonald", {"Donald"}),
        # A word cut by a hyphen at a line end, before a lower-case letter.
        ("chez Ac-\nmé", {"Acmé"}),
        ("chez Ac-  \r\n   mé", {"Acmé"}),
        ("chez Ac- mé", set()),  # no line break: two words, as before
    ],
)
def test_brands_in_hashtags_and_cut_words(text: str, found: set[str]) -> None:
    assert brands_found(text) == found


def test_hits_show_the_part_and_the_cut_word_as_written() -> None:
    rule = RuleConfig(name="r", query='"boycott acme" OR remboursement')
    matcher = Matcher([ACME], [rule])
    text = "#BoycottAcmé : le rembour-\nsement refusé"
    [match] = matcher.match(Item(guid="1", title="", text=text), "src")
    assert match.rule == "r"
    spans = {(h.surface, h.start, h.end) for h in match.hits}
    assert ("Acmé", 8, 12) in spans
    assert ("BoycottAcmé", 1, 12) in spans  # the phrase covers both parts
    assert ("rembour-\nsement", 18, 33) in spans


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Acmé à Saint-\nÉtienne", True),  # a capital after the line break: two words
        ("Acmé à Saint-Étienne", True),
        ("Acmé à Saint-\nétienne", False),  # read as one word "saintetienne"
    ],
)
def test_a_compound_cut_at_its_hyphen(text: str, fires: bool) -> None:
    rule = RuleConfig(name="r", query='"saint étienne"')
    matcher = Matcher([ACME], [rule])
    [match] = matcher.match(Item(guid="1", title="", text=text), "src")
    assert (match.rule == "r") is fires
