"""Feed parser fixes: shared guids, RSS xml:base, edit-stable identity, HTML pages."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from tests.unit.adapters.test_fast_items import assert_same_as_validated
from watchtower.adapters._feed import parse_feed
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, SourceState
from watchtower.adapters.rss import RssSettings, RssSource
from watchtower.errors import PermanentError


@pytest.fixture
def ctx() -> Iterator[FetchContext]:
    fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
    yield FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    fetcher.close()


def rss(*items: str, channel: str = "<channel>") -> bytes:
    body = "".join(f"<item>{i}</item>" for i in items)
    return f'<rss version="2.0">{channel}<title>t</title>{body}</channel></rss>'.encode()


# ------------------------------------------------------------ shared guids
SAME_GUID = rss(
    "<title>one</title><link>https://ex.org/a1</link><guid isPermaLink='false'>1</guid>",
    "<title>two</title><link>https://ex.org/a2</link><guid isPermaLink='false'>1</guid>",
)


def test_different_entries_sharing_a_guid_are_all_kept_with_a_warning() -> None:
    feed = parse_feed(SAME_GUID)
    assert [(i.title, i.guid) for i in feed.items] == [
        ("one", "1#https://ex.org/a1"),
        ("two", "1#https://ex.org/a2"),
    ]
    assert feed.warning and "same guid" in feed.warning and "'1' (2 entries)" in feed.warning
    for item in feed.items:
        assert_same_as_validated(item)


def test_shared_guid_and_link_fall_back_to_a_content_hash() -> None:
    feed = parse_feed(
        rss(
            "<title>one</title><link>https://ex.org/</link><guid>g</guid>",
            "<title>two</title><link>https://ex.org/</link><guid>g</guid>",
            "<title>three</title><link>https://ex.org/3</link><guid>g</guid>",
        )
    )
    one, two, three = feed.items
    assert one.guid == "g#sha1:" + hashlib.sha1(b"one\n").hexdigest()
    assert two.guid == "g#sha1:" + hashlib.sha1(b"two\n").hexdigest()
    assert three.guid == "g#https://ex.org/3"


def test_the_same_entry_listed_twice_is_one_item_without_warning() -> None:
    entry = "<title>one</title><link>https://ex.org/a1</link><guid>1</guid>"
    feed = parse_feed(rss(entry, "<title>x</title><guid>2</guid>", entry))
    assert [i.guid for i in feed.items] == ["1", "2"]
    assert feed.warning is None


def test_identities_do_not_depend_on_the_order_of_the_entries() -> None:
    # Feeds list the newest first: a new entry must not take an older one's guid.
    one = "<title>one</title><link>https://ex.org/a1</link><guid>1</guid>"
    two = "<title>two</title><link>https://ex.org/a2</link><guid>1</guid>"
    forward = {i.title: i.guid for i in parse_feed(rss(one, two)).items}
    backward = {i.title: i.guid for i in parse_feed(rss(two, one)).items}
    assert forward == backward == {"one": "1#https://ex.org/a1", "two": "1#https://ex.org/a2"}


def test_shared_guids_reach_the_fetch_result_warnings(
    server: ScriptedServer, ctx: FetchContext
) -> None:
    server.routes["/feed"] = reply(SAME_GUID)
    settings = RssSettings(name="f", url=server.url("/feed"), allow_private=True)
    result = RssSource().fetch(settings, SourceState(), ctx)
    assert len(result.items) == 2
    assert len(result.warnings) == 1 and "same guid" in result.warnings[0]


# ------------------------------------------------------------ RSS xml:base
def test_rss_links_resolve_against_the_nearest_xml_base() -> None:
    doc = rss(
        "<title>un</title><link>un.html</link><comments>c/1</comments>",
        "<title>deux</title><link>deux.html</link>",
        "<title>trois</title><link>/root.html</link>",
        channel='<channel xml:base="https://ex.org/news/">',
    ).replace(b"<item><title>deux", b'<item xml:base="../sub/"><title>deux')
    one, two, three = parse_feed(doc, url="https://feeds.ex.org/rss.xml").items
    assert one.url == "https://ex.org/news/un.html"
    assert one.extra == {"comments": "https://ex.org/news/c/1"}
    assert two.url == "https://ex.org/sub/deux.html"  # the item's base, resolved
    assert three.url == "https://ex.org/root.html"


def test_relative_rss_root_xml_base_resolves_against_the_feed_url() -> None:
    doc = rss("<title>a</title><link>a.html</link>").replace(
        b'<rss version="2.0">', b'<rss version="2.0" xml:base="/blog/">'
    )
    (item,) = parse_feed(doc, url="https://ex.org/feeds/rss.xml").items
    assert item.url == "https://ex.org/blog/a.html"


def test_rdf_root_xml_base() -> None:
    rdf = b"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/" xml:base="https://ex.org/news/">
      <item><title>Un</title><link>un.html</link></item></rdf:RDF>"""
    (item,) = parse_feed(rdf, url="https://feeds.ex.org/rdf").items
    assert item.url == "https://ex.org/news/un.html"


# --------------------------------------------- entries without guid or link
def test_an_entry_without_guid_or_link_keeps_its_identity_when_its_text_is_corrected() -> None:
    before = rss("<title>Acme</title><description>First text.</description>")
    after = rss("<title>Acme</title><description>First text, corrected.</description>")
    assert parse_feed(before).items[0].guid == parse_feed(after).items[0].guid


def test_an_entry_without_guid_or_link_is_known_by_title_and_date() -> None:
    dated = "<title>Update</title><pubDate>Fri, 01 Mar 2024 08:00:00 GMT</pubDate>"
    other_day = "<title>Update</title><pubDate>Sat, 02 Mar 2024 08:00:00 GMT</pubDate>"
    first, second = parse_feed(rss(dated, other_day)).items
    key = b"Update\n2024-03-01T08:00:00+00:00"
    assert first.guid == "sha1:" + hashlib.sha1(key).hexdigest()
    assert first.guid != second.guid


def test_an_entry_with_only_a_text_is_known_by_its_text() -> None:
    (item,) = parse_feed(rss("<description>Only a text.</description>")).items
    assert item.guid == "sha1:" + hashlib.sha1(b"Only a text.\n").hexdigest()


# ------------------------------------------------------ HTML instead of a feed
@pytest.mark.parametrize(
    "page",
    [
        b"<!doctype html>\n<html><head><title>Login</title></head><body>x</body></html>",
        b"<!DOCTYPE html>\n<html><body>x</body></html>",
        b"\xef\xbb\xbf\n  <!doctype HTML><html><body>x</body></html>",
        b"<!-- generated -- by CMS -->\n<!doctype html><html><body>x<br></body></html>",
        b"<?xml version='1.0'?>\n<!DocType html PUBLIC '-//W3C//DTD XHTML 1.0//EN'><html/>",
        b"\n\n<HTML><BODY>x<br></BODY></HTML>",
    ],
)
def test_an_html_page_is_named_whatever_its_doctype_looks_like(page: bytes) -> None:
    with pytest.raises(PermanentError, match=r"^the page is an HTML page, not an RSS/Atom feed$"):
        parse_feed(page)


def test_a_feed_after_a_comment_is_not_taken_for_html() -> None:
    feed = parse_feed(b"<!-- <html> -->\n" + rss("<title>a</title><guid>1</guid>"))
    assert [i.title for i in feed.items] == ["a"]
