"""A feed's HTTP ``charset`` says how its bytes are encoded, before its XML declaration.

The order (``watchtower.adapters._xml``'s docstring; RFC 7303 §3.2-3.3, as
feedparser and browsers follow it): a byte-order mark, then the ``charset`` of
the ``Content-Type``, then the XML declaration, then UTF-8. A windows-1252
feed with no declaration, served ``charset=iso-8859-1``, read right by the
fallback all the same but was reported "not valid UTF-8" and malformed: the
operator saw a problem that was not there. The limits for what servers really
send (UTF-8 bytes under a servlet's ISO-8859-1; a server's default
``charset=utf-8`` over a latin-1 feed) keep the old readings.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters._feed import parse_feed
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.google_alerts import GoogleAlertsSettings, GoogleAlertsSource
from watchtower.adapters.rss import RssSettings, RssSource

TITLE = "L’Acmé : « manœuvre » à 5 € – “scandale”"
URL = "https://forum.example.fr/feed.php"


def _rss(title: str, codec: str, declaration: str = "", items: int = 1) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>https://forum.example.fr/t/{n}</link>"
        f"<description>{title}</description></item>"
        for n in range(items)
    )
    return (
        f'{declaration}<rss version="2.0"><channel><title>Forum</title>{entries}</channel></rss>'
    ).encode(codec)


def _declared(label: str) -> str:
    return f'<?xml version="1.0" encoding="{label}"?>'


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    """One loopback server for the module (stopping one takes half a second)."""
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def ctx() -> Iterator[FetchContext]:
    fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
    yield FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    fetcher.close()


# ------------------------------------------------------------ through a real fetch
@pytest.mark.parametrize(
    "content_type",
    [
        "application/rss+xml; charset=iso-8859-1",
        "text/xml; charset=windows-1252",
        'application/xml; Charset="ISO-8859-1"',
    ],
)
def test_a_fetched_feed_is_read_by_its_http_charset_without_a_warning(
    server: ScriptedServer, ctx: FetchContext, content_type: str
) -> None:
    path = f"/feed/{len(server.routes)}"
    server.routes[path] = reply(_rss(TITLE, "cp1252"), content_type=content_type)
    settings = RssSettings(name="f", url=server.url(path), allow_private=True)
    result = RssSource().fetch(settings, SourceState(), ctx)
    [item] = result.items
    assert (item.title, item.text) == (TITLE, TITLE)
    assert result.warnings == []


def test_a_google_alerts_feed_is_read_by_its_http_charset_too(
    server: ScriptedServer, ctx: FetchContext
) -> None:
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Alerte</title>'
        "<entry><id>tag:google.com,2013:1</id><title>Acmé – “rappel”</title>"
        '<link href="https://www.google.com/url?rct=j&amp;url=https://news.example.fr/a"/>'
        "<content>L’Acmé rappelle</content><updated>2026-11-27T10:00:00Z</updated></entry>"
        "</feed>"
    ).encode("cp1252")
    server.routes["/alert"] = reply(atom, content_type="application/atom+xml; charset=cp1252")
    settings = GoogleAlertsSettings(name="g", url=server.url("/alert"), allow_private=True)
    result = GoogleAlertsSource().fetch(settings, SourceState(), ctx)
    [item] = result.items
    assert (item.title, item.text, item.url) == (
        "Acmé – “rappel”",
        "L’Acmé rappelle",
        "https://news.example.fr/a",
    )
    assert result.warnings == []


def test_a_fetched_feed_without_a_charset_still_says_it_is_not_utf8(
    server: ScriptedServer, ctx: FetchContext
) -> None:
    # Nothing said what the bytes are: the fallback's guess is worth a warning.
    server.routes["/plain"] = reply(_rss(TITLE, "cp1252"), content_type="application/rss+xml")
    settings = RssSettings(name="f", url=server.url("/plain"), allow_private=True)
    result = RssSource().fetch(settings, SourceState(), ctx)
    assert result.items[0].title == TITLE
    assert len(result.warnings) == 1 and "not valid UTF-8" in result.warnings[0]


# ------------------------------------------------------------ the order, direct
def test_the_http_charset_maps_through_whatwgs_table() -> None:
    # charset=iso-8859-9 is windows-1254 to WHATWG: ’ at 0x92 as well as ş.
    title = "Acmé’nin açıklaması: şirket “özür” diledi"
    feed = parse_feed(_rss(title, "cp1254"), url=URL, content_type="text/xml; charset=ISO-8859-9")
    assert feed.items[0].title == title
    assert feed.warnings == []


def test_the_http_charset_wins_over_the_declaration() -> None:
    # RFC 7303 §3.2: the charset parameter is authoritative; the document's
    # declaration (a template's ISO-8859-1) loses to a charset chosen for it.
    title = "Şirket açıklaması: ğüşıöç İĞ"
    data = _rss(title, "cp1254", _declared("ISO-8859-1"))
    feed = parse_feed(data, url=URL, content_type="application/rss+xml; charset=windows-1254")
    assert feed.items[0].title == title
    assert feed.warnings == []


def test_a_byte_order_mark_wins_over_the_http_charset() -> None:
    data = b"\xef\xbb\xbf" + _rss(TITLE, "utf-8")
    feed = parse_feed(data, url=URL, content_type="text/xml; charset=windows-1254")
    assert feed.items[0].title == TITLE
    assert feed.warnings == []


@pytest.mark.parametrize("label", ["ISO-8859-1", "windows-1252", "iso-8859-9", "euc-kr"])
def test_utf8_bytes_under_a_legacy_http_charset_are_utf8(label: str) -> None:
    # Servlet containers add charset=ISO-8859-1 to what they serve; legacy text
    # with a letter above ASCII is practically never valid UTF-8.
    for declaration in ("", _declared("UTF-8"), _declared(label)):
        data = _rss(TITLE, "utf-8", declaration)
        feed = parse_feed(data, url=URL, content_type=f"text/xml;charset={label}")
        assert feed.items[0].title == TITLE
        assert feed.warnings == []


def test_a_servers_default_utf8_charset_leaves_a_latin1_feed_to_its_declaration() -> None:
    # nginx "charset utf-8" over a CMS feed declaring ISO-8859-1 in cp1252 bytes.
    data = _rss(TITLE, "cp1252", _declared("ISO-8859-1"))
    feed = parse_feed(data, url=URL, content_type="application/rss+xml; charset=UTF-8")
    assert feed.items[0].title == TITLE
    assert feed.warnings == []


def test_a_utf8_charset_over_undeclared_latin1_still_warns() -> None:
    data = _rss(TITLE, "cp1252")
    feed = parse_feed(data, url=URL, content_type="application/rss+xml; charset=utf-8")
    assert feed.items[0].title == TITLE
    assert len(feed.warnings) == 1 and "not valid UTF-8" in feed.warnings[0]


def test_an_http_iso_8859_1_yields_to_a_declared_legacy_encoding() -> None:
    # charset=ISO-8859-1 is HTTP/1.1's default label for text/*: the document's
    # own windows-1251 is the better word on its bytes.
    title = "Компания Акме: заявление"
    data = _rss(title, "cp1251", _declared("windows-1251"))
    feed = parse_feed(data, url=URL, content_type="text/xml; charset=ISO-8859-1")
    assert feed.items[0].title == title
    assert feed.warnings == []


@pytest.mark.parametrize(
    "content_type", ["text/xml; charset=x-no-such-label", "text/xml", "application/octet-stream"]
)
def test_no_usable_charset_is_no_information(content_type: str) -> None:
    # An unknown label is skipped (WHATWG "get an encoding" fails); text/xml
    # without a charset is not us-ascii any more (RFC 7303 dropped RFC 3023's).
    utf8 = parse_feed(_rss(TITLE, "utf-8"), url=URL, content_type=content_type)
    assert utf8.items[0].title == TITLE and utf8.warnings == []
    latin = parse_feed(_rss(TITLE, "cp1252"), url=URL, content_type=content_type)
    assert latin.items[0].title == TITLE
    assert "not valid UTF-8" in latin.warnings[0]


def test_a_byte_the_http_charset_cannot_decode_is_named() -> None:
    # 0xFF is no EUC-KR/windows-949 lead byte: a real fault of the feed.
    data = _rss("회사 발표", "cp949").replace("발".encode("cp949"), b"\xff\xff", 1)
    feed = parse_feed(data, url=URL, content_type="text/xml; charset=euc-kr")
    [item] = feed.items
    assert item.title.startswith("회사 ") and "\ufffd" in item.title
    assert feed.warning is not None and "not valid cp949" in feed.warning


def test_a_malformed_feed_under_an_http_charset_keeps_its_characters() -> None:
    # Entries after a broken one are re-parsed from the bytes libxml2 was
    # given: UTF-8 now, whatever the charset was.
    broken = _rss(TITLE, "cp1252", items=3).replace(b"</title>", b"</titl>", 1)
    feed = parse_feed(broken, url=URL, content_type="text/xml; charset=windows-1252")
    assert [i.url for i in feed.items][-2:] == [
        "https://forum.example.fr/t/1",
        "https://forum.example.fr/t/2",
    ]
    assert all(i.text == TITLE for i in feed.items[-2:])
    assert "not valid" not in (feed.warning or "")


def test_a_utf16_http_charset_is_left_to_the_bytes() -> None:
    # A UTF-16 label over ASCII-compatible bytes is a server's mistake; the
    # bytes (libxml2's sniffing) decide.
    feed = parse_feed(_rss(TITLE, "utf-8"), url=URL, content_type="text/xml; charset=utf-16")
    assert feed.items[0].title == TITLE
    utf16 = parse_feed(_rss(TITLE, "utf-16"), url=URL, content_type="text/xml; charset=utf-16")
    assert utf16.items[0].title == TITLE
