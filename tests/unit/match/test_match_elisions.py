"""French elisions in matching: dropped before a vowel or h only (docs/queries.md)."""

from __future__ import annotations

import pytest

from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher

MMS = BrandConfig(name="M&M's", terms=["M&M's"])
ACME = BrandConfig(name="Acmé", terms=["Acmé"])
HOTEL = BrandConfig(name="Hôtel Acmé", terms=["Hôtel Acmé"])


def brands_found(text: str) -> set[str]:
    matcher = Matcher([MMS, ACME, HOTEL], [])
    return {m.brand for m in matcher.match(Item(guid="1", title="", text=text), "src")}


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # "m'" before "s" is no elision: M&M's is "m m s", not "m".
        ("Des rafales à 25 m/s sont attendues.", set()),
        ("Vent : 25 m s", set()),
        ("Les M&M's arrivent en édition limitée.", {"M&M's"}),
        ("les m&m’s", {"M&M's"}),
        ("chez l'Acmé", {"Acmé"}),
        ("le service d’Acmé", {"Acmé"}),
        ("qu'Acmé réponde", {"Acmé"}),
        ("jusqu’à l’\u200bAcmé", {"Acmé"}),
        ("à l'hôtel Acmé", {"Hôtel Acmé", "Acmé"}),
        ("l’Hôtel d’Acmé", {"Hôtel Acmé", "Acmé"}),  # "hotel acme": both elisions dropped
        ("l'Hôtel l'Acmé", {"Hôtel Acmé", "Acmé"}),
        ("l'Hôtel, l Acmé", {"Acmé"}),
    ],
)
def test_elisions_only_before_a_vowel_or_h(text: str, found: set[str]) -> None:
    assert brands_found(text) == found


def test_hits_show_the_word_after_the_elision() -> None:
    rule = RuleConfig(name="r", query="hotel NEAR/1 rock")
    matcher = Matcher([ACME], [rule])
    text = "Acmé : l'hôtel rock'n'roll"
    [match] = matcher.match(Item(guid="1", title="", text=text), "src")
    # "rock'n'roll" keeps its "n": "hotel" and "rock" are neighbours, "roll" two words on.
    assert match.rule == "r"
    surfaces = {h.surface for h in match.hits}
    assert {"Acmé", "hôtel", "rock"} <= surfaces
