"""``*`` on any word of a phrase: ``"carte* bloqu*"``, ``"service* client*"``.

Before, ``*`` was allowed only on a phrase's last word and ``"carte* bloqu*"``
was a syntax error (and a brand term written so was matched as the plain words
``carte bloqu``). Each test here failed on that code.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Hit, Item
from watchtower.pipeline.lossy import lossy_term
from watchtower.pipeline.match import Matcher, QuerySyntaxError, parse_query
from watchtower.pipeline.match.automaton import Automaton, Pattern
from watchtower.pipeline.match.query import Near, Term, parse_term, render
from watchtower.pipeline.match.query_lint import query_warnings
from watchtower.pipeline.normalise import normalise, normalise_quick
from watchtower.testrule import add_parser, run

ACME = BrandConfig(name="Acmé", terms=["Acmé"])


def item(text: str, title: str = "") -> Item:
    return Item(guid="1", title=title, text=text)


def pattern(term: str, fuzzy: int = 0) -> Pattern:
    parsed = parse_term(term)
    return Pattern(parsed.words, parsed.prefix, fuzzy, parsed.inner_prefixes)


# ------------------------------------------------------------------ parsing
@pytest.mark.parametrize(
    ("written", "words", "prefix", "inner"),
    [
        ("carte* bloqu*", ("carte", "bloqu"), True, (0,)),
        ("carte* bloquée", ("carte", "bloquee"), False, (0,)),
        ("remboursement* refus*", ("remboursement", "refus"), True, (0,)),
        ("frais* de dossier*", ("frais", "de", "dossier"), True, (0,)),
        ("frais* des* dossier", ("frais", "des", "dossier"), False, (0, 1)),
        # An elision is dropped before the prefix, as for a single term.
        ("l'agenc* d’acm*", ("agenc", "acm"), True, (0,)),
        # A hyphenated word is a phrase; the '*' ends the part it is glued to.
        ("ufc*-que-choi*", ("ufc", "que", "choi"), True, (0,)),
        ("ufc-que*-choisir", ("ufc", "que", "choisir"), False, (1,)),
        # A word normalisation splits: the '*' applies to its last part.
        ("e-cart* bleu*", ("e", "cart", "bleu"), True, (1,)),
        # A '*' before punctuation ending the term is the last word's, as "carte*" is.
        ("carte*.", ("carte",), True, ()),
        # Unchanged: no inner '*'.
        ("carte bloqu*", ("carte", "bloqu"), True, ()),
        ("ufc-que-choi*", ("ufc", "que", "choi"), True, ()),
    ],
)
def test_a_star_may_end_any_word(
    written: str, words: tuple[str, ...], prefix: bool, inner: tuple[int, ...]
) -> None:
    term = parse_term(written)
    assert (term.words, term.prefix, term.inner_prefixes) == (words, prefix, inner)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        # Each prefix needs MIN_PREFIX letters, wherever it is.
        (
            '"ca* bloqu*"',
            "column 2: a wildcard needs at least 3 letters before '*', in 'ca* bloqu*'",
        ),
        ('"carte bl*"', "column 2: a wildcard needs at least 3 letters before '*', in 'carte bl*'"),
        (
            '"carte * bloquée"',
            "column 2: a wildcard needs at least 3 letters before '*', in 'carte * bloquée'",
        ),
        (
            '"l\'a* acme"',
            "column 2: a wildcard needs at least 3 letters before '*', in \"l'a* acme\"",
        ),
        ("BA*", "column 1: a wildcard needs at least 3 letters before '*', in 'BA*'"),
        # Still only at the end of a word.
        (
            '"car*te bloquée"',
            "column 5: '*' is only allowed at the end of a word, in 'car*te bloquée'",
        ),
        ('"* *"', "column 2: '*' is only allowed at the end of a word, in '* *'"),
        (
            '"carte** bloquée"',
            "column 8: '*' is only allowed at the end of a word, in 'carte** bloquée'",
        ),
        ('"carte*.*"', "column 9: '*' is only allowed at the end of a word, in 'carte*.*'"),
    ],
)
def test_errors(query: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    assert str(info.value) == message


def test_render_and_scopes_keep_the_stars() -> None:
    root = parse_query('title:"carte* bloqu*" OR "Service* Client"').root
    assert render(root) == '(title:"carte* bloqu*" OR "Service* Client")'
    terms = parse_query('title:"carte* bloqu*"').terms()
    assert terms == [Term(("carte", "bloqu"), True, "title", "carte* bloqu*", (0,))]
    assert terms[0].matched == "carte* bloqu*"


def test_no_warning_for_a_starred_phrase() -> None:
    assert query_warnings('"carte* bloqu*" OR title:"service* client*"') == []


# ------------------------------------------------------------------ the automaton
def spans(term: str, text: str) -> list[str]:
    """The normalised words each occurrence of ``term`` covers in ``text``."""
    automaton = Automaton([pattern(term)], prefilter=True)
    norm = normalise(text)
    found = automaton.scan(norm)
    if found:  # the prefilter never says no when the scan finds something
        assert automaton.maybe(normalise_quick(text))
    return [norm[start:end].strip() for start, end in sorted(found.get(0, {}).items())]


@pytest.mark.parametrize(
    ("term", "text", "found"),
    [
        ("carte* bloqu*", "Ma carte est bloquée", []),
        ("carte* bloqu*", "Mes cartes bloquées !", ["cartes bloquees"]),
        ("carte* bloqu*", "carte bloquee, CARTES BLOQUÉES", ["carte bloquee", "cartes bloquees"]),
        ("carte* bloqu*", "la carte. Bloquée", ["carte bloquee"]),  # punctuation is a boundary
        ("carte* bloqu*", "compte bloqué", []),
        ("carte* bloquée", "cartes bloquées", []),  # the whole word "bloquee" only
        ("carte* bloquée", "cartes bloquée", ["cartes bloquee"]),
        (
            "service* client*",
            "services clients et service client",
            ["services clients", "service client"],
        ),
        # Each word of the phrase is one word of the text: "client" is not a second "service*".
        ("service* service*", "service services service", ["service services", "services service"]),
        ("service* client*", "service", []),
        ("service* client*", "client service", []),
        ("frais* de dossier*", "des frais de dossiers abusifs", ["frais de dossiers"]),
        ("frais* de dossier*", "frais du dossier", []),
        ("l'agenc* acm*", "L'agence Acmé de Lyon", ["agence acme"]),
        ("ufc*-que-choi*", "UFC Que-Choisir", ["ufc que choisir"]),
        ("ufc*-que-choi*", "UFC-Quoi-Choisir", []),
        # Hashtag parts come before the tag, as for every phrase.
        ("boycott* acm*", "#BoycottAcme", ["boycott acme"]),
        # The phrase's ends are whole words: not inside a longer run.
        ("carte* bloquée", "carte bloquéee", []),
        ("carte* bloquée", "acarte bloquée", []),
    ],
)
def test_scan(term: str, text: str, found: list[str]) -> None:
    assert spans(term, text) == found


def test_phrases_never_run_across_title_and_text() -> None:
    matcher = Matcher([ACME], [RuleConfig(name="r", query='"carte* bloqu*"')])
    assert [m.rule for m in matcher.match(item("bloquée Acmé", title="Ma carte"), "s")] == [None]
    assert [m.rule for m in matcher.match(item("cartes bloquées Acmé"), "s")] == ["r"]


def test_shared_keys_mix_exact_starred_and_fuzzy_patterns() -> None:
    # " bloquee " is both the exact key of a term and the key of a starred phrase;
    # a fuzzy term's confirm keys share the automaton.
    patterns = [pattern("bloquée"), pattern("carte* bloquée"), pattern("Mutualis", fuzzy=2)]
    automaton = Automaton(patterns, prefilter=True)
    norm = normalise("cartes bloquée chez Mutuellis, bloquée")
    found = automaton.scan(norm)
    words = {
        pid: [norm[s:e].strip() for s, e in sorted(hits.items())] for pid, hits in found.items()
    }
    assert words == {0: ["bloquee", "bloquee"], 1: ["cartes bloquee"], 2: ["mutuellis"]}


VOCAB = ["carte", "cartes", "carter", "bloque", "bloquee", "compte", "service", "services"]
VOCAB += ["client", "clients", "de", "des", "desk", "frais", "dossier", "dossiers", "car", "ser"]
PHRASES = [
    "carte* bloqu*",
    "carte* bloquee",
    "service* client*",
    "frais* de dossier*",
    "car* car*",
    "ser* client",
    "des des* des",
    "compte* bloque",
]


def naive(term: Term, words: list[str]) -> list[int]:
    """Indices of the first word of each occurrence: one text word per phrase word."""
    n, last = len(term.words), len(term.words) - 1

    def fits(k: int, word: str) -> bool:
        wanted = term.words[k]
        prefix = k in term.inner_prefixes or (k == last and term.prefix)
        return word.startswith(wanted) if prefix else word == wanted

    return [i for i in range(len(words) - n + 1) if all(fits(k, words[i + k]) for k in range(n))]


@settings(max_examples=300, deadline=None)
@given(words=st.lists(st.sampled_from(VOCAB), max_size=12))
def test_scan_agrees_with_word_by_word_comparison(words: list[str]) -> None:
    text = " ".join(words)
    terms = [parse_term(p) for p in PHRASES]
    automaton = Automaton(
        [Pattern(t.words, t.prefix, 0, t.inner_prefixes) for t in terms], prefilter=True
    )
    norm = normalise(text)
    found = automaton.scan(norm)
    for pid, term in enumerate(terms):
        got = sorted(norm.count(" ", 0, start) for start in found.get(pid, {}))
        assert got == naive(term, norm.split()), term.source
    if found:
        assert automaton.maybe(normalise_quick(text))


TEXT_WORDS = ["Acmé", "carte", "Cartes", "bloquée", "BLOQUÉES", "compte", "l'agence", "d’Acmé"]
TEXT_WORDS += ["services", "Client", "injoignables", "de", "frais", "dossiers", "#CarteBloquée"]
SEPARATORS = [" ", ", ", "-", "\n", " — ", "'", " ("]
QUERIES = [
    '"carte* bloqu*"',
    '"carte* bloquée"',
    '"service* client*"',
    '"frais* de dossier*"',
    '"agenc* acm*"',
    '"carte* bloqu*" NEAR/2 acme',
    'injoignable* NEAR/3 "service* client*"',
    'title:"carte* bloqu*"',
]


def naive_fires(query: str, title: str, text: str) -> bool:
    """The rule fires: Acmé is named, and the query's terms compare word by word."""
    words = {f: normalise(v).split() for f, v in (("title", title), ("text", text))}
    if not any("acme" in ws for ws in words.values()):
        return False
    parsed = parse_query(query).root
    if isinstance(parsed, Term):
        fields = [parsed.field] if parsed.field else ["title", "text"]
        return any(naive(parsed, words[f]) for f in fields)
    assert isinstance(parsed, Near) and isinstance(parsed.left, Term)
    assert isinstance(parsed.right, Term)
    left, right = parsed.left, parsed.right
    for ws in words.values():
        for a in naive(left, ws):
            for b in naive(right, ws):
                a_last, b_last = a + len(left.words) - 1, b + len(right.words) - 1
                if 0 < b - a_last <= parsed.distance or 0 < a - b_last <= parsed.distance:
                    return True
    return False


@st.composite
def item_texts(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(TEXT_WORDS), max_size=10))
    return "".join(word + draw(st.sampled_from(SEPARATORS)) for word in words)


@settings(max_examples=200, deadline=None)
@given(title=item_texts(), text=item_texts(), query=st.sampled_from(QUERIES))
def test_matcher_agrees_with_word_by_word_comparison(title: str, text: str, query: str) -> None:
    matcher = Matcher([ACME], [RuleConfig(name="r", query=query)])
    got = any(m.rule == "r" for m in matcher.match(item(text, title), "s"))
    assert got == naive_fires(query, title, text)


def test_plain_phrases_are_patterns_as_before() -> None:
    # No inner '*': the same pattern (and so the same single key) as before.
    assert pattern('"service client"') == Pattern(("service", "client"))
    assert pattern("carte bloqu*") == Pattern(("carte", "bloqu"), True)


# ------------------------------------------------------------------ end to end
def fires(query: str, text: str, title: str = "") -> bool:
    matcher = Matcher([ACME], [RuleConfig(name="r", query=query)])
    return any(m.rule == "r" for m in matcher.match(item(text, title), "src"))


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ('"carte* bloqu*"', "Acmé : mes cartes bloquées", True),
        ('"carte* bloqu*"', "Acmé : carte bloquee", True),
        ('"carte* bloqu*"', "Acmé : compte bloqué", False),
        ('"carte* bloqu*" OR "compte* bloqu*"', "Acmé : compte bloqué", True),
        ('"remboursement* refus*"', "Acmé : remboursements refusés", True),
        ('"remboursement* refus*"', "Acmé : refus de remboursement", False),
        ("« service* client* »", "Acmé : Services-Clients injoignables", True),
        ('"service* client*" NEAR/3 injoignable*', "Acmé : le service client, injoignable", True),
        (
            'injoignable* NEAR/2 "service* client*"',
            "Acmé injoignable ; leurs services clients",
            True,
        ),
        ('injoignable* NEAR/1 "service* client*"', "Acmé injoignable, les services clients", False),
        ('"service* client*" NEAR/1 injoignable*', "Acmé services clients injoignables", True),
        ('NOT "carte* bloqu*"', "Acmé : cartes bloquées", False),
        ('-"carte* bloqu*"', "Acmé : cartes perdues", True),
        ('title:"carte* bloqu*"', "Acmé", True),
    ],
)
def test_queries(query: str, text: str, expected: bool) -> None:
    assert fires(query, text, title="Cartes bloquées" if "title:" in query else "") is expected


def test_field_scopes() -> None:
    assert fires('title:"carte* bloqu*"', "Acmé", title="Nos cartes bloquées")
    assert not fires('title:"carte* bloqu*"', "Acmé : cartes bloquées", title="Bonjour")
    assert fires('text:"carte* bloqu*"', "Acmé : cartes bloquées", title="Bonjour")


def test_hits_show_the_words_as_they_were() -> None:
    matcher = Matcher([ACME], [RuleConfig(name="r", query='"carte* bloqu*" NEAR/4 acme')])
    text = "Acmé : mes CARTES   Bloquées depuis lundi"
    (match,) = matcher.match(item(text), "s")
    assert match.rule == "r"
    hit = Hit("carte* bloqu*", "CARTES   Bloquées", "text", 11, 28, '"carte* bloqu*" NEAR/4 acme')
    assert hit in match.hits
    assert text[11:28] == "CARTES   Bloquées"


def test_brand_terms_and_exclusions() -> None:
    brand = BrandConfig(
        name="Acmé", terms=["Banque* Acmé*"], exclude=["banque* acmé* corporation*"]
    )
    matcher = Matcher([brand], [])
    (match,) = matcher.match(item("Les banques Acméennes"), "s")
    assert match.hits == (Hit("banque* acme*", "banques Acméennes", "text", 4, 21, "brand"),)
    assert matcher.match(item("Banques Acmé Corporations"), "s") == []
    assert matcher.match(item("Acmé"), "s") == []  # a phrase, not its words


def test_rule_exclude() -> None:
    rules = [RuleConfig(name="r", exclude=["jeu* concours*"])]
    matcher = Matcher([ACME], rules)
    assert [m.rule for m in matcher.match(item("Acmé : jeux concours"), "s")] == [None]
    assert [m.rule for m in matcher.match(item("Acmé : jeux vidéo"), "s")] == ["r"]


def test_fuzzy_applies_to_single_words_only() -> None:
    # A fuzzy brand's starred phrase matches as written (with its prefixes), never
    # one edit away; its single words still tolerate typos.
    brand = BrandConfig(name="Mutualis", terms=["Mutualis", "assurance* mutuel*"], fuzzy=1)
    matcher = Matcher([brand], [])

    def found(text: str) -> bool:
        return bool(matcher.match(item(text), "s"))

    assert found("des assurances mutuelles")
    assert not found("des assurence mutuelles")
    assert found("Mutualiss")


def test_a_vocabulary_may_hold_starred_phrases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "watchtower.packs.vocabularies", lambda: {"bloque": ("carte* bloqu*", "compte* bloqu*")}
    )
    assert fires("@bloque", "Acmé : comptes bloqués")
    assert not fires("@bloque", "Acmé : compte ouvert")


def test_two_letter_acronym_unchanged() -> None:
    # "BA" still matches the word "ba" (and the checker still says so), and is
    # still too short to be a prefix, alone or in a phrase.
    brand = BrandConfig(name="BA", terms=["BA"])
    assert Matcher([brand], []).match(item("le b.a.-ba du métier"), "s") != []
    assert lossy_term("BA") == (
        "matched as 'ba': case is ignored, so the acronym also matches the word 'ba'"
    )
    with pytest.raises(QuerySyntaxError, match="at least 3 letters"):
        parse_term("BA* Acmé")


def test_check_does_not_call_the_stars_of_a_brand_term_lost_punctuation() -> None:
    assert lossy_term("carte* bloqu*") is None


# ------------------------------------------------------------------ test-rule
CONFIG = """
[watchtower]
database_url = "sqlite:///{db}"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[rules]]
name = "bloque"
query = '"carte* bloqu*" OR "remboursement* refus*"'
"""


def test_test_rule_explains_a_starred_phrase(tmp_path: Path) -> None:
    config = tmp_path / "watchtower.toml"
    config.write_text(CONFIG.format(db=tmp_path / "w.db"), encoding="utf-8")
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    text = "Acmé : toujours nos Cartes Bloquées."
    args = parser.parse_args(["test-rule", "-c", str(config), "bloque", "--text", text])
    out = io.StringIO()
    assert run(args, out) == 0
    got = out.getvalue()
    assert "brand 'Acmé': FIRES — the query is true" in got
    assert (
        "'carte* bloqu*' as 'Cartes Bloquées' at text 20-35 (line 1, col 21), "
        "clause 'carte* bloqu*'" in got
    )
    assert '[true ] "carte* bloqu*"\n  [false] "remboursement* refus*"\n' in got
    assert "warning" not in got
