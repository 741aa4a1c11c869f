"""A started daemon (its real poll and drain jobs) watching Acmé in one RSS source,
``/a.rss`` on the local feed server, every minute, and sending to the fake
Slack: the set-up of the tests where its database fails under it
(tests/e2e/test_database_file_lost.py, test_disk_full_hand_back.py).

Its clock is a test :class:`~tests.e2e.alerting_helpers.Clock`: nothing runs
but the jobs a test calls, and time moves only when the test moves it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.scenario import targets
from tests.e2e.test_disk_full import feed
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.config import load_config
from watchtower.scheduler import Daemon


def serve_posts(feeds: FeedServer, first: int, count: int) -> None:
    """``/a.rss`` lists ``count`` distinct posts about Acmé, from the ``first``-th on."""
    feeds.resources["/a.rss"] = Resource(feed(first, count), "application/rss+xml")


@contextmanager
def one_feed_daemon(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    watchtower: str = "",
) -> Iterator[Daemon]:
    """The started daemon on ``database_url`` (``watchtower`` adds TOML lines to
    its ``[watchtower]`` section); its App closed afterwards."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    config = targets(database_url, slack, smtp, watchtower)
    config += f"""
[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "a"
kind = "rss"
url = "{feeds.url("/a.rss")}"
every = "1m"
allow_private = true
"""
    app = App(load_config(write_config(config)), clock=Clock())
    app.start()
    try:
        yield Daemon(app)
    finally:
        app.close()
