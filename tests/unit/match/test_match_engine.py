"""The matcher: (text, query, fires?) rows per construct, French cases, rules, bad input."""

from __future__ import annotations

import pytest

from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Hit, Item, Match
from watchtower.pipeline.match import Matcher

ACME = BrandConfig(name="Acmé", terms=["Acmé", "acme.fr"], exclude=["Acme Corporation"])
MUTUALIS = BrandConfig(name="Mutualis", terms=["Mutualis"], fuzzy=1)


def item(text: str, title: str = "", **kw: object) -> Item:
    return Item(guid="1", title=title, text=text, **kw)  # type: ignore[arg-type]


def brands_found(text: str, *brands: BrandConfig) -> set[str]:
    matcher = Matcher(list(brands) or [ACME, MUTUALIS], [])
    return {m.brand for m in matcher.match(item(text), "src")}


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ACME rachète", True),
        ("acmé", True),
        ("chez l'Acmé", True),
        ("le service d’Acmé", True),
        ("qu'Acmé réponde", True),
        ("voir acme.fr", True),
        ("contact@acme.fr", True),
        ("Acmébis", False),
        ("pacme", False),
        ("Acme Corporation annonce", False),
        ("Acme Corporation et Acmé", True),  # one mention outside the excluded phrase
        ("ac\u200bme", True),
    ],
)
def test_french_cases_for_acme(text: str, found: bool) -> None:
    assert ("Acmé" in brands_found(text)) is found


def test_a_phrase_overlapping_an_exclusion_is_excluded() -> None:
    # "banque : Acme" reads as the phrase "Banque Acmé", but its "Acme" is the
    # excluded "Acme Corporation": an overlap cancels the hit, not only containment.
    bank = BrandConfig(name="Acmé", terms=["Banque Acmé"], exclude=["Acme Corporation"])
    matcher = Matcher([bank], [])
    text = "Rien à voir avec notre banque : Acme Corporation est américaine."
    assert matcher.match(Item(guid="1", text=text), "s") == []
    assert matcher.match(Item(guid="2", text="La banque Acmé répond"), "s") != []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Mutualis", True),
        ("Mutualiss", True),  # insertion
        ("Mutulis", True),  # deletion
        ("Mutaulis", True),  # transposition
        ("Mutuelis", True),  # substitution
        ("Mutuel", False),
        ("Mutuellis", False),  # two edits
    ],
)
def test_fuzzy_brand(text: str, found: bool) -> None:
    assert ("Mutualis" in brands_found(text)) is found


def test_short_words_never_fuzzy_match() -> None:
    brand = BrandConfig(name="Axa", terms=["Axa"], fuzzy=2)
    assert brands_found("axe et axo", brand) == set()
    assert brands_found("Axa", brand) == {"Axa"}


def test_fuzzy_two_edits() -> None:
    brand = BrandConfig(name="Mutualis", terms=["Mutualis"], fuzzy=2)
    assert brands_found("Mutuellis", brand) == {"Mutualis"}
    assert brands_found("Mutuel", brand) == set()


def fires(query: str, text: str, title: str = "", source: str = "src", **kw: object) -> bool:
    matcher = Matcher([ACME], [RuleConfig(name="r", query=query)])
    matches = matcher.match(item(text, title, **kw), source)
    return any(m.rule == "r" for m in matches)


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("arnaque", "Acmé : une arnaque", True),
        ("arnaque", "Acmé : un arnaqueur", False),
        ("arnaqu*", "Acmé : un arnaqueur", True),
        ("rembours*", "Acmé ne m'a jamais remboursé", True),
        ("rembours*", "Acmé, débours", False),
        ('"service client"', "Acmé : le service client est nul", True),
        ('"service client"', "Acmé : le client du service", False),
        ('"service client"', "Acmé : service, client", True),  # punctuation is a boundary
        ("arnaque plainte", "Acmé arnaque", False),
        ("arnaque plainte", "Acmé arnaque plainte", True),
        ("arnaque AND plainte", "Acmé plainte arnaque", True),
        ("arnaque OR plainte", "Acmé plainte", True),
        ("NOT arnaque", "Acmé super", True),
        ("NOT arnaque", "Acmé arnaque", False),
        ("(arnaque OR escroquerie) NOT concours", "Acmé escroquerie", True),
        ("(arnaque OR escroquerie) NOT concours", "Acmé escroquerie concours", False),
        ("service NEAR/2 nul", "Acmé service vraiment nul", True),
        ("service NEAR/2 nul", "Acmé nul vraiment service", True),  # either order
        ("service NEAR/1 nul", "Acmé service vraiment nul", False),
        ("service NEAR/3 (nul OR lent)", "Acmé service très très lent", True),
        ("UFC-Que-Choisir", "Acmé épinglé par UFC-Que Choisir", True),
        ('"60 millions"', "Acmé dans « 60 Millions »", True),
    ],
)
def test_query_constructs(query: str, text: str, expected: bool) -> None:
    assert fires(query, text) is expected


def test_field_scopes() -> None:
    assert fires("title:arnaque", "Acmé", title="Arnaque !")
    assert not fires("title:arnaque", "Acmé arnaque", title="Bonjour")
    assert fires("text:arnaque", "Acmé arnaque", title="Bonjour")
    assert not fires("text:arnaque", "Acmé", title="arnaque")
    # NEAR never spans title and text
    assert not fires("fin NEAR/1 debut", "debut Acmé", title="la fin")


def test_metadata_scopes() -> None:
    assert fires("source:forum", "Acmé", source="forum")
    assert not fires("source:forum", "Acmé", source="news")
    assert fires("lang:fr", "Acmé", lang="fr")
    assert not fires("lang:fr", "Acmé", lang="en")
    assert fires("rating:<=2", "Acmé", rating=1)
    assert not fires("rating:<=2", "Acmé", rating=4)
    assert not fires("rating:<=2", "Acmé")  # no rating: false
    assert fires("brand:acme", "Acmé")
    assert not fires("brand:globex", "Acmé")


def test_lang_is_detected_only_when_needed() -> None:
    calls: list[str] = []

    def detect(it: Item) -> str | None:
        calls.append(it.guid)
        return "fr"

    matcher = Matcher(
        [ACME], [RuleConfig(name="r", query="arnaque lang:fr")], detect_language=detect
    )
    assert not matcher.match(item("Acmé super"))[0].rule if False else True
    matcher.match(item("Acmé super"), "s")
    assert calls == []  # the cheap term failed first
    assert matcher.match(item("Acmé arnaque"), "s")[0].rule == "r"
    assert calls == ["1"]


def test_language_detection_default() -> None:
    matcher = Matcher([ACME], [RuleConfig(name="fr", query="lang:fr")])
    text = "Acmé ne répond plus depuis des semaines, c'est vraiment une honte pour nous."
    assert matcher.match(item(text), "s")[0].rule == "fr"


def test_rule_semantics() -> None:
    globex = BrandConfig(name="Globex", terms=["Globex"])
    rules = [
        RuleConfig(name="acme-only", brands=["Acmé"], query="arnaque"),
        RuleConfig(name="news-only", sources=["news"]),
        RuleConfig(name="not-contest", exclude=["concours", "jeu*"]),
    ]
    matcher = Matcher([ACME, globex], rules)

    def got(text: str, source: str) -> set[tuple[str, str | None]]:
        return {(m.brand, m.rule) for m in matcher.match(item(text), source)}

    assert got("Globex et Acmé : arnaque", "forum") == {
        ("Acmé", "acme-only"),
        ("Acmé", "not-contest"),
        ("Globex", "not-contest"),
    }
    assert got("Globex : grand jeu-concours", "forum") == {("Globex", None)}
    assert got("Globex : grand jeu-concours", "news") == {("Globex", "news-only")}
    assert got("rien à voir", "news") == set()


def test_hits_show_surface_position_and_clause() -> None:
    matcher = Matcher(
        [ACME, MUTUALIS], [RuleConfig(name="r", query="rembours* OR (service NEAR/3 nul)")]
    )
    text = "Franchement, l’ACMÉ ne m'a pas remboursé ; Mutualiss non plus."
    matches = {m.brand: m for m in matcher.match(item(text, "Service client nul"), "s")}
    acme = matches["Acmé"]
    assert isinstance(acme, Match) and acme.rule == "r"
    assert acme.hits[0] == Hit("acme", "ACMÉ", "text", 15, 19, "brand")
    assert text[15:19] == "ACMÉ"
    assert Hit("rembours*", "remboursé", "text", 31, 40, "rembours*") in acme.hits
    assert Hit("service", "Service", "title", 0, 7, "service NEAR/3 nul") in acme.hits
    assert matches["Mutualis"].hits[0].surface == "Mutualiss"
    assert matches["Mutualis"].terms == ("mutualis", "rembours*", "service", "nul")


def test_no_brand_no_match_and_empty_config() -> None:
    assert Matcher([], []).match(item("Acmé"), "s") == []
    assert Matcher([ACME], []).match(item(""), "s") == []
    assert Matcher([ACME], []).match(item("Acmé"), "s") == [
        Match("Acmé", None, (Hit("acme", "Acmé", "text", 0, 4, "brand"),))
    ]


# ------------------------------------------------------------------ bad input
def test_a_megabyte_item_is_matched() -> None:
    text = ("Lorem ipsum dolor sit amet, l’arnaque du siècle. " * 21_000)[:999_990]
    text += " Acmé"
    matcher = Matcher([ACME], [RuleConfig(name="r", query="arnaque NEAR/5 siecle")])
    assert [m.rule for m in matcher.match(item(text), "s")] == ["r"]


def test_text_built_to_make_regexes_backtrack() -> None:
    # Nested-quantifier killers for regex engines; here one linear scan.
    hostile = "a" * 50_000 + "!" + "'" * 10_000 + "l'" * 10_000 + "\u200b" * 10_000 + " Acmé"
    matcher = Matcher([ACME], [RuleConfig(name="r", query="aaa* OR aaaa NEAR/1000 acme")])
    assert [m.rule for m in matcher.match(item(hostile), "s")] == ["r"]


def test_ten_thousand_term_rule() -> None:
    query = " OR ".join(f"motcle{i}" for i in range(10_000))
    brands = [BrandConfig(name=f"b{i}", terms=[f"marque{i}"]) for i in range(10_000)]
    matcher = Matcher([*brands, ACME], [RuleConfig(name="big", query=query)])
    matches = matcher.match(item("Acmé motcle9999 marque42"), "s")
    assert {(m.brand, m.rule) for m in matches} == {("Acmé", "big"), ("b42", "big")}


def test_odd_brand_terms_never_break_the_matcher() -> None:
    brand = BrandConfig(name="Odd", terms=["---", "ac*me", "Acmé*"], exclude=["😀"])
    matcher = Matcher([brand], [RuleConfig(name="r", exclude=["*"])])
    assert {m.brand for m in matcher.match(item("acméfrance"), "s")} == {"Odd"}
    assert {m.brand for m in matcher.match(item("ac me"), "s")} == {"Odd"}


def test_positions_in_a_long_item_are_exact() -> None:
    matcher = Matcher([ACME], [RuleConfig(name="r", query="arnaque NEAR/2 siecle")])
    filler = "Lorem ipsum dolor sit amet. " * 1_000
    text = filler + "Acmé : l’arnaque du siècle." + filler
    match = matcher.match(item(text, title="Le titre parle d'Acmé"), "s")[0]
    surfaces = {(h.field, h.surface, h.start) for h in match.hits}
    assert ("title", "Acmé", 17) in surfaces
    assert ("text", "Acmé", len(filler)) in surfaces
    assert ("text", "siècle", len(filler) + 20) in surfaces


def test_a_source_about_a_brand_matches_items_that_do_not_name_it() -> None:
    from watchtower.adapters.reviews import ReviewsSettings

    agency = ReviewsSettings(
        name="avis-lyon", kind="reviews", url="https://avis.example.fr/lyon", brands=("Acmé",)
    )
    bad = RuleConfig(name="avis-negatifs", brands=["Acmé"], query="rating:<=2")
    matcher = Matcher([ACME, MUTUALIS], [bad], sources=[agency])
    review = Item(guid="r1", title="Trois rendez-vous annulés", text="Je change.", rating=1)

    [found] = matcher.match(review, "avis-lyon")
    assert (found.brand, found.rule) == ("Acmé", "avis-negatifs")
    assert found.hits[0].clause == "source" and found.terms[0] == "Acmé"
    assert matcher.match(review.model_copy(update={"rating": 5}), "avis-lyon") == [
        Match("Acmé", None, (Hit("Acmé", "", "title", 0, 0, "source"),))
    ]
    assert matcher.match(review, "another-source") == []  # only that source's items
    # Named in the text too: the words are the hits, the brand counted once.
    named = matcher.match(Item(guid="r2", text="Acmé, jamais plus", rating=1), "avis-lyon")
    assert [(m.brand, m.hits[0].clause) for m in named] == [("Acmé", "brand")]
