"""Review of story deduplication as the Slack channel sees it (real SQLite, real pipeline).

Each test drives ``run_batch`` (``prepare`` → stories → match → route → outbox)
the way ``poll.py`` does, one source batch per poll, and asserts what a
marketing team expects in Slack: one top-level message per *story*
(outbox ``dedup_key = story:<id>``), later sightings as thread replies
(``story:<id>:item:<item>``). Two different complaints must never be one story.

Every test here reproduces a defect found in review (session 6). Boilerplate
shared by different items of one site (a forum signature, a review site's
title template) is held to the same-site bar, see ``docs/dedup.md`` and
``test_templates.py``.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from watchtower.adapters._feed import parse_feed
from watchtower.adapters.html import HtmlSettings, parse_html_list
from watchtower.app import App
from watchtower.config import Config, load_config
from watchtower.config_models import BrandConfig, SlackSection
from watchtower.models import Item
from watchtower.pipeline.dedup import StoryIndex
from watchtower.pipeline.match import Matcher
from watchtower.pipeline.runner import RunContext, run_batch
from watchtower.reload import Reloader
from watchtower.storage.db import Database
from watchtower.storage.tables import ItemRow, OutboxRow, SourceRow

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SOURCES = ("figaro", "20minutes", "forum", "avis", "gnews", "newsroom")
ACME = BrandConfig(name="Acmé", terms=["Acmé", "Banque Acmé"])

# An AFP dispatch as Le Figaro runs it (title + full text).
AFP = (
    "Des milliers de clients de la Banque Acmé n'ont pas pu payer par carte bancaire ni "
    "retirer d'espèces mardi matin, à la suite d'une panne informatique d'ampleur nationale, "
    "a indiqué la banque à l'AFP. Le dysfonctionnement, survenu vers 7 heures, touchait les "
    "paiements en magasin comme en ligne, ainsi que l'application mobile. « Nos équipes sont "
    "pleinement mobilisées pour rétablir le service au plus vite », a déclaré un porte-parole, "
    "sans préciser l'origine de l'incident. Sur les réseaux sociaux, de nombreux clients ont "
    "fait part de leur exaspération, certains affirmant avoir été bloqués en caisse. La banque, "
    "qui revendique 4 millions de clients, assure qu'aucune donnée n'a été compromise. Selon "
    "l'entreprise, un retour à la normale est attendu dans la journée. Il s'agit de la deuxième "
    "panne de ce type depuis le début de l'année."
)
FIGARO = Item(
    guid="figaro-1",
    url="https://www.lefigaro.fr/conso/banque-acme-panne-geante-20261124",
    title="Banque Acmé : une panne géante prive des milliers de clients de carte bancaire",
    text=AFP,
)


class Channel:
    """A database, the story index and a config, fed one source batch at a time."""

    def __init__(self, database_url: str) -> None:
        self.db = Database(database_url)
        self.db.upgrade()
        self.config = Config(slack=SlackSection(), brands=[ACME])
        self.matcher = Matcher(self.config.brands, self.config.rules)
        self.stories = StoryIndex(self.config.dedup.window, self.config.dedup.similarity)
        with self.db.session() as session:
            for name in SOURCES:
                session.add(
                    SourceRow(
                        name=name,
                        kind="rss",
                        url=f"https://{name}.example.fr/",
                        cursor={},
                        next_check_at=NOW,
                    )
                )

    def poll(self, source: str, items: Sequence[Item], now: datetime = NOW) -> None:
        with self.db.writing() as session:
            source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == source))
            assert source_id is not None
            ctx = RunContext(self.config, self.matcher, self.stories, session, now)
            run_batch(ctx, source_id, source, items)

    def story_of(self) -> dict[str, int | None]:
        with self.db.session() as session:
            return dict(session.execute(select(ItemRow.guid, ItemRow.story_id)).all())

    def top_level(self) -> list[str]:
        """Titles of the messages posted at the top of #veille (not thread replies)."""
        with self.db.session() as session:
            rows = session.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
            return [
                r.payload["title"]
                for r in rows
                if r.target == "slack:#veille" and ":" not in r.dedup_key.removeprefix("story:")
            ]


def _page(*entries: tuple[str, str, str, str]) -> str:
    """A list page: one ``<tag class=cls><a href=link>title</a></tag>`` per entry."""
    body = "".join(
        f'<{tag} class="{cls}"><a href="{link}">{title}</a></{tag}>\n'
        for tag, cls, link, title in entries
    )
    return f"<html><body>\n{body}</body></html>"


@pytest.fixture
def channel(database_url: str) -> Iterator[Channel]:
    world = Channel(database_url)
    yield world
    world.db.dispose()


# --------------------------------------------------------------------------------------
# 1. Same words at two different addresses: one story, and the second one is silent.


def test_two_customers_writing_the_same_short_review_are_two_alerts(channel: Channel) -> None:
    # A review site's feed: each review has its own page, the title is the site's template.
    first = Item(
        guid="avis-101",
        url="https://avis.example.fr/banque-acme/avis/101",
        title="Avis client Banque Acmé",
        text="Nul.",
    )
    second = Item(
        guid="avis-102",
        url="https://avis.example.fr/banque-acme/avis/102",
        title="Avis client Banque Acmé",
        text="Nul.",
    )
    channel.poll("avis", [first])
    channel.poll("avis", [second], NOW + timedelta(hours=2))

    stories = channel.story_of()
    assert stories["avis-101"] != stories["avis-102"]
    assert len(channel.top_level()) == 2


def test_two_press_releases_with_the_same_generic_title_are_two_alerts(channel: Channel) -> None:
    page = _page(
        ("div", "cp", "/presse/2026-11-24-resultats", "Communiqué de presse – Banque Acmé"),
        ("div", "cp", "/presse/2026-11-20-nomination", "Communiqué de presse – Banque Acmé"),
    )
    settings = HtmlSettings(
        name="newsroom", url="https://www.banque-acme.example.fr/presse", item="div.cp", title="a"
    )
    older, newer = reversed(parse_html_list(page, str(settings.url), settings))
    channel.poll("newsroom", [older])
    channel.poll("newsroom", [newer], NOW + timedelta(days=4))

    stories = channel.story_of()
    assert stories[older.guid] != stories[newer.guid]
    assert len(channel.top_level()) == 2


# --------------------------------------------------------------------------------------
# 2. Boilerplate (a forum signature, a review-site template) merges different complaints.

SIGNATURE = (
    "\n--\nClient Banque Acmé depuis 2009 (compte joint, Livret A, PEL). Mon blog conso : "
    "http://conso-vigilante.example.fr — Les avis exprimés n'engagent que moi."
)


def test_a_forum_signature_does_not_merge_complaints_from_two_threads(channel: Channel) -> None:
    card = Item(
        guid="post-101",
        url="https://forum.example.fr/threads/banque-acme-carte-bloquee.4711/post-101",
        title="Banque Acmé : carte bloquée",
        text="Ma carte est bloquée depuis lundi." + SIGNATURE,
    )
    fees = Item(
        guid="post-202",
        url="https://forum.example.fr/threads/banque-acme-frais-caches.4788/post-202",
        title="Banque Acmé : frais cachés",
        text="On m'a facturé 30 € de frais sans prévenir." + SIGNATURE,
    )
    channel.poll("forum", [card])
    channel.poll("forum", [fees], NOW + timedelta(hours=3))

    stories = channel.story_of()
    assert stories["post-101"] != stories["post-202"]
    assert channel.top_level() == [card.title, fees.title]


def test_a_review_title_template_does_not_merge_two_different_reviews(channel: Channel) -> None:
    template = (
        "Avis client Banque Acmé – agence de Lyon Part-Dieu – note 1 sur 5 – "
        "avis vérifié publié le {day} novembre 2026"
    )
    advisor = Item(
        guid="avis-881",
        url="https://avis.example.fr/avis/881",
        title=template.format(day=20),
        text="Conseiller injoignable depuis trois semaines, aucune réponse à mes mails.",
    )
    transfer = Item(
        guid="avis-882",
        url="https://avis.example.fr/avis/882",
        title=template.format(day=21),
        text="Virement bloqué sans explication, je change de banque.",
    )
    channel.poll("avis", [advisor, transfer])

    stories = channel.story_of()
    assert stories["avis-881"] != stories["avis-882"]
    assert len(channel.top_level()) == 2


# --------------------------------------------------------------------------------------
# 3. Headline-only items whose text repeats the title (Google News RSS, kind = "html").


def _google_news_item(n: int, title: str, outlet: str) -> str:
    link = f"https://news.google.com/rss/articles/CBMi{n}QWNtZVBhbm5lR2VhbnRl?oc=5"
    return (
        f"<item><title>{title} - {outlet}</title><link>{link}</link>"
        f'<guid isPermaLink="false">CBMi{n}QWNtZVBhbm5lR2VhbnRl</guid>'
        f"<pubDate>Tue, 24 Nov 2026 0{n}:00:00 GMT</pubDate>"
        f'<description>&lt;a href="{link}" target="_blank"&gt;{title}&lt;/a&gt;'
        f'&amp;nbsp;&amp;nbsp;&lt;font color="#6f6f6f"&gt;{outlet}&lt;/font&gt;</description>'
        f"</item>"
    )


def test_google_news_headlines_about_two_stories_are_two_alerts(channel: Channel) -> None:
    feed = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        '<title>"Banque Acmé" - Google Actualités</title>'
        "<link>https://news.google.com/search?q=Banque+Acm%C3%A9</link>"
        + _google_news_item(1, "Banque Acmé condamnée pour frais abusifs", "Ouest-France")
        + _google_news_item(2, "Banque Acmé : de nouveaux frais en 2027", "Ouest-France")
        + "</channel></rss>"
    ).encode()
    verdict, fees = parse_feed(
        feed, url="https://news.google.com/rss/search?q=Banque+Acm%C3%A9"
    ).items
    channel.poll("gnews", [verdict])
    channel.poll("gnews", [fees], NOW + timedelta(hours=1))

    stories = channel.story_of()
    assert stories[verdict.guid] != stories[fees.guid]
    assert len(channel.top_level()) == 2


def test_outage_and_its_repair_on_a_headline_page_are_two_alerts(channel: Channel) -> None:
    page = _page(
        (
            "article",
            "news",
            "/actu/2026/11/24/banque-acme-panne-reparee",
            "Banque Acmé : panne réparée",
        ),
        (
            "article",
            "news",
            "/actu/2026/11/24/banque-acme-panne-geante",
            "Banque Acmé : panne géante",
        ),
    )
    settings = HtmlSettings(
        name="newsroom",
        url="https://www.actu-conso.example.fr/actualites",
        item="article.news",
        title="a",
    )
    repaired, outage = parse_html_list(page, str(settings.url), settings)
    channel.poll("newsroom", [outage])
    channel.poll("newsroom", [repaired], NOW + timedelta(hours=9))

    assert channel.top_level() == ["Banque Acmé : panne géante", "Banque Acmé : panne réparée"]


# --------------------------------------------------------------------------------------
# 4. Containment over the shorter text: a short post swallows a long article.


def test_a_short_forum_question_does_not_swallow_the_press_story(channel: Channel) -> None:
    question = Item(
        guid="post-4790",
        url="https://forum.example.fr/threads/banque-acme-frais-carte.4790/",
        title="Banque Acmé : des frais pour payer par carte ?",
        text=(
            "Des clients de la Banque Acmé ont vu des frais sur leurs paiements par carte "
            "bancaire en magasin. Vous aussi ?"
        ),
    )
    channel.poll("forum", [question])
    channel.poll("figaro", [FIGARO], NOW + timedelta(hours=1))

    stories = channel.story_of()
    assert stories["post-4790"] != stories["figaro-1"]
    assert channel.top_level() == [question.title, FIGARO.title]


# --------------------------------------------------------------------------------------
# 5. [dedup] settings edited under a running daemon.


def _config(database_url: str, similarity: float) -> str:
    return f"""
[watchtower]
database_url = "{database_url}"

[slack]
default_channel = "#veille"

[dedup]
similarity = {similarity}

[[brands]]
name = "Acmé"
terms = ["Acmé", "Banque Acmé"]

[[sources]]
name = "figaro"
kind = "rss"
url = "https://www.lefigaro.fr/rss/figaro_economie.xml"

[[sources]]
name = "20minutes"
kind = "rss"
url = "https://www.20minutes.fr/feeds/rss-economie.xml"
"""


def test_a_reloaded_dedup_similarity_applies_to_the_next_poll(
    tmp_path: Path, write_config: Callable[[str, str], Path]
) -> None:
    database_url = f"sqlite:///{tmp_path / 'wt.db'}"
    # Too strict at first: 20 Minutes' copy of the dispatch (another title) was a new alert.
    path = write_config(_config(database_url, 1.0), "watchtower.toml")
    app = App(load_config(path), console=io.StringIO())
    try:
        app.start()
        reloader = Reloader(app)
        path.write_text(_config(database_url, 0.6), "utf-8")  # marketing fixes it
        assert reloader.reload() is True
        assert app.loaded.config.dedup.similarity == 0.6

        copy = Item(
            guid="20min-1",
            url="https://www.20minutes.fr/economie/4123456-20261124-banque-acme-panne",
            title="VIDÉO. Panne géante chez Banque Acmé : impossible de payer par carte",
            text=AFP,
        )
        for source, item in (("figaro", FIGARO), ("20minutes", copy)):
            with app.db.writing() as session:
                source_id = session.scalar(select(SourceRow.id).where(SourceRow.name == source))
                assert source_id is not None
                ctx = RunContext(app.loaded.config, app.matcher, app.stories, session, NOW)
                run_batch(ctx, source_id, source, [item])
        with app.db.session() as session:
            story_of = dict(session.execute(select(ItemRow.guid, ItemRow.story_id)).all())
        assert story_of["figaro-1"] == story_of["20min-1"]
    finally:
        app.close()


# --------------------------------------------------------------------------------------
# 5. Another source listing the story's very address says nothing new.


def _replies(channel: Channel) -> list[str]:
    with channel.db.session() as session:
        keys = session.scalars(select(OutboxRow.dedup_key).order_by(OutboxRow.id)).all()
    return [key for key in keys if ":item:" in key]


def test_another_source_with_the_same_address_is_no_thread_reply(channel: Channel) -> None:
    """Google Alerts finding the Figaro article the Figaro feed gave: "Aussi vu sur
    lefigaro.fr" under the Figaro message would say nothing. A copy on another
    site still gets its reply."""
    channel.poll("figaro", [FIGARO])
    alert = Item(
        guid="gnews-1",
        url=FIGARO.url + "?utm_source=google_alerts",
        title="Banque Acmé : une panne géante prive des milliers de clients",
        text="Des milliers de clients de la Banque Acmé n'ont pas pu payer par carte…",
    )
    channel.poll("gnews", [alert], NOW + timedelta(minutes=5))
    stories = channel.story_of()
    assert stories["gnews-1"] == stories["figaro-1"]
    assert _replies(channel) == []

    copy = Item(
        guid="20min-1",
        url="https://www.20minutes.fr/economie/banque-acme-panne",
        title="Panne géante chez Banque Acmé",
        text=AFP,
    )
    channel.poll("20minutes", [copy], NOW + timedelta(minutes=10))
    assert channel.story_of()["20min-1"] == stories["figaro-1"]
    assert len(_replies(channel)) == 1
