"""Headlines the crisis packs paged for wrongly, or missed, as a review found them.

A French crisis-communication lead's headlines and posts about the brand Acmé:
crises the pack must page for (``crisis-fr``), harmless news it must not page
for, and harmless posts it must not warn about (``crisis-fr-service``); then the
same misses in English. The shipped packs run through the real matcher. The
same texts are rows of the labelled sets (``tests/fixtures/crisis_*_labelled.jsonl``),
where ``test_crisis_pack_quality.py`` measures precision and recall.
"""

from __future__ import annotations

import pytest

from watchtower.config import BrandConfig, RuleConfig
from watchtower.models import Item
from watchtower.packs import load_pack
from watchtower.pipeline.match import Matcher


def fired(pack: str, text: str) -> set[str]:
    """The rules of ``pack`` that fire for ``text`` about the brand Acmé."""
    rules = [RuleConfig(name=r["name"], query=r["query"]) for r in load_pack(pack)["rules"]]
    matcher = Matcher([BrandConfig(name="Acmé", terms=["Acmé"])], rules)
    item = Item(guid="1", title="", text=text, lang=pack[-2:])
    return {m.rule for m in matcher.match(item, "src") if m.rule is not None}


@pytest.mark.parametrize(
    "text",
    [
        # The regulator's formal notice as the CNIL and the press write it: the
        # verb and the participle, not only the noun "mise en demeure".
        "La CNIL met en demeure Acmé de cesser la revente de données",
        "Acmé mis en demeure par la CNIL pour ses cookies",
        "L'Arcom menace de mettre en demeure Acmé TV après les propos d'un chroniqueur",
        # Layoffs told without "plan social" or "suppression de postes".
        "Acmé annonce 300 licenciements en France",
        "Acmé va supprimer 1 200 postes d'ici 2027",
        "PSE chez Acmé : la direction veut supprimer près de 800 postes",
        "Acmé : un plan de sauvegarde de l'emploi pour 400 salariés",
        # "grève*" is "greve*", which "grévistes" ("grevistes") does not start with.
        "Les grévistes bloquent l'entrepôt Acmé de Saint-Quentin",
        # The government sites, as the press writes their names: one word.
        "Yaourts Acmé : l'alerte publiée sur RappelConso",
        "Plus de 300 signalements contre Acmé sur SignalConso en un mois",
        # What the narrowed terms must still catch: a court, a sentence, an outage.
        "La justice ordonne à Acmé de rembourser 12 000 clients",
        "Acmé devant la justice pour ses contrats d'assurance emprunteur",
        "Le groupe Acmé condamné à verser 2 millions d'euros à ses anciens salariés",
        "Acmé a été condamné en appel pour publicité mensongère",
        "Deux anciens dirigeants d'Acmé condamnés pour abus de confiance",
        "Acmé condamnée à 2 M€ d'amende",
        "Les caisses automatiques Acmé en panne dans tous les magasins ce samedi",
        "Acmé : le site de réservation en panne, les ventes bloquées",
    ],
)
def test_crisis_fr_pages_for_a_crisis(text: str) -> None:
    assert "crisis-fr" in fired("crisis-fr", text)


@pytest.mark.parametrize(
    "text",
    [
        # "la justice" is also the ministry and social justice.
        "Acmé remporte l'appel d'offres informatique du ministère de la Justice",
        "Acmé s'engage pour la justice sociale et climatique",
        # "condamné*" was "condamne*" once accents are ignored: the brand that condemns.
        "Acmé condamne fermement les propos tenus par un influenceur",
        "Acmé a fermement condamné les propos racistes visant un joueur du club",
        "Acmé condamne à son tour l'attaque de ses livreurs",
        # "en panne" in business news: sales, growth, ideas.
        "Acmé : les ventes en panne au troisième trimestre, selon les analystes",
        "La croissance d'Acmé en panne en Chine, l'action recule",
        "En panne d'idées pour Noël ? Les coffrets cadeaux Acmé",
        # Jobs named without a cut, a cut without jobs.
        "Acmé crée 300 emplois dans sa nouvelle usine de Lorient",
        "Acmé supprime les frais de livraison pour les étudiants",
    ],
)
def test_crisis_fr_does_not_page_for_harmless_news(text: str) -> None:
    assert "crisis-fr" not in fired("crisis-fr", text)


@pytest.mark.parametrize(
    "text",
    [
        # "marre" is "marré" (se marrer) once accents are ignored.
        "On s'est bien marré au stand Acmé du salon",
        "Je me suis marré devant la nouvelle pub Acmé avec le chat",
        # "nuls": football draws for a brand that sponsors a club, a beginners'
        # guide, fees that are nil.
        "Ligue 1 Acmé : trois matchs nuls ce week-end",
        "Le FC Acmé enchaîne les nuls et recule au classement",
        "La Bourse pour les nuls : le guide offert par Acmé Banque",
        "Acmé Banque : les frais de tenue de compte sont nuls la première année",
    ],
)
def test_crisis_fr_service_does_not_warn_for_harmless_posts(text: str) -> None:
    assert fired("crisis-fr", text) == set()


@pytest.mark.parametrize(
    "text",
    [
        # The complaints "marre" and "nuls" were in the vocabulary for.
        "J'en ai marre d'Acmé, trois semaines pour une simple carte",
        "Marre d'Acmé et de ses prélèvements surprise",
        "Acme vous êtes nuls, 40 min au téléphone pour rien",
        "Acmé vous êtes vraiment nuls, ma commande a encore disparu",
        "Les conseillers Acmé sont nuls, personne ne connaît mon dossier",
    ],
)
def test_crisis_fr_service_still_warns_on_a_complaint(text: str) -> None:
    assert fired("crisis-fr", text) == {"crisis-fr-service"}


@pytest.mark.parametrize(
    ("text", "pages"),
    [
        # The English pack had the same misses: jobs cut with a figure between
        # the words, "laid off", strikers, a formal notice.
        ("Acmé to cut 1,200 jobs as sales slump", True),
        ("Acmé will axe around 800 roles in the UK", True),
        ("Acmé laid off 300 warehouse workers by email", True),
        ("Striking workers block the Acmé depot in Bristol", True),
        ("Acmé receives a cease-and-desist letter from the regulator", True),
        ("Acmé is cutting 500 jobs in Ohio", True),
        ("Acmé cuts prices on 500 products for the summer", False),
        ("Acmé is hiring for cutting-edge AI roles", False),
        ("Acmé unveils a striking new logo", False),
        ("Acmé FC striker out injured for six weeks", False),
    ],
)
def test_crisis_en_job_cuts_strikes_and_notices(text: str, pages: bool) -> None:
    assert ("crisis-en" in fired("crisis-en", text)) is pages


@pytest.mark.parametrize(
    ("text", "pages"),
    [
        # "probe" is an investigation only next to who probes or what it looks
        # into; a meat probe or a space probe is a product.
        ("Regulator launches probe into Acmé's pricing", True),
        ("Acmé faces EU antitrust probe", True),
        ("Acmé probed by watchdog over fees", True),
        ("Police probe death at Acmé warehouse", True),
        ("Acmé launches internal probe after harassment claims", True),
        ("Acmé wireless meat probe review: accurate and cheap", False),
        ("NASA's Mars probe carries an Acmé camera", False),
        ("NASA launches probe built by Acmé to study the Sun", False),
        ("Insert the Acmé probe into the thickest part of the steak", False),
    ],
)
def test_crisis_en_probe_is_an_investigation_not_a_thermometer(text: str, pages: bool) -> None:
    assert ("crisis-en" in fired("crisis-en", text)) is pages


@pytest.mark.parametrize(
    ("text", "pages"),
    [
        # Job cuts named further from "postes" than NEAR/4: the pronoun "en", a
        # passive after "dont"; "licencie" near whom.
        ("Acmé crée 500 postes en France et en supprimera 200 en Allemagne", True),
        ("Réorganisation chez Acmé : 700 postes concernés, dont 200 seront supprimés", True),
        ("Acmé embauche 400 personnes mais en licencie 150 dans la logistique", True),
        ("Acmé licencie 200 salariés dans son usine de Rennes", True),
        ("Le FC Acmé licencie son entraîneur après cinq défaites", False),
        ("Les licenciés du club de foot bénéficient de 10 % chez Acmé", False),
        ("Acmé : les frais de dossier seront supprimés dès janvier", False),
    ],
)
def test_crisis_fr_job_cuts_told_with_a_pronoun_or_a_passive(text: str, pages: bool) -> None:
    assert ("crisis-fr" in fired("crisis-fr", text)) is pages


@pytest.mark.parametrize(
    ("pack", "text", "pages"),
    [
        # A negation right before the words drops their clause…
        ("crisis-fr", "Acmé : pas de licenciements prévus malgré la baisse des ventes", False),
        ("crisis-fr", "Acmé : aucun rappel de produit n'est prévu, assure le fabricant", False),
        ("crisis-fr", "Pas de plan social chez Acmé en 2026, promet la direction", False),
        ("crisis-fr", "Acmé réorganise ses agences sans suppression de postes", False),
        ("crisis-en", "Acmé: no layoffs planned this year, CEO says", False),
        ("crisis-en", "Acmé rules out job cuts despite weak sales", False),
        ("crisis-en", "No data breach at Acmé, the audit confirms", False),
        # "fuite de données" as "no data breach": the noun, and "données
        # fuitées", which reads "fuite" once accents are ignored.
        ("crisis-fr", "Audit annuel : aucune fuite de données constatée chez Acmé", False),
        ("crisis-fr", "Pas de fuite de données selon Acmé", False),
        ("crisis-fr", "Il n'y a pas eu de fuite de données chez Acmé, confirme l'audit", False),
        ("crisis-fr", "Acmé : ni fuite de données ni incident, selon l'enquête interne", False),
        # …and only its own clause: the job cuts next to it still page.
        ("crisis-fr", "Acmé supprime 500 postes mais promet zéro licenciement sec", True),
        ("crisis-fr", "Pas de licenciements secs chez Acmé, mais 300 départs volontaires", True),
        ("crisis-en", "Acmé won't cut jobs in the UK but will axe 500 roles in Germany", True),
        ("crisis-fr", "Aucune fuite de données chez Acmé, mais 3 000 mots de passe volés", True),
        # A negation elsewhere, or "sans" after the leak, negates no leak.
        ("crisis-fr", "Fuite de données chez Acmé : aucune donnée bancaire concernée", True),
        ("crisis-fr", "Acmé n'a pas prévenu ses clients de la fuite de données", True),
        ("crisis-fr", "Une fuite sans précédent de données clients chez Acmé", True),
        ("crisis-fr", "Données fuitées : 2 millions de clients Acmé sur un forum", True),
        # A denial is no negation: the rumour is out, and it pages.
        ("crisis-fr", "Acmé dément tout plan social", True),
        ("crisis-fr", "Acmé dément toute fuite de données", True),
        ("crisis-en", "Acmé CEO denies layoffs rumours", True),
    ],
)
def test_a_negation_drops_only_its_own_clause(pack: str, text: str, pages: bool) -> None:
    assert (pack in fired(pack, text)) is pages


@pytest.mark.parametrize(
    ("pack", "text", "pages"),
    [
        # Hacking words negated right before them, as "aucune fuite de données".
        (
            "crisis-fr",
            "Acmé : aucune cyberattaque n'a touché nos systèmes, assure la direction",
            False,
        ),
        ("crisis-fr", "Aucune violation de données n'a été constatée chez Acmé en 2025", False),
        ("crisis-fr", "Audit de sécurité : aucun vol de données chez Acmé", False),
        ("crisis-fr", "Acmé affirme n'avoir subi aucun piratage depuis trois ans", False),
        ("crisis-en", "Acmé says there was no cyberattack on its systems", False),
        ("crisis-en", "No data theft at Acmé, the security audit finds", False),
        # The same words stated, with a negation of something else, or denied.
        (
            "crisis-fr",
            "Cyberattaque chez Acmé : aucune donnée bancaire dérobée, assure la banque",
            True,
        ),
        ("crisis-fr", "Acmé victime d'une cyberattaque sans précédent", True),
        ("crisis-fr", "Vol de données chez Acmé : aucune carte bancaire concernée", True),
        ("crisis-fr", "Acmé dément toute cyberattaque", True),
        ("crisis-en", "Cyberattack at Acmé: no customer data stolen, the bank says", True),
        ("crisis-en", "Acmé denies cyberattack reports", True),
        # Someone else's breach the brand says it is not part of: the company's
        # "n'est pas concernée" (feminine singular) or "was not affected by", not
        # the scope of the brand's own leak ("les données bancaires ne sont pas
        # concernées", "votre compte n'est pas concerné").
        (
            "crisis-fr",
            "Acmé n'est pas concernée par la fuite de données de Free, assure la banque",
            False,
        ),
        ("crisis-fr", "Fuite de données chez Free : Acmé assure ne pas être concernée", False),
        (
            "crisis-fr",
            "Acmé n'a pas été touchée par la cyberattaque contre l'hôpital de Rennes",
            False,
        ),
        ("crisis-en", "Acmé says it was not affected by the Ticketmaster data breach", False),
        (
            "crisis-fr",
            "Fuite de données chez Acmé : les données bancaires ne sont pas concernées",
            True,
        ),
        (
            "crisis-fr",
            "Fuite de données chez Acmé : votre compte n'est pas concerné"
            " si vous n'avez pas reçu d'e-mail",
            True,
        ),
        ("crisis-en", "Acmé data breach: payment cards were not affected, the bank says", True),
    ],
)
def test_hacking_negations_and_someone_elses_breach(pack: str, text: str, pages: bool) -> None:
    assert (pack in fired(pack, text)) is pages


@pytest.mark.parametrize(
    ("pack", "text", "pages"),
    [
        # A leak told with the verb: personal data "ont fuité", far from the word.
        ("crisis-fr", "Les données de 30 000 clients Acmé ont fuité", True),
        (
            "crisis-fr",
            "Les coordonnées bancaires de milliers de clients Acmé auraient fuité sur un forum",
            True,
        ),
        ("crisis-fr", "Les données de 30 000 clients Acmé ont bien fuité, confirme la CNIL", True),
        ("crisis-en", "Data of 30,000 Acmé customers leaked", True),
        # A scoop is no data leak, and a leak denied is none.
        ("crisis-fr", "Le nom du prochain smartphone Acmé a fuité", False),
        ("crisis-fr", "Les données techniques de la future console Acmé ont fuité", False),
        ("crisis-fr", "Aucune donnée client n'a fuité, assure Acmé", False),
        (
            "crisis-fr",
            "Les mots de passe des clients Acmé n'ont pas fuité, selon l'enquête interne",
            False,
        ),
    ],
)
def test_a_leak_told_with_the_verb(pack: str, text: str, pages: bool) -> None:
    assert (pack in fired(pack, text)) is pages


@pytest.mark.parametrize(
    ("pack", "text", "pages"),
    [
        # A recall told with the verb and a quantity of things…
        ("crisis-fr", "Acmé rappelle 12 000 trottinettes", True),
        ("crisis-fr", "Le constructeur Acmé rappelle 1,2 million de véhicules dans le monde", True),
        ("crisis-fr", "Acmé rappelle des milliers de chargeurs de téléphone", True),
        ("crisis-en", "Acmé recalls 12,000 scooters", True),
        ("crisis-en", "Acmé recalls nearly 2 million airbags in the US", True),
        # …not a reminder, a call back, staff back to the office, people or money.
        ("crisis-fr", "Acmé rappelle que 80 000 emplois dépendent de ses usines françaises", False),
        (
            "crisis-fr",
            "Acmé rappelle 2 000 salariés en télétravail au bureau trois jours par semaine",
            False,
        ),
        ("crisis-fr", "Acmé nous rappelle en moins de 10 minutes, service au top", False),
        ("crisis-fr", "Un conseiller Acmé vous rappelle sous 48 h au 09 70 000 000", False),
        ("crisis-fr", "Rappelez-nous au 3000 : le service client Acmé à votre écoute", False),
        ("crisis-fr", "Acmé rappelle 2 000 anciens clients pour leur proposer une offre", False),
        (
            "crisis-fr",
            "Le PDG d'Acmé rappelle les 20 millions d'euros investis dans l'usine",
            False,
        ),
        ("crisis-en", "Acmé recalls 3,000 staff to the office four days a week", False),
        ("crisis-en", "Acmé CEO recalls the $3 million seed round that started it all", False),
        # A worker's death, not a film's nor a figure of speech.
        ("crisis-fr", "Un salarié meurt sur un chantier Acmé à Lyon", True),
        (
            "crisis-fr",
            "Mort d'un ouvrier sur le chantier Acmé de Nantes : une enquête ouverte",
            True,
        ),
        ("crisis-fr", "Décès d'un salarié sur le site Acmé de Dunkerque", True),
        ("crisis-en", "Acmé worker dies at distribution site", True),
        ("crisis-en", "Contractor died after fall at Acmé plant, union says", True),
        (
            "crisis-fr",
            "« Le Chantier », le film où un ouvrier meurt écrasé, ce soir sur Acmé TV",
            False,
        ),
        ("crisis-fr", "Les salariés d'Acmé morts de rire devant la vidéo de Noël du patron", False),
        ("crisis-fr", "Le fondateur d'Acmé est mort à 92 ans", False),
        # "mort" is also a dead device, next to who should fix it: only "mort
        # d'un…" and "un salarié mort" count, not "est mort, le technicien".
        ("crisis-fr", "Deux ouvriers morts dans l'explosion d'une usine Acmé", True),
        ("crisis-fr", "Mort d'une salariée dans l'entrepôt Acmé de Lille", True),
        ("crisis-fr", "Ma box est morte, le technicien Acmé ne vient pas", False),
        ("crisis-fr", "Mon PC est mort, l'employé du magasin Acmé refuse de l'échanger", False),
        ("crisis-fr", "Mon téléphone est mort, le livreur Acmé l'a fait tomber", False),
        (
            "crisis-en",
            "In 'The Plant', a worker dies in the first episode; streaming on Acmé TV",
            False,
        ),
    ],
)
def test_a_recall_with_a_quantity_and_a_workers_death(pack: str, text: str, pages: bool) -> None:
    assert (pack in fired(pack, text)) is pages


@pytest.mark.parametrize(
    ("pack", "text", "pages"),
    [
        # A number tied to the verb and to a unit of time is no recall; a unit
        # elsewhere does not matter (nested NEAR: the number near both).
        ("crisis-fr", "Acmé rappelle près de 100 ans d'histoire", False),
        ("crisis-fr", "Acmé rappelle plus de 150 ans de savoir-faire", False),
        ("crisis-fr", "Acmé rappelle 347 trottinettes vendues en 3 ans", True),
        ("crisis-fr", "Dix ans après, Acmé rappelle 250 poussettes", True),
        ("crisis-fr", "Acmé rappelle près de 2 000 trottinettes", True),
        # A returns policy's deadline is no recall; an instruction to bring a
        # defective product back is, even with days counted.
        (
            "crisis-fr",
            "Acmé rappelle à ses clients de retourner les articles défectueux sous 30 jours",
            False,
        ),
        (
            "crisis-fr",
            "Acmé rappelle à ses clients de renvoyer les produits défectueux dans les 14 jours",
            False,
        ),
        ("crisis-fr", "Acmé rappelle à ses clients de rapporter les chargeurs défectueux", True),
        (
            "crisis-fr",
            "Acmé rappelle à ses clients de rapporter les chargeurs défectueux : 12 incendies "
            "en 10 jours",
            True,
        ),
    ],
)
def test_a_recall_is_no_anniversary_nor_a_returns_policy(pack: str, text: str, pages: bool) -> None:
    assert (pack in fired(pack, text)) is pages


@pytest.mark.parametrize(
    ("text", "warns"),
    [
        ("The staff at Acmé were disgustingly rude", True),
        ("Disgustingly slow service at Acmé tonight", True),
        ("Acmé staff were rude, disgustingly so", True),
        ("Acmé's new flavour is so good it's disgusting", False),
        ("Disgustingly good burgers at Acmé", False),
        ("Acmé's cheesecake is disgustingly rich", False),
        ("Disgustingly cheap flights with Acmé this winter", False),
    ],
)
def test_crisis_en_service_disgustingly_is_a_complaint_next_to_a_fault(
    text: str, warns: bool
) -> None:
    assert ("crisis-en-service" in fired("crisis-en", text)) is warns
