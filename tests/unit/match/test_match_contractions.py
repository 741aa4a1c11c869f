"""A brand named "Le …" / "Les …" after a French contracted article: "un article
du Figaro", "interview au Figaro", "un journaliste des Échos", "répondre aux
Échos" (à le → au, de le → du, à les → aux, de les → des). A term or exclusion
whose first word is ``le`` (``les``) also matches with ``au``/``du``
(``aux``/``des``) in its place, the hit covering the contracted word."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher

FIGARO = BrandConfig(name="Le Figaro", terms=["Le Figaro"])
ECHOS = BrandConfig(name="Les Échos", terms=["Les Échos"])
SLIP = BrandConfig(name="Le Slip Français", terms=["Le Slip Français"])
MANS = BrandConfig(name="Le Mans", terms=['"le mans*"'])  # a wildcard last word
STARRED = BrandConfig(name="Le Slip", terms=['"Le Slip* Français"'])  # an inner wildcard


def brands_in(text: str, *brands: BrandConfig) -> set[str]:
    matcher = Matcher(brands or (FIGARO, ECHOS, SLIP), [])
    return {m.brand for m in matcher.match(Item(guid="1", text=text), "src")}


@pytest.mark.parametrize(
    ("text", "brand"),
    [
        ("Le patron de la SNCF s'est confié au Figaro", "Le Figaro"),
        ("selon un sondage du Figaro publié lundi", "Le Figaro"),
        ("Le ministre a répondu aux Échos", "Les Échos"),
        ("d'après les informations des Echos", "Les Échos"),
        ("Rupture de stock chez les clients du Slip Français", "Le Slip Français"),
        ("Le Figaro révèle", "Le Figaro"),
        ("d'après Les Échos", "Les Échos"),
    ],
)
def test_a_contracted_article_still_names_the_brand(text: str, brand: str) -> None:
    assert brand in brands_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "Figaro ci, Figaro là",  # the article is still needed
        "la Figaro",
        "de Figaro",
        "à l'Écho",
        "les Écho",
    ],
)
def test_no_other_article_stands_for_le(text: str) -> None:
    assert brands_in(text) == set()


def test_the_hit_covers_the_contracted_word_and_names_the_term() -> None:
    (match,) = Matcher([FIGARO], []).match(Item(guid="1", text="un sondage du Figaro"), "src")
    (hit,) = match.hits
    assert (hit.term, hit.surface) == ("le figaro", "du Figaro")


@pytest.mark.parametrize(
    ("brand", "text"),
    [
        (MANS, "les 24 heures du Mans"),
        (MANS, "arrivée au Mans"),
        (STARRED, "les clients du Slips Français"),
        (STARRED, "Le Slip Français"),
    ],
)
def test_wildcard_terms_contract_too(brand: BrandConfig, text: str) -> None:
    assert brands_in(text, brand) == {brand.name}


def test_a_brand_exclusion_covers_the_contracted_form() -> None:
    figaro = BrandConfig(name="Figaro", terms=["Figaro"], exclude=["le mariage de Figaro"])
    assert brands_in("la première du Mariage de Figaro", figaro) == set()
    assert brands_in("Figaro a dit", figaro) == {"Figaro"}


def test_a_rule_exclusion_covers_the_contracted_form() -> None:
    acme = BrandConfig(name="Acmé", terms=["Acmé"])
    matcher = Matcher([acme], [RuleConfig(name="r", exclude=["le bon coin"])])
    (match,) = matcher.match(Item(guid="1", text="Acmé, vu au bon coin"), "src")
    assert match.rule is None


def test_a_query_phrase_is_matched_as_written() -> None:
    # A query says what it means: "le figaro" in a query is those two words.
    acme = BrandConfig(name="Acmé", terms=["Acmé"])
    matcher = Matcher([acme], [RuleConfig(name="r", query='"le figaro"')])
    (match,) = matcher.match(Item(guid="1", text="Acmé, selon un sondage du Figaro"), "src")
    assert match.rule is None


@pytest.mark.parametrize("term", ["Le Monde", "Le Point", "Le Temps"])
def test_check_flags_a_newspaper_named_with_an_everyday_phrase(
    term: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "du monde", "au point", "du temps" are everywhere once contracted forms match.
    config = tmp_path / "w.toml"
    config.write_text(
        f'[watchtower]\ndefault_notify = ["console:"]\n'
        f'[[brands]]\nname = "{term}"\nterms = ["{term}"]\n',
        encoding="utf-8",
    )
    assert main(["check", "--config", str(config)]) == 0
    rest = term.split()[1].lower()
    expected = (
        f"warning: {config}:5: brands[0].terms[0]: {term!r} is an everyday French phrase: "
        f'every text using it is a mention of {term!r} (so is every "du {rest}", "au {rest}"); '
    )
    assert any(line.startswith(expected) for line in capsys.readouterr().err.splitlines())
