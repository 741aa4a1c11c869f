"""``allow_everyday_words = true`` keeps every mention, typos that are words too.

``fuzzy`` leaves out the typo variants that are everyday words or common
first names ("orage" for ``Orange``, "Renaud" for ``Renault``). A brand that
sets ``allow_everyday_words = true`` says it wants every such word as a mention
(config.example.toml): its fuzzy terms keep those variants, and ``check`` no
longer names them as left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.cli import main
from watchtower.config import BrandConfig
from watchtower.models import Item
from watchtower.pipeline.match import Matcher


def brands_in(text: str, brand: BrandConfig) -> set[str]:
    return {m.brand for m in Matcher([brand], []).match(Item(guid="1", text=text), "src")}


def renault(allow: bool, fuzzy: int = 1) -> BrandConfig:
    return BrandConfig(name="Renault", terms=["Renault"], fuzzy=fuzzy, allow_everyday_words=allow)


@pytest.mark.parametrize(
    ("term", "fuzzy", "text"),
    [
        ("Orange", 1, "Vigilance orage sur le Var"),  # one edit, a French word
        ("Renault", 2, "Renaud chante à l'Olympia"),  # two edits, a first name
    ],
)
def test_allow_everyday_words_keeps_typos_that_are_words(term: str, fuzzy: int, text: str) -> None:
    def brand(allow: bool) -> BrandConfig:
        return BrandConfig(name=term, terms=[term], fuzzy=fuzzy, allow_everyday_words=allow)

    assert brands_in(text, brand(True)) == {term}
    assert brands_in(text, brand(False)) == set()


@pytest.mark.parametrize("fuzzy", [1, 2])
def test_real_typos_and_the_term_still_match(fuzzy: int) -> None:
    for allow in (True, False):
        assert brands_in("ma Renaul Clio", renault(allow, fuzzy)) == {"Renault"}
        assert brands_in("ma Renault Clio", renault(allow, fuzzy)) == {"Renault"}


def test_two_brands_with_the_same_term_keep_their_own_choice() -> None:
    kept = BrandConfig(name="A", terms=["Orange"], fuzzy=1, allow_everyday_words=True)
    dropped = BrandConfig(name="B", terms=["Orange"], fuzzy=1)
    matches = Matcher([kept, dropped], []).match(Item(guid="1", text="alerte orage"), "s")
    assert {m.brand for m in matches} == {"A"}


def test_check_does_not_name_words_left_out_when_none_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "w.toml"
    config.write_text(
        '[watchtower]\ndefault_notify = ["console:"]\n'
        '[[brands]]\nname = "Renault"\nterms = ["Renault"]\nfuzzy = 2\n'
        "allow_everyday_words = true\n",
        encoding="utf-8",
    )
    assert main(["check", "--config", str(config)]) == 0
    assert [line for line in capsys.readouterr().err.splitlines() if "fuzzy" in line] == []
