"""A ``Le …``/``Les …`` brand whose contracted form is an everyday phrase is warned about.

A brand term starting with ``le``/``les`` also matches ``du``/``au``
(``des``/``aux``) in its place, so ``Les Échos`` matches "des échos de la
fête" and ``Le Monde`` "il y a du monde". ``check`` warned about ``Le Monde``,
``Le Point`` and ``Le Temps`` only, from a hand list of phrases: it now also
warns when the words after the article are an everyday word ("échos",
"progrès"), since article + everyday word is an everyday phrase, and leaves
``Le Parisien`` or ``Le Figaro`` alone ("du Figaro" means the paper)."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.common_words import everyday_languages
from watchtower.config import load_config


@pytest.mark.parametrize(
    "term", ["Les Échos", "Les Echos", "LES ÉCHOS", "Le Monde", "Le Point", "Le Progrès"]
)
def test_an_article_and_an_everyday_word_is_an_everyday_phrase(term: str) -> None:
    assert everyday_languages(term) == ("fr",)


@pytest.mark.parametrize(
    "term", ["Le Parisien", "Le Figaro", "La Poste", "La Croix", "Les Échos Business"]
)
def test_a_name_after_the_article_is_no_everyday_phrase(term: str) -> None:
    assert everyday_languages(term) == ()


def test_check_warns_about_les_echos_and_names_its_contracted_forms(tmp_path: Path) -> None:
    config = tmp_path / "w.toml"
    config.write_text(
        '[watchtower]\ndefault_notify = ["console:"]\n'
        '[[brands]]\nname = "Les Échos"\nterms = ["Les Échos", "Le Parisien"]\n',
        encoding="utf-8",
    )
    warnings = [str(w) for w in load_config(config).warnings if "everyday" in str(w)]
    assert len(warnings) == 1
    assert "'Les Échos' is an everyday French phrase" in warnings[0]
    assert '(so is every "des echos", "aux echos")' in warnings[0]
