"""A host name lookup ends by the fetch's deadline, and stuck lookups are capped.

Name resolution is the one thing outside this machine: the tests give the
fetcher a resolver that hangs (on an Event) for some names, through its
``resolver`` seam, and answer the others as the real resolver does.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters._resolve import Lookups
from watchtower.errors import TransientError

pytestmark = pytest.mark.timeout(30)


class HangingDNS:
    """Hangs on the names in ``hung`` until :attr:`release` is set; answers the
    others locally (IP addresses, ``localhost``) and counts every question."""

    def __init__(self, *hung: str) -> None:
        self.hung = set(hung)
        self.release = threading.Event()
        self.asked: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            self.asked.append(host)
        if host in self.hung:
            self.release.wait(20)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)


@pytest.fixture
def dns() -> Iterator[HangingDNS]:
    resolver = HangingDNS("mort.example.fr", "lent.example.fr", "muet.example.fr")
    yield resolver
    resolver.release.set()  # no lookup thread outlives the test


def test_a_hung_lookup_fails_within_its_timeout_naming_the_host(dns: HangingDNS) -> None:
    lookups = Lookups(dns)
    began = time.monotonic()
    with pytest.raises(TransientError) as raised:
        lookups.resolve("mort.example.fr", 443, 0.3)
    assert 0.3 <= time.monotonic() - began < 2.0
    assert raised.value.code == "dns_timeout"
    assert raised.value.message == "the DNS lookup of mort.example.fr did not answer within 0.3s"
    assert "mort.example.fr" in raised.value.sentence("fr")


def test_stuck_lookups_are_capped_and_one_name_keeps_one_thread(dns: HangingDNS) -> None:
    lookups = Lookups(dns, limit=2)
    for host in ("mort.example.fr", "lent.example.fr", "mort.example.fr"):
        with pytest.raises(TransientError, match="did not answer"):
            lookups.resolve(host, 443, 0.1)
    # The second fetch of mort.example.fr waited for the lookup already running.
    assert sorted(dns.asked) == ["lent.example.fr", "mort.example.fr"]
    assert lookups.running == 2

    began = time.monotonic()
    with pytest.raises(TransientError) as raised:
        lookups.resolve("muet.example.fr", 443, 5.0)
    assert time.monotonic() - began < 1.0  # at once: no third thread, no wait
    assert raised.value.code == "dns_stuck"
    assert raised.value.message == (
        "2 DNS lookups are not answering: muet.example.fr was not looked up"
    )
    assert "muet.example.fr" not in dns.asked
    # An address needs no lookup: still read while the others hang.
    assert lookups.resolve("127.0.0.1", 80, 0.1)[0][4] == ("127.0.0.1", 80)

    dns.release.set()  # the name servers answer again
    deadline = time.monotonic() + 5
    while lookups.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lookups.running == 0
    assert lookups.resolve("muet.example.fr", 443, 5.0)[0][4] == ("127.0.0.1", 443)


def test_a_lookup_error_is_the_resolvers_own(dns: HangingDNS) -> None:
    with pytest.raises(socket.gaierror):
        Lookups(dns).resolve("introuvable.example.fr", 443, 1.0)


def test_a_fetch_whose_lookup_hangs_fails_by_its_deadline(
    dns: HangingDNS, server: ScriptedServer
) -> None:
    server.routes["/feed"] = reply(b"<rss/>")
    fetcher = HttpFetcher(
        timeout=1.0,
        connect_timeout=10.0,
        politeness_delay=0.0,
        resolver=dns,
        trusted_networks=["127.0.0.0/8"],
    )
    try:
        began = time.monotonic()
        with pytest.raises(TransientError) as raised:
            fetcher.get(f"http://mort.example.fr:{server.port}/feed")
        assert time.monotonic() - began < 2.0  # the deadline, not the 10 s connect timeout
        assert raised.value.code == "dns_timeout"
        assert raised.value.message == "the DNS lookup of mort.example.fr did not answer within 1s"
        # The other sites are fetched as usual meanwhile.
        assert fetcher.get(server.url("/feed")).content == b"<rss/>"
    finally:
        fetcher.close()
    assert server.hits == ["/feed"]
