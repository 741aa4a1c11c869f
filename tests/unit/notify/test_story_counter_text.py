"""The story counter's wording: the sites a story was seen on, singular and plural."""

from __future__ import annotations

import pytest

from watchtower.notify._text import seen_on_text, t


@pytest.mark.parametrize(
    ("language", "count", "text"),
    [
        ("fr", 1, "Vu sur 1 site"),
        ("fr", 2, "Vu sur 2 sites"),
        ("fr", 30, "Vu sur 30 sites"),
        ("en", 1, "Seen on 1 site"),
        ("en", 30, "Seen on 30 sites"),
    ],
)
def test_the_counter_says_sites(language: str, count: int, text: str) -> None:
    assert seen_on_text(language, count) == text


def test_the_plural_template_the_slack_notifier_formats_says_sites() -> None:
    """``slack.py`` and ``slack_render.py`` format ``seen_on`` for counts of 2 and more."""
    assert t("fr", "seen_on").format(count=7) == "Vu sur 7 sites"
    assert t("en", "seen_on").format(count=7) == "Seen on 7 sites"
