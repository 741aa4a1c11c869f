"""Hostile servers: every attack ends as a SourceError, in bounded time and memory,
without a connection leaving loopback, and the next source is still fetched.

Time bounds are pytest-timeout limits, not assertions on measured durations.
"""

from __future__ import annotations

import gzip
import logging
import socket
import time
import tracemalloc
import zlib
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters._http import HttpFetcher, retry_after_seconds
from watchtower.adapters._urls import check_url
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.rss import RssSettings, RssSource
from watchtower.errors import PermanentError, SourceError, TransientError

GOOD_FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title>
<item><title>Acme news</title><link>https://example.org/1</link></item></channel></rss>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://example.org/x</link></item></channel></rss>"""


def xxe_feed(secret: Path) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rss version="2.0"><channel><title>t</title>
<item><title>&xxe;</title><description>&xxe;</description><link>https://example.org/x</link></item>
</channel></rss>""".encode()


@pytest.fixture
def fetcher() -> Any:
    # Sources here do not opt in with allow_private; the fetcher trusts loopback
    # so the local server is reachable while every other private range stays refused.
    f = HttpFetcher(
        timeout=3.0,
        connect_timeout=2.0,
        max_bytes=2_000_000,
        politeness_delay=0.0,
        trusted_networks=["127.0.0.0/8"],
    )
    yield f
    f.close()


def fetch(fetcher: HttpFetcher, url: str, **settings: Any) -> Any:
    ctx = FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("test"))
    source = RssSource()
    return source.fetch(RssSettings(name="s", url=url, **settings), SourceState(), ctx)


def assert_next_source_still_works(fetcher: HttpFetcher, server: ScriptedServer) -> None:
    server.routes["/good.xml"] = reply(GOOD_FEED)
    assert [i.title for i in fetch(fetcher, server.url("/good.xml")).items] == ["Acme news"]


@pytest.mark.timeout(10)
def test_billion_laughs_is_refused(fetcher: HttpFetcher, server: ScriptedServer) -> None:
    server.routes["/lol.xml"] = reply(BILLION_LAUGHS)
    with pytest.raises(PermanentError, match="declares XML entities"):
        fetch(fetcher, server.url("/lol.xml"))
    assert_next_source_still_works(fetcher, server)


@pytest.mark.timeout(10)
def test_xxe_does_not_read_local_files(
    fetcher: HttpFetcher, server: ScriptedServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    server.routes["/xxe.xml"] = reply(xxe_feed(secret))
    with pytest.raises(PermanentError) as caught:
        fetch(fetcher, server.url("/xxe.xml"))
    assert "TOP-SECRET-VALUE" not in str(caught.value)
    assert_next_source_still_works(fetcher, server)


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    # 50 MB of zeros, about 50 kB compressed: 25 times the fetcher's cap.
    return gzip.compress(b"\0" * 50_000_000, compresslevel=6)


@pytest.mark.timeout(20)
def test_gzip_bomb_stops_at_the_decoded_cap(
    fetcher: HttpFetcher, server: ScriptedServer, gzip_bomb: bytes
) -> None:
    server.routes["/bomb.xml"] = reply(gzip_bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(PermanentError, match="larger than the 2,000,000 byte limit"):
            fetch(fetcher, server.url("/bomb.xml"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 30_000_000  # bounded by the cap, not by the 50 MB payload
    assert_next_source_still_works(fetcher, server)


def _trickle(handler: BaseHTTPRequestHandler, *, in_headers: bool) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    if not in_headers:
        handler.wfile.write(b"Content-Type: application/xml\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(20):  # one byte every half second: 10 seconds in all
        handler.wfile.write(b"X" if in_headers else b" ")
        handler.wfile.flush()
        time.sleep(0.5)


@pytest.mark.timeout(8)
@pytest.mark.parametrize("in_headers", [False, True], ids=["body", "headers"])
def test_ten_second_trickle_hits_the_overall_deadline(
    fetcher: HttpFetcher, server: ScriptedServer, in_headers: bool
) -> None:
    server.routes["/slow.xml"] = lambda h: _trickle(h, in_headers=in_headers)
    with pytest.raises(TransientError, match="took longer than 3s"):
        fetch(fetcher, server.url("/slow.xml"))
    assert_next_source_still_works(fetcher, server)


@pytest.mark.timeout(10)
def test_redirect_loop(fetcher: HttpFetcher, server: ScriptedServer) -> None:
    server.routes["/a"] = reply(b"", status=302, headers={"Location": "/b"})
    server.routes["/b"] = reply(b"", status=301, headers={"Location": server.url("/a")})
    with pytest.raises(PermanentError, match="loop"):
        fetch(fetcher, server.url("/a"))
    assert_next_source_still_works(fetcher, server)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/admin", "private"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://[fe80::1]/", "link-local"),
    ],
)
def test_redirect_to_a_private_address_is_refused_before_connecting(
    fetcher: HttpFetcher,
    server: ScriptedServer,
    connections: list[tuple[str, int]],
    target: str,
    words: str,
) -> None:
    server.routes["/go"] = reply(b"", status=302, headers={"Location": target})
    with pytest.raises(PermanentError, match=words):
        fetch(fetcher, server.url("/go"))
    assert connections and all(host == "127.0.0.1" for host, _ in connections)
    assert server.hits == ["/go"]


@pytest.mark.timeout(10)
def test_a_name_resolving_to_link_local_is_refused_in_the_transport(
    server: ScriptedServer, connections: list[tuple[str, int]]
) -> None:
    def resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        if host == "metadata.attacker.test":  # DNS rebinding / internal name
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]
        return socket.getaddrinfo(host, port, *args)

    fetcher = HttpFetcher(
        timeout=3.0, politeness_delay=0.0, resolver=resolver, trusted_networks=["127.0.0.0/8"]
    )
    server.routes["/go"] = reply(
        b"", status=307, headers={"Location": "http://metadata.attacker.test/latest"}
    )
    with pytest.raises(
        PermanentError, match=r"metadata\.attacker\.test: 169\.254\.169\.254 is a link-local"
    ):
        fetch(fetcher, server.url("/go"))
    assert all(host == "127.0.0.1" for host, _ in connections)
    fetcher.close()


def test_loopback_is_refused_unless_the_source_opts_in(server: ScriptedServer) -> None:
    server.routes["/good.xml"] = reply(GOOD_FEED)
    fetcher = HttpFetcher(timeout=3.0, politeness_delay=0.0)
    with pytest.raises(PermanentError, match="loopback"):
        fetch(fetcher, server.url("/good.xml"))
    assert server.hits == []
    assert len(fetch(fetcher, server.url("/good.xml"), allow_private=True).items) == 1
    fetcher.close()


@pytest.mark.timeout(10)
@pytest.mark.parametrize("value", ["120", "Wed, 21 Oct 2099 07:28:00 GMT"])
def test_429_with_retry_after(fetcher: HttpFetcher, server: ScriptedServer, value: str) -> None:
    server.routes["/busy.xml"] = reply(b"slow down", status=429, headers={"Retry-After": value})
    with pytest.raises(TransientError, match="slow down") as caught:
        fetch(fetcher, server.url("/busy.xml"))
    assert caught.value.retry_after is not None and caught.value.retry_after >= 120
    assert_next_source_still_works(fetcher, server)


@pytest.mark.timeout(10)
def test_500_is_transient(fetcher: HttpFetcher, server: ScriptedServer) -> None:
    server.routes["/boom.xml"] = reply(b"oops", status=500)
    with pytest.raises(TransientError, match=r"server error \(500\)"):
        fetch(fetcher, server.url("/boom.xml"))
    assert_next_source_still_works(fetcher, server)


@pytest.mark.timeout(10)
def test_connection_refused_is_transient(fetcher: HttpFetcher) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TransientError, match="cannot connect"):
        fetch(fetcher, f"http://127.0.0.1:{port}/feed")


def test_only_http_and_https() -> None:
    for url in ("file:///etc/passwd", "ftp://example.org/x", "gopher://x/"):
        with pytest.raises(SourceError, match="only http"):
            check_url(url)


def test_politeness_delay_spaces_requests_to_one_host(server: ScriptedServer) -> None:
    waits: list[float] = []
    fetcher = HttpFetcher(
        timeout=3.0, politeness_delay=5.0, sleep=waits.append, trusted_networks=["127.0.0.0/8"]
    )
    server.routes["/good.xml"] = reply(GOOD_FEED)
    fetch(fetcher, server.url("/good.xml"))
    fetch(fetcher, server.url("/good.xml"))
    assert len(waits) == 1 and waits[0] > 0
    fetcher.close()


def test_retry_after_http_date_in_the_past_is_zero() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("Tue, 01 Jan 2019 00:00:00 GMT", now) == 0.0
    assert retry_after_seconds("nonsense", now) is None


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, no zlib header
        ("identity", lambda data: data),
    ],
    ids=["gzip", "deflate-zlib", "deflate-raw", "identity"],
)
def test_compressed_feeds_are_decoded(
    fetcher: HttpFetcher, server: ScriptedServer, encoding: str, compress: Any
) -> None:
    server.routes["/z.xml"] = reply(compress(GOOD_FEED), headers={"Content-Encoding": encoding})
    assert [i.title for i in fetch(fetcher, server.url("/z.xml")).items] == ["Acme news"]


def test_unknown_compression_is_refused(fetcher: HttpFetcher, server: ScriptedServer) -> None:
    server.routes["/br.xml"] = reply(b"\x00\x01", headers={"Content-Encoding": "br"})
    with pytest.raises(PermanentError, match="unsupported compression"):
        fetch(fetcher, server.url("/br.xml"))


TWO_ITEMS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>ok</title>'
    b"<item><title>Acme news</title><link>https://example.org/1</link></item>"
    b"<item><title>Acme again</title><link>https://example.org/2</link></item>"
    b"</channel></rss>"
)


@pytest.mark.parametrize(
    "trailer", [b"", b"\0" * 8, b"not gzip at all"], ids=["members", "zero-padding", "garbage"]
)
def test_a_body_of_several_gzip_members_is_read_whole(
    fetcher: HttpFetcher, server: ScriptedServer, trailer: bytes
) -> None:
    # RFC 1952 lets a gzip body be several members one after the other (`gzip -c a b`);
    # reading only the first one cut the feed short: here, after the first item.
    cut = TWO_ITEMS.index(b"<item><title>Acme again")
    body = gzip.compress(TWO_ITEMS[:cut]) + gzip.compress(TWO_ITEMS[cut:]) + trailer
    server.routes["/m.xml"] = reply(body, headers={"Content-Encoding": "gzip"})
    titles = [i.title for i in fetch(fetcher, server.url("/m.xml")).items]
    assert titles == ["Acme news", "Acme again"]


@pytest.mark.timeout(20)
def test_a_gzip_bomb_in_a_second_member_stops_at_the_cap(
    fetcher: HttpFetcher, server: ScriptedServer, gzip_bomb: bytes
) -> None:
    server.routes["/bomb2.xml"] = reply(
        gzip.compress(b"<rss>") + gzip_bomb, headers={"Content-Encoding": "gzip"}
    )
    tracemalloc.start()
    try:
        with pytest.raises(PermanentError, match="larger than the 2,000,000 byte limit"):
            fetch(fetcher, server.url("/bomb2.xml"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 30_000_000
    assert_next_source_still_works(fetcher, server)
