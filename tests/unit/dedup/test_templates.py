"""Templates are not stories: a site's boilerplate, and words shared with other stories.

Two rules (``docs/dedup.md``, "Templates"):

* two different items of one site (the URL host) are one story only when they
  are nearly the same text (``SAME_SITE_THRESHOLD`` over the longer text);
* words an item shares with two *different* stories among its candidates are a
  template, and a candidate must also pass without them. Counted per story, so
  ten syndicated copies of a dispatch stay evidence.

Syndication, the same text on *other* sites, still makes one story.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.unit.dedup.test_review_stories import AFP, FIGARO, NOW, SIGNATURE, Channel
from watchtower.adapters._feed import parse_feed
from watchtower.adapters.google_alerts import GoogleAlertsSource
from watchtower.models import Item
from watchtower.pipeline.fingerprint import fingerprint, similarity
from watchtower.pipeline.neardup import NearDuplicateIndex
from watchtower.pipeline.sites import site_key

T0 = datetime(2026, 11, 24, tzinfo=UTC)
CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "google_alerts"


@pytest.fixture
def channel(database_url: str) -> Iterator[Channel]:
    world = Channel(database_url)
    yield world
    world.db.dispose()


def _brief(role: str, name: str, amount: str, shares: str, day: str, owned: str) -> str:
    """A templated insider-sale brief, as content farms publish them by the hundred."""
    return (
        f"Banque Acmé (EPA:ACME) {role} {name} sold {shares} shares of the company's stock "
        f"in a transaction on {day}. The shares were sold at an average price of $129.38, "
        f"for a total transaction of ${amount}. Following the completion of the sale, the "
        f"{role} now directly owns {owned} shares of the company's stock. The sale was "
        "disclosed in a legal filing with the Securities & Exchange Commission, which is "
        "available at the SEC website. Banque Acmé stock opened at $129.38 on Tuesday."
    )


CFO = Item(
    guid="ga-cfo",
    url="https://www.tickerwire.example.com/2026/11/24/banque-acme-cfo-sells-150000-shares.html",
    title="Banque Acmé (EPA:ACME) CFO Sells $19,407,875 of Stock",
    text=_brief("CFO", "Jean Martin", "19,407,875", "150,000", "Monday, November 23rd", "412,000"),
)
SVP = Item(
    guid="ga-svp",
    url="https://tickerwire.example.com/2026/11/24/banque-acme-svp-sells-111375-shares.html",
    title="Banque Acmé (EPA:ACME) SVP Sells $14,409,915 of Stock",
    text=_brief("SVP", "Anne Petit", "14,409,915", "111,375", "Friday, November 20th", "98,210"),
)


# --------------------------------------------------------------------------------------
# 1. One site: its template is not a story.


def test_templated_finance_briefs_of_one_site_are_two_alerts(channel: Channel) -> None:
    # The end-to-end smoke test: one Google Alerts feed, two briefs of one site.
    assert similarity(*(fingerprint(i.title, i.text).words for i in (CFO, SVP))) > 0.6
    channel.poll("gnews", [CFO])
    channel.poll("gnews", [SVP], NOW + timedelta(hours=1))

    stories = channel.story_of()
    assert stories["ga-cfo"] != stories["ga-svp"]
    assert channel.top_level() == [CFO.title, SVP.title]


def test_a_site_republishing_a_dispatch_under_a_new_url_is_one_story(channel: Channel) -> None:
    again = Item(
        guid="figaro-2",
        url="https://www.lefigaro.fr/flash-eco/banque-acme-panne-geante-20261124",
        title=FIGARO.title,
        text=AFP + " (Avec AFP)",
    )
    channel.poll("figaro", [FIGARO])
    channel.poll("figaro", [again], NOW + timedelta(hours=1))

    stories = channel.story_of()
    assert stories["figaro-1"] == stories["figaro-2"]
    assert channel.top_level() == [FIGARO.title]


def test_a_forum_cross_post_of_the_same_complaint_is_one_story(channel: Channel) -> None:
    text = (
        "Ma carte Banque Acmé est bloquée depuis lundi, impossible de payer mes courses ou "
        "de retirer, et le service client ne répond pas." + SIGNATURE
    )
    first = Item(
        guid="post-301",
        url="https://forum.example.fr/threads/banque-acme-carte-bloquee.4711/post-301",
        title="Banque Acmé : carte bloquée",
        text=text,
    )
    cross = Item(
        guid="post-302",
        url="https://forum.example.fr/threads/cartes-bancaires.12/post-302",
        title="Banque Acmé : carte bloquée depuis lundi",
        text=text,
    )
    channel.poll("forum", [first])
    channel.poll("forum", [cross], NOW + timedelta(minutes=5))

    stories = channel.story_of()
    assert stories["post-301"] == stories["post-302"]


# --------------------------------------------------------------------------------------
# 2. Syndication across sites still merges, site signatures and all.


def test_syndicated_copies_with_each_sites_own_signature_are_one_story(channel: Channel) -> None:
    footer = {
        "20minutes": " Retrouvez toute l'actualité économique sur 20 Minutes, "
        "inscrivez-vous à notre newsletter quotidienne gratuite.",
        "newsroom": " Actu Conso : la rédaction vérifie chaque information, signalez "
        "une erreur ou une coquille à notre équipe éditoriale.",
    }
    # Each site already ran another story with its footer: the footer is its template.
    other = (
        "La Banque Acmé ouvre trois nouvelles agences dans la métropole bordelaise d'ici au "
        "printemps, avec une centaine d'embauches prévues dans le conseil aux particuliers."
    )
    channel.poll("figaro", [FIGARO])
    for n, (source, host) in enumerate(
        (("20minutes", "www.20minutes.fr"), ("newsroom", "www.actu-conso.example.fr"))
    ):
        later = NOW + timedelta(hours=1 + n)
        channel.poll(
            source,
            [
                Item(
                    guid=f"{source}-agences",
                    url=f"https://{host}/economie/banque-acme-agences-bordeaux",
                    title="Banque Acmé recrute à Bordeaux",
                    text=other + footer[source],
                ),
                Item(
                    guid=f"{source}-panne",
                    url=f"https://{host}/economie/banque-acme-panne-geante",
                    title="Panne géante chez Banque Acmé : impossible de payer par carte",
                    text=AFP + footer[source],
                ),
            ],
            later,
        )

    stories = channel.story_of()
    assert stories["figaro-1"] == stories["20minutes-panne"] == stories["newsroom-panne"]
    assert stories["20minutes-agences"] != stories["figaro-1"]


def test_the_same_signature_on_two_sites_does_not_split_a_copied_post(channel: Channel) -> None:
    post = (
        "Attention : la Banque Acmé prélève des frais de tenue de compte de 8 euros par mois "
        "depuis novembre, sans courrier préalable, vérifiez vos relevés." + SIGNATURE
    )
    here = Item(guid="p-1", url="https://forum.example.fr/t/frais/1", title="Frais", text=post)
    there = Item(guid="p-2", url="https://autre-forum.example.com/t/9", title="Frais!", text=post)
    channel.poll("forum", [here])
    channel.poll("avis", [there], NOW + timedelta(hours=1))

    stories = channel.story_of()
    assert stories["p-1"] == stories["p-2"]


# --------------------------------------------------------------------------------------
# 3. The index itself.


def _fp(text: str, title: str = "") -> object:
    return fingerprint(title, text)


SIG = (
    " Client Banque Acmé depuis 2009, compte joint, Livret A, PEL, blog conso vigilante, "
    "avis exprimés engagent que moi, merci de me lire et de partager mes conseils."
)
COMPLAINTS = [
    "Carte bloquée depuis lundi sans explication du conseiller.",
    "Frais cachés de trente euros prélevés sans prévenir personne.",
    "Application mobile en panne toute la journée de mardi dernier.",
    "Virement international bloqué trois semaines malgré mes relances.",
]


def test_words_shared_with_two_other_stories_are_a_template() -> None:
    index = NearDuplicateIndex()
    for n, text in enumerate(COMPLAINTS[:3]):  # three stories, three sites
        index.add(n, fingerprint("", text + SIG), T0, story=100 + n, site=n + 1)
    new = fingerprint("", COMPLAINTS[3] + SIG)
    assert similarity(new.words, fingerprint("", COMPLAINTS[0] + SIG).words) >= 0.6
    assert index.find(new, site=9) is None
    # A copy of a stored complaint is still found: its own words are not the template.
    copy = fingerprint("", "Bonjour. " + COMPLAINTS[1] + SIG)
    found = index.find(copy, site=9)
    assert found is not None and found.doc_id == 1


def test_copies_in_one_story_are_not_a_template() -> None:
    index = NearDuplicateIndex()
    for n in range(3):  # one dispatch on three sites: one story
        index.add(n, fingerprint("", AFP), T0, story=7, site=n + 1)
    found = index.find(fingerprint("Panne chez Acmé", AFP), site=9)
    assert found is not None and found.score == 1.0


def test_one_site_needs_nearly_the_same_text() -> None:
    card, fees = (fingerprint("", text + SIG) for text in COMPLAINTS[:2])
    index = NearDuplicateIndex()
    index.add(1, card, T0, story=1, site=42)
    assert similarity(card.words, fees.words) >= 0.6
    assert index.find(fees, site=42) is None
    found = index.find(fees, site=43)  # another site, no history: still alike (a known limit)
    assert found is not None
    edited = fingerprint("", COMPLAINTS[0].replace("lundi", "mardi") + SIG)
    found = index.find(edited, site=42)
    assert found is not None and found.score >= 0.9


def test_stories_and_sites_survive_bulk_load_and_prune() -> None:
    rows = [
        (n, fingerprint("", text + SIG), T0 + timedelta(days=n % 2), 100 + n, n + 1)
        for n, text in enumerate(COMPLAINTS[:3])
    ]
    bulk = NearDuplicateIndex.from_rows(rows)
    one = NearDuplicateIndex()
    for doc_id, fp, ts, story, site in rows:
        one.add(doc_id, fp, ts, story=story, site=site)
    assert list(bulk._stories) == list(one._stories) == [100, 101, 102]
    assert list(bulk._sites) == list(one._sites) == [1, 2, 3]
    bulk.prune(T0 + timedelta(days=1))
    assert list(bulk._stories) == [101] and list(bulk._sites) == [2]
    bulk.relabel(0, story=555)
    assert list(bulk._stories) == [555] and list(bulk._ids) == [1]


@pytest.mark.parametrize(
    ("url", "same_as"),
    [
        ("https://www.lefigaro.fr/conso/a", "https://lefigaro.fr/flash-eco/b?x=1"),
        ("https://forum.example.fr:8443/t/1", "https://forum.example.fr:8443/t/2"),
    ],
)
def test_site_key_is_the_host_without_www(url: str, same_as: str) -> None:
    assert site_key(url) == site_key(same_as) != 0


def test_redirector_hosts_and_missing_urls_are_no_site() -> None:
    assert site_key("") == 0
    assert site_key("https://news.google.com/rss/articles/CBMiXYZ?oc=5") == 0
    assert site_key("https://www.lefigaro.fr/a") != site_key("https://www.20minutes.fr/a")


# --------------------------------------------------------------------------------------
# 4. The Google Alerts feed of the smoke test (tests/corpus): insider-sale briefs.


def test_insider_sale_briefs_of_one_google_alert_are_not_merged_by_their_template(
    channel: Channel,
) -> None:
    raw = (CORPUS / "feedjira_google_alerts_slack.xml").read_bytes()
    feed = parse_feed(raw, url="https://www.google.com/alerts/feeds/1/2").items
    items = GoogleAlertsSource().adapt(feed)
    channel.poll("gnews", items)

    stories = channel.story_of()
    by_title = {item.title: stories[item.guid] for item in items}
    # Same site (techknowbits.com), one template: "SVP Sells …", "CFO Sells …".
    assert (
        by_title["Slack (NASDAQ:WORK) SVP Sells $14409915.40 in Stock"]
        != by_title["Slack (NASDAQ:WORK) CFO Sells $19407875.75 in Stock"]
    )
    # Different officers, whatever the site: the shared template no longer counts.
    officers = [t for t in by_title if "Director Sells" in t or "CFO Sells" in t or "SVP" in t]
    assert len({by_title[t] for t in officers}) == 3
    # Known limit: two briefs about the same person's two sales, on two sites,
    # differ only by numbers and still make one story (docs/dedup.md).
