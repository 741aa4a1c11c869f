"""An IMAP source with OAuth 2.0 whose token request waited too long for other
fetches of the token server's site is put off, as a feed fetch is: not counted as
its failure, its token asked for at the next round.

Real parts on loopback: the fake token server and a feed server on the same host
(``127.0.0.1``: one site to the fetcher, one slot with ``per_host_concurrency =
1``), a feed there the test holds hung, SQLite; no IMAP server is needed: the
token comes first, and the mailbox's port is closed (a later, real failure).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.test_host_busy import Clock, due, release, rows, rss, wait_for_fetches  # noqa: F401
from tests.servers.http import FeedServer, answering_after
from tests.servers.oauth import CLIENT_ID, CLIENT_SECRET, OAuthServer
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters._oauth import OAuthApp, request_token
from watchtower.app import App
from watchtower.config import load_config
from watchtower.errors import TransientError
from watchtower.poll_deferral import WAITING, put_off_host
from watchtower.status_daemons import daemon_liveness
from watchtower.status_report import status_report
from watchtower.status_text import render_report

pytestmark = pytest.mark.timeout(90)

SECRET_ENV = "WT_TEST_PUT_OFF_SECRET"
MAILBOX = "veille-m365"


@pytest.fixture
def tokens() -> Iterator[OAuthServer]:
    server = OAuthServer().start()
    yield server
    server.stop()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config(database_url: str, feeds: FeedServer, tokens: OAuthServer) -> str:
    return f"""
[watchtower]
database_url = "{database_url}"
ops_notify = ["console:#ops"]
per_host_concurrency = 1
request_timeout = "30s"
poll_interval = "5s"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "lent"
kind = "rss"
url = "{feeds.url("/lent.rss")}"
every = "1h"
allow_private = true

[[sources]]
name = "{MAILBOX}"
kind = "imap"
host = "127.0.0.1"
port = {closed_port()}
username = "{tokens.mailbox}"
auth = "oauth2"
token_url = "{tokens.token_url}"
client_id = "{CLIENT_ID}"
client_secret_env = "{SECRET_ENV}"
scope = "https://outlook.office365.com/.default"
allow_private = true
every = "5m"
"""


@pytest.fixture
def app(
    database_url: str,
    write_config: Callable[[str], Path],
    feeds: FeedServer,
    tokens: OAuthServer,
    release: threading.Event,  # noqa: F811 (fixture) before the app: set before it closes
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[App, Clock]]:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    feeds.handlers["/lent.rss"] = answering_after(lambda: release.wait(60), rss("lent"))
    clock = Clock()
    app = App(load_config(write_config(config(database_url, feeds, tokens))), clock=clock)
    app.start()
    app.http.host_wait = 0.3  # shorter than the hung fetch's deadline: it keeps the slot
    yield app, clock
    release.set()
    app.close()


def test_a_token_request_behind_other_fetches_of_its_site_is_put_off(
    app: tuple[App, Clock],
    tokens: OAuthServer,
    release: threading.Event,  # noqa: F811 (the fixture)
) -> None:
    wt, clock = app
    due(wt, (MAILBOX,), clock.now + timedelta(hours=1))
    wt.poller.poll()  # the hung feed alone: it holds the site's one slot
    due(wt, (MAILBOX,), clock.now)
    for _ in range(6):  # more rounds than source_alert_after (5 by default)
        stats = wt.poller.poll()
        assert (stats.sources, stats.failed, stats.put_off) == (1, 0, 1)
    assert tokens.token_requests == []  # never asked: queued behind the hung feed
    row = rows(wt)[MAILBOX]
    assert (row["consecutive_failures"], row["last_error"]) == (0, None)
    assert row["last_warning"] == WAITING.format(host="127.0.0.1")
    assert row["next_check_at"] == clock.now  # due: the next round claims it

    release.set()  # the site is free: the token is asked for, the mailbox tried
    wait_for_fetches(wt)
    clock.now += timedelta(minutes=1)
    stats = wt.poller.poll()
    assert (stats.sources, stats.failed, stats.put_off) == (1, 1, 0)
    assert len(tokens.token_requests) == 1
    row = rows(wt)[MAILBOX]
    assert row["consecutive_failures"] == 1  # the closed port: its own failure
    assert row["last_warning"] is None
    with wt.db.session() as session:
        report = status_report(session, wt.loaded, clock.now)
    report["daemon"].update(daemon_liveness(None))
    assert "put off" not in render_report(report, clock.now)


def test_the_token_request_keeps_the_busy_site_error(
    feeds: FeedServer,
    tokens: OAuthServer,
    release: threading.Event,  # noqa: F811 (the fixture)
) -> None:
    """``request_token`` says the site was busy (``host_busy``, which the poll puts
    off), not that the token server is unreachable (a failure)."""
    arrived = threading.Event()

    def hang() -> None:
        arrived.set()
        release.wait(60)

    feeds.handlers["/lent.rss"] = answering_after(hang, rss("lent"))
    http = HttpFetcher(
        timeout=30.0,
        per_host=1,
        host_wait=0.3,
        politeness_delay=0.0,
        trusted_networks=["127.0.0.0/8"],
    )
    hung = threading.Thread(target=lambda: http.get(feeds.url("/lent.rss")), daemon=True)
    hung.start()
    assert arrived.wait(30)
    oauth = OAuthApp(
        token_url=tokens.token_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        refresh_token=None,
        scope="https://outlook.office365.com/.default",
        allow_private=True,
    )
    try:
        with pytest.raises(TransientError) as raised:
            request_token(oauth, http, Clock()())
        assert put_off_host(raised.value) == "127.0.0.1"
        assert tokens.token_requests == []
    finally:
        release.set()
        hung.join(30)
        http.close()
