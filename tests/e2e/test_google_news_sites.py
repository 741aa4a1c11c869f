"""A brand followed through a Google News search feed: each publisher is a site.

Google News links every entry through ``news.google.com/rss/articles/…`` and
names the publisher beside it (``<source url="https://www.lemonde.fr">``). A
story ten publishers carried used to be "Vu sur 1 site" with replies "Aussi vu
sur news.google.com"; the publisher's site is now the item's site in the
replies and the counter, stored with the item so that a restarted daemon (or
another replica) counts the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock, base_config, make_app
from tests.e2e.test_digest_quiet_days import START, Daemons, daemons, plain_of  # noqa: F401  (fixture)
from tests.e2e.test_syndicated_copies import TITLE as SYNDICATED_TITLE
from tests.e2e.test_syndicated_copies import counters, poll, reply_sites, sources
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.storage.tables import ItemRow, StoryRow

# The AFP dispatch of test_syndicated_copies, whose own-site feeds it joins.
TITLE = SYNDICATED_TITLE
PUBLISHERS = {
    "ouest-france": ("Ouest-France", "https://www.ouest-france.fr"),
    "lemonde": ("Le Monde", "https://www.lemonde.fr"),
    "lefigaro": ("Le Figaro", "https://www.lefigaro.fr"),
    "lesechos": ("Les Echos", "https://www.lesechos.fr"),
}


def google_news(
    *publishers: str, title: str = TITLE, published: datetime = datetime(2026, 3, 4, 9, 30)
) -> Resource:
    """A Google News search feed listing the AFP dispatch as each publisher
    carried it (Google's shape: the title ends with `` - <publisher>``, the
    description repeats it, the link is Google's own)."""
    entries = ""
    for key in publishers:
        name, url = PUBLISHERS[key]
        link = f"https://news.google.com/rss/articles/CBMi{key.replace('-', '')}X?oc=5"
        description = (
            f'<a href="{link}" target="_blank">{title}</a>&nbsp;&nbsp;'
            f'<font color="#6f6f6f">{name}</font>'
        )
        entries += (
            f"<item><title>{escape(title)} - {name}</title><link>{link}</link>"
            f'<guid isPermaLink="false">CBMi{key}</guid>'
            f"<pubDate>{published:%a, %d %b %Y %H:%M:%S} GMT</pubDate>"
            f"<description>{escape(description)}</description>"
            f'<source url="{url}">{name}</source></item>'
        )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        '<title>"Banque Acmé" - Google Actualités</title>'
        f"{entries}</channel></rss>"
    )
    return Resource(body.encode(), "application/rss+xml")


@pytest.fixture
def start(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[str], App]]:
    """``start(extra)``: a daemon on the base config plus ``extra``; stopped at the end."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    apps: list[App] = []

    def build(extra: str) -> App:
        app = make_app(write_config(base_config(database_url, slack, smtp, extra)), clock)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()  # again for a daemon a test stopped: closing twice is harmless


def top_and_replies(slack: FakeSlack) -> tuple[dict[str, Any], list[str]]:
    [top] = slack.posts()
    return top, reply_sites(slack, top)


def test_one_story_from_three_publishers_names_their_sites_and_counts_them(
    start: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    feeds.resources["/gnews"] = google_news("ouest-france", "lemonde", "lefigaro")
    app = start(sources(feeds, gnews="rss"))
    poll(app, clock)

    top, replies = top_and_replies(slack)
    assert replies == ["Aussi vu sur lemonde.fr", "Aussi vu sur lefigaro.fr"]
    assert counters(top)[-1:] == ["3 sites"]
    # The title as the publisher wrote it: Google's " - Ouest-France" is the site's name.
    assert TITLE in str(top["blocks"]) and "- Ouest-France" not in str(top["blocks"])
    with app.db.session() as session:
        assert list(session.scalars(select(StoryRow.sightings))) == [3]

    # A restart: the index and the counter are rebuilt from what is stored.
    app.close()
    feeds.resources["/gnews"] = google_news("ouest-france", "lemonde", "lefigaro", "lesechos")
    app = start(sources(feeds, gnews="rss"))
    poll(app, clock)

    top, replies = top_and_replies(slack)
    assert replies[2:] == ["Aussi vu sur lesechos.fr"]
    assert counters(top)[-1:] == ["4 sites"]
    with app.db.session() as session:
        assert list(session.scalars(select(StoryRow.sightings))) == [4]
        stored = session.execute(select(ItemRow.canonical_url, ItemRow.site).order_by(ItemRow.id))
        assert [(url.split("/")[2], site) for url, site in stored] == [
            ("news.google.com", "ouest-france.fr"),
            ("news.google.com", "lemonde.fr"),
            ("news.google.com", "lefigaro.fr"),
            ("news.google.com", "lesechos.fr"),
        ]


def test_a_publisher_republishing_its_article_is_one_site(
    start: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """Le Monde updates its article under a new address (a new Google News
    entry): "Republié sur lemonde.fr", found from the stored item's site, and no
    new site; Le Figaro's copy is one."""
    feeds.resources["/gnews"] = google_news("ouest-france", "lemonde")
    app = start(sources(feeds, gnews="rss"))
    poll(app, clock)
    updated = google_news("lemonde", title=TITLE + " mercredi").body.replace(
        b"CBMilemonde", b"CBMilemonde2"
    )
    feeds.resources["/gnews"] = Resource(
        google_news("ouest-france", "lemonde", "lefigaro").body.replace(
            b"</channel>",
            updated[updated.index(b"<item>") : updated.index(b"</channel>")] + b"</channel>",
        ),
        "application/rss+xml",
    )
    poll(app, clock)

    top, replies = top_and_replies(slack)
    assert replies == [
        "Aussi vu sur lemonde.fr",
        "Aussi vu sur lefigaro.fr",
        "Republié sur lemonde.fr (nouvelle adresse)",
    ]
    assert counters(top)[-1:] == ["3 sites"]


def test_a_google_news_entry_without_a_publisher_stays_at_its_source(
    start: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """A guard: no ``<source url>``, no site; the feed is the place, as before."""
    feed = google_news("lemonde", "lefigaro").body
    plain = feed.replace(b' url="https://www.lemonde.fr"', b"").replace(
        b' url="https://www.lefigaro.fr"', b""
    )
    feeds.resources["/gnews"] = Resource(plain, "application/rss+xml")
    app = start(sources(feeds, gnews="rss"))
    poll(app, clock)

    top, replies = top_and_replies(slack)
    assert replies == ["Republié sur gnews"]  # one place: the feed
    assert counters(top) == []


def test_the_digest_says_on_how_many_sites(
    daemons: Callable[..., Daemons],  # noqa: F811
    feeds: FeedServer,
) -> None:
    """The director's daily digest: the story three publishers carried, "vu sur 3 sites"."""
    feeds.resources["/presse-eco.rss"] = google_news()
    run = daemons()
    run.until(START + timedelta(hours=2))
    title = TITLE.replace("chez Acmé", "chez Banque Acmé")  # the digest config's brand
    published = run.clock.now.replace(tzinfo=None) - timedelta(minutes=5)
    feeds.resources["/presse-eco.rss"] = google_news(
        "ouest-france", "lemonde", "lefigaro", title=title, published=published
    )
    run.until(START + timedelta(days=1), every=timedelta(hours=3))

    [mail] = run.digests()
    [line] = [line for line in plain_of(mail).splitlines() if title in line]
    assert "vu sur 3 sites" in line


# ------------------------------------------- a headline and the site's own article
ARTICLE = "https://www.lemonde.fr/economie/article/2026/03/04/panne-acme_6123.html"
LEAD = (
    "Depuis ce mercredi matin, les clients d'Acmé ne peuvent plus se connecter à leur "
    "application ni payer par carte, et le service client est saturé. La banque évoque "
    "une panne d'un prestataire informatique et promet un retour à la normale dans la soirée."
)


def own_feed(*articles: tuple[str, str, str, str]) -> Resource:
    """The publisher's own RSS: ``(link, title, author, description)`` per article."""
    items = "".join(
        f"<item><title>{escape(title)}</title><link>{link}</link><guid>{link}</guid>"
        f"<dc:creator>{escape(author)}</dc:creator>"
        "<pubDate>Wed, 04 Mar 2026 09:12:00 GMT</pubDate>"
        f"<description>{escape(text)}</description></item>"
        for link, title, author, text in articles
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Le Monde - Économie</title>'
        f"{items}</channel></rss>"
    )
    return Resource(body.encode(), "application/rss+xml")


def stories_of(app: App) -> list[tuple[str, int | None]]:
    with app.db.session() as session:
        rows = session.execute(select(ItemRow.canonical_url, ItemRow.story_id).order_by(ItemRow.id))
        return [(url.split("/")[2], story) for url, story in rows]


@pytest.mark.parametrize("first", ["own", "gnews"])
def test_a_google_news_headline_and_the_publishers_own_article_are_one_alert(
    first: str, start: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """A brand followed through a Google News search and Le Monde's own feed: the
    headline (" - Le Monde", its text the title again) and the article (same
    title, a lead, a journalist's byline) are one article: one message, no
    reply, one site; whichever feed gives it first."""
    feeds.resources["/gnews"] = google_news()
    feeds.resources["/lemonde"] = own_feed()
    app = start(sources(feeds, gnews="rss", lemonde="rss"))
    poll(app, clock)
    gnews, own = google_news("lemonde"), own_feed((ARTICLE, TITLE, "Marie Dupont", LEAD))
    feeds.resources[f"/{'lemonde' if first == 'own' else 'gnews'}"] = (
        own if first == "own" else gnews
    )
    poll(app, clock)
    feeds.resources["/gnews"], feeds.resources["/lemonde"] = gnews, own
    poll(app, clock)

    top, replies = top_and_replies(slack)
    assert replies == []
    assert counters(top) == []
    [(_, one), (_, other)] = stories_of(app)
    assert one == other


def test_a_headline_pairs_with_one_article_of_its_title(
    start: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """A guard for two journalists on one site: Le Monde's article pairs with
    the headline; a second Le Monde article under the same title (another
    journalist's, another text) is another alert, as it is without the headline."""
    feeds.resources["/gnews"] = google_news("lemonde")
    feeds.resources["/lemonde"] = own_feed()
    app = start(sources(feeds, gnews="rss", lemonde="rss"))
    poll(app, clock)
    other_text = (
        "Le médiateur de la banque Acmé publie son rapport annuel : les réclamations sur "
        "les frais de tenue de compte ont doublé, notamment chez les jeunes clients."
    )
    feeds.resources["/lemonde"] = own_feed(
        (ARTICLE, TITLE, "Marie Dupont", LEAD),
        (ARTICLE.replace("6123", "6124"), TITLE, "Jean Martin", other_text),
    )
    poll(app, clock)

    assert len(slack.posts()) == 2
    [(_, headline), (_, article), (_, second)] = stories_of(app)
    assert headline == article != second


def test_a_short_headline_does_not_pair_by_title(
    start: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """A guard: "Communiqué de presse – Banque Acmé" recurs on one site; a title
    of fewer than five content words pairs nothing (two alerts, as before)."""
    title = "Communiqué de presse – Banque Acmé"
    feeds.resources["/gnews"] = google_news("lemonde", title=title)
    feeds.resources["/lemonde"] = own_feed()
    app = start(sources(feeds, gnews="rss", lemonde="rss"))
    poll(app, clock)
    feeds.resources["/lemonde"] = own_feed((ARTICLE, title, "Service presse", LEAD))
    poll(app, clock)

    assert len(slack.posts()) == 2


def test_a_headline_of_another_site_is_not_paired_by_title(
    start: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """A guard: the title pairs a headline only with its own publisher's article;
    Le Figaro's headline of the same title is a copy on another site (a reply)."""
    feeds.resources["/gnews"] = google_news()
    feeds.resources["/lemonde"] = own_feed((ARTICLE, TITLE, "Marie Dupont", LEAD))
    app = start(sources(feeds, gnews="rss", lemonde="rss"))
    poll(app, clock)
    feeds.resources["/gnews"] = google_news("lefigaro")
    poll(app, clock)

    posts = slack.posts()
    replies = [r["text"].split("\u00a0: ")[0] for p in posts for r in slack.replies(p["ts"])]
    assert "Republié sur lemonde.fr (nouvelle adresse)" not in replies
    stored = stories_of(app)
    assert len(stored) == 2


def test_a_headline_stored_before_a_restart_still_pairs_with_the_article(
    start: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """The headlines are read back from the database at start (the stored title
    still ends with " - Le Monde"; the publisher is its author)."""
    feeds.resources["/gnews"] = google_news("lemonde")
    feeds.resources["/lemonde"] = own_feed()
    app = start(sources(feeds, gnews="rss", lemonde="rss"))
    poll(app, clock)
    app.close()
    feeds.resources["/lemonde"] = own_feed((ARTICLE, TITLE, "Marie Dupont", LEAD))
    app = start(sources(feeds, gnews="rss", lemonde="rss"))
    poll(app, clock)

    _, replies = top_and_replies(slack)
    assert replies == []
    [(_, one), (_, other)] = stories_of(app)
    assert one == other
