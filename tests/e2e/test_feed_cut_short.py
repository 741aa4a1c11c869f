"""A feed served cut short, then whole: each article announced once, with its own link.

Found by ``scripts/soak.py``: the half-read last entry of a truncated feed (a
dropped connection, a half-written cache file served as 200) was announced with
a cut title and a cut or missing link; read whole at the next poll, the same
article came as another item and replied "Aussi vu sur" in its own thread.
Real parts on loopback: the feed server, the fake Slack Web API, SQLite and
PostgreSQL; the daemon's own poll and drain on an injected clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_syndicated_copies import poll, sources
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.app import App

WHOLE = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>S</title>'
    "<item><title>Acmé ferme trois agences dans le Nord</title>"
    "<link>https://nord.example/a/agences</link><guid>https://nord.example/a/agences</guid>"
    "<description>La banque Acmé ferme trois agences à Lille et Roubaix.</description></item>"
    "<item><title>Acmé relève ses tarifs de tenue de compte</title>"
    "<link>https://nord.example/a/tarifs</link><guid>https://nord.example/a/tarifs</guid>"
    "<description>Les frais de tenue de compte d'Acmé passent à 3 euros.</description></item>"
    "</channel></rss>"
).encode()


@pytest.mark.parametrize(
    "cut_at",
    [b"Acm\xc3\xa9 rel\xc3\xa8ve ses", b"https://nord.example/a/ta", b"Les frais de tenue"],
    ids=["in-title", "in-link", "in-body"],
)
def test_a_feed_cut_short_then_whole_announces_each_article_once(
    cut_at: bytes,
    app_for: Callable[[str], App],
    feeds: FeedServer,
    slack: FakeSlack,
    clock: Clock,
) -> None:
    cut = WHOLE[: WHOLE.index(cut_at) + len(cut_at)]
    feeds.resources["/nord"] = Resource(cut, "application/rss+xml")
    app = app_for(sources(feeds, nord="rss"))
    poll(app, clock)
    feeds.resources["/nord"] = Resource(WHOLE, "application/rss+xml")
    poll(app, clock)

    shown = [json.dumps(m.get("blocks"), ensure_ascii=False) for m in slack.messages]
    assert len(slack.posts()) == 2 and slack.replies() == [], shown
    assert ["/a/agences" in text for text in shown] == [True, False]
    assert ["/a/tarifs" in text for text in shown] == [False, True]
