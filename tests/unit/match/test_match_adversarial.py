"""Adversarial French and web text through the matcher (docs/queries.md, "Matching")."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.config import BrandConfig, ConfigError, RuleConfig, parse_config
from watchtower.models import Item
from watchtower.pipeline.match import Matcher

ACME = BrandConfig(name="Acme", terms=["Acme"])
CA = BrandConfig(name="Crédit Agricole", terms=["Crédit Agricole"])
SOCIETE = BrandConfig(name="Société Acmé", terms=["Société Acmé"])
OEUVRE = BrandConfig(name="Œuvre", terms=["Œuvre d'Acmé"])
SNCF = BrandConfig(name="SNCF", terms=["SNCF"])
SITE = BrandConfig(name="acme.fr", terms=["acme.fr"])
BRANDS = [ACME, CA, SOCIETE, OEUVRE, SNCF, SITE]


def found(text: str, brands: list[BrandConfig] | None = None) -> set[str]:
    matcher = Matcher(brands or BRANDS, [])
    return {m.brand for m in matcher.match(Item(guid="1", title="", text=text), "src")}


@pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u02bc", "`", "\u00b4", "\u2018", "\uff07"])
@pytest.mark.parametrize("elision", ["l", "d", "qu", "jusqu", "lorsqu", "puisqu", "L", "QU"])
def test_every_apostrophe_elides(apostrophe: str, elision: str) -> None:
    assert found(f"c'est {elision}{apostrophe}Acme") >= {"Acme"}


@pytest.mark.parametrize(
    "text",
    [
        "jusqu\u2019à l\u2019Acme",
        "lorsqu\u2019Acme répond",
        "presqu\u2019Acme",  # "presqu'" is no listed elision: the apostrophe still splits
        "d\u2019\u200bAcme",
        "l\u2019ACME ARNAQUE",
        "L’ACME, ARNAQUE !",
    ],
)
def test_elisions_in_running_text(text: str) -> None:
    assert "Acme" in found(text)


@pytest.mark.parametrize(
    ("text", "brand"),
    [
        ("La Socie\u0301te\u0301 Acme\u0301 ferme", "Société Acmé"),  # NFD
        ("La Société Acmé ferme", "Société Acmé"),  # NFC
        ("SOCIÉTÉ ACMÉ", "Société Acmé"),
        ("l\u2019Œuvre d\u2019Acme", "Œuvre"),
        ("l’oeuvre d’acme", "Œuvre"),
        ("L’ŒUVRE D’ACME", "Œuvre"),
        ("\uff21\uff43\uff4d\uff45 arnaque", "Acme"),  # fullwidth
        ("𝐀𝐜𝐦𝐞 arnaque", "Acme"),  # mathematical bold
        ("Crédit\u00a0Agricole", "Crédit Agricole"),
        ("Crédit\u202fAgricole", "Crédit Agricole"),
        ("Crédit\u2009Agricole", "Crédit Agricole"),
        ("Crédit \n Agricole", "Crédit Agricole"),
        ("CREDIT AGRICOLE", "Crédit Agricole"),
        ("Crédit-Agricole", "Crédit Agricole"),
        ("Ac\u200bme", "Acme"),
        ("Ac\u200dme", "Acme"),
        ("Ac\u200cme", "Acme"),
        ("Ac\u2060me", "Acme"),
        ("Ac\u00adme", "Acme"),
        ("Ac\ufeffme", "Acme"),
        ("Ac-\nme a encore frappé", "Acme"),
        ("Ac-\r\nme a encore frappé", "Acme"),
        ("Ac\u00ad\nme a encore frappé", "Acme"),
        ("#Acme", "Acme"),
        ("@Acme", "Acme"),
        ("@AcmeFR", "Acme"),
        ("#AcmeBanque", "Acme"),
        ("#BoycottAcme", "Acme"),
        ("Acme's customers", "Acme"),
        ("les Acme", "Acme"),
        ("ACME ARNAQUE", "Acme"),
        ("Acme😡", "Acme"),
        ("😡Acme😡", "Acme"),
        ("Acme🇫🇷", "Acme"),
        ("Acme\u200d😡", "Acme"),
        ("Acme\ufe0f", "Acme"),
        ("https://www.acme.fr/contact", "acme.fr"),
        ("contact@acme.fr", "acme.fr"),
        ("ACME.FR", "acme.fr"),
        ("«\u00a0Acme\u00a0»", "Acme"),
        ("sncf", "SNCF"),
    ],
)
def test_written_as_the_web_writes(text: str, brand: str) -> None:
    assert brand in found(text)


@pytest.mark.parametrize(
    ("text", "brand"),
    [
        ("Acmefolie", "Acme"),
        ("pacme", "Acme"),
        ("Acmébis", "Acme"),
        ("acmefr", "acme.fr"),
        ("#acmebanque", "Acme"),  # one-case tag: documented as one word
        ("Crédit Agricolement", "Crédit Agricole"),
        ("Crédit, et Agricole", "Crédit Agricole"),
        # One-letter words (docs/queries.md, "Dotted acronyms"): the term S.N.C.F. catches them.
        ("S.N.C.F.", "SNCF"),
        ("S N C F", "SNCF"),
    ],
)
def test_not_a_mention(text: str, brand: str) -> None:
    assert brand not in found(text)


def test_dotted_acronym_term_catches_every_spelling() -> None:
    brand = BrandConfig(name="SNCF", terms=["SNCF", "S.N.C.F."])
    for text in ("S.N.C.F.", "S N C F", "s.n.c.f", "la S.N.C.F. en grève", "SNCF"):
        assert found(text, [brand]) == {"SNCF"}, text


FREE = BrandConfig(name="Free", terms=["Free"], fuzzy=2)
SNCF2 = BrandConfig(name="SNCF", terms=["SNCF"], fuzzy=2)
ORANGE = BrandConfig(name="Orange", terms=["Orange"], fuzzy=1)


@pytest.mark.parametrize(
    ("brand", "text"),
    [
        (FREE, "Fred est là"),
        (FREE, "Frees"),
        (FREE, "fre"),
        (FREE, "tree"),
        (SNCF2, "SNCB"),
        # Six letters and more only: "Orange" itself is fuzzy ("orage", a word, is
        # no typo of it: tests/unit/match/test_fuzzy_everyday_words.py).
        (ORANGE, "ornge"),
    ],
)
def test_short_terms_do_not_match_fuzzily(brand: BrandConfig, text: str) -> None:
    expected = {"Orange"} if text == "ornge" else set()
    assert found(text, [brand]) == expected


@pytest.mark.parametrize(
    ("brand", "text"),
    [
        # Accents are ignored everywhere, typos or not (docs/queries.md, table).
        (BrandConfig(name="Free", terms=["Free"]), "une robe frée"),
        (BrandConfig(name="Orange", terms=["Orange"]), "un ton orangé"),
    ],
)
def test_accents_are_ignored_by_design(brand: BrandConfig, text: str) -> None:
    assert found(text, [brand]) == {brand.name}


# --------------------------------------------------------- exclusions, both sides
EXCL = BrandConfig(name="Acme", terms=["Acme"], exclude=["Acme Corporation", "l'Acme Café"])


@pytest.mark.parametrize(
    "text",
    [
        "Acme Corporation",
        "ACME CORPORATION",
        "Acme\u00a0Corporation",
        "Acme\u202fCorporation",
        "Ac\u200bme Corpo\u00adration",
        "Acme-Corporation",
        "Acme Corpo-\nration",
        "#AcmeCorporation",
        "@AcmeCorporation",
        "l’Acme Café",
        "l\u02bcAcme Cafe\u0301",
        "L`ACME CAFÉ",
        "d’Acme Café",
        "Acme\u0301 Corporation",
        "𝐀𝐜𝐦𝐞 Corporation",
    ],
)
def test_brand_exclusion_catches_every_spelling(text: str) -> None:
    assert found(text, [EXCL]) == set()


def test_brand_exclusion_keeps_a_separate_mention() -> None:
    assert found("Acme Corporation rachète Acme", [EXCL]) == {"Acme"}


@pytest.mark.parametrize(
    "text",
    [
        "Acme : jeu concours",
        "Acme : JEU-CONCOURS",
        "Acme : jeu\u00a0concours",
        "Acme : jeu con\u00adcours",
        "Acme : #JeuConcours",
        "Acme : jeu con-\ncours",
        "Acme : l’Éco-concours",
    ],
)
def test_rule_exclusions_and_not_catch_every_spelling(text: str) -> None:
    rules = [
        RuleConfig(name="not", query='Acme NOT ("jeu concours" OR "eco concours")'),
        RuleConfig(name="dash", query='Acme -"jeu concours" -"éco-concours"'),
        RuleConfig(name="excl", exclude=["jeu concours", "l'éco-concours"]),
    ]
    matcher = Matcher([ACME], rules)
    [match] = matcher.match(Item(guid="1", title="", text=text), "src")
    assert match.rule is None


def test_rule_query_fires_without_the_excluded_phrase() -> None:
    rules = [RuleConfig(name="not", query='Acme NOT "jeu concours"')]
    item = Item(guid="1", title="", text="Acme : concours de jeu")
    [match] = Matcher([ACME], rules).match(item, "s")
    assert match.rule == "not"


# ------------------------------------------ brand exclusions cover the term's typos
MUTUALIS = [
    BrandConfig(name="Mutualis", terms=["Mutualis"], fuzzy=n, exclude=["Mutualis Corporation"])
    for n in (1, 2)
]


@pytest.mark.parametrize("brand", MUTUALIS, ids=["fuzzy1", "fuzzy2"])
@pytest.mark.parametrize(
    "text",
    [
        "Mutualis Corporation",
        "Mutualiss Corporation",
        "Mutulis Corporation",
        "MUTAULIS CORPORATION",
        "#MutualissCorporation",
        "l’Mutualiss-Corporation",
    ],
)
def test_brand_exclusion_covers_typos(brand: BrandConfig, text: str) -> None:
    assert found(text, [brand]) == set()


@pytest.mark.parametrize("brand", MUTUALIS, ids=["fuzzy1", "fuzzy2"])
@pytest.mark.parametrize(
    "text",
    [
        "Mutualiss",
        "Mutualis Corporation et Mutualiss",
        "Mutualiss et la Corporation",
        "Corporation Mutualiss",
    ],
)
def test_typo_outside_an_exclusion_is_kept(brand: BrandConfig, text: str) -> None:
    assert found(text, [brand]) == {"Mutualis"}


@pytest.mark.parametrize("brand", MUTUALIS, ids=["fuzzy1", "fuzzy2"])
def test_typos_side_by_side_are_each_checked_against_the_exclusion(brand: BrandConfig) -> None:
    # Each word's hit spans its spaces, so two typo hits in a row share one.
    item = Item(guid="1", title="", text="Mutualiss Mutualiss Corporation Mutualiss")
    [match] = Matcher([brand], []).match(item, "s")
    assert [hit.surface for hit in match.hits] == ["Mutualiss", "Mutualiss"]  # 1st and 3rd


def test_a_text_full_of_excluded_typos_is_scanned_twice_not_once_per_typo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One more scan per typo made a hostile 1 MB post cost its length squared
    # (minutes of a poll worker); all of them are spelt right in one copy.
    from watchtower.pipeline.match import automaton

    scans = 0
    real = automaton.Automaton.scan

    def counted(self: automaton.Automaton, text: str) -> automaton.Spans:
        nonlocal scans
        scans += 1
        return real(self, text)

    monkeypatch.setattr(automaton.Automaton, "scan", counted)
    text = "Mutualiss Corporation. " * 2000 + "Mutualiss seul."
    [match] = Matcher([MUTUALIS[0]], []).match(Item(guid="1", title="", text=text), "s")
    assert [hit.surface for hit in match.hits] == ["Mutualiss"]
    assert match.hits[0].start == len("Mutualiss Corporation. ") * 2000
    assert scans <= 3


# ------------------------------------------------------ hostile queries in config
@pytest.mark.parametrize(
    "query",
    [
        '"arnaque',
        "“arnaque",
        "« arnaque",
        "arnaque»",
        "(arnaque",
        "arnaque)",
        "((a OR b)",
        "a OR",
        "NOT",
        "a NEAR/ b",
        "a NEAR/99999 b",
        "title:",
        "titre:x",
        "-",
        "*",
        "ab*",
        '""',
        "()",
        "a AND AND b",
        "\x00",
        "(" * 100 + "a" + ")" * 100,
        "@no_such_vocabulary",
        "rating:<=x",
        "brand:",
        'brand:"Acme',
    ],
)
def test_hostile_query_is_a_config_error_naming_the_rule(query: str, tmp_path: Path) -> None:
    escaped = query.replace("\\", "\\\\").replace('"', '\\"').replace("\x00", "\\u0000")
    text = (
        '[[brands]]\nname = "Acme"\nterms = ["Acme"]\n\n'
        f'[[rules]]\nname = "hostile"\nquery = "{escaped}"\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, tmp_path / "w.toml")
    message = str(caught.value)
    assert "rules[0].query" in message, message
    assert "Traceback" not in message


# ------------------------------------------- an elision before a hashtag or a handle
FONDATION = BrandConfig(name="Acme", terms=["Acme"], exclude=["Fondation de l'Acme"])


@pytest.mark.parametrize(
    "text",
    [
        "la Fondation de l’Acme",
        "la Fondation de l’@Acme",
        "la Fondation de l’#Acme",
        "la fondation de l’@AcmeFR",  # the parts, then the whole handle
        "la Fondation de l’\u200b#Acme",
        "la Fondation de l\u02bc@acme",
    ],
)
def test_exclusion_covers_an_elided_tag(text: str) -> None:
    assert found(text, [FONDATION]) == set()


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("Plainte contre l’@Acme", "contre l’@Acme"),
        ("Plainte contre l’#AcmeFail", "contre l’#Acme"),  # up to the tag's part
        ("Plainte contre d’@Acme", "contre d’@Acme"),
        ("Plainte contre le #Acme", None),  # "le" is a word: never elided
        ("Plainte contre l’#Bcme @Acme", None),  # "l'" before a consonant stays
    ],
)
def test_phrase_runs_over_an_elided_tag(text: str, surface: str | None) -> None:
    rules = [RuleConfig(name="r", query='"contre l\'acme"')]
    [match] = Matcher([ACME], rules).match(Item(guid="1", title="", text=text), "s")
    assert match.rule == ("r" if surface else None)
    assert [h.surface for h in match.hits if h.clause != "brand"] == ([surface] if surface else [])


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("« service client »", "Acme : Service\u00a0Client injoignable"),
        ("«\u00a0service client\u00a0»", "Acme : service-client"),
        ("“service client”", "Acme : SERVICE CLIENT"),
        ("rembours*", "Acme : REMBOURSE\u0301"),
        ("rembourse\u0301", "Acme : remboursé"),
        ('"carte* bloqu*"', "Acme : Carte\u202fbloque\u0301e"),
        ("l’agence", "Acme : l'agence"),
        ("agence", "Acme : d\u02bcagence"),
        ('brand:"ACME"', "Acme"),
        ("oeuvr*", "Acme : Œuvres"),
        ("œuvr*", "Acme : oeuvres"),
        ('arnaque NEAR/2 "boycott acme"', "#BoycottAcme arnaque"),
        ("arnaque", "Acme 𝐀𝐑𝐍𝐀𝐐𝐔𝐄"),
        ("arnaque", "Acme ＡＲＮＡＱＵＥ"),
        ("arnaque", "Acme ar\u00adnaque"),
        ("arnaque", "Acme ar-\nnaque"),
        ("arnaque", "Acme #ArnaqueAcme"),
    ],
)
def test_query_terms_match_every_spelling(query: str, text: str) -> None:
    rules = [RuleConfig(name="r", query=query)]
    [match] = Matcher([ACME], rules).match(Item(guid="1", title="", text=text), "s")
    assert match.rule == "r"


def test_a_phrase_does_not_run_from_title_into_text() -> None:
    item = Item(guid="1", title="Crédit", text="Agricole")
    assert Matcher([CA], []).match(item, "s") == []
