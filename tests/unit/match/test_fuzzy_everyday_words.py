"""``fuzzy`` tolerates typos, not other words: a one- or two-edit variant of a
brand term that is itself an everyday word or a common first name ("orage" for
``Orange``, "Micheline" for ``Michelin``, "Renaud" for ``Renault``) is no
mention, real typos still are, and ``watchtower check`` names the words left
out (docs/queries.md, "Typos")."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.config import BrandConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher


def brands_in(text: str, brand: BrandConfig) -> set[str]:
    return {m.brand for m in Matcher([brand], []).match(Item(guid="1", text=text), "src")}


ORANGE = BrandConfig(name="Orange", terms=["Orange"], fuzzy=1, exclude=["jus d'orange"])
CHANEL = BrandConfig(name="Chanel", terms=["Chanel"], fuzzy=1)
RENAULT = BrandConfig(name="Renault", terms=["Renault"], fuzzy=2)


@pytest.mark.parametrize(
    ("brand", "text"),
    [
        (ORANGE, "Vigilance orage : Météo-France place le Var en alerte"),
        (ORANGE, "Incendie d'une grange à Saint-Lô"),
        (ORANGE, "Coupe au carré avec une frange"),
        (ORANGE, "Out of range"),
        (CHANEL, "Join our Slack channel"),
        (BrandConfig(name="Michelin", terms=["Michelin"], fuzzy=1), "Micheline a 90 ans"),
        (BrandConfig(name="Thales", terms=["Thales"], fuzzy=1), "Tales of the city"),
        (RENAULT, "Renaud chante à l'Olympia"),  # two edits, a first name
        (RENAULT, "The result is in"),  # two edits, an English word
    ],
)
def test_a_typo_variant_that_is_an_everyday_word_is_no_mention(
    brand: BrandConfig, text: str
) -> None:
    assert brands_in(text, brand) == set()


@pytest.mark.parametrize(
    ("brand", "text"),
    [
        (ORANGE, "Ornage : ma box ne marche plus"),  # a transposition
        (ORANGE, "Orange : ma box ne marche plus"),  # the term itself, an everyday word
        (ORANGE, "Oranje"),
        (CHANEL, "le parfum Chanell"),
        (RENAULT, "ma Renaul Clio"),
        (RENAULT, "ma Renautl Clio"),
        (RENAULT, "Reanutl"),  # two edits, no word
    ],
)
def test_real_typos_still_match(brand: BrandConfig, text: str) -> None:
    assert brands_in(text, brand) == {brand.name}


def test_the_words_left_out_are_named() -> None:
    from watchtower.pipeline.match.automaton import everyday_typos

    assert everyday_typos("orange", 1) == ["frange", "grange", "orage", "oranges", "range"]
    assert "renaud" in everyday_typos("renault", 2)
    assert everyday_typos("mutualis", 1) == []


def test_check_names_the_everyday_words_fuzzy_leaves_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Also with an exclude, which silences the warning about "Orange" itself.
    config = tmp_path / "w.toml"
    config.write_text(
        '[watchtower]\ndefault_notify = ["console:"]\n'
        '[[brands]]\nname = "Orange"\nterms = ["Orange", "Mutualis"]\nfuzzy = 1\n'
        'exclude = ["jus d\'orange", "couleur orange"]\n',
        encoding="utf-8",
    )
    assert main(["check", "--config", str(config)]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "fuzzy" in line]
    assert warnings == [
        f"warning: {config}:5: brands[0].terms[0]: fuzzy = 1 would take everyday words, "
        "first names and places for typos of 'Orange': 'frange', 'grange', 'orage', "
        "'oranges', 'range'; they are left out (a text using them is no mention), so a "
        "typo spelt like one of them is missed too; allow_everyday_words = true keeps them all "
        '(docs/queries.md, "Matching: case, accents, French")'
    ]
