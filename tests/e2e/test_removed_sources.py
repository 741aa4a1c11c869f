"""A source removed from the config is forgotten once retention has passed.

``sync_sources`` only disables a removed source's row, and retention keeps the
items of a source's last listing however old (pruning them would make its next
poll notify them again): ``watchtower status`` listed every source ever removed,
a year of config changes later. The daemon's cleanup now deletes a removed
source last polled before the retention cut-off, with its items; brought back
later, its first poll is its backlog again, not news.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import ROOT
from tests.e2e.alerting_helpers import Clock, make_app
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.config import load_config
from watchtower.storage.tables import ItemRow, SourceRow

# b3 is published during the test (the clock starts on 4 March 2026); the others
# long before: a first poll records them as its backlog, without a notification.
PUBLISHED = {"b3": "Wed, 04 Mar 2026 10:30:00 +0000"}
LONG_AGO = "Thu, 01 Jan 2026 08:00:00 +0000"


def rss(*guids: str) -> Resource:
    entries = "".join(
        f"<item><title>Billet {guid}</title><link>https://blog.example.fr/{guid}</link>"
        f"<guid>{guid}</guid><pubDate>{PUBLISHED.get(guid, LONG_AGO)}</pubDate>"
        f"<description>Acmé, billet {guid}.</description></item>"
        for guid in guids
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Blog</title><link>https://blog.example.fr/</link>{entries}</channel></rss>"
    )
    return Resource(body.encode(), "application/rss+xml")


@pytest.fixture
def configs(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[..., Path],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Path, Path]]:
    """The config with the client's blog, and the same without it."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    head = f"""
[watchtower]
database_url = "{database_url}"
retention = "90d"

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "presse"
kind = "rss"
url = "{feeds.url("/presse.xml")}"
allow_private = true
"""
    blog = f"""
[[sources]]
name = "blog-client"
kind = "rss"
url = "{feeds.url("/blog.xml")}"
allow_private = true
"""
    feeds.resources["/presse.xml"] = rss("p1")
    feeds.resources["/blog.xml"] = rss("b1", "b2")
    yield write_config(head + blog, "with-blog.toml"), write_config(head, "without-blog.toml")


def status(config: Path) -> list[str]:
    """The lines of ``watchtower status`` that name the client's blog."""
    shown = subprocess.run(
        [sys.executable, "-m", "watchtower", "status", "--config", str(config)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "presse" in shown.stdout, shown.stdout + shown.stderr
    return [line for line in shown.stdout.splitlines() if "blog-client" in line]


def poll(app: App) -> None:
    app.poller.poll(all_sources=True)
    app.outbox.drain()


def stored(app: App) -> tuple[list[str], list[str]]:
    with app.db.session() as session:
        return (
            sorted(session.scalars(select(SourceRow.name))),
            sorted(session.scalars(select(ItemRow.guid))),
        )


def test_a_removed_source_is_forgotten_after_retention_and_comes_back_as_new(
    configs: tuple[Path, Path], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    with_blog, without_blog = configs
    app = make_app(with_blog, clock)
    try:
        poll(app)  # both first polls: their backlog, recorded, not notified
        feeds.resources["/blog.xml"] = rss("b3", "b1", "b2")
        clock.advance(hours=1)
        poll(app)
        assert [m["text"] for m in slack.messages] == [
            "🔎 Mention\xa0: Billet b3 https://blog.example.fr/b3"
        ]

        app.reload(load_config(without_blog))
        clock.advance(days=60)
        poll(app)
        app.cleanup()  # removed 60 days ago: kept (a replica may still poll it)
        assert len(status(without_blog)) == 1
        assert stored(app) == (["blog-client", "presse"], ["b1", "b2", "b3", "p1"])

        clock.advance(days=40)
        poll(app)
        app.cleanup()
        assert stored(app) == (["presse"], ["p1"])
        assert status(without_blog) == []

        app.reload(load_config(with_blog))  # the client is back, its blog unchanged
        clock.advance(hours=1)
        poll(app)
        app.outbox.drain()
        assert len(slack.messages) == 1  # its listing is its backlog: nothing told again
        assert stored(app) == (["blog-client", "presse"], ["b1", "b2", "b3", "p1"])
    finally:
        app.close()
