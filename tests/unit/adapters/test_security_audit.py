"""Security audit of what faces the internet (issue #6, second pass).

A redirect or a source URL the client cannot request is a plain source error,
never an adapter crash; a server's header is never quoted at any length;
cookies live for one fetch; and guards for what was found sound: IPv4 written
as one number, in hex or short, proxies from the environment, DNS rebinding
between the check and the connection, huge headers.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from tests.unit.adapters.test_hostile import GOOD_FEED, assert_next_source_still_works
from watchtower.adapters._http import HttpFetcher
from watchtower.errors import PermanentError, SourceError, TransientError
from watchtower.poll_timing import MAX_RETRY_AFTER, next_check


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    # Loopback trusted so the local server is reachable; every other range is refused.
    f = HttpFetcher(
        timeout=3.0, connect_timeout=2.0, politeness_delay=0.0, trusted_networks=["127.0.0.0/8"]
    )
    yield f
    f.close()


# ------------------------------------------------------------ invalid URLs
@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("location", "reason"),
    [
        # Read by httpx before the fetcher: "network error", retried for ever.
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://0177.0.0.1/", "Invalid IPv4 address"),
        ("http://[fe80::1%zz/", "Invalid"),
        ("https:", "no host name"),
        ("http:x", "path must"),  # joined by urllib, refused by httpx
    ],
)
def test_a_redirect_to_an_invalid_url_is_a_plain_source_error(
    fetcher: HttpFetcher,
    server: ScriptedServer,
    connections: list[tuple[str, int]],
    location: str,
    reason: str,
) -> None:
    server.routes["/go"] = reply(b"", status=302, headers={"Location": location})
    with pytest.raises(PermanentError, match=r"redirected to an invalid URL") as caught:
        fetcher.get(server.url("/go"))
    assert reason in str(caught.value)
    assert {host for host, _ in connections} == {"127.0.0.1"}
    assert_next_source_still_works(fetcher, server)


@pytest.mark.parametrize("url", ["http://0177.0.0.1/feed", "http://[::1/feed", "http://a\x00b/"])
def test_a_source_url_the_client_cannot_request_is_a_plain_source_error(
    fetcher: HttpFetcher, connections: list[tuple[str, int]], url: str
) -> None:
    with pytest.raises(PermanentError, match="the address is not a valid URL"):
        fetcher.get(url)
    assert connections == []


@pytest.mark.timeout(10)
def test_a_servers_content_encoding_is_quoted_short(
    fetcher: HttpFetcher, server: ScriptedServer
) -> None:
    server.routes["/z"] = reply(b"x", headers={"Content-Encoding": "<!channel> " + "x" * 5000})
    with pytest.raises(PermanentError, match="unsupported compression") as caught:
        fetcher.get(server.url("/z"))
    assert len(str(caught.value)) < 200


# ------------------------------------------------------------------ cookies
def _set_cookie(location: str | None) -> Any:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302 if location else 200)
        handler.send_header("Set-Cookie", "consent=yes; Path=/")
        if location:
            handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


def _echo_cookie(seen: list[str | None]) -> Any:
    def route(handler: BaseHTTPRequestHandler) -> None:
        seen.append(handler.headers.get("Cookie"))
        reply(GOOD_FEED)(handler)

    return route


def test_cookies_do_not_outlive_a_fetch(fetcher: HttpFetcher, server: ScriptedServer) -> None:
    # A shared jar grew with every Set-Cookie of every site for the daemon's life,
    # and sent one source's cookies with another source's fetches.
    seen: list[str | None] = []
    server.routes["/set"] = _set_cookie(None)
    server.routes["/echo"] = _echo_cookie(seen)
    fetcher.get(server.url("/set"))
    fetcher.get(server.url("/echo"))
    assert seen == [None]


def test_a_cookie_check_redirect_still_works(fetcher: HttpFetcher, server: ScriptedServer) -> None:
    seen: list[str | None] = []
    server.routes["/check"] = _set_cookie("/echo")
    server.routes["/echo"] = _echo_cookie(seen)
    assert fetcher.get(server.url("/check")).content == GOOD_FEED
    assert seen == ["consent=yes"]


# ------------------------------------------------------------------- guards
@pytest.mark.parametrize(
    "url", ["http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://0/", "http://0.0.0.0/"]
)
def test_loopback_written_another_way_is_refused_before_connecting(
    connections: list[tuple[str, int]], url: str
) -> None:
    fetcher = HttpFetcher(timeout=3.0, politeness_delay=0.0)
    try:
        with pytest.raises(PermanentError, match=r"127\.0\.0\.1 is a loopback|0\.0\.0\.0 is not"):
            fetcher.get(url)
    finally:
        fetcher.close()
    assert connections == []


def test_proxies_from_the_environment_are_not_used(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = ScriptedServer().start()
    try:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy.url(""))
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        proxied = HttpFetcher(timeout=3.0, politeness_delay=0.0, trusted_networks=["127.0.0.0/8"])
        try:
            with pytest.raises(PermanentError, match="private"):
                proxied.get("http://10.1.2.3/admin")
            server.routes["/good.xml"] = reply(GOOD_FEED)
            assert proxied.get(server.url("/good.xml")).content == GOOD_FEED
        finally:
            proxied.close()
        assert proxy.hits == [] and server.hits == ["/good.xml"]
    finally:
        proxy.stop()


def test_the_address_checked_is_the_address_connected_to(
    server: ScriptedServer, connections: list[tuple[str, int]]
) -> None:
    # A rebinding name: public (here: trusted loopback) when checked, metadata after.
    answers = ["127.0.0.1", "169.254.169.254"]
    asked: list[str] = []

    def resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        asked.append(host)
        address = answers[min(len(asked), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    fetcher = HttpFetcher(
        timeout=3.0, politeness_delay=0.0, resolver=resolver, trusted_networks=["127.0.0.0/8"]
    )
    server.routes["/good.xml"] = reply(GOOD_FEED)
    try:
        response = fetcher.get(f"http://rebind.attacker.test:{server.port}/good.xml")
    finally:
        fetcher.close()
    assert response.content == GOOD_FEED
    assert asked == ["rebind.attacker.test"]  # resolved once, by the guard
    assert connections == [("127.0.0.1", server.port)]


@pytest.mark.timeout(10)
def test_endless_headers_end_as_a_source_error(
    fetcher: HttpFetcher, server: ScriptedServer
) -> None:
    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        deadline = time.monotonic() + 5
        i = 0
        while time.monotonic() < deadline:
            handler.wfile.write(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000))
            i += 1

    server.routes["/headers"] = endless
    with pytest.raises(TransientError):
        fetcher.get(server.url("/headers"))
    assert_next_source_still_works(fetcher, server)


@pytest.mark.parametrize("encoding", ["gzip, gzip", "br", "zstd", "gzip, br"])
def test_encodings_not_asked_for_are_refused(
    fetcher: HttpFetcher, server: ScriptedServer, encoding: str
) -> None:
    server.routes["/z"] = reply(b"\x1f\x8b", headers={"Content-Encoding": encoding})
    with pytest.raises(SourceError, match="unsupported compression"):
        fetcher.get(server.url("/z"))


# -------------------------------------------------------------- Retry-After
@pytest.mark.timeout(10)
@pytest.mark.parametrize("value", ["9" * 30, "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_a_huge_retry_after_cannot_break_the_schedule(
    fetcher: HttpFetcher, server: ScriptedServer, value: str
) -> None:
    # The server's number overflowed timedelta when the failure was recorded: the
    # source was never rescheduled and the poll round lost its error.
    server.routes["/busy"] = reply(b"", status=429, headers={"Retry-After": value})
    with pytest.raises(TransientError) as caught:
        fetcher.get(server.url("/busy"))
    assert caught.value.retry_after == 30 * 86_400  # days, not a parsing limit
    now = datetime(2026, 11, 26, 10, tzinfo=UTC)
    later = next_check(timedelta(minutes=5), now, retry_after=caught.value.retry_after)
    assert later == now + MAX_RETRY_AFTER


@pytest.mark.timeout(10)
@pytest.mark.parametrize("value", ["\xb2", "\xb9\xb2"])  # "²", "¹²": latin-1 bytes 0xB9, 0xB2
def test_a_retry_after_of_superscript_digits_is_ignored_not_a_crash(
    fetcher: HttpFetcher, server: ScriptedServer, value: str
) -> None:
    # str.isdigit() accepts "²", float() does not: a ValueError escaped the fetch
    # ("adapter crashed", a traceback, the server's answer lost). Found by review.
    server.routes["/busy"] = reply(b"", status=503, headers={"Retry-After": value})
    with pytest.raises(TransientError) as caught:
        fetcher.get(server.url("/busy"))
    assert caught.value.retry_after is None


@pytest.mark.parametrize(
    "location",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/x",
        "gopher://127.0.0.1:70/",
        # Crashed the adapter: httpx's InvalidURL while it read the Location.
        "data:text/xml,<rss/>",
        "javascript:alert(1)",
        "mailto:veille@example.fr",
    ],
)
def test_a_redirect_to_another_scheme_is_refused(
    fetcher: HttpFetcher, server: ScriptedServer, location: str
) -> None:
    server.routes["/go"] = reply(b"", status=302, headers={"Location": location})
    with pytest.raises(PermanentError, match="only http"):
        fetcher.get(server.url("/go"))
    assert server.hits == ["/go"]


@pytest.mark.timeout(10)
def test_an_endless_body_without_length_stops_at_the_cap(server: ScriptedServer) -> None:
    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n\r\n")
        chunk = b"<x>" * 20_000
        while True:  # no Content-Length, no chunking: read until the server closes
            handler.wfile.write(chunk)

    server.routes["/endless"] = endless
    fetcher = HttpFetcher(
        timeout=5.0, politeness_delay=0.0, max_bytes=1_000_000, trusted_networks=["127.0.0.0/8"]
    )
    try:
        with pytest.raises(PermanentError, match="larger than the 1,000,000 byte limit"):
            fetcher.get(server.url("/endless"))
    finally:
        fetcher.close()
