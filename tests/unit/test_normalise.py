"""Normalisation: the French cases, positions, and fast path == slow path."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower.pipeline.lossy import lossy_term
from watchtower.pipeline.normalise import (
    ELISIONS,
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
        # French elides only before a vowel or h: "l'" before "l" or a space is kept.
        ("l'l'acme", "l acme"),
        ("l' acme", "l acme"),
        ("l'hôtel d’Hélène", "hotel helene"),
        ("L'Yonne", "yonne"),
        ("qu'il", "il"),
        ("l'Œuvre d'Æther", "oeuvre aether"),  # vowels after folding
        ("l'\u200bAcmé", "acme"),  # invisible characters are skipped, not a consonant
        ("M&M's", "m m s"),  # not "m": "m'" before "s" is no elision
        ("25 m/s", "25 m s"),
        ("Mc'Donald", "mc donald"),
        ("rock'n'roll", "rock n roll"),
        ("l'1 d'Z", "l 1 d z"),
        ("l'", "l"),
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
        # Compatibility forms: full-width and mathematical bold letters (tweets), "＇".
        ("ＡＣＭＥ", "acme"),
        ("\U0001d400\U0001d402\U0001d40c\U0001d404 nul", "acme nul"),
        ("l＇Acmé", "acme"),
        ("m² Ĳssel", "m2 ijssel"),
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
    *"aAeéÉèçœŒßæ'’ \n-.,!?\u200b\u00ad😀µﬁİＡ＇²\U0001d400",
    *"hHÿYsSmM1&/\u0301",  # what may follow an apostrophe: vowels, h, consonants, marks
    "l'",
    "qu’",
    "d'",
    "m'",
    "jusqu'",
    "e\u0301",
    "Привет",
    "ACME",
    "ǅ",
]


def reference_words(text: str) -> list[str]:
    """The definition, written the plain way: fold, split, drop elisions before a vowel or h."""
    folded = "".join(fold_char(c) for c in text)
    words = []
    for m in re.finditer(r"[^ ']+", folded):
        after = folded[m.end() : m.end() + 2]
        if not (m.group() in ELISIONS and after[:1] == "'" and after[1:] in tuple("aeiouyh")):
            words.append(m.group())
    return words


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_fast_and_slow_paths_agree(text: str) -> None:
    tokens = tokenize(text)
    assert [t.text for t in tokens] == normalise(text).split() == reference_words(text)
    assert tokens == _tokenize_chars(text)
    quick = normalise_quick(text)
    assert quick.startswith(" ") and quick.endswith(" ")
    assert set(normalise(text).split()) <= set(quick.split())


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text(text: str) -> None:
    tokens = tokenize(text)
    assert [t.text for t in tokens] == normalise(text).split() == reference_words(text)
    assert tokens == _tokenize_chars(text)


@pytest.mark.parametrize(
    ("term", "explanation"),
    [
        ("Canal+", "matched as 'canal': punctuation and symbols are ignored ('+')"),
        ("M&M's", "matched as 'm m s': punctuation and symbols are ignored ('&')"),
        ("C++", "matched as 'c': punctuation and symbols are ignored ('+')"),
        (
            "L'Équipe",
            "matched as 'equipe': the leading elision \"L'\" is dropped, "
            "so it also matches 'Équipe'",
        ),
        ("CA", "matched as 'ca': accents are ignored, so it also matches 'ça'"),
        ("ÇA", "matched as 'ca': accents are ignored, so it also matches 'ca'"),
        ("LA", "matched as 'la': accents are ignored, so it also matches 'là'"),
    ],
)
def test_lossy_terms_are_explained(term: str, explanation: str) -> None:
    assert lossy_term(term) == explanation


@pytest.mark.parametrize(
    "term",
    [
        "Acmé",
        "acme*",
        "acme.fr",
        "contact@acme.fr",
        "UFC-Que Choisir",
        "UFC – Que-Choisir",
        "Procter & Gamble",
        "Acme®",
        "Yahoo!",
        "Acme, Inc.",
        "aujourd'hui",
        "SNCF",
        "Crédit Agricole",
        "---",
    ],
)
def test_terms_that_keep_their_meaning_are_not_lossy(term: str) -> None:
    assert lossy_term(term) is None
