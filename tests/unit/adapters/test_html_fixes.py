"""html: the page's encoding as browsers pick it (``decode_html``), and ``<base href>``."""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters._text import decode_html
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.html import HtmlSettings, HtmlSource, parse_html_list

TEXT = "Résultats d’Acmé – “record”"


@pytest.fixture
def ctx() -> Iterator[FetchContext]:
    fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
    yield FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    fetcher.close()


# -------------------------------------------------------------------------- decode_html
def cp1252(head: str) -> bytes:
    return f"<html><head>{head}</head><body>{TEXT}</body></html>".encode("cp1252")


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (cp1252('<meta charset="windows-1252">'), "text/html"),
        (cp1252("<meta charset=iso-8859-1>"), ""),  # latin-1 is read as windows-1252
        (cp1252("<META CHARSET='Latin1'>"), "text/html"),
        (cp1252('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">'), ""),
        (cp1252('<meta charset="utf-8">'), 'text/html; charset="windows-1252"'),  # HTTP wins
        (cp1252("<meta charset=no-such-thing>"), "text/html; charset=bogus"),  # then cp1252
        (cp1252(""), "text/html"),  # not UTF-8, nothing declared: windows-1252
        (cp1252("<!-- <meta charset=utf-8> --><meta charset=windows-1252>"), ""),
        (cp1252("<title>" + "x" * 2000 + "</title><meta charset=windows-1252>"), ""),
        (f"<p>{TEXT}</p>".encode(), "text/html"),  # valid UTF-8 without a declaration
        (f"<meta charset=iso-8859-1><p>{TEXT}</p>".encode(), "text/html; charset=UTF-8"),
        (codecs.BOM_UTF8 + f"<p>{TEXT}</p>".encode(), "text/html; charset=iso-8859-1"),
        (codecs.BOM_UTF16_LE + f"<p>{TEXT}</p>".encode("utf-16-le"), "text/html"),
        (codecs.BOM_UTF16_BE + f"<p>{TEXT}</p>".encode("utf-16-be"), ""),
        (f"<meta charset=utf-16><p>{TEXT}</p>".encode(), ""),  # a <meta> cannot mean UTF-16
        (f"<p>{TEXT}</p>".encode("utf-16-le"), "text/html; charset=utf-16"),
        (f"<meta charset=koi8-r><p>{TEXT}</p>".encode(), "text/html; charset=utf8"),
    ],
)
def test_decode_html_finds_the_encoding(data: bytes, content_type: str) -> None:
    assert TEXT in decode_html(data, content_type)


def test_decode_html_reads_the_other_declared_encodings() -> None:
    assert "Привет" in decode_html("<meta charset=koi8-r>Привет".encode("koi8-r"))
    assert "日本" in decode_html("<p>日本</p>".encode("shift_jis"), "text/html; charset=Shift_JIS")


def test_windows_1252_holes_are_controls_as_in_browsers() -> None:
    # 0x81 has no character in windows-1252; browsers give U+0081, not a failure.
    assert decode_html(b"\x81\xe9", "text/html; charset=windows-1252") == "\x81é"


# ------------------------------------------------------------------ html: <meta charset>
def test_html_page_declaring_its_charset_only_in_meta(
    server: ScriptedServer, ctx: FetchContext
) -> None:
    body = (
        '<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" '
        'content="text/html; charset=windows-1252"><title>Actus</title></head><body>\n'
        f'<article class="news"><h2><a href="/actus/1.html">{TEXT}</a></h2>'
        "<p>Acmé publie des résultats.</p></article></body></html>"
    ).encode("cp1252")
    server.routes["/actus"] = reply(body, content_type="text/html")
    settings = HtmlSettings(
        name="h",
        url=server.url("/actus"),
        item="article.news",
        title="h2",
        link="h2 a@href",
        text="p",
        allow_private=True,
    )
    (item,) = HtmlSource().fetch(settings, SourceState(), ctx).items
    assert (item.title, item.text) == (TEXT, "Acmé publie des résultats.")


# ------------------------------------------------------------------------ <base href>
def links(html: str, url: str = "http://example.org/list/page.html") -> list[str]:
    settings = HtmlSettings(name="h", url=url, item="li", title="a")
    return [i.url for i in parse_html_list(html, url, settings)]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<base href="http://other.example/articles/">', "http://other.example/articles/a1.html"),
        ('<base href="/articles/">', "http://example.org/articles/a1.html"),  # against the page
        ('<base href="../x/">', "http://example.org/x/a1.html"),
        (
            '<base target="_blank"><base href="/b1/"><base href="/b2/">',
            "http://example.org/b1/a1.html",
        ),
        ('<base href="javascript:alert(1)//">', "http://example.org/list/a1.html"),  # ignored
        ('<base href="http://[::1">', "http://example.org/list/a1.html"),  # unreadable: ignored
        ('<base href="">', "http://example.org/list/a1.html"),
        ("", "http://example.org/list/a1.html"),
    ],
)
def test_links_resolve_against_base_href(head: str, expected: str) -> None:
    html = (
        f'<html><head>{head}</head><body><ul><li><a href="a1.html">Acmé</a></li></ul></body></html>'
    )
    assert links(html) == [expected]


def test_absolute_links_ignore_base_href() -> None:
    html = (
        '<html><head><base href="http://other.example/articles/"></head><body><ul>'
        '<li><a href="https://news.example/1">Acmé</a></li></ul></body></html>'
    )
    assert links(html) == ["https://news.example/1"]


def test_an_unreadable_link_does_not_fail_the_page() -> None:
    html = (
        '<ul><li><a href="http://[::1">Acmé un</a></li><li><a href="/deux">Acmé deux</a></li></ul>'
    )
    # The unreadable one links to the page it was found on (shared_url), not nowhere.
    assert links(html) == ["http://example.org/list/page.html", "http://example.org/deux"]


def test_html_source_uses_base_href(server: ScriptedServer, ctx: FetchContext) -> None:
    body = (
        b'<html><head><base href="/articles/"></head><body><ul>'
        b'<li><a href="a1.html">Acme trois</a></li></ul></body></html>'
    )
    server.routes["/r/base.html"] = reply(body, content_type="text/html")
    settings = HtmlSettings(
        name="h", url=server.url("/r/base.html"), item="li", title="a", allow_private=True
    )
    (item,) = HtmlSource().fetch(settings, SourceState(), ctx).items
    assert item.url == item.guid == server.url("/articles/a1.html")
