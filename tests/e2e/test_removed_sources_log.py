"""The retention cleanup's log line counts the removed sources it forgot, and
names them (the first few: a config change may remove hundreds), as it counts
notifications and items: an operator reading "cleanup" learns why ``status``
no longer lists a source. Its items are not counted as pruned items (they went
with their source). The real app on a real database, the local feed server."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, make_app
from tests.e2e.test_removed_sources import rss
from tests.servers.http import FeedServer
from watchtower.config import load_config
from watchtower.logs import KeyValueFormatter

HEAD = """
[watchtower]
database_url = "{url}"
retention = "90d"
default_notify = ["console:"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]
"""
SOURCE = """
[[sources]]
name = "{name}"
kind = "rss"
url = "{url}"
allow_private = true
"""


def cleanup_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = KeyValueFormatter(journal=True)
    return [
        formatter.format(record).partition(" ")[2]  # without its priority and level
        for record in caplog.records
        if record.getMessage() == "cleanup"
    ]


def test_the_cleanup_line_counts_and_names_the_sources_forgotten(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[..., Path],
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    feeds.resources["/presse.xml"] = rss("p1")
    feeds.resources["/blog.xml"] = rss("b1", "b2")
    head = HEAD.format(url=database_url) + SOURCE.format(
        name="presse", url=feeds.url("/presse.xml")
    )
    blogs = [f"blog-{n:02}" for n in range(1, 13)]
    removed = "".join(SOURCE.format(name=name, url=feeds.url("/blog.xml")) for name in blogs)
    with_blogs = write_config(head + removed, "with-blogs.toml")
    without_blogs = write_config(head, "without-blogs.toml")
    app = make_app(with_blogs, clock)
    try:
        app.poller.poll(all_sources=True)
        app.reload(load_config(without_blogs))
        clock.advance(days=100)
        app.poller.poll(all_sources=True)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="watchtower.app"):
            assert app.cleanup() == (0, 0)  # p1 still listed; the blogs' items went with them
        shown = ", ".join(blogs[:10])
        assert cleanup_lines(caplog) == [
            "watchtower.app cleanup notifications=0 items=0 sources_forgotten=12"
            f' forgotten="{shown} (+2 more)"'
        ]

        caplog.clear()
        with caplog.at_level(logging.INFO, logger="watchtower.app"):
            assert app.cleanup() == (0, 0)
        assert cleanup_lines(caplog) == []  # nothing went: no line
    finally:
        app.close()
