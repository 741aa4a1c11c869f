"""The fetcher's address guard audited as an attacker would (SSRF).

Every address a URL, a redirect or a name's DNS answer can name is judged
where the connection is made, by the address the packets reach; nothing here
connects outside loopback: the autouse ``connections`` guard stops any other
connect before a packet leaves, and names resolve through a stub (DNS lives
outside this machine).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from tests.unit.adapters.test_hostile import GOOD_FEED
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters._net import address_refusal
from watchtower.errors import PermanentError

REFUSED = r"is a (loopback|link-local|private or reserved) address|is not a host address"

#: Addresses that must never be reached without ``allow_private``, as written
#: in a URL (IPv6 in brackets) or answered by DNS.
HOSTILE = [
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "0.0.0.0",
    "::",
    "fc00::1",  # unique-local
    "fd12:3456::1",
    "100.64.0.1",  # CGNAT
    "224.0.0.1",  # multicast
    "ff02::1",
    "169.254.169.254",  # cloud metadata
    "fe80::1",
    "192.0.0.8",  # IETF protocol assignments: global to Python 3.11.7's tables
    "192.0.0.170",
    "::ffff:0:7f00:1",  # SIIT IPv4-translated 127.0.0.1: global to every table
    "::ffff:0:a9fe:a9fe",
    "5f00::1",  # SRv6 SIDs (RFC 9602)
    "64:ff9b:1::a00:1",  # local-use NAT64
    "fec0::1",  # site-local
]

#: The same, but for the forms carrying 127.0.0.1: the redirect tests trust
#: loopback to reach their server, and trust follows the carried IPv4 address.
REDIRECTED = [a for a in HOSTILE if a not in ("::ffff:127.0.0.1", "::127.0.0.1", "2002:7f00:1::")]

#: Global addresses, also in the IPv6 forms that carry one.
PUBLIC = ["8.8.8.8", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2606:4700::1111"]


def _literal(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _answer(address: str, port: int) -> tuple[Any, ...]:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


class StubDNS:
    """A resolver answering ``names`` from a table and refusing to ask real DNS."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names = names
        self.asked: list[str] = []

    def __call__(self, host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        self.asked.append(host)
        if host in self.names:
            return [_answer(address, port) for address in self.names[host]]
        # IP literals resolve locally, without a query; any other name fails.
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    # Loopback trusted so the local server answers; every other range is judged.
    f = HttpFetcher(
        timeout=3.0, connect_timeout=2.0, politeness_delay=0.0, trusted_networks=["127.0.0.0/8"]
    )
    yield f
    f.close()


@pytest.mark.parametrize("address", HOSTILE)
def test_a_hostile_address_is_refused_unless_allowed(address: str) -> None:
    ip = ipaddress.ip_address(address)
    refusal = address_refusal(ip, allow_private=False)
    assert refusal is not None
    assert refusal[1].startswith(refusal[0])
    if "not a host" not in refusal[1]:
        assert address_refusal(ip, allow_private=True) is None


@pytest.mark.parametrize("address", PUBLIC)
def test_a_public_address_is_allowed(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address), allow_private=False) is None


@pytest.mark.timeout(10)
@pytest.mark.parametrize("address", HOSTILE)
def test_a_url_naming_a_hostile_address_connects_nowhere(
    connections: list[tuple[str, int]], address: str
) -> None:
    fetcher = HttpFetcher(timeout=3.0, politeness_delay=0.0)
    try:
        with pytest.raises(PermanentError, match=REFUSED):
            fetcher.get(f"http://{_literal(address)}/latest/meta-data/")
    finally:
        fetcher.close()
    assert connections == []


@pytest.mark.timeout(10)
@pytest.mark.parametrize("address", REDIRECTED)
def test_a_redirect_to_a_hostile_address_connects_nowhere_else(
    fetcher: HttpFetcher, server: ScriptedServer, connections: list[tuple[str, int]], address: str
) -> None:
    server.routes["/go"] = reply(
        b"", status=302, headers={"Location": f"http://{_literal(address)}/"}
    )
    with pytest.raises(PermanentError, match=REFUSED) as caught:
        fetcher.get(server.url("/go"))
    assert caught.value.code == "redirect_url_refused"
    assert {host for host, _ in connections} == {"127.0.0.1"}
    assert server.hits == ["/go"]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("address", HOSTILE)
def test_a_name_resolving_to_a_hostile_address_connects_nowhere(
    connections: list[tuple[str, int]], address: str
) -> None:
    dns = StubDNS({"feed.attacker.test": [address]})
    fetcher = HttpFetcher(timeout=3.0, politeness_delay=0.0, resolver=dns)
    try:
        with pytest.raises(PermanentError, match=REFUSED):
            fetcher.get("http://feed.attacker.test/x")
    finally:
        fetcher.close()
    assert connections == [] and dns.asked == ["feed.attacker.test"]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    "url",
    [
        "http://017700000001/",  # octal, one number
        "http://0x7f000001/",  # hex, one number
        "http://0x7f.0x0.0x0.0x1/",  # hex, dotted
        "http://127\u30020\u30020\u30021/",  # ideographic full stops, read as dots by IDNA
    ],
)
def test_loopback_spelt_another_way_connects_nowhere(
    connections: list[tuple[str, int]], url: str
) -> None:
    # The real resolver, which reads these as numbers without asking DNS.
    fetcher = HttpFetcher(timeout=3.0, politeness_delay=0.0)
    try:
        with pytest.raises(PermanentError, match=r"127\.0\.0\.1 is a loopback"):
            fetcher.get(url)
    finally:
        fetcher.close()
    assert connections == []


@pytest.mark.timeout(10)
def test_a_zone_id_does_not_hide_an_address(connections: list[tuple[str, int]]) -> None:
    fetcher = HttpFetcher(timeout=3.0, politeness_delay=0.0)
    try:
        for url in ("http://[fe80::1%25eth0]/", "http://[::ffff:169.254.169.254%25lo]/"):
            with pytest.raises(PermanentError, match=r"is a link-local address"):
                fetcher.get(url)
    finally:
        fetcher.close()
    assert connections == []


@pytest.mark.timeout(10)
def test_of_several_addresses_only_the_allowed_one_is_connected_to(
    server: ScriptedServer, connections: list[tuple[str, int]]
) -> None:
    # Private answers first: a client trying them in order would reach them.
    dns = StubDNS({"mixed.attacker.test": ["10.0.0.1", "::ffff:169.254.169.254", "127.0.0.1"]})
    fetcher = HttpFetcher(
        timeout=3.0, politeness_delay=0.0, resolver=dns, trusted_networks=["127.0.0.0/8"]
    )
    server.routes["/good.xml"] = reply(GOOD_FEED)
    try:
        response = fetcher.get(f"http://mixed.attacker.test:{server.port}/good.xml")
    finally:
        fetcher.close()
    assert response.content == GOOD_FEED
    assert connections == [("127.0.0.1", server.port)]
    assert dns.asked == ["mixed.attacker.test"]


@pytest.mark.timeout(10)
def test_every_answer_refused_is_refused_before_any_connect(
    connections: list[tuple[str, int]],
) -> None:
    dns = StubDNS({"inside.attacker.test": ["192.0.0.8", "fd00::1", "100.64.1.1"]})
    fetcher = HttpFetcher(timeout=3.0, politeness_delay=0.0, resolver=dns)
    try:
        with pytest.raises(
            PermanentError, match=r"inside\.attacker\.test: 192\.0\.0\.8 is a private"
        ):
            fetcher.get("https://inside.attacker.test/feed")
    finally:
        fetcher.close()
    assert connections == []


@pytest.mark.timeout(10)
def test_a_proxy_from_the_environment_does_not_carry_a_refused_name(
    server: ScriptedServer, connections: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy would resolve the name itself, past the guard: none is used.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, server.url(""))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    dns = StubDNS({"metadata.attacker.test": ["169.254.169.254"]})
    fetcher = HttpFetcher(
        timeout=3.0, politeness_delay=0.0, resolver=dns, trusted_networks=["127.0.0.0/8"]
    )
    try:
        with pytest.raises(PermanentError, match=r"169\.254\.169\.254 is a link-local"):
            fetcher.get("http://metadata.attacker.test/latest/meta-data/")
    finally:
        fetcher.close()
    assert server.hits == [] and connections == []
