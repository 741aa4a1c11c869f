"""Unicode forms the matcher reads like their plain spelling (docs/queries.md, "Matching"):
full-width and small ``＃ ＠`` as hashtag and handle sigils, decomposed (NFD)
accents kept in the surface a notification shows, superscript and subscript
digits (footnote marks, exponents) as boundaries."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.test_normalise import reference_words
from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item, Match, Notification, Severity
from watchtower.notify.plain import plain_text
from watchtower.notify.slack_render import item_blocks
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.normalise import normalise, normalise_quick, tokenize, word_spans
from watchtower.pipeline.route import Route
from watchtower.pipeline.spans import tokenize_chars

ACME = BrandConfig(name="Acme", terms=["Acme"])
ACME_ACCENT = BrandConfig(name="Acmé", terms=["Acmé"])
MUTUALIS = BrandConfig(
    name="Mutualis", terms=["Mutualis"], fuzzy=1, exclude=["Mutualis Corporation"]
)


def matches(text: str, *brands: BrandConfig, rules: list[RuleConfig] | None = None) -> list[Match]:
    matcher = Matcher(list(brands) or [ACME], rules or [])
    return matcher.match(Item(guid="1", title="", text=text), "src")


def surfaces(text: str, *brands: BrandConfig) -> list[str]:
    """The surface of every hit, each checked against its offsets in ``text``."""
    out = []
    for match in matches(text, *brands):
        for hit in match.hits:
            assert text[hit.start : hit.end] == hit.surface
            out.append(hit.surface)
    return out


def spans_agree(text: str) -> None:
    """The fast spans, the tokens and the character-by-character reference agree."""
    tokens = tokenize(text)
    assert [t.text for t in tokens] == normalise(text).split()
    assert word_spans(text) == [(t.start, t.end) for t in tokens]
    assert tokens == tokenize_chars(text)


# ------------------------------------------------------- full-width and small sigils
SIGILS = ["\uff03", "\ufe5f", "\uff20", "\ufe6b"]  # ＃ ﹟ ＠ ﹫


@pytest.mark.parametrize("sigil", SIGILS)
@pytest.mark.parametrize(
    ("tag", "part"),
    [("BoycottAcme", "Acme"), ("AcmeFail", "Acme"), ("Acme2024", "Acme"), ("ACMEFail", "ACME")],
)
def test_full_width_and_small_sigils_are_hashtags_and_handles(
    sigil: str, tag: str, part: str
) -> None:
    ascii_form = ("#" if sigil in "\uff03\ufe5f" else "@") + tag
    assert surfaces(sigil + tag) == surfaces(ascii_form) == [part]
    assert normalise(sigil + tag) == normalise(ascii_form)
    spans_agree(f"Hier {sigil}{tag} !")


@pytest.mark.parametrize("sigil", ["\uff20", "\ufe6b"])
def test_a_full_width_at_inside_an_address_is_no_handle(sigil: str) -> None:
    assert surfaces(f"contact{sigil}AcmeFR") == surfaces("contact@AcmeFR") == []


@pytest.mark.parametrize("sigil", SIGILS)
def test_an_elision_before_a_full_width_sigil_elides(sigil: str) -> None:
    # "l’＠Acme" reads as "l’Acme": an exclusion written "de l'Acme" covers it.
    assert normalise(f"l\u2019{sigil}Acme") == " acme "
    fondation = BrandConfig(name="Acme", terms=["Acme"], exclude=["Fondation de l'Acme"])
    assert matches(f"Fondation de l\u2019{sigil}Acme", fondation) == []
    assert surfaces(f"Fondation de l\u2019{sigil}Acme Banque", ACME) == ["Acme"]


def test_every_compatibility_form_of_a_sigil_is_read_as_one() -> None:
    forms = [
        chr(code)
        for code in range(sys.maxunicode + 1)
        if code not in (0x23, 0x40) and unicodedata.normalize("NFKC", chr(code)) in ("#", "@")
    ]
    assert sorted(forms) == sorted(SIGILS)
    for form in forms:
        ascii_form = unicodedata.normalize("NFKC", form)
        assert normalise(f"{form}BoycottAcme") == normalise(f"{ascii_form}BoycottAcme")


def test_a_rule_hashtag_term_matches_a_full_width_hashtag() -> None:
    rule = RuleConfig(name="boycott", query="boycott")
    found = matches("\uff03BoycottAcme", ACME, rules=[rule])
    assert [m.rule for m in found] == ["boycott"]
    assert [h.surface for h in found[0].hits] == ["Acme", "Boycott"]


# ------------------------------------------------------- decomposed (NFD) accents
@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("Acme\u0301", "Acme\u0301"),  # at the end of the text
        ("Acme\u0301.", "Acme\u0301"),  # before punctuation
        ("(Acme\u0301)", "Acme\u0301"),
        ("l\u2019Acme\u0301 ferme", "Acme\u0301"),
        ("Acme\u0301\u0327 !", "Acme\u0301\u0327"),  # several marks
        ("ACME\u0301, encore", "ACME\u0301"),
        ("Acme\u0301\u200b suite", "Acme\u0301"),  # an invisible after the marks: left out
        ("\u0301Acme", "Acme"),  # a mark before the word belongs to what precedes it
        ("#BoycottAcme\u0301", "Acme\u0301"),  # a hashtag's last part
        ("#Acme\u0301Fail", "Acme\u0301"),  # a hashtag's first part
    ],
)
def test_the_surface_keeps_the_combining_marks_of_its_last_letter(text: str, surface: str) -> None:
    assert surfaces(text, ACME_ACCENT) == [surface]
    spans_agree(text)


def test_a_decomposed_phrase_and_a_typo_keep_their_marks() -> None:
    societe = BrandConfig(name="Société Acmé", terms=["Société Acmé"])
    text = "La Socie\u0301te\u0301 Acme\u0301."
    assert surfaces(text, societe) == ["Socie\u0301te\u0301 Acme\u0301"]
    assert surfaces("Mutualise\u0301, vraiment", MUTUALIS) == ["Mutualise\u0301"]
    spans_agree(text)


def test_match_case_still_reads_the_letters_of_a_decomposed_surface() -> None:
    ca = BrandConfig(name="CA", terms=["Crédit Agricole"], match_case=["CA"])
    assert surfaces("Chez C\u0327A\u0301.", ca) == ["C\u0327A\u0301"]
    assert surfaces("c\u0327a\u0301 va", ca) == []


def notification(text: str, *brands: BrandConfig) -> Notification:
    """What the pipeline queues for ``text``: the route's terms are the hits' surfaces."""
    route = Route("slack:#veille")
    for match in matches(text, *brands):
        route.add(match, Severity.info)
    payload = {
        "title": "Acme\u0301 rachète Zeta",
        "source": "google-alerts",
        "brands": route.brands,
        "terms": route.terms,
        "rules": route.rules,
        "severity": "info",
        "excerpt": text,
    }
    return Notification.from_payload(1, route.target, payload)


def test_notifications_show_the_decomposed_accent() -> None:
    n = notification("Rachat : la banque Acme\u0301.", ACME_ACCENT)
    assert n.terms == ("Acme\u0301",)
    body = plain_text(n, "fr", "Europe/Paris").body
    assert "Acme\u0301" in body.splitlines()[1]  # the terms line, not only the excerpt
    blocks, _ = item_blocks(n, "fr", "Europe/Paris")
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "Acme\u0301" in shown.replace("Rachat : la banque Acme\u0301.", "")


# ------------------------------------------------------- superscript and subscript digits
@pytest.mark.parametrize(
    "text",
    [
        "Acme\u00b9",  # ¹
        "Acme\u00b2\u2070\u00b2\u2074",  # ²⁰²⁴
        "Acme\u00b3 et les autres",
        "Acme\u2082",  # ₂
        "l\u2019Acme\u00b9 ferme",
        "Acme\u207d\u00b9\u207e",  # ⁽¹⁾
        "#BoycottAcme\u00b9",
    ],
)
def test_a_footnote_mark_after_a_brand_is_a_boundary(text: str) -> None:
    assert surfaces(text) == ["Acme"]  # as "Acme." is
    spans_agree(text)


@pytest.mark.parametrize("text", ["Acme2", "Acme2024", "Acme\uff12"])  # ordinary digits, "２"
def test_an_ordinary_digit_is_still_part_of_the_word(text: str) -> None:
    assert surfaces(text) == []  # another product's name, as before


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("Mutualis\u00b2", "Mutualis"),  # exact now, not a typo
        ("Mutualiss\u00b9 ferme", "Mutualiss"),  # a typo, as without the mark
        ("Mutualis2", "Mutualis2"),  # an ordinary digit: a typo, as before
    ],
)
def test_footnote_marks_read_the_same_by_exact_and_typo_matching(text: str, surface: str) -> None:
    assert surfaces(text, MUTUALIS) == [surface]


def test_an_exclusion_covers_a_typo_with_a_footnote_mark() -> None:
    assert matches("Mutualiss\u00b9 Corporation", MUTUALIS) == []
    assert matches("Mutualiss Corporation\u00b2", MUTUALIS) == []


def test_a_query_term_before_a_footnote_mark_matches() -> None:
    rule = RuleConfig(name="remb", query="rembours*")
    found = matches("Acme ne m'a pas remboursé\u00b9.", ACME, rules=[rule])
    assert [m.rule for m in found] == ["remb"]
    assert [h.surface for h in found[0].hits] == ["Acme", "remboursé"]


PIECES = [
    *"#@\uff03\ufe5f\uff20\ufe6b\u0301\u0327\u200b\u00b9\u00b2\u2074\u20822aAbBeé' .-\n",
    *("Acme", "Fail", "l'", "l\u2019", "qu'", "e\u0301", "-\n", "contact", "ACME", "9"),
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_every_implementation_agrees_on_these_forms(text: str) -> None:
    spans_agree(text)
    assert [t.text for t in tokenize(text)] == reference_words(text)
    assert set(normalise(text).split()) <= set(normalise_quick(text).split())
    for token in tokenize(text):  # a surface never starts on a mark, nor stops before one
        assert unicodedata.category(text[token.start]) not in ("Mn", "Me")
        after = text[token.end : token.end + 1]
        assert not after or unicodedata.category(after) not in ("Mn", "Me")
