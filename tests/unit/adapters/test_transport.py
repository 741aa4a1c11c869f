"""One connection pool per origin: connections are reused per origin, idle pools beyond
the limit are closed, and a pool with a request in flight is never closed under it."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters._net import GuardedBackend
from watchtower.adapters._transport import OriginPoolTransport

BODY = b"<rss><channel><title>t</title></channel></rss>" * 50


@pytest.fixture
def servers() -> Iterator[list[ScriptedServer]]:
    """Three local servers: three origins (same address, different ports)."""
    started = [ScriptedServer().start() for _ in range(3)]
    for srv in started:
        srv.routes["/feed.xml"] = reply(BODY)
    yield started
    for srv in started:
        srv.stop()


def client(max_origins: int) -> tuple[httpx.Client, OriginPoolTransport]:
    transport = OriginPoolTransport(
        GuardedBackend(allow_private=True), per_origin=2, max_origins=max_origins
    )
    return httpx.Client(transport=transport), transport


def connects_to(connections: list[tuple[str, int]], srv: ScriptedServer) -> int:
    return sum(1 for _, port in connections if port == srv.port)


def test_each_origin_keeps_its_connection_alive(
    servers: list[ScriptedServer], connections: list[tuple[str, int]]
) -> None:
    fetcher = HttpFetcher(politeness_delay=0.0, trusted_networks=["127.0.0.0/8"])
    try:
        for _ in range(3):
            for srv in servers[:2]:
                assert fetcher.get(srv.url("/feed.xml")).content == BODY
    finally:
        fetcher.close()
    assert [connects_to(connections, srv) for srv in servers[:2]] == [1, 1]


def test_the_least_recently_used_idle_pool_is_closed_beyond_the_limit(
    servers: list[ScriptedServer], connections: list[tuple[str, int]]
) -> None:
    http, transport = client(max_origins=2)
    with http:
        for srv in servers:
            assert http.get(srv.url("/feed.xml")).content == BODY
        assert transport.origins == 2
        # The first origin's pool was the one dropped: a new connection is made.
        assert http.get(servers[0].url("/feed.xml")).content == BODY
        # The third is still pooled: its connection is reused.
        assert http.get(servers[2].url("/feed.xml")).content == BODY
    assert [connects_to(connections, srv) for srv in servers] == [2, 1, 1]


def test_a_pool_with_a_request_in_flight_is_kept(servers: list[ScriptedServer]) -> None:
    http, transport = client(max_origins=1)
    with http:
        pending = http.send(http.build_request("GET", servers[0].url("/feed.xml")), stream=True)
        # Two other origins come and go while the first answer is still unread.
        for srv in servers[1:]:
            assert http.get(srv.url("/feed.xml")).content == BODY
        assert pending.read() == BODY
        pending.close()
        assert http.get(servers[1].url("/feed.xml")).content == BODY
        assert transport.origins == 1


def test_a_failed_request_does_not_pin_its_pool(servers: list[ScriptedServer]) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    http, transport = client(max_origins=1)
    with http:
        with pytest.raises(httpx.ConnectError):
            http.get(f"http://127.0.0.1:{dead}/feed.xml")
        assert http.get(servers[0].url("/feed.xml")).content == BODY
        assert transport.origins == 1  # the failed origin's pool could be closed
