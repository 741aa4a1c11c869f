"""Sources whose name server hangs fail by the request deadline, naming their host,
and the other sources of the round are fetched: the hung lookups do not hold
the poll's workers (two here, as many as the hung sources).

A real poll against the local feed server; only the name server is a stand-in
(the fetcher's ``resolver``), hanging on the names of two sources.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.servers.http import FeedServer, Resource
from watchtower.adapters._http import HttpFetcher
from watchtower.app import App
from watchtower.config import load_config
from watchtower.storage.tables import SOURCES

HUNG = ("mort.example.fr", "lent.example.fr")
OTHERS = ("alerte-1", "alerte-2", "alerte-3")


class HangingDNS:
    """Hangs on :data:`HUNG` until :attr:`release`; reads addresses as numbers."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self, host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        if host in HUNG:
            self.release.wait(30)
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)


def rss(name: str) -> bytes:
    item = f"<item><title>Acmé dans {name}</title><link>https://ex.fr/{name}</link></item>"
    return f'<rss version="2.0"><channel><title>{name}</title>{item}</channel></rss>'.encode()


def config(database_url: str, feeds: FeedServer) -> str:
    port = feeds.httpd.server_address[1]
    urls = {host: f"http://{host}:{port}/hung.rss" for host in HUNG}
    urls.update({name: feeds.url(f"/{name}.rss") for name in OTHERS})
    sources = "".join(
        f'\n[[sources]]\nname = "{name}"\nkind = "rss"\nurl = "{url}"\nallow_private = true\n'
        for name, url in urls.items()
    )
    return f"""
[watchtower]
backlog = "all"
database_url = "{database_url}"
concurrency = 2
request_timeout = "1s"

[[brands]]
name = "Acmé"
terms = ["Acmé"]
{sources}"""


@pytest.fixture
def dns() -> Iterator[HangingDNS]:
    resolver = HangingDNS()
    yield resolver
    resolver.release.set()


@pytest.mark.timeout(60)
def test_hung_lookups_fail_by_the_deadline_and_the_round_goes_on(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    dns: HangingDNS,
) -> None:
    for name in OTHERS:
        feeds.resources[f"/{name}.rss"] = Resource(rss(name))
    app = App(load_config(write_config(config(database_url, feeds))))
    try:
        app.http.close()
        app.http = HttpFetcher(timeout=1.0, resolver=dns)
        app.start()
        began = time.monotonic()
        stats = app.poller.poll(all_sources=True)
        assert time.monotonic() - began < 10
        assert (stats.sources, stats.ok, stats.failed, stats.running) == (5, 3, 2, 0)
        with app.db.session() as session:
            rows = {r.name: r for r in session.execute(select(SOURCES))}
        for host in HUNG:
            assert rows[host].last_error == (f"the DNS lookup of {host} did not answer within 1s")
        for name in OTHERS:
            assert rows[name].last_error is None
            assert rows[name].last_success_at is not None
        assert sorted(feeds.statuses("/alerte-1.rss")) == [200]
        assert feeds.statuses("/hung.rss") == []
    finally:
        dns.release.set()
        app.close()
