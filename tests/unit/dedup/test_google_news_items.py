"""What a Google News entry's publisher gives its item besides its site: the
author (as a Google Alerts e-mail names an article's publication) and a title
without Google's `` - Le Monde`` in notifications."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchtower.adapters._feed import parse_feed
from watchtower.models import Item
from watchtower.pipeline.runner import shown_title

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
GOOGLE_NEWS = CORPUS / "rss" / "synthetic_google_news_search_fr.rss.xml"
LINK = "https://news.google.com/rss/articles/CBMiAU_yqLx?oc=5"


def rss(item: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>x</title>'
        f"{item}</channel></rss>"
    ).encode()


def test_the_publisher_is_the_author_of_a_google_news_item() -> None:
    items = parse_feed(GOOGLE_NEWS.read_bytes()).items
    assert [i.author for i in items] == ["Le Monde", "Le Figaro", "Ouest-France", "Les Echos"]


LE_MONDE = '<source url="https://www.lemonde.fr">Le Monde</source>'


@pytest.mark.parametrize(
    ("fields", "author"),
    [
        # A byline the entry gives is kept.
        ("<dc:creator>Marie Dupont</dc:creator>" + LE_MONDE, "Marie Dupont"),
        ("<author>redaction@lemonde.fr (La rédaction)</author>" + LE_MONDE, "La rédaction"),
        # The name is text, never markup.
        ('<source url="https://www.att.example">AT&amp;T &lt;b&gt;</source>', "AT&T <b>"),
        # No name, no author.
        ('<source url="https://www.lemonde.fr"></source>', None),
    ],
)  # fmt: skip
def test_a_byline_of_its_own_comes_first(fields: str, author: str | None) -> None:
    [item] = parse_feed(rss(f"<item><title>T</title><link>{LINK}</link>{fields}</item>")).items
    assert item.author == author


def test_another_feeds_source_is_no_author() -> None:
    """Discourse's <source> names the topic's feed: no publisher, no author."""
    topic = (
        "<item><title>KPop</title><link>https://forum.example/t/kpop/2144/26</link>"
        '<source url="https://forum.example/t/kpop/2144.rss">KPop</source></item>'
    )
    [item] = parse_feed(rss(topic)).items
    assert item.author is None


def _item(title: str, publisher: str | None) -> Item:
    extra = {"publisher": publisher} if publisher is not None else {}
    return Item(
        guid="g", url=LINK, title=title, published=datetime(2026, 11, 25, tzinfo=UTC), extra=extra
    )


@pytest.mark.parametrize(
    ("title", "publisher", "shown"),
    [
        ("Panne chez Acmé - Le Monde", "Le Monde", "Panne chez Acmé"),
        ("Acmé - Ouest-France - Ouest-France", "Ouest-France", "Acmé - Ouest-France"),
        # Only the publisher the entry names: a title's own dash stays.
        ("Acmé - le bilan", "Le Monde", "Acmé - le bilan"),
        ("Panne chez Acmé - Le Monde", "Le Figaro", "Panne chez Acmé - Le Monde"),
        ("Panne chez Acmé - Le Monde", None, "Panne chez Acmé - Le Monde"),
        # Nothing left: the title as it is; no suffix: not even its spaces cut.
        (" - Le Monde", "Le Monde", " - Le Monde"),
        ("Panne chez Acmé ", "Le Monde", "Panne chez Acmé "),
    ],
)  # fmt: skip
def test_the_title_shown_drops_googles_publisher_suffix(
    title: str, publisher: str | None, shown: str
) -> None:
    assert shown_title(_item(title, publisher)) == shown
