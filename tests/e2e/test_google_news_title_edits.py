"""A Google News headline and the publisher's own article when their titles are
not quite one: Google cut the headline ("…"), or the site edited its title
after Google listed it (a word changed, a site's name appended); and a headline
and its article listed by one source in one batch, in either order.

Each pairing case asserts one alert (one Slack message, no reply); each guard
two. The exact-title cases are in ``test_google_news_sites.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_google_news_sites import google_news, own_feed, start, stories_of  # noqa: F401
from tests.e2e.test_syndicated_copies import poll, sources
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.app import App

ARTICLE = "https://www.lemonde.fr/economie/article/2026/03/04/acme-rappel_6125.html"
LEAD = (
    "Le constructeur Acmé rappelle 10 000 véhicules en France après plusieurs départs de "
    "feu signalés sur des modèles diesel. Les propriétaires seront contactés par courrier "
    "et la réparation, gratuite, prendra environ deux heures en concession."
)
RECALL = "Acmé rappelle 10 000 voitures après une série d'incidents sur l'autoroute A7"
CUT = "Acmé rappelle 10 000 voitures après une série d'incidents sur …"
PANNE = "Panne géante chez Acmé : des milliers de clients privés de leurs comptes"
EDITED = PANNE.replace("géante", "massive") + " | Le Monde"  # a word and the site's name
OTHER_LEAD = (
    "Les salariés du site de Lyon ont voté la grève reconductible ; la direction "
    "d'Acmé propose une prime exceptionnelle et une nouvelle réunion lundi prochain."
)


def alerts(slack: FakeSlack) -> tuple[int, int]:
    """(messages, thread replies) posted."""
    posts = slack.posts()
    return len(posts), sum(len(slack.replies(p["ts"])) for p in posts)


def two_feeds(
    app_of: Callable[[str], App],
    feeds: FeedServer,
    clock: Clock,
    headline: str,
    article: str,
    *,
    first: str = "gnews",
    text: str = LEAD,
) -> App:
    """The headline (Google News, Le Monde) and the article (Le Monde's own feed),
    ``first`` polled first, then both."""
    feeds.resources["/gnews"] = google_news()
    feeds.resources["/lemonde"] = own_feed()
    app = app_of(sources(feeds, gnews="rss", lemonde="rss"))
    poll(app, clock)
    gnews = google_news("lemonde", title=headline)
    own = own_feed((ARTICLE, article, "Marie Dupont", text))
    feeds.resources[f"/{first}"] = gnews if first == "gnews" else own
    poll(app, clock)
    feeds.resources["/gnews"], feeds.resources["/lemonde"] = gnews, own
    poll(app, clock)
    return app


@pytest.mark.parametrize("first", ["gnews", "lemonde"])
@pytest.mark.parametrize(
    ("headline", "article"),
    [
        (CUT, RECALL),  # Google cut the headline after "sur"
        (CUT.replace(" …", "..."), RECALL),  # "..." glued to a word Google kept whole
        (RECALL.replace("l'autoroute A7", "l'autor…"), RECALL),  # a word cut in two
        (PANNE, PANNE.replace("des milliers", "des centaines de milliers")),  # a word added
        (PANNE, PANNE.replace("géante", "massive")),  # a word changed
        (PANNE, PANNE + " | Le Monde"),  # the site's name after its title
    ],
)  # fmt: skip
def test_a_cut_or_edited_headline_and_the_article_are_one_alert(
    headline: str,
    article: str,
    first: str,
    start: Callable[[str], App],  # noqa: F811
    feeds: FeedServer,
    slack: FakeSlack,
    clock: Clock,
) -> None:
    app = two_feeds(start, feeds, clock, headline, article, first=first)

    assert alerts(slack) == (1, 0)
    [(_, one), (_, other)] = stories_of(app)
    assert one == other


@pytest.mark.parametrize(
    ("headline", "article"),
    [
        # "Grève chez Acmé : la direction" begins many titles of the site.
        ("Grève chez Acmé : la direction …", "Grève chez Acmé : la direction propose une prime"),
        # Six kept words, but under half of a long title: another story.
        (
            "Grève chez Acmé : les syndicats appellent les salariés …",
            "Grève chez Acmé : les syndicats appellent les salariés de Lyon, Lille, Nantes, "
            "Rennes, Brest et Toulouse à cesser le travail",
        ),
        # One word apart, but that word tells an article of a series from the next.
        (
            "Grève chez Acmé : trafic des navettes très perturbé jeudi en Île-de-France",
            "Grève chez Acmé : trafic des navettes très perturbé vendredi en Île-de-France",
        ),
        (
            "Grève chez Acmé : 300 navettes supprimées sur les lignes de Lyon et Lille",
            "Grève chez Acmé : 500 navettes supprimées sur les lignes de Lyon et Lille",
        ),
        # Two words apart.
        (
            "Grève chez Acmé : les navettes de Lyon supprimées toute la semaine",
            "Grève chez Acmé : les navettes de Lille réduites toute la semaine",
        ),
    ],
)  # fmt: skip
def test_a_headline_and_an_article_whose_titles_only_look_alike_are_two_alerts(
    headline: str,
    article: str,
    start: Callable[[str], App],  # noqa: F811
    feeds: FeedServer,
    slack: FakeSlack,
    clock: Clock,
) -> None:
    app = two_feeds(start, feeds, clock, headline, article, text=OTHER_LEAD)

    assert alerts(slack)[0] == 2
    [(_, one), (_, other)] = stories_of(app)
    assert one != other


def test_a_cut_headline_starting_two_stories_pairs_with_neither(
    start: Callable[[str], App],  # noqa: F811
    feeds: FeedServer,
    slack: FakeSlack,
    clock: Clock,
) -> None:
    """Le Monde's two articles whose titles start with the words Google kept:
    which one the headline is cannot be told, so it is an alert of its own."""
    feeds.resources["/gnews"] = google_news()
    feeds.resources["/lemonde"] = own_feed(
        (ARTICLE, RECALL, "Marie Dupont", LEAD),
        (
            ARTICLE.replace("6125", "6126"),
            "Acmé rappelle 10 000 voitures après une série d'incidents sur ses moteurs",
            "Jean Martin",
            OTHER_LEAD,
        ),
    )
    app = start(sources(feeds, gnews="rss", lemonde="rss"))
    poll(app, clock)
    feeds.resources["/gnews"] = google_news("lemonde", title=CUT)
    poll(app, clock)

    assert alerts(slack)[0] == 3
    assert len({story for _, story in stories_of(app)}) == 3


def test_an_edited_title_pairs_with_a_headline_stored_before_a_restart(
    start: Callable[[str], App],  # noqa: F811
    feeds: FeedServer,
    slack: FakeSlack,
    clock: Clock,
) -> None:
    """Cut and edited headlines are read back from the database at start."""
    feeds.resources["/gnews"] = Resource(
        google_news("lemonde", title=CUT).body.replace(
            b"</channel>",
            _items(google_news("lemonde", title=PANNE).body.replace(b"CBMilemonde", b"CBMi2"))
            + b"</channel>",
        ),
        "application/rss+xml",
    )
    feeds.resources["/lemonde"] = own_feed()
    app = start(sources(feeds, gnews="rss", lemonde="rss"))
    poll(app, clock)
    app.close()
    feeds.resources["/lemonde"] = own_feed(
        (ARTICLE, RECALL, "Marie Dupont", LEAD),
        (ARTICLE.replace("6125", "6127"), EDITED, "Jean Martin", OTHER_LEAD),
    )
    app = start(sources(feeds, gnews="rss", lemonde="rss"))
    poll(app, clock)

    assert alerts(slack) == (2, 0)
    assert len({story for _, story in stories_of(app)}) == 2


def _items(feed: bytes) -> bytes:
    return feed[feed.index(b"<item>") : feed.index(b"</channel>")]


@pytest.mark.parametrize("headline", [RECALL, CUT])
@pytest.mark.parametrize("order", ["headline first", "article first"])
def test_a_headline_and_its_article_in_one_batch_are_one_alert_in_either_order(
    order: str,
    headline: str,
    start: Callable[[str], App],  # noqa: F811
    feeds: FeedServer,
    slack: FakeSlack,
    clock: Clock,
) -> None:
    """One source (an aggregated feed) listing Google's headline and Le Monde's
    article in one poll: one alert, whichever it lists first."""
    gnews = _items(google_news("lemonde", title=headline).body)
    own_body = own_feed((ARTICLE, RECALL, "Marie Dupont", LEAD)).body
    own = _items(own_body)
    both = gnews + own if order == "headline first" else own + gnews
    feeds.resources["/veille"] = Resource(own_body.replace(own, both), "application/rss+xml")
    app = start(sources(feeds, veille="rss"))
    poll(app, clock)

    assert alerts(slack) == (1, 0)
    [(_, one), (_, other)] = stories_of(app)
    assert one == other


def test_two_stories_of_a_batch_each_with_its_headline_stay_two(
    start: Callable[[str], App],  # noqa: F811
    feeds: FeedServer,
    slack: FakeSlack,
    clock: Clock,
) -> None:
    """A guard for the batch's headlines: each article pairs with its own."""
    gnews = _items(google_news("lemonde", title=CUT).body) + _items(
        google_news("lemonde", title=PANNE).body.replace(b"CBMilemonde", b"CBMi2")
    )
    own_body = own_feed(
        (ARTICLE, RECALL, "Marie Dupont", LEAD),
        (ARTICLE.replace("6125", "6127"), PANNE, "Jean Martin", OTHER_LEAD),
    ).body
    own = _items(own_body)
    feeds.resources["/veille"] = Resource(own_body.replace(own, gnews + own), "application/rss+xml")
    app = start(sources(feeds, veille="rss"))
    poll(app, clock)

    assert alerts(slack) == (2, 0)
    [(_, cut), (_, panne), (_, recall), (_, article)] = stories_of(app)
    assert (cut, panne) == (recall, article) and cut != panne
