"""``fuzzy`` leaves out typo variants that are well-known place names.

"Thames" is one edit from ``Thales``, "Berlin" from ``Merlin``, "Bulgaria"
from ``Bulgari``: rivers, cities and countries are written in capitals like
brands, and none of them is a typo. The bundled place list
(``watchtower/data/common-words.md``) joins the everyday words and first
names the typo variants may not be; a place stays a fine brand term."""

from __future__ import annotations

import pytest

from watchtower.common_words import everyday_languages, ordinary_words
from watchtower.config import BrandConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.match.automaton import everyday_typos


def brands_in(text: str, brand: BrandConfig) -> set[str]:
    return {m.brand for m in Matcher([brand], []).match(Item(guid="1", text=text), "src")}


THALES = BrandConfig(name="Thales", terms=["Thales"], fuzzy=1)


@pytest.mark.parametrize(
    ("brand", "text"),
    [
        (THALES, "A boat trip on the Thames"),
        (THALES, "Crue de la Thames à Londres"),
        (BrandConfig(name="Merlin", terms=["Merlin"], fuzzy=1), "Un week-end à Berlin"),
        (BrandConfig(name="Bulgari", terms=["Bulgari"], fuzzy=1), "Bulgaria joins Schengen"),
        (BrandConfig(name="Amazon", terms=["Amazon"], fuzzy=1), "La forêt de l'Amazone brûle"),
        (BrandConfig(name="Veolia", terms=["Veolia"], fuzzy=2), "Une croisière sur la Volga"),
    ],
)
def test_a_typo_variant_that_is_a_place_is_no_mention(brand: BrandConfig, text: str) -> None:
    assert brands_in(text, brand) == set()


@pytest.mark.parametrize(
    "text", ["Thales a livré ses radars", "Thalès", "THALES", "Thaless", "Thlaes"]
)
def test_the_term_and_real_typos_still_match(text: str) -> None:
    assert brands_in(text, THALES) == {"Thales"}


def test_a_place_is_a_brand_term_like_any_other() -> None:
    brand = BrandConfig(name="Nantes Métropole", terms=["Nantes"], fuzzy=1)
    assert brands_in("Le tram de Nantes", brand) == {"Nantes Métropole"}
    assert everyday_languages("Nantes") == ()  # no "everyday word" warning for a place


def test_check_names_the_place_left_out() -> None:
    assert "thames" in everyday_typos("thales", 1)
    assert {"thames", "berlin", "lyon", "paris", "seine", "bulgaria"} <= ordinary_words()
