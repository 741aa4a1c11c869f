"""Normalisation: the French cases, positions, and fast path == slow path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower.pipeline.normalise import (
    _tokenize_chars,
    fold_char,
    normalise,
    normalise_quick,
    normalise_term,
    tokenize,
    word_spans,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ACME", "acme"),
        ("acmé", "acme"),
        ("l'Acmé", "acme"),
        ("d’Acmé", "acme"),
        ("qu'Acmé", "acme"),
        ("jusqu’à lorsqu'il puisqu’elle", "a il elle"),
        ("L’ENTREPRISE", "entreprise"),
        ("aujourd'hui", "aujourd hui"),
        ("it's Acme's", "it s acme s"),
        ("l'l'acme", "acme"),
        ("l' acme", "acme"),  # a word right before an apostrophe, as typed sometimes
        ("UFC-Que Choisir", "ufc que choisir"),
        ("acme.fr", "acme fr"),
        ("contact@acme.fr", "contact acme fr"),
        ("Ac\u200bmé", "acme"),  # zero-width space inside a word vanishes
        ("Ac\u00admé", "acme"),  # soft hyphen too
        ("acme😀corp", "acme corp"),  # emoji are boundaries
        ("Œuvre cœur Æther", "oeuvre coeur aether"),
        ("Straße", "strasse"),
        ("e\u0301cole", "ecole"),  # decomposed accents fold like composed ones
        ("ÇA VA", "ca va"),
        ("Привет, мир", "привет мир"),
        ("« 60 millions » — vraiment…", "60 millions vraiment"),
        ("", ""),
        ("  ,;  ", ""),
    ],
)
def test_normalise(text: str, expected: str) -> None:
    assert normalise(text) == (f" {expected} " if expected else " ")
    assert normalise_term(text) == tuple(expected.split())


def test_spans_map_back_to_the_original_text() -> None:
    text = "Hier, l’Acmé (ACME-France) m'a\u200b répondu : « arnaque ! »"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["hier", "acme", "acme", "france", "a", "repondu", "arnaque"]
    assert [text[t.start : t.end] for t in tokens] == [
        "Hier",
        "Acmé",
        "ACME",
        "France",
        "a",
        "répondu",
        "arnaque",
    ]
    assert word_spans(text) == [(t.start, t.end) for t in tokens]


def test_quick_form_is_a_superset_for_prefilters() -> None:
    text = "Acmé,  vraiment — nul !\n\nl'équipe"
    assert normalise_quick(text).split() == ["acme", "vraiment", "nul", "l", "equipe"]
    assert normalise(text).split() == ["acme", "vraiment", "nul", "equipe"]


def test_fold_char_output_is_a_fixed_point() -> None:
    # The byte path relies on it: folded output folds to itself.
    for code in [*range(0x3000), 0x1F600, 0xFB01, 0xFF21]:
        folded = fold_char(chr(code))
        if folded not in ("", " ", "'"):
            assert "".join(fold_char(c) for c in folded) == folded


def test_a_megabyte_item_is_linear() -> None:
    text = ("Acmé l’arnaque, " * 70_000)[:1_000_000]
    assert normalise(text).count(" acme ") == 62_500
    assert len(tokenize(text[:100_000])) == 12_500


PIECES = [
    *"aAeéÉèçœŒßæ'’ \n-.,!?\u200b\u00ad😀µﬁİ",
    "l'",
    "qu’",
    "d'",
    "jusqu'",
    "e\u0301",
    "Привет",
    "ACME",
    "ǅ",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_fast_and_slow_paths_agree(text: str) -> None:
    tokens = tokenize(text)
    assert [t.text for t in tokens] == normalise(text).split()
    assert tokens == _tokenize_chars(text)
    quick = normalise_quick(text)
    assert quick.startswith(" ") and quick.endswith(" ")
    assert set(normalise(text).split()) <= set(quick.split())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text(text: str) -> None:
    tokens = tokenize(text)
    assert [t.text for t in tokens] == normalise(text).split()
    assert tokens == _tokenize_chars(text)
