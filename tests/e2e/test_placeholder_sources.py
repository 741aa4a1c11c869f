"""A config's placeholder sources (config.example.toml's, a domain reserved for
documentation) are never fetched: no lookup, no request, no failure nor "source
down" alert; the log says so once per source, ``status`` shows them as not
polled, and a source whose address is edited (a reload) is polled from then on.

A real poll against the local feed server; the name server is a stand-in (the
fetcher's ``resolver``) that records every name asked and resolves none, so
nothing here can reach the internet, even on a tree that would fetch them.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.servers.http import FeedServer, Resource
from watchtower.adapters._http import HttpFetcher
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.logs import KeyValueFormatter
from watchtower.storage.tables import SOURCES, OutboxRow

GOOGLE = "https://www.google.com/alerts/feeds/00000/11111"  # config.example.toml's
DOCS = "https://news.example.com/rss.xml"  # RFC 2606


class RecordingDNS:
    """Records each name asked; answers numeric addresses only (no query leaves)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        self.asked.append(host)
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)


def rss(title: str) -> bytes:
    item = f"<item><title>{title}</title><link>https://ex.fr/1</link></item>"
    return f'<rss version="2.0"><channel><title>t</title>{item}</channel></rss>'.encode()


def config(database_url: str, feeds: FeedServer, docs_url: str = DOCS) -> str:
    return f"""
[watchtower]
backlog = "all"
database_url = "{database_url}"
default_notify = ["console:"]
ops_notify = ["console:#ops"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "alertes-acme"
kind = "google_alerts"
url = "{GOOGLE}"

[[sources]]
name = "docs"
kind = "rss"
url = "{docs_url}"
allow_private = true

[[sources]]
name = "presse"
kind = "rss"
url = "{feeds.url("/presse.rss")}"
allow_private = true
"""


@pytest.fixture
def started(
    database_url: str, feeds: FeedServer, write_config: Callable[[str], Path]
) -> tuple[App, RecordingDNS, Path]:
    feeds.resources["/presse.rss"] = Resource(rss("Acmé dans la presse"))
    feeds.resources["/docs.rss"] = Resource(rss("Acmé dans un blog"))
    path = write_config(config(database_url, feeds))
    app = App(load_config(path))
    dns = RecordingDNS()
    app.http.close()
    app.http = HttpFetcher(timeout=2.0, resolver=dns)
    app.start()
    return app, dns, path


@pytest.mark.timeout(60)
def test_placeholders_are_not_fetched_nor_failing_and_the_log_says_so_once(
    started: tuple[App, RecordingDNS, Path],
    feeds: FeedServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, dns, _ = started
    caplog.set_level(logging.WARNING, logger="watchtower.poll")
    try:
        first = app.poller.poll(all_sources=True)
        second = app.poller.poll(all_sources=True)
        with app.db.session() as session:
            rows = {r.name: r for r in session.execute(select(SOURCES))}
            ops = session.execute(select(OutboxRow.target)).scalars().all()
    finally:
        app.close()
    assert (first.sources, first.ok, first.failed) == (1, 1, 0)
    assert (second.sources, second.failed) == (1, 0)
    assert set(dns.asked) == {"127.0.0.1"}  # the feed server alone: no other name asked
    assert feeds.statuses("/presse.rss")
    for name in ("alertes-acme", "docs"):  # kept in the database, never attempted
        assert rows[name].enabled and rows[name].last_attempt_at is None
        assert rows[name].consecutive_failures == 0 and rows[name].last_error is None
        assert not rows[name].alerting
    assert "console:#ops" not in ops  # no "source down" for a source never polled
    formatter = KeyValueFormatter()
    told = [formatter.format(r) for r in caplog.records if "not polled" in r.getMessage()]
    assert len(told) == 2, told  # once per source, not once per round
    assert any("source=alertes-acme reason=placeholder host=www.google.com" in t for t in told)
    assert any("source=docs reason=placeholder host=news.example.com" in t for t in told)
    assert all(" WARNING " in t for t in told), told


@pytest.mark.timeout(60)
def test_status_shows_placeholders_as_not_polled(
    started: tuple[App, RecordingDNS, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    app, _, path = started
    try:
        app.poller.poll(all_sources=True)
    finally:
        app.close()
    capsys.readouterr()
    assert main(["status", "--config", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    google = next(i for i, line in enumerate(out) if line.startswith("  alertes-acme "))
    assert "never checked" in out[google] and "next check -" in out[google]
    assert (
        out[google + 1]
        .strip()
        .startswith("not polled: its address is a placeholder (www.google.com)")
    )
    presse = next(i for i, line in enumerate(out) if line.startswith("  presse "))
    assert " ok " in out[presse] and "not polled" not in out[presse + 1]


@pytest.mark.timeout(60)
def test_a_placeholder_edited_to_a_real_address_is_polled_after_the_reload(
    started: tuple[App, RecordingDNS, Path],
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
) -> None:
    app, dns, _ = started
    try:
        app.poller.poll(all_sources=True)
        assert feeds.statuses("/docs.rss") == []
        app.reload(load_config(write_config(config(database_url, feeds, feeds.url("/docs.rss")))))
        stats = app.poller.poll()  # the daemon's round: only what is due
        with app.db.session() as session:
            rows = {r.name: r for r in session.execute(select(SOURCES))}
    finally:
        app.close()
    assert feeds.statuses("/docs.rss") == [200]
    assert stats.ok == 1 and rows["docs"].last_success_at is not None
    assert rows["alertes-acme"].last_attempt_at is None  # still a placeholder
    assert set(dns.asked) == {"127.0.0.1"}
