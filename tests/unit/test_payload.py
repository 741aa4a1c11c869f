"""What a notification shows of an item: its excerpt is cut between words."""

from __future__ import annotations

from watchtower.models import Item
from watchtower.pipeline.excerpt import EXCERPT_CHARS
from watchtower.pipeline.normalise_items import prepare
from watchtower.pipeline.runner import payload_for


def excerpt(text: str) -> str:
    [p] = prepare([Item(guid="1", url="https://site.fr/a", title="Acmé", text=text)])
    return str(payload_for(p, "presse")["excerpt"])


def test_a_long_text_is_cut_between_words() -> None:
    words = ("Selon nos informations, la Banque Acmé prépare un plan social. " * 10).strip()
    shown = excerpt(words)
    assert shown.endswith("…") and len(shown) <= EXCERPT_CHARS + 1
    assert words.startswith(shown[:-1])
    assert words[len(shown) - 1] == " " or shown[-2] in ".,;:"  # no word cut in half


def test_a_short_text_is_whole_and_a_giant_word_is_still_cut() -> None:
    assert excerpt("Court.") == "Court."
    giant = "a" * 1000
    assert excerpt(giant) == "a" * EXCERPT_CHARS + "…"
