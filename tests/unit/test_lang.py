"""Language detection: French and English at least, None when unsure, bounded work."""

from __future__ import annotations

import pytest

from watchtower.lang import detect, detect_item
from watchtower.models import Item


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Le service client d'Acmé est injoignable depuis trois semaines, c'est honteux.", "fr"),
        ("Je n'ai jamais été remboursé, je vais porter plainte.", "fr"),
        ("The Acme support team never answered my refund request.", "en"),
        ("Terrible customer service, I want my money back.", "en"),
        ("Der Kundendienst von Acme ist eine Katastrophe.", "de"),
        ("El servicio de atención al cliente es una estafa.", "es"),
    ],
)
def test_detect(text: str, lang: str) -> None:
    assert detect(text) == lang


def test_too_short_to_tell() -> None:
    assert detect("Acmé") is None
    assert detect("") is None
    assert detect("😀😀😀 !!!") is None


def test_item_language_wins_over_detection() -> None:
    item = Item(
        guid="1", text="Le service client est injoignable depuis des semaines.", lang="en-GB"
    )
    assert detect_item(item) == "en"
    assert detect_item(item.model_copy(update={"lang": None})) == "fr"


def test_a_megabyte_is_read_in_part() -> None:
    assert detect("Le service client est vraiment injoignable. " * 22_000) == "fr"
