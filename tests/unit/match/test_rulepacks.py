"""Rule packs: shipped files are valid, ``include`` appends and merges, errors are clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.config import BrandConfig, RuleConfig, parse_config
from watchtower.errors import ConfigError
from watchtower.models import Item
from watchtower.packs import load_pack, pack_names, vocabularies
from watchtower.pipeline.match import Matcher, parse_query

BASE = """
[[brands]]
name = "Acmé"
terms = ["Acmé"]
"""


def test_shipped_packs_are_valid() -> None:
    assert {"crisis-fr", "crisis-en"} <= set(pack_names())
    for name in pack_names():
        pack = load_pack(name)
        assert pack["description"]
        for rule in pack["rules"]:
            parse_query(rule["query"])
    vocab = vocabularies()
    for word in (
        "arnaqué*",
        "escroqué*",
        "scandale",
        "boycott*",
        "plainte*",
        "rappel conso",
    ):
        assert word in vocab["crisis_fr"], word
    # One customer's anger is a warning, not a page.
    for word in ("injoignable*", "honteu*", "abusi*", "c'est du vol", "pas remboursé*"):
        assert word in vocab["crisis_fr_service"], word
        assert word not in vocab["crisis_fr"], word
    assert "scam*" in vocab["crisis_en"]
    # Everyday words are only in the rules, next to a complaint's words.
    for word in (
        "rembours*",
        "avocat*",
        "volé*",
        "procès",
        "a volé",
        "panne*",
        "rappel*",
        "60 millions",
        "que choisir",
        "UFC-Que Choisir",
        "scandale*",  # "scandaleux, 15 € de frais" is a complaint
        "en panne",  # "les ventes en panne"
        "la justice",  # "le ministère de la Justice"
        "condamné*",  # "Acmé condamne fermement les propos"
    ):
        assert word not in vocab["crisis_fr"], word
    # Words a negation right before them drops ("aucune fuite de données", "pas
    # de licenciements prévus") are in the rule's query, next to their
    # negations: in @crisis_fr they would page for "aucune fuite de données".
    crisis_fr_query = next(
        r["query"] for r in load_pack("crisis-fr")["rules"] if r["name"] == "crisis-fr"
    )
    for word in (
        "fuite* de données",
        "fuite* des données",
        "plan social",
        "licenciements",
        "violation de données",
        "vol de données",
        "cyberattaque*",
        "piratage*",
    ):
        assert word not in vocab["crisis_fr"], word
    for word in (
        '"aucune fuite*"',
        '"pas de fuite*"',
        '"aucun plan social"',
        '"aucune cyberattaque*"',
        '"aucun vol de données"',
        '"aucune violation*"',
        '"aucun piratage*"',
    ):
        assert word in crisis_fr_query, word
    crisis_en_query = next(
        r["query"] for r in load_pack("crisis-en")["rules"] if r["name"] == "crisis-en"
    )
    for word in ("refund*", "lawyer*", "attorney*", "recall*", "cyberattack*", "data theft"):
        assert word not in vocab["crisis_en"], word
    for word in ('"no cyberattack*"', '"no data theft"', '"no data breach*"'):
        assert word in crisis_en_query, word


def test_include_appends_pack_rules() -> None:
    loaded = parse_config('include = ["crisis-fr", "crisis-en"]\n' + BASE, Path("w.toml"))
    names = [r.name for r in loaded.config.rules]
    assert names == ["crisis-fr", "crisis-fr-service", "crisis-en", "crisis-en-service"]
    assert loaded.config.rules[0].severity == "critical"


def test_a_config_rule_overrides_the_pack_rule_of_the_same_name() -> None:
    text = (
        'include = ["crisis-fr"]\n'
        + BASE
        + """
[[rules]]
name = "crisis-fr"
notify = ["console:"]
"""
    )
    rules = {r.name: r for r in parse_config(text, Path("w.toml")).config.rules}
    assert rules["crisis-fr"].query == load_pack("crisis-fr")["rules"][0]["query"]  # from the pack
    assert rules["crisis-fr"].notify == ["console:"]  # from the config
    assert len(rules) == 2


def test_unknown_pack() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config('include = ["crisis-de"]\n' + BASE, Path("w.toml"))
    assert str(info.value) == (
        "w.toml:1: include[0]: unknown rule pack 'crisis-de'; available: crisis-en, crisis-fr"
    )


def test_bad_query_names_the_rule_and_column() -> None:
    text = (
        BASE
        + """
[[rules]]
name = "bad"
query = "arnaque AND (rembours*"
"""
    )
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("w.toml"))
    assert str(info.value) == (
        "w.toml:8: rules[0].query: column 23: expected ')' to close the '(' at column 13, "
        "found the end of the query"
    )


def pack_rules_fired(pack: str, text: str, rating: float | None = None) -> set[str]:
    """The pack's rules that fire for ``text`` about the brand Acmé."""
    rules = [RuleConfig(name=r["name"], query=r["query"]) for r in load_pack(pack)["rules"]]
    matcher = Matcher([BrandConfig(name="Acmé", terms=["Acmé"])], rules)
    item = Item(guid="1", title="", text=text, rating=rating, lang=pack[-2:])
    return {m.rule for m in matcher.match(item, "src") if m.rule is not None}


@pytest.mark.parametrize(
    "text",
    [
        # Everyday French that fired critical alerts (/tmp/review-match/repro/pack-fp).
        "Le guacamole Acmé : un avocat bien mûr, du citron vert et de la coriandre.",
        "Prendre un avocat bien mûr et un yaourt Acmé.",
        "Acmé Habitat présente ses nouveaux volets roulants solaires.",
        "Jusqu'à 30 € remboursés pour l'achat d'un robot Acmé, offre valable jusqu'au 31 mars.",
        "Offre de remboursement Acmé : satisfait ou remboursé.",
        "Le procès-verbal de l'assemblée générale d'Acmé est disponible en ligne.",
        "Les procès-verbaux des conseils d'Acmé sont publiés.",
        "Le vol Acmé AF123 a du retard.",
        # Everyday French that fired critical alerts (Banque Acmé review).
        "Acmé investit 60 millions d'euros dans ses agences.",
        "Que choisir : Livret A ou Livret Acmé+ ?",
        "Acmé sponsorise le bateau pirate du parc.",
        "Open Acmé : Dupont a volé la vedette.",
        "L'arbitre nous a volé la victoire, dit le capitaine du club Acmé.",
        "La nouvelle appli Acmé, dangereusement addictive.",
        "Prêt Acmé : pas de remboursement anticipé sans frais.",
        "Acmé : les frais de dossier ne sont pas remboursables.",
        # Everyday words next to the crisis words the pack now reads in context.
        "Panne d'inspiration ? Les recettes Acmé pour vos dîners.",
        "Acmé : quelles aides en cas de panne de chaudière ?",
        "Acmé rappelle les règles de sécurité pour vos achats en ligne.",
        "Crise du logement : des prix inaccessibles, selon l'économiste d'Acmé.",
        "Selon l'UFC-Que Choisir, Acmé est la banque la moins chère de l'année.",
        "Acmé Bricolage : promotion sur le parquet en chêne.",
        "Acmé organise un hackathon pour les étudiants.",
        "Mentions légales : Banque Acmé, toute reproduction non autorisée est interdite.",
        "Le médiateur de la Banque Acmé publie son rapport annuel.",
        "Acmé Assurances rembourse désormais les lunettes à 100 %.",
        "Le service client Acmé élu service client de l'année.",
        "Tuto : comment résilier son assurance chez Acmé.",
    ],
)
def test_crisis_fr_ignores_everyday_words(text: str) -> None:
    assert pack_rules_fired("crisis-fr", text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "J'ai pris un avocat contre Acmé.",
        "Mon avocat a écrit à Acmé.",
        "Procès contre Acmé : l'audience est fixée.",
        "Le procès Acmé s'ouvre lundi.",
        "C'est une arnaque, Acmé !",
        # Plural, feminine and verb forms, and crisis words the pack lacked.
        "Acmé, des escrocs !",
        "Je me suis fait escroquer par un conseiller Acmé.",
        "Acmé : fuites de données chez un prestataire.",
        "Acmé traînée devant les tribunaux.",
        "Acmé condamnée à 2 M€ d'amende.",
        "Acmé : victime d'un faux conseiller, j'ai perdu 5 000 €.",
        "Attention, phishing aux couleurs d'Acmé.",
        "Mon compte Acmé a été piraté.",
        "L’appli Acmé est encore en panne.",
        # Phrases with a wildcard on every word: plural and feminine forms.
        "Victime d'une fausse conseillère Acmé, j'ai tout perdu.",
        "Rappels produits chez Acmé : les lots concernés.",
        # Crises the pack missed (tests/fixtures/crisis_fr_labelled.jsonl).
        "Panne géante chez Banque Acmé : impossible de payer par carte.",
        "Distributeurs Acmé hors service dans toute la région.",
        "Une fuite massive de données touche les clients Acmé.",
        "Acmé : mon compte a été hacké, 1 500 € envolés.",
        "Acmé piratée : les mots de passe de 80 000 clients dans la nature.",
        "Listeria : Acmé rappelle plusieurs lots de fromage râpé.",
        "Rappel : Acmé retire de la vente des biberons.",
        "Grève chez Acmé : les agences fermées ce jeudi.",
        "Polémique : la pub Acmé retirée après un tollé.",
        "L'ACPR sanctionne Banque Acmé.",
        "Mise en examen du PDG d'Acmé.",
        "Action collective contre Acmé : 800 victimes.",
        "60 Millions de consommateurs alerte sur les frais cachés d'Acmé.",
    ],
)
def test_crisis_fr_still_fires_on_crises(text: str) -> None:
    assert "crisis-fr" in pack_rules_fired("crisis-fr", text)


@pytest.mark.parametrize(
    "text",
    [
        # One customer's complaint: a warning, not a critical page (these were
        # critical before, with "injoignable", "honteux", "frais abusifs"…).
        "Acmé ne m'a jamais remboursé.",
        "Acmé ne m'a toujours pas remboursée, trois mois après.",
        "Acmé : remboursement refusé.",
        "J'attends mon remboursement d'Acmé depuis mars.",
        "Aucun remboursement chez Acmé.",
        "On m'a volé ma carte dans une agence Acmé.",
        "Acmé m'a volé 200 €.",
        "Acmé, c'est du vol !",
        "Colis Acmé volé devant ma porte.",
        "Saisir la médiatrice d'Acmé.",
        "Frais abusifs chez Acmé.",
        "Acmé m'a volé 300 € !",
        "Service client Acmé injoignable depuis 3 jours.",
        "Acmé, votre service client est une honte.",
        "Frais bancaires Acmé : c'est scandaleux, 15 € pour un courrier.",
        "Ma carte Acmé est bloquée depuis une semaine.",
        # A blocked card is one customer's problem, not an outage.
        "Acmé : carte bloquée sans raison, impossible de payer mes courses.",
        "Aucune réponse du SAV Acmé depuis un mois.",
    ],
)
def test_crisis_fr_service_warns_on_one_customers_complaint(text: str) -> None:
    assert pack_rules_fired("crisis-fr", text) == {"crisis-fr-service"}


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Acmé : 30-day money-back guarantee, full refund if not satisfied.", False),
        ("Don't love it? Acmé gives you a full refund.", False),
        ("Acmé hires a new lawyer as general counsel.", False),
        ("I don't recall buying from Acmé.", False),
        ("The new Acmé app is dangerously good.", False),
        ("Acmé strikes a deal with Spotify.", False),
        ("Acmé: dangerous chargers recalled.", True),
        ("I contacted a lawyer about Acmé.", True),
        ("My attorney sent Acmé a letter.", True),
        ("The attorney general is suing Acmé.", True),
        ("Acmé recalled 10,000 heaters.", True),
        ("Acmé announces a product recall.", True),
        ("Acmé recalls 50,000 baby monitors over fire risk.", True),
        ("Acmé ATMs not working across London this morning.", True),
        ("Fake Acmé texts are stealing banking logins.", True),
        ("Acmé workers vote to strike over pay.", True),
    ],
)
def test_crisis_en_refunds_lawyers_recalls(text: str, fires: bool) -> None:
    assert ("crisis-en" in pack_rules_fired("crisis-en", text)) is fires


@pytest.mark.parametrize(
    ("pack", "text", "pages"),
    [
        # A worker's death or serious accident, the brand between the words.
        ("crisis-fr", "Un livreur Acmé mort percuté par un camion", True),
        ("crisis-fr", "Un livreur Acmé grièvement blessé", True),
        ("crisis-fr", "Mort du coursier Acmé : ses collègues se rassemblent", True),
        ("crisis-fr", "Un livreur Acmé percuté par un scooter, légèrement blessé", False),
        ("crisis-fr", "Les livreurs d'Acmé meurent d'envie de tester le vélo cargo", False),
        ("crisis-fr", "Critique : le polar où un livreur Acmé meurt dès la première scène", False),
        ("crisis-fr", "Acmé et la mort du minitel : ses anciens techniciens se souviennent", False),
        ("crisis-fr", "Décès du fondateur d'Acmé, Jean Martin, à 95 ans", False),
        ("crisis-fr", "Un livreur Acmé écrasé par un camion", True),
        ("crisis-fr", "Accident du travail chez Acmé : un ouvrier écrasé par une presse", True),
        ("crisis-fr", "Accident de travail chez Acmé : un ouvrier écrasé par une presse", True),
        ("crisis-fr", "Les préparateurs Acmé écrasés de travail avant Noël", False),
        ("crisis-fr", "Les livreurs d'Acmé écrasés par les cadences", False),
        ("crisis-fr", "Les salariés d'Acmé écrasés par le travail", False),
        ("crisis-fr", "Les employés d'Acmé écrasés par la charge de travail", False),
        ("crisis-fr", "Les chauffeurs Acmé écrasés par les impôts", False),
        ("crisis-fr", "Les livreurs Acmé écrasés par la concurrence", False),
        ("crisis-fr", "Acmé rend hommage à un ancien salarié mort au combat en 1944", False),
        ("crisis-en", "Acmé worker crushed by forklift at depot", True),
        ("crisis-en", "Acmé couriers crushed by workload", False),
        ("crisis-en", "Acmé courier killed by lorry on delivery round", True),
        ("crisis-en", "Acmé courier seriously injured in depot accident", True),
        (
            "crisis-en",
            "Buzz over Acmé's new phone dies down as workers return to the office",
            False,
        ),
        # A recall of any number of units (#number), or told with the defect.
        ("crisis-fr", "Acmé rappelle 300 trottinettes", True),
        ("crisis-fr", "Acmé rappelle 347 trottinettes", True),
        ("crisis-fr", "Acmé rappelle 2 480 bouilloires", True),
        ("crisis-fr", "Mon conseiller Acmé ne rappelle jamais, 12 messages laissés", False),
        ("crisis-fr", "Acmé rappelle 27 ans d'innovation dans une exposition", False),
        ("crisis-fr", "Acmé rappelle 1 500 bouilloires", True),
        ("crisis-fr", "Acmé rappelle des chargeurs défectueux", True),
        ("crisis-fr", "Acmé rappelle des poussettes présentant un risque de chute", True),
        ("crisis-fr", "Acmé rappelle 3 fois par semaine les clients en retard de paiement", False),
        ("crisis-fr", "Acmé rappelle les 500 premiers inscrits pour confirmer leur place", False),
        ("crisis-fr", "Acmé rappelle 100 ans d'histoire dans une exposition", False),
        # Years or times right after the verb, not a number later in the text.
        ("crisis-fr", "Acmé rappelle 347 trottinettes vendues en 3 ans", True),
        ("crisis-fr", "Acmé rappelle 3 fois les clients qui n'ont pas payé", False),
        # The defect told as an instruction to the customers, far from the verb.
        ("crisis-fr", "Acmé rappelle à ses clients de rapporter les chargeurs défectueux", True),
        ("crisis-fr", "Acmé rappelle à ses clients que le magasin ferme", False),
        ("crisis-fr", "Acmé rappelle à ses clients comment retourner un article défectueux", False),
        ("crisis-fr", "Acmé vous rappelle comment retourner un article défectueux", False),
        ("crisis-fr", "Le fondateur d'Acmé se rappelle son premier prototype défectueux", False),
        ("crisis-en", "Acmé recalls 300 scooters", True),
        ("crisis-en", "Acmé recalls 347 scooters", True),
        ("crisis-en", "Acmé recalls 2,480 kettles", True),
        ("crisis-en", "Acmé CEO recalls 27 years at the helm", False),
        ("crisis-en", "Acmé CEO recalls the 500 days it took to build the app", False),
        ("crisis-en", "Acmé recalls 100 years of history in a new exhibition", False),
        ("crisis-en", "Acmé recalls 347 scooters sold over 3 years", True),
    ],
)
def test_a_small_recall_and_a_workers_accident(pack: str, text: str, pages: bool) -> None:
    assert (pack in pack_rules_fired(pack, text)) is pages


@pytest.mark.parametrize(
    "text",
    [
        # One customer's refund or anger: a warning (these were critical before).
        "Acmé won't refund me.",
        "Still waiting for my Acmé refund after 3 months.",
        "Acmé refused to refund my order.",
        "Acmé never refunded me.",
        "Acmé customer service is unreachable, 2 hours on hold.",
        "Acmé charged me a £25 fee without warning, disgraceful.",
        "Disgusting service at Acmé today.",
        "The food at Acmé was disgusting.",
    ],
)
def test_crisis_en_service_warns_on_one_customers_complaint(text: str) -> None:
    assert pack_rules_fired("crisis-en", text) == {"crisis-en-service"}


@pytest.mark.parametrize(
    "text",
    [
        "Acmé's new flavour is so good it's disgusting",
        "It's disgusting how good the new Acmé burger is",
        "Disgustingly good burgers at Acmé",
    ],
)
def test_crisis_en_service_does_not_warn_on_praise(text: str) -> None:
    assert pack_rules_fired("crisis-en", text) == set()


def test_service_rules_warn_on_complaints_and_low_ratings() -> None:
    # A review rated 2 or less that names the service is a complaint.
    assert pack_rules_fired("crisis-fr", "SAV Acmé : jamais remboursé") == {"crisis-fr-service"}
    assert pack_rules_fired("crisis-fr", "Le SAV Acmé, nul", rating=1) == {"crisis-fr-service"}
    assert pack_rules_fired("crisis-fr", "Le service clientèle Acmé, nul", rating=1) == {
        "crisis-fr-service"
    }
    assert pack_rules_fired("crisis-fr", "Le service clientèle Acmé, nul", rating=4) == set()
    assert pack_rules_fired("crisis-fr", "Le SAV Acmé : 30 € remboursés") == set()
    # A crisis told with a complaint's words pages and warns.
    assert pack_rules_fired("crisis-fr", "Fuite de données chez Acmé, SAV injoignable") == {
        "crisis-fr",
        "crisis-fr-service",
    }
    assert pack_rules_fired("crisis-en", "Acmé support, meh", rating=1) == {"crisis-en-service"}
    assert pack_rules_fired("crisis-en", "How to cancel your Acmé subscription") == set()
