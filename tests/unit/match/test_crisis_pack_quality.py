"""How well the crisis packs sort real-looking mentions: precision and recall per rule.

``tests/fixtures/crisis_fr_labelled.jsonl`` holds short French texts as they
come from Google Alerts, forums, reviews and social posts, each about the brand
Acmé and labelled by a crisis-communication lead:

- ``critical``: something that can become a crisis (fraud or phishing wave,
  data breach, outage, recall, health risk, legal action, regulator, strike,
  boycott, scandal): ``crisis-fr`` must fire;
- ``service``: one customer's complaint (waiting, nobody answers, a blocked
  card, fees, a refund): ``crisis-fr-service`` must fire, ``crisis-fr`` must not
  (a page at 3 a.m. for "frais abusifs" costs the tool its trust);
- ``none``: benign (ads, jobs, sponsorship, prevention articles, negations,
  figures of speech, film titles): neither fires.

Rows with ``"set": "holdout"`` were written after the pack was tuned on the
others, and measured blind before any term was added for them (the figures
are in the comments of the tests below). ``crisis_en_labelled.jsonl`` does the same for
``crisis-en``, smaller.

Each test runs the shipped pack through the real matcher, prints the scores
(``pytest -s`` shows them) and asserts floors and the exact list of mistakes
that were accepted, each with the reason a keyword language cannot do better:
a new miss or false alarm fails, and so does a fixed one (remove it from the
list, and raise the floor if it moved).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item
from watchtower.packs import load_pack
from watchtower.pipeline.match import Matcher

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LABELS = ("critical", "service", "none")


@dataclass(frozen=True)
class Row:
    text: str
    label: str
    why: str
    holdout: bool


def load_rows(name: str) -> list[Row]:
    rows = []
    for number, line in enumerate((FIXTURES / name).read_text(encoding="utf-8").splitlines(), 1):
        data = json.loads(line)
        assert set(data) <= {"text", "label", "why", "set"}, (name, number)
        assert data["label"] in LABELS, (name, number)
        assert data["why"], (name, number)
        rows.append(Row(data["text"], data["label"], data["why"], data.get("set") == "holdout"))
    assert len({r.text for r in rows}) == len(rows), f"{name}: duplicate texts"
    return rows


def outcomes(pack: str, rows: list[Row]) -> dict[str, str]:
    """Each text's outcome: ``critical`` if the pack's critical rule fires, else
    ``service`` if its service rule does, else ``none``."""
    rules = [RuleConfig(name=r["name"], query=r["query"]) for r in load_pack(pack)["rules"]]
    matcher = Matcher([BrandConfig(name="Acmé", terms=["Acmé"])], rules)
    out = {}
    for number, row in enumerate(rows):
        item = Item(guid=str(number), title="", text=row.text, lang=pack[-2:])
        matches = matcher.match(item, "src")
        assert matches, f"the text does not mention the brand: {row.text!r}"
        fired = {m.rule for m in matches}
        out[row.text] = (
            "critical" if pack in fired else "service" if f"{pack}-service" in fired else "none"
        )
    return out


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    fired: int
    relevant: int

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.3f} recall {self.recall:.3f} "
            f"(fired {self.fired}, labelled {self.relevant})"
        )


def score(rows: list[Row], got: dict[str, str], level: str) -> Score:
    """Precision and recall of the rule of ``level``, from the outcomes.

    The service rule is judged on the items the critical rule let through: a
    critical item that also warns is no false alarm, and a service item that
    pages is a miss of the service rule (and a false alarm of the critical one).
    """
    fired = [r for r in rows if got[r.text] == level]
    relevant = [r for r in rows if r.label == level]
    hits = [r for r in fired if r.label == level]
    return Score(
        precision=len(hits) / len(fired) if fired else 1.0,
        recall=len(hits) / len(relevant) if relevant else 1.0,
        fired=len(fired),
        relevant=len(relevant),
    )


def report(pack: str, rows: list[Row], got: dict[str, str]) -> dict[str, Score]:
    scores = {level: score(rows, got, level) for level in ("critical", "service")}
    holdout = [r for r in rows if r.holdout]
    print(f"\n{pack}: {len(rows)} labelled texts ({len(holdout)} holdout)")
    for level, s in scores.items():
        print(f"  {level:8} {s}")
        if holdout:
            print(f"  {level:8} holdout only: {score(holdout, got, level)}")
    for row in rows:
        if got[row.text] != row.label:
            print(f"  {row.label:8} -> {got[row.text]:8} {row.text}")
    return scores


def mistakes(rows: list[Row], got: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {r.text: (r.label, got[r.text]) for r in rows if got[r.text] != r.label}


# The mistakes a crisis lead accepts from a keyword language, with the reason.
# (label, outcome) by text.
FR_ACCEPTED: dict[str, tuple[str, str]] = {
    # Misses. Each needs a word that is far more often harmless, or knowledge of
    # the world ("virements n'arrivent plus" is an outage).
    "#AcmeDown encore ?? plus de réseau depuis 2h": ("critical", "none"),  # English "down"
    "Grosse inquiétude chez les clients d'Acmé : les virements n'arrivent plus": (
        "critical",
        "none",
    ),
    # "pesticides", "blessé", "manifestation": as often in
    # CSR pages, sports news and event listings as in a crisis.
    "Des traces de pesticides dans les compotes Acmé, révèle une enquête": ("critical", "none"),
    "Un enfant blessé par un jouet Acmé, la mère alerte les réseaux": ("critical", "none"),
    "Manifestation devant le siège d'Acmé contre les expulsions": ("critical", "none"),
    # "plantée" also means planted.
    "L'appli Acmé plantée depuis ce matin, des milliers de clients bloqués": ("critical", "none"),
    "Box Acmé coupée depuis 5 jours chez moi, le technicien ne vient pas": ("service", "none"),
    "Mon chat a plus de patience que la hotline Acmé 😂": ("service", "none"),  # irony
    "Service client Acmé : 3 interlocuteurs, 3 réponses différentes, fatigué": ("service", "none"),
    # False alarms. A prevention article, a job offer or an anti-fraud team uses
    # the words of the crime; excluding "comment reconnaître" or "lutte contre"
    # would also silence the news of a real wave, which carries the same advice.
    "Banque Acmé : comment reconnaître une arnaque au faux conseiller ? Nos 5 conseils": (
        "none",
        "critical",
    ),
    "Acmé lance une campagne de sensibilisation contre le phishing": ("none", "critical"),
    "Acmé s'engage contre la fraude : une nouvelle équipe dédiée": ("none", "critical"),
    "Webinaire Acmé : protéger son entreprise des cyberattaques": ("none", "critical"),
    "Offre d'emploi : analyste lutte contre la fraude H/F chez Acmé": ("none", "critical"),
    "Comment se protéger du phishing ? Les conseils de l'expert sécurité d'Acmé": (
        "none",
        "critical",
    ),
    # NOT reads the whole item: the same words negated once and stated once
    # are missed (as "pas de plan social en France, un plan social en Espagne").
    "Pas de fuite de données chez Acmé, mais une fuite de données chez sa filiale": (
        "critical",
        "none",
    ),
    "Aucune cyberattaque n'a été revendiquée, mais Acmé est à l'arrêt après une cyberattaque": (
        "critical",
        "none",
    ),
    "Acmé est-elle une arnaque ? Mon avis après 2 ans : pas du tout !": ("none", "critical"),
    # Titles, and crises of others that name the brand.
    "L'Arnaque, le film culte avec Paul Newman, ce soir sur Acmé TV": ("none", "critical"),
    "Le film « Arnaque à la carte » tourné dans une agence Acmé": ("none", "critical"),
    "Grève SNCF : Acmé propose le télétravail à ses salariés": ("none", "critical"),
    "La panne de courant géante en Espagne n'a pas touché les clients Acmé": ("none", "critical"),
    "Le scandale des frais bancaires : Acmé parmi les banques les moins chères": (
        "none",
        "critical",
    ),
    # "en panne" is the word of every outage post; an insurer's ad uses it too.
    "Acmé Assurances : votre voiture est en panne ? Notre assistance 24h/24": ("none", "critical"),
}


# Texts added with nested NEAR, labelled before the pack was changed for them
# (the labelled .jsonl sets are shared fixtures; these rows extend them here).
# A number tied to the verb and to a unit of time is no recall ("rappelle près
# de 100 ans d'histoire"), a unit elsewhere does not matter ("dix ans après,
# Acmé rappelle 250 poussettes"); a returns policy's deadline is no recall
# ("de retourner les articles défectueux sous 30 jours"), days told otherwise
# do not matter ("12 incendies en 10 jours").
FR_ADDED = [
    Row("Acmé rappelle près de 100 ans d'histoire", "none", "a reminder of years", False),
    Row("Acmé rappelle plus de 150 ans de savoir-faire", "none", "a reminder of years", False),
    Row("Acmé rappelle ses clients 20 fois par jour", "none", "a call back, times", False),
    Row("Dix ans après, Acmé rappelle 250 poussettes", "critical", "recall; years", False),
    Row("Acmé rappelle près de 2 000 trottinettes", "critical", "recall of units", False),
    Row(
        "Acmé rappelle à ses clients de retourner les articles défectueux sous 30 jours",
        "none",
        "a returns-policy reminder",
        False,
    ),
    Row(
        "Acmé rappelle à ses clients de renvoyer les produits défectueux dans les 14 jours",
        "none",
        "a returns-policy reminder",
        False,
    ),
    Row(
        "Acmé rappelle à ses clients de rapporter les chargeurs défectueux : 12 incendies "
        "en 10 jours",
        "critical",
        "recall told as an instruction; days counted, no deadline",
        False,
    ),
]


@pytest.fixture(scope="module")
def fr() -> tuple[list[Row], dict[str, str]]:
    rows = load_rows("crisis_fr_labelled.jsonl") + FR_ADDED
    return rows, outcomes("crisis-fr", rows)


def test_the_french_set_is_large_and_balanced(fr: tuple[list[Row], dict[str, str]]) -> None:
    rows, _ = fr
    counts = {level: sum(r.label == level for r in rows) for level in LABELS}
    assert len(rows) >= 150 and min(counts.values()) >= 40, counts
    assert sum(r.holdout for r in rows) >= 40


def test_crisis_fr_precision_and_recall(fr: tuple[list[Row], dict[str, str]]) -> None:
    rows, got = fr
    scores = report("crisis-fr", rows, got)
    # Measured on 469 texts (48 holdout): critical 0.942 / 0.963, service 1.0 / 0.951.
    # The 8 texts of FR_ADDED (nested NEAR: "rappelle près de 100 ans
    # d'histoire", a returns policy's "sous 30 jours"; not "dix ans après, Acmé
    # rappelle 250 poussettes" nor "12 incendies en 10 jours"): the pack before
    # that change scored critical 0.925 / 0.959, service 1.0 / 0.951 on the 469
    # (5 of the 8 wrong); the pack after it scores as before on the 461.
    # Before that, measured on 461 texts (48 holdout): critical 0.941 / 0.963,
    # service 1.0 / 0.951.
    # The 13 texts added for the known errors of the recall and accident
    # clauses (figurative "écrasés par les cadences / le travail / les impôts /
    # la concurrence", not "un livreur écrasé par un camion"; "rappelle à ses
    # clients de rapporter les chargeurs défectueux", not "rappelle à ses
    # clients que le magasin ferme"; "rappelle 347 trottinettes vendues en 3
    # ans", not "rappelle 3 fois les clients"): the pack before that review
    # scored critical 0.915 / 0.944, service 1.0 / 0.934 on the 461 (8 of the 13
    # wrong); the pack after it scores 0.940 / 0.962, 1.0 / 0.951 on the 448
    # before them, where it also fixes 3 accepted mistakes ("assignée par
    # l'association", "livraison en retard", a veteran "mort au combat").
    # Before that, measured on 448 texts (48 holdout): critical 0.935 / 0.957, service 1.0 / 0.934.
    # The 4 texts added with #number in the query language ("rappelle 347
    # trottinettes", "1 250 bouilloires"; not "rappelle 27 ans d'innovation" nor
    # "ne rappelle jamais, 12 messages"): the pack listing round hundreds
    # scored critical 0.935 / 0.953 on the 448 (it missed "347"); the pack
    # with #number>=10 scores as before on the 444.
    # Before that, measured on 444 texts (48 holdout): critical 0.935 / 0.957,
    # service 1.0 / 0.933.
    # The 30 texts added for the community manager's known misses (a courier's
    # or worker's death or serious accident, "un livreur Acmé mort percuté",
    # "grièvement blessé", "mort du coursier", not "meurent d'envie", a film
    # review, "la mort du minitel", "prix morts" nor the founder's obituary at
    # 95; a recall of fewer than 1,000 units or told with the defect, "rappelle
    # 300 trottinettes", "1 500 bouilloires", "des chargeurs défectueux", not
    # "rappelle ses engagements", "rappelle 3 fois", "rappelle les 500 premiers
    # inscrits"): the pack before that review scored critical 0.922 / 0.909,
    # service 1.0 / 0.933 on the 444 (12 of the 30 wrong); the pack after it
    # scores 0.930 / 0.954 on the 414 before them, unchanged. A light injury
    # ("légèrement blessé") and an obituary are labelled none: news, no page.
    # Before that, measured on 414 texts (48 holdout): critical 0.930 / 0.954, service 1.0 / 0.933.
    # The 56 texts added for the review of the known misses and false pages
    # (negated hacking words, "aucune cyberattaque", "aucun vol de données",
    # "pas de piratage"; a leak told with the verb, "les données de 30 000
    # clients ont fuité"; someone else's breach, "Acmé n'est pas concernée par
    # la fuite de Free"; a recall told with the verb and a quantity, "rappelle
    # 12 000 trottinettes", not "rappelle que", "rappelle 2 000 salariés au
    # bureau"; a worker's death, "un salarié meurt sur un chantier", not a film
    # nor "morts de rire"): the pack before that review scored critical
    # 0.876 / 0.872, service 1.0 / 0.933 on the 414; the pack after it scores
    # 0.924 / 0.952 on the 358 before them. Its 2 mistakes among the 56 are
    # accepted above (a word negated once and stated once; a veteran's death).
    # "Acmé dément toute cyberattaque" pages, as every denial.
    # Before that, measured on 358 texts (48 holdout): critical 0.919 / 0.952, service 1.0 / 0.933.
    # The 8 texts added when "fuite de données" moved from @crisis_fr into the
    # query with its negations ("aucune fuite de données", "pas de fuite de
    # données selon Acmé", "il n'y a pas eu de fuite"; leaks told with a
    # negation elsewhere, "une fuite sans précédent"): the pack before that
    # change scored critical 0.899 / 0.958 on the 358 (0.917 / 0.957 after it on
    # the 350 before them). The one recall lost is an item that negates the
    # words once and states them once.
    # Before that, measured on 350 texts (48 holdout): critical 0.912 / 0.957,
    # service 1.0 / 0.933.
    # The 30 texts added for the jobs, negation and accusation review (job cuts
    # named by "en supprimera" or "dont … seront supprimés", "licencie 200
    # salariés", "départs volontaires", "emplois menacés", "accusée de",
    # "épinglée par la CNIL", "inflige 20 millions", "accident mortel"; "pas
    # de licenciements prévus", "aucun plan social", "aucun rappel de produit";
    # "dément tout plan social" pages, a rumour): the pack before that review
    # scored critical 0.877 / 0.883, service 1.0 / 0.933 on the 350.
    # Before that, measured on 320 texts (48 holdout): critical 0.902 / 0.945,
    # service 1.0 / 0.931.
    # The 50 texts added for the review of the pack's misses and false alarms
    # (mise en demeure, licenciements, grévistes, RappelConso; "la justice",
    # "condamne", "les ventes en panne", "on s'est marré", "matchs nuls"): the
    # pack before that review scored critical 0.829 / 0.829, service 0.900 / 0.931 on
    # the 320 (0.882 / 0.933, 1.0 / 0.926 on the 270 before them).
    # Before this set existed the pack scored critical 0.624 / 0.483, service 1.0 / 0.056.
    # The 48 holdout texts, measured blind: critical 0.750 / 0.545 and service
    # 1.0 / 0.500 (the old pack: 0.500 / 0.273 and 0 / 0). Expect such figures,
    # not the tuned ones, on mentions nobody has read yet.
    assert scores["critical"].recall >= 0.96
    assert scores["critical"].precision >= 0.94
    assert scores["service"].recall >= 0.95
    assert scores["service"].precision >= 0.98


def test_crisis_fr_makes_only_the_accepted_mistakes(fr: tuple[list[Row], dict[str, str]]) -> None:
    rows, got = fr
    assert mistakes(rows, got) == FR_ACCEPTED


def test_crisis_fr_never_pages_for_one_customers_complaint(
    fr: tuple[list[Row], dict[str, str]],
) -> None:
    rows, got = fr
    assert [r.text for r in rows if r.label == "service" and got[r.text] == "critical"] == []


EN_ACCEPTED: dict[str, tuple[str, str]] = {
    # As in French: prevention, an anti-fraud team, a film.
    "How to spot a scam: tips from Acmé's security team": ("none", "critical"),
    "The Sting, the classic con-artist movie, tonight on Acmé TV": ("none", "critical"),
    "Acmé fraud prevention team expands with 50 new hires": ("none", "critical"),
    # "was not affected by" says the brand is not part of someone else's
    # breach; NOT reads the whole item, so said of another it drops the leak.
    "Acmé was hit by a data breach; its parent was not affected by the breach": (
        "critical",
        "none",
    ),
}


# Texts added with the "disgustingly" clause, labelled before the pack was
# changed for them: "disgustingly" before (or right after) a fault is a
# complaint, before a quality praise.
EN_ADDED = [
    Row("The staff at Acmé were disgustingly rude", "service", "a service complaint", False),
    Row("Disgustingly slow service at Acmé tonight", "service", "a service complaint", False),
    Row("Acmé staff were rude, disgustingly so", "service", "a service complaint", False),
    Row("Acmé's cheesecake is disgustingly rich", "none", "praise", False),
    Row("Disgustingly cheap flights with Acmé this winter", "none", "praise of a price", False),
    Row("Acmé's fries are disgustingly delicious", "none", "praise", False),
]


@pytest.fixture(scope="module")
def en() -> tuple[list[Row], dict[str, str]]:
    rows = load_rows("crisis_en_labelled.jsonl") + EN_ADDED
    return rows, outcomes("crisis-en", rows)


def test_crisis_en_precision_and_recall(en: tuple[list[Row], dict[str, str]]) -> None:
    rows, got = en
    assert len(rows) >= 60 and sum(r.holdout for r in rows) >= 20
    scores = report("crisis-en", rows, got)
    # Measured on 166 texts (20 holdout): critical 0.962 / 0.987, service 1.0 / 1.0.
    # The 6 texts of EN_ADDED ("disgustingly rude", "disgustingly slow"; not
    # "disgustingly rich", "disgustingly cheap"): the pack before that change
    # scored service 1.0 / 0.880 on the 166 (the 3 complaints missed), critical
    # unchanged; the pack after it scores as before on the 160.
    # Before that, measured on 160 texts (20 holdout): critical 0.962 / 0.987, service 1.0 / 1.0.
    # The 7 texts added with the French review of the accident and recall
    # clauses ("so good it's disgusting" and "disgustingly good" are praise,
    # "disgusting service" a complaint; "couriers crushed by workload", not
    # "worker crushed by forklift"; "recalls 347 scooters sold over 3 years"):
    # the pack before that review scored critical 0.950 / 0.987, service 0.957
    # / 1.0 on the 160 (2 of the 7 wrong); the pack after it scores as before on
    # the 153 before them.
    # Before that, measured on 153 texts (20 holdout): critical 0.961 / 0.987, service 1.0 / 1.0.
    # The 3 texts added with #number ("recalls 347 scooters", "1,250 kettles";
    # not "recalls 27 years at the helm"): the pack listing round hundreds
    # scored critical 0.961 / 0.973 on the 153 (it missed "347"); the pack with
    # #number>=10 scores as before on the 150.
    # Before that, measured on 150 texts (20 holdout): critical 0.960 / 0.986,
    # service 1.0 / 1.0.
    # The 11 texts added with the French review of known misses ("courier
    # killed", "courier seriously injured", "recalls 300 scooters", "recalls
    # some batches"; not "killer app", "dies down as workers return", "recalls
    # his childhood", "recalls the 500 days"): the pack before that review
    # scored critical 0.945 / 0.945 on the 150 (4 of the 11 wrong); the pack
    # after it scores 0.957 / 0.985 on the 139 before them, unchanged.
    # Before that, measured on 139 texts (20 holdout): critical 0.957 / 0.985, service 1.0 / 1.0.
    # The 24 texts added with the French review of misses and false pages ("no
    # cyberattack", "no data theft", "was not affected by the data breach";
    # "recalls 12,000 scooters", not "recalls 3,000 staff to the office"; "worker
    # dies at distribution site", not a TV series): the pack before that review
    # scored critical 0.871 / 0.910 on the 139; the pack after it scores 0.948 /
    # 1.0 on the 115 before them. Its one miss among the 24 is accepted above.
    # Before that, measured on 115 texts (20 holdout): critical 0.948 / 1.0, service 1.0 / 1.0.
    # The 24 texts added for the probe, jobs and negation review ("meat probe",
    # "Mars probe" against "probe into", "probed by watchdog"; "sheds 900 jobs",
    # "fires 200 staff", "accused of", "inquiry into", a plant's closure or
    # fire, "pulled from stores"; "no layoffs planned", "rules out job cuts"):
    # the pack before that review scored critical 0.793 / 0.836, service 1.0 /
    # 0.95 on the 115.
    # Before that, measured on 91 texts: critical 0.911 / 1.0, service 1.0 / 1.0.
    # The 11 texts added with the French review (jobs cut with a figure, "laid
    # off", "striking workers", "cease and desist"): the pack before that review
    # scored critical 0.895 / 0.829 on the 91 (0.895 / 1.0 on the 80 before them).
    # Before: critical 0.480 / 0.353, service 1.0 / 0.158. The 20 holdout texts,
    # measured blind: critical 1.0 / 0.400, service 1.0 / 0.800 (old: 0.600 / 0.300, 0 / 0).
    assert scores["critical"].recall >= 0.98
    assert scores["critical"].precision >= 0.955
    assert scores["service"].recall >= 0.97
    assert scores["service"].precision >= 0.97


def test_crisis_en_makes_only_the_accepted_mistakes(en: tuple[list[Row], dict[str, str]]) -> None:
    rows, got = en
    assert mistakes(rows, got) == EN_ACCEPTED
