"""``[[brands]] match_case``: an acronym matched in capitals only.

Matching ignores case, so the term ``BA`` (Banque Acmé) is also the word "ba":
"le b.a.-ba du métier" was a mention (its last "ba"; ``s.g.`` and ``c.a.d.``
are two and three one-letter words, and never matched ``SG`` or ``CA``). A
``match_case`` term keeps only the hits written in the term's case."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from watchtower.config import BrandConfig, RuleConfig, load_config
from watchtower.errors import ConfigError
from watchtower.models import Item
from watchtower.pipeline.match.engine import Matcher


def surfaces(brand: BrandConfig, text: str, title: str = "") -> list[str]:
    matches = Matcher([brand], []).match(Item(guid="1", title=title, text=text), "s")
    return [hit.surface for match in matches for hit in match.hits]


def banque_acme() -> BrandConfig:
    """A brand whose acronym is in ``match_case`` (built per test: the key is new)."""
    return BrandConfig(name="Banque Acmé", terms=["Banque Acmé"], match_case=["BA"])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("le b.a.-ba du métier", []),
        ("ba ba ba, fait le mouton", []),
        ("Ba, dit-il", []),
        ("la BA rembourse ses clients", ["BA"]),
        ("chez BA, hier", ["BA"]),
        ("Clients de BA : la panne continue", ["BA"]),
        ("#BoycottBA", ["BA"]),
        ("la Banque Acmé et BA", ["Banque Acmé", "BA"]),  # its other terms in any case
        ("la banque acmé", ["banque acmé"]),
    ],
)
def test_an_acronym_in_match_case_matches_capitals_only(text: str, found: list[str]) -> None:
    assert surfaces(banque_acme(), text) == found


def test_in_the_title_too() -> None:
    assert surfaces(banque_acme(), "", title="BA en panne") == ["BA"]
    assert surfaces(banque_acme(), "", title="Le b.a.-ba") == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ça va, ca va", []),
        ("Ça va ?", []),
        ("le CA de la banque", ["CA"]),
        ("chiffre d'affaires (CA)", ["CA"]),
        ("ÇA SUFFIT", ["ÇA"]),  # accents are still ignored, capitals are capitals
    ],
)
def test_ca_no_longer_matches_ca_va(text: str, found: list[str]) -> None:
    brand = BrandConfig(name="Crédit Agricole", terms=["Crédit Agricole"], match_case=["CA"])
    assert surfaces(brand, text) == found


def test_a_word_in_its_case_and_a_wildcard() -> None:
    brand = BrandConfig(name="Orange", terms=["orange.fr"], match_case=["Orange*"])
    assert surfaces(brand, "un jus d'orange pressée") == []
    assert surfaces(brand, "la fibre Orange est en panne") == ["Orange"]
    assert surfaces(brand, "Oranges et citrons") == ["Oranges"]  # a capital is all it asks


def test_a_term_also_in_terms_matches_in_any_case() -> None:
    brand = BrandConfig(name="BA", terms=["BA"], match_case=["BA"])
    assert surfaces(brand, "le b.a.-ba") == ["ba"]


def test_another_brand_with_the_same_term_in_any_case_is_unaffected() -> None:
    other = BrandConfig(name="Autre", terms=["BA"])
    matcher = Matcher([banque_acme(), other], [])
    matches = matcher.match(Item(guid="1", text="le b.a.-ba"), "s")
    assert [m.brand for m in matches] == ["Autre"]


def test_exclusions_still_apply() -> None:
    brand = BrandConfig(
        name="Banque Acmé", terms=["Banque Acmé"], match_case=["BA"], exclude=["BA Systems"]
    )
    assert surfaces(brand, "BA Systems recrute") == []
    assert surfaces(brand, "BA Systems recrute ; BA ferme") == ["BA"]


def test_rules_fire_on_a_match_case_mention() -> None:
    rule = RuleConfig(name="crise", query="panne")
    matches = Matcher([banque_acme()], [rule]).match(Item(guid="1", text="BA en panne"), "s")
    assert [(m.brand, m.rule) for m in matches] == [("Banque Acmé", "crise")]


CONFIG = """\
[[brands]]
name = "Banque Acmé"
terms = ["Banque Acmé"{terms}]
match_case = [{match_case}]

[[sources]]
name = "alertes"
kind = "google_alerts"
url = "https://www.google.com/alerts/feeds/1/2"
"""


def test_check_refuses_a_match_case_term_the_matcher_cannot_use(
    write_config: Callable[[str], Path],
) -> None:
    path = write_config(CONFIG.format(terms="", match_case='"BA", "ac*me", " "'))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [str(p).removeprefix(f"{path}:") for p in caught.value.problems] == [
        "4: brands[0].match_case[1]: '*' is only allowed at the end of a word, in 'ac*me'",
        "4: brands[0].match_case[2]: a term cannot be blank",
    ]


def test_check_says_match_case_is_the_way_for_an_acronym(
    write_config: Callable[[str], Path],
) -> None:
    path = write_config(CONFIG.format(terms=', "BA"', match_case=""))
    [warning] = load_config(path).warnings
    assert warning.message == (
        "'BA' is matched as 'ba': case is ignored, so the acronym also matches the word 'ba'; "
        'narrow it with exclude or a rule\'s query, or move it to match_case = ["BA"] to '
        "match it in capitals"
    )
    # Moved there, it is matched in capitals: nothing to warn about.
    assert load_config(write_config(CONFIG.format(terms="", match_case='"BA"'))).warnings == ()
