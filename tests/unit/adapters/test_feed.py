"""The lxml feed parser: dialects, links, dates, encodings, broken and hostile feeds."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower.adapters import _text
from watchtower.adapters._dates import parse_date
from watchtower.adapters._feed import parse_feed
from watchtower.adapters._text import html_to_text, html_to_text_many
from watchtower.errors import PermanentError

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<b>Slack</b> news", "Slack news"),
        ("<b>Slack</b>'s results", "Slack's results"),
        ("<p>a</p><p>b</p>", "a b"),
        ("line<br/>next", "line next"),
        ("&lt;enter search terms&gt; site:x", "<enter search terms> site:x"),
        ('<a href="x" title="a > b">link</a>', "link"),
        ("<script>alert(1)</script>visible<style>p{}</style>", "visible"),
        ("<!-- hidden -->shown", "shown"),
        ("caf&eacute;&nbsp;cr&egrave;me &amp; co", "café crème & co"),
        ("  spaced \n\t out  ", "spaced out"),
        ("", ""),
        (None, ""),
    ],
)
def test_html_to_text(markup: str | None, text: str) -> None:
    assert html_to_text(markup) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 6 Apr 2022 21:07:47 +0000", datetime(2022, 4, 6, 21, 7, 47, tzinfo=UTC)),
        (
            "Sun, 28 Oct 2018 13:48:00 +0100",
            datetime(2018, 10, 28, 13, 48, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("Wed, 17 Oct 2018 10:30:00 GMT", datetime(2018, 10, 17, 10, 30, tzinfo=UTC)),
        (
            "17 Oct 2018 10:30 EST",
            datetime(2018, 10, 17, 10, 30, tzinfo=timezone(timedelta(hours=-5))),
        ),
        (
            "Mon, 01 Jan 24 10:00:00 CEST",
            datetime(2024, 1, 1, 10, 0, tzinfo=timezone(timedelta(hours=2))),
        ),
        (
            "2014-05-18T21:17:14-07:00",
            datetime(2014, 5, 18, 21, 17, 14, tzinfo=timezone(timedelta(hours=-7))),
        ),
        ("2019-07-10T11:53:37Z", datetime(2019, 7, 10, 11, 53, 37, tzinfo=UTC)),
        (
            "2013-02-04T15:26:26.278-05:00",
            datetime(2013, 2, 4, 15, 26, 26, 278000, tzinfo=timezone(timedelta(hours=-5))),
        ),
        ("2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-03-01 08:00:00", datetime(2024, 3, 1, 8, tzinfo=UTC)),
        ("Wed, 32 Oct 2018 10:30:00 GMT", None),
        # A damaged offset is no date (not a guess at UTC), and not a crash.
        ("Sun, 28 Oct 2018 13:48:00 +01!0", None),
        ("Sun, 28 Oct 2018 13:48:00 +01:0", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_dates(text: str, expected: datetime | None) -> None:
    assert parse_date(text) == expected


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_dates_never_raise(text: str) -> None:
    value = parse_date(text)
    assert value is None or value.tzinfo is not None


def test_relative_links_resolve_against_the_feed_url_and_xml_base() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom">
      <entry><id>1</id><title>a</title><link href="viewtopic.php?t=1"/></entry>
      <entry xml:base="/other/"><id>2</id><title>b</title><link href="post/2"/></entry>
      <entry><id>3</id><title>c</title><link rel="enclosure" href="/x.mp3"/>
        <link rel="alternate" href="//cdn.example.org/3"/></entry>
    </feed>"""
    items = parse_feed(atom, url="https://forum.example.org/board/feed.php").items
    assert [i.url for i in items] == [
        "https://forum.example.org/board/viewtopic.php?t=1",
        "https://forum.example.org/other/post/2",
        "https://cdn.example.org/3",
    ]


def test_rss_1_0_with_dublin_core() -> None:
    rdf = b"""<?xml version="1.0"?>
    <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
             xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="https://ex.org/"><title>T</title><dc:language>fr</dc:language></channel>
      <item rdf:about="https://ex.org/1"><title>Un</title><link>https://ex.org/1</link>
        <dc:date>2024-03-01T08:00:00+01:00</dc:date><dc:creator>Ana</dc:creator></item>
    </rdf:RDF>"""
    feed = parse_feed(rdf)
    (item,) = feed.items
    assert (feed.title, item.title, item.author, item.lang) == ("T", "Un", "Ana", "fr")
    assert item.guid == "https://ex.org/1"
    assert item.published == datetime(2024, 3, 1, 7, tzinfo=UTC)


def test_atom_text_constructs() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id>
      <title type="text">a &lt; b</title>
      <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
        <p>Hello <b>Acme</b></p></div></content>
    </entry></feed>"""
    (item,) = parse_feed(atom).items
    assert (item.title, item.text) == ("a < b", "Hello Acme")


def test_a_truncated_feed_still_yields_its_good_items() -> None:
    broken = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>good one</title><link>https://ex.org/1</link></item>
      <item><title>second</title><link>https://ex.org/2</link></item>
      <item><title>cut here"""
    feed = parse_feed(broken)
    assert [i.title for i in feed.items][:2] == ["good one", "second"]
    assert feed.warning and "malformed" in feed.warning


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<html><body>Not a feed</body></html>", "HTML page"),
        (b"<note>hello</note>", "not an RSS/Atom feed"),
        (b"", "not a readable"),
        (b"\x00\x01garbage", "not a readable"),
    ],
)
def test_not_a_feed(data: bytes, words: str) -> None:
    with pytest.raises(PermanentError, match=words):
        parse_feed(data)


def test_entity_declarations_are_refused_even_small_ones() -> None:
    doc = b"""<!DOCTYPE rss [<!ENTITY brand "Acme">]><rss version="2.0"><channel>
      <item><title>&brand;</title></item></channel></rss>"""
    with pytest.raises(PermanentError, match="entities"):
        parse_feed(doc)


def test_undeclared_latin1_is_read_with_a_warning() -> None:
    doc = "<rss version='2.0'><channel><item><title>Réclamation</title></item></channel></rss>"
    feed = parse_feed(doc.encode("latin-1"))
    assert feed.items[0].title == "Réclamation"
    assert feed.warning and "not valid UTF-8" in feed.warning


def test_item_without_guid_or_link_gets_a_stable_hash() -> None:
    doc = b"<rss version='2.0'><channel><item><title>x</title></item></channel></rss>"
    first, second = parse_feed(doc).items[0], parse_feed(doc).items[0]
    assert first.guid.startswith("sha1:") and first.guid == second.guid


_SAMPLES = [p.read_bytes() for p in sorted(CORPUS.glob("*/*.xml"))]


@given(
    sample=st.sampled_from(_SAMPLES),
    cut=st.floats(min_value=0.0, max_value=1.0),
    noise=st.binary(max_size=40),
)
@settings(max_examples=200, deadline=None)
def test_damaged_feeds_never_crash(sample: bytes, cut: float, noise: bytes) -> None:
    """A truncated or garbled feed gives items or a PermanentError, nothing else."""
    at = int(len(sample) * cut)
    data = sample[:at] + noise + sample[at + len(noise) :]
    try:
        feed = parse_feed(data, url="https://example.org/feed")
    except PermanentError:
        return
    assert all(item.guid for item in feed.items)


_MARKUP = st.lists(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<b>",
            "</b>",
            "<br/>",
            '<a href="x>y">',
            "</a>",
            "&amp;",
            "&lt;",
            "<script>",
            "</script>",
            "<!--",
            "-->",
            "\0",
            "<",
            ">",
            '"',
            "'",
            "Acme",
            " ",
            "é",
            "\xa0",
            "<![CDATA[",
            "]]>",
            # entities: the five decoded by str.replace, and others that force html.unescape
            "&quot;",
            "&gt;",
            "&#39;",
            "&amp;lt;",
            "&eacute;",
            "&#8217;",
            "&",
            "&amp",
            ";",
            "\n",
            "\u2003",
            "\x85",
            "<DIV>",
            "<img src='a>b'>",
            "<!x]]>",
            "<?pi?>",
        ]
    ),
    max_size=30,
).map("".join)


@given(st.lists(st.one_of(st.none(), _MARKUP), max_size=8))
@settings(max_examples=300, deadline=None)
def test_batched_conversion_equals_one_by_one(fragments: list[str | None]) -> None:
    assert html_to_text_many(fragments) == [html_to_text(f) for f in fragments]


@given(_MARKUP)
@settings(max_examples=300, deadline=None)
def test_conversion_matches_the_reference_steps(markup: str) -> None:
    """The fast paths (entity replace, tag table, pattern without "]]>") change nothing."""
    assert html_to_text(markup) == _reference_html_to_text(markup)


def _reference_html_to_text(markup: str) -> str:
    # The straightforward version: every step, no shortcut.
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return " ".join(markup.split())
    markup = markup.replace("\0", "")
    if "<" in markup:
        markup = _text._INVISIBLE.sub(" ", markup)
        parts = _text._TAG.split(markup)
        parts[1::2] = [
            " " if n and n.lstrip("/").lower() in _text._BLOCK else "" for n in parts[1::2]
        ]
        markup = "".join(parts)
    return " ".join(html.unescape(markup).split())


def test_html_entities_in_a_feed_without_dtd_keep_the_text() -> None:
    doc = (
        b'<rss version="2.0"><channel><item><title>Acme&nbsp;Bank &eacute;t&eacute; &amp; co'
        b" &bogus;</title><description>caf&eacute; &hellip;</description></item></channel></rss>"
    )
    feed = parse_feed(doc)
    (item,) = feed.items
    assert (item.title, item.text) == ("Acme Bank été & co &bogus;", "café …")
    assert feed.warning and "nbsp" in feed.warning
