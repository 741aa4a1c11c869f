"""The communication director's morning digest, as she reads it.

The real daemon (App: poll rounds, alerting ticks, outbox drains, aiosmtpd) runs
through a day and a night of mentions of "Banque Acmé" served by the local feed
server: one dispatch syndicated on 12 news sites, 40 ordinary articles, a forum
thread, App Store reviews with stars, and 5 critical articles sent at once.
At 08:30 (Paris) she gets one e-mail; the tests parse its MIME as her mail
client would.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.crisis_day import Article, appstore, phpbb, rss
from tests.e2e.digest_day import CRISIS, DIRECTOR, MORNING, START, Rounds, delivery, plain_of
from tests.servers.http import FeedServer, Resource
from tests.servers.smtp import SmtpServer
from watchtower.app import App

SITES = [
    "lemonde.example",
    "lefigaro.example",
    "liberation.example",
    "ouest-france.example",
    "sudouest.example",
    "ladepeche.example",
    "lavoixdunord.example",
    "leprogres.example",
    "ledauphine.example",
    "lesechos.example",
    "latribune.example",
    "capital.example",
]
DISPATCH = "Banque Acmé lance une offre de crédit immobilier à taux fixe pour les primo-accédants"
DISPATCH_TEXT = (
    "Banque Acmé annonce une nouvelle offre de crédit immobilier destinée aux "
    "primo-accédants, avec un taux fixe garanti et des frais de dossier offerts "
    "jusqu'à la fin de l'année, a indiqué la banque dans un communiqué."
)


class Night(Rounds):
    """The daemon's day and night, from :data:`START` to :data:`MORNING`."""

    def digest(self) -> EmailMessage:
        [mail] = self.digests()
        return mail


class _Text(HTMLParser):
    """What a reader sees of an HTML part (text, one line per block), and its tags."""

    BLOCKS = frozenset({"p", "div", "li", "tr", "h1", "h2", "h3", "br", "table", "ul"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def text(self) -> str:
        return re.sub(r"\n\s*\n+", "\n", "".join(self.parts)).strip()


def html_of(mail: EmailMessage) -> _Text:
    part = mail.get_body(("html",))
    assert isinstance(part, EmailMessage)
    parser = _Text()
    parser.feed(str(part.get_content()))
    return parser


def config(database_url: str, feeds: FeedServer, smtp: SmtpServer, lang: str) -> str:
    sources = "".join(
        f"""
[[sources]]
name = "{site.split(".")[0]}"
kind = "rss"
url = "{feeds.url(f"/{site}.rss")}"
allow_private = true
"""
        for site in SITES
    )
    return f"""
[watchtower]
database_url = "{database_url}"
language = "{lang}"
timezone = "Europe/Paris"
default_notify = ["{DIRECTOR}"]
{delivery(smtp)}
[[brands]]
name = "Banque Acmé"
terms = ["Banque Acmé"]
{sources}
[[sources]]
name = "presse-eco"
kind = "rss"
url = "{feeds.url("/presse-eco.rss")}"
allow_private = true

[[sources]]
name = "forum-conso"
preset = "phpbb"
base_url = "{feeds.url("/forum")}"
allow_private = true

[[sources]]
name = "app-store"
kind = "reviews"
url = "{feeds.url("/appstore/reviews.json")}"
allow_private = true

[[rules]]
name = "piratage"
query = "piratage"
severity = "critical"
notify = ["{DIRECTOR}"]

[[digests]]
targets = ["{DIRECTOR}"]
digest = "daily 08:30"
"""


def serve(feeds: FeedServer) -> None:
    at = START + timedelta(hours=2)
    for i, site in enumerate(SITES):
        article = Article(
            at + timedelta(minutes=i), site, "credit-immobilier", DISPATCH, DISPATCH_TEXT
        )
        feeds.resources[f"/{site}.rss"] = Resource(rss(site, [article]), "application/rss+xml")
    press = [
        Article(
            at + timedelta(minutes=30 + 10 * i),
            "zonebourse.example",
            f"acme-{i}",
            f"Banque Acmé : note n°{i} sur l'{['agence', 'épargne', 'assurance', 'bourse'][i % 4]}"
            f" {i}",
            f"Banque Acmé publie la note n°{i} de sa série consacrée à ses métiers ({i}).",
        )
        for i in range(40)
    ]
    press += [
        Article(
            at + timedelta(hours=8, minutes=i),
            "bfmtv.example",
            f"piratage-{i}",
            title,
            f"{title}. Banque Acmé enquête sur ce piratage.",
        )
        for i, title in enumerate(CRISIS)
    ]
    feeds.resources["/presse-eco.rss"] = Resource(rss("presse-eco", press), "application/rss+xml")
    posts = [
        (
            at + timedelta(hours=12, minutes=i),
            f"membre{i}",
            f"Avis sur Banque Acmé n°{i}",
            f"Que pensez-vous de Banque Acmé pour un compte joint ? Question {i}.",
        )
        for i in range(3)
    ]
    feeds.resources["/forum/feed.php"] = Resource(phpbb(posts), "application/atom+xml")
    reviews = [
        (
            at + timedelta(hours=14, minutes=i),
            f"client{i}",
            f"Avis {i}",
            f"Application Banque Acmé : mon avis numéro {i}.",
        )
        for i in range(3)
    ]
    feeds.resources["/appstore/reviews.json"] = Resource(appstore(reviews), "application/json")


@pytest.fixture
def night_for(
    database_url: str,
    feeds: FeedServer,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    polling_app: Callable[[Path, Clock], App],
) -> Callable[[str], Night]:
    def run(lang: str) -> Night:
        clock = Clock(now=START)
        serve(feeds)
        app = polling_app(write_config(config(database_url, feeds, smtp, lang)), clock)
        night = Night([app], clock, smtp)
        night.until(MORNING, every=timedelta(hours=3))  # a round every 3 hours, the last at 08:31
        return night

    return run


def test_the_directors_morning_digest(night_for: Callable[[str], Night]) -> None:
    night = night_for("fr")
    alerts = [m for m in night.smtp.messages if "CRITIQUE" in str(m["Subject"])]
    assert len(alerts) == 5  # the crises went out at once, during the day
    mail = night.digest()
    # At a glance: the count, the crises, the day (each morning's subject differs).
    subject = str(mail["Subject"])
    assert re.fullmatch(
        r"\[veille\] Résumé quotidien\xa0: \d+ mentions, 5 alertes critiques — 26 novembre", subject
    )
    text = plain_of(mail)
    lines = [line for line in text.splitlines() if line.strip()]
    # Her zone: yesterday's digest time to this one's, in Paris.
    assert lines[1].startswith("Du 25 novembre à 08:30 au 26 novembre à 08:3")
    # The crises first, each by its title and link, before any other story.
    crises = [i for i, line in enumerate(lines) if line.startswith("🚨 ") and "iratage" in line]
    assert len(crises) == 5
    stories = [i for i, line in enumerate(lines) if line.startswith("🔎 ")]
    assert max(crises) < min(stories)
    # The dispatch seen on 12 sites: one line, the first of the stories, with its reach.
    assert text.count(DISPATCH) == 1
    assert DISPATCH in lines[stories[0]] and "vu sur 12 sites" in lines[stories[0]]
    assert lines[stories[0] + 1].strip().startswith("https://www.")
    # 38 mentions, 20 stories shown: the rest is counted, mentions and stories.
    assert re.search(r"^… et \d+ de plus \(\d+ sujets\)", text, re.M)
    # The HTML says the same, with the chart inline (cid) and described.
    page = html_of(mail)
    seen = page.text()
    assert seen.index("Piratage") < seen.index(DISPATCH) < seen.index("note n°")
    [img] = [attrs for tag, attrs in page.tags if tag == "img"]
    assert img["src"] == "cid:chart@watchtower"
    assert str(img["alt"]).startswith("Mentions par marque\u00a0: Banque Acmé ")
    assert all(
        str(attrs.get("href", "")).startswith("https://") for tag, attrs in page.tags if tag == "a"
    )
    assert not any("google.com/url" in str(attrs.get("href")) for _, attrs in page.tags)


def test_the_morning_digest_in_english(night_for: Callable[[str], Night]) -> None:
    mail = night_for("en").digest()
    assert re.fullmatch(
        r"\[watchtower\] Daily digest: \d+ mentions, 5 critical alerts — November 26",
        str(mail["Subject"]),
    )
    text = plain_of(mail)
    assert "From November 25 at 08:30 to November 26 at 08:3" in text
    assert "seen on 12 sites" in text and "\u00a0" not in text
