"""``match_case`` on a ``Le …``/``Les …`` brand: the contracted forms are mentions too.

A brand term starting with the article ``le``/``les`` also matches ``du``/``au``
(``des``/``aux``) in its place ("un article du Monde"). A ``match_case`` term
used to get those keys and then lose every such hit to its case check, which
compared the article's capital ``L`` with the ``d`` of "du": the term "Le Monde"
in ``match_case`` missed "du Monde". The article is grammar, not the name: its
case is not compared, the name's words still are."""

from __future__ import annotations

import pytest

from watchtower.config import BrandConfig
from watchtower.models import Item
from watchtower.pipeline.match.engine import Matcher


def surfaces(brand: BrandConfig, text: str) -> list[str]:
    matches = Matcher([brand], []).match(Item(guid="1", text=text), "s")
    return [hit.surface for match in matches for hit in match.hits]


def le_monde() -> BrandConfig:
    return BrandConfig(name="Le Monde", terms=["lemonde.fr"], match_case=["Le Monde"])


def les_echos() -> BrandConfig:
    return BrandConfig(name="Les Échos", terms=["lesechos.fr"], match_case=["Les Échos"])


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("un article du Monde sur la crise", ["du Monde"]),
        ("selon Le Monde, la banque a menti", ["Le Monde"]),
        ("selon le Monde, la banque a menti", ["le Monde"]),  # the article in small letters
        ("il a parlé au Monde hier", ["au Monde"]),
        ("Du Monde : la banque répond", ["Du Monde"]),
        ("il y avait du monde", []),  # the everyday phrase, in small letters
        ("le monde entier", []),
        ("Le monde entier", []),  # a sentence's start: the name's capital is missing
        ("du MONDE", []),
    ],
)
def test_le_monde_in_match_case(text: str, found: list[str]) -> None:
    assert surfaces(le_monde(), text) == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("une enquête des Échos", ["des Échos"]),
        ("une enquête des Echos", ["des Echos"]),  # accents are still ignored
        ("il répond aux Échos", ["aux Échos"]),
        ("des échos de la fête", []),
    ],
)
def test_les_echos_in_match_case(text: str, found: list[str]) -> None:
    assert surfaces(les_echos(), text) == found


def test_an_acronym_keeps_its_case_check() -> None:
    brand = BrandConfig(name="Banque Acmé", terms=["Banque Acmé"], match_case=["BA"])
    assert surfaces(brand, "le b.a.-ba du métier") == []
    assert surfaces(brand, "la BA rembourse") == ["BA"]
