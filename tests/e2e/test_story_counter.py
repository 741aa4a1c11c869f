"""The "👀 Vu sur N sites" counter counts a story's distinct sites, not items or edits."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from tests.e2e.scenario import targets
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.cli import main
from watchtower.storage.tables import StoryRow

TEXT = "La Banque Acmé annonce un crédit immobilier à taux zéro pour les primo-accédants."


def feed(*items: tuple[str, str]) -> Resource:
    """An RSS feed of (guid/link, description) items with the same title."""
    body = "".join(
        f"<item><title>Acmé lance un crédit à taux zéro</title><link>{link}</link>"
        f"<guid>{link}</guid><pubDate>Wed, 25 Nov 2026 09:00:00 +0000</pubDate>"
        f"<description>{text}</description></item>"
        for link, text in items
    )
    xml = f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{body}</channel></rss>'
    return Resource(xml.encode(), "application/rss+xml")


@pytest.fixture
def run_once(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[], None]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    sources = "".join(
        f'\n[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{feeds.url(f"/{name}.rss")}"\n'
        "allow_private = true\n"
        for name in ("presse", "blog")
    )
    path = write_config(
        targets(database_url, slack, smtp) + '\n[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
        f"{sources}"
    )
    feeds.resources["/blog.rss"] = feed()

    def run() -> None:
        assert main(["run", "--once", "--config", str(path)]) == 0

    return run


def _counters(slack: FakeSlack) -> list[int]:
    return [int(n) for n in re.findall(r"Vu sur (\d+) sites", str(slack.messages))]


def _sightings(database_url: str) -> list[int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(select(StoryRow.sightings)))
    finally:
        engine.dispose()


def test_edits_of_a_known_source_do_not_count_as_sources(
    run_once: Callable[[], None], feeds: FeedServer, slack: FakeSlack, database_url: str
) -> None:
    feeds.resources["/presse.rss"] = feed(("https://news.example.fr/credit", TEXT))
    run_once()
    feeds.resources["/blog.rss"] = feed(("https://blog.example.fr/credit", TEXT))
    run_once()
    assert _counters(slack) and max(_counters(slack)) == 2
    for edit in ("MISE À JOUR : ", "MISE À JOUR 2 : "):
        feeds.resources["/presse.rss"] = feed(("https://news.example.fr/credit", edit + TEXT))
        run_once()

    assert max(_counters(slack)) == 2
    assert _sightings(database_url) == [2]


def test_several_posts_of_one_source_are_one_source(
    run_once: Callable[[], None], feeds: FeedServer, database_url: str
) -> None:
    feeds.resources["/presse.rss"] = feed(
        *((f"https://forum.example.fr/t/{i}", TEXT) for i in range(4))
    )
    run_once()

    assert _sightings(database_url) == [1]
