"""A feed cut short mid-entry: the cut entry is not an item (found by ``scripts/soak.py``).

libxml2's recovery closed the entry still open where the data ended, so a feed
served half-written (a dropped connection, a half-written cache file) gave an
item with a cut title, a cut link ("https://s.example/http") or no link at all:
announced with a wrong link, then announced again once the feed came whole.
"""

from __future__ import annotations

import pytest

from watchtower.adapters._feed import parse_feed

RSS = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>S</title>'
    b"<item><title>Banque Acme premier article complet</title>"
    b"<link>https://s.example/a/1</link><guid>https://s.example/a/1</guid>"
    b"<description>Le texte du premier article</description></item>"
    b"<item><title>Banque Acme second article coupe</title>"
    b"<link>https://s.example/a/2</link><guid>https://s.example/a/2</guid>"
    b"<description>Le texte du second article</description></item></channel></rss>"
)
ATOM = (
    b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
    b"<title>S</title><id>urn:s</id><updated>2026-01-01T00:00:00Z</updated>"
    b'<entry><title>Banque Acme premier article complet</title><link href="https://s.example/a/1"/>'
    b"<id>urn:s:1</id><updated>2026-01-01T00:00:00Z</updated>"
    b"<summary>Le texte du premier article</summary></entry>"
    b'<entry><title>Banque Acme second article coupe</title><link href="https://s.example/a/2"/>'
    b"<id>urn:s:2</id><updated>2026-01-01T00:00:00Z</updated>"
    b"<summary>Le texte du second article</summary></entry></feed>"
)
RDF = (
    b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    b' xmlns="http://purl.org/rss/1.0/"><channel><title>S</title></channel>'
    b"<item><title>Banque Acme premier article complet</title>"
    b"<link>https://s.example/a/1</link><description>Le texte du premier</description></item>"
    b"<item><title>Banque Acme second article coupe</title>"
    b"<link>https://s.example/a/2</link><description>Le texte du second</description></item>"
    b"</rdf:RDF>"
)


def cut_after(feed: bytes, marker: bytes, extra: int) -> bytes:
    """``feed`` cut ``extra`` bytes into the second entry's ``marker`` (``b""``: its
    closing tag)."""
    second = feed.index(b"second")
    if not marker:
        marker = b"</entry>" if b"</entry>" in feed else b"</item>"
    return feed[: feed.index(marker, second - 20) + extra]


@pytest.mark.parametrize("feed", [RSS, ATOM, RDF], ids=["rss", "atom", "rdf"])
@pytest.mark.parametrize(
    ("marker", "extra"),
    [
        (b"second", 3),  # in the title
        (b"https://s.example/a/2", 10),  # in the link
        (b"Le texte du second", 9),  # in the body
        (b"", 4),  # in the closing tag
    ],
    ids=["title", "link", "body", "closing-tag"],
)
def test_an_entry_cut_short_is_not_read(feed: bytes, marker: bytes, extra: int) -> None:
    parsed = parse_feed(cut_after(feed, marker, extra), url="https://s.example/feed")
    assert [(i.title, i.url) for i in parsed.items] == [
        ("Banque Acme premier article complet", "https://s.example/a/1")
    ]
    assert parsed.warning and "malformed but 1 entries were read" in parsed.warning


@pytest.mark.parametrize("feed", [RSS, ATOM, RDF], ids=["rss", "atom", "rdf"])
def test_a_feed_cut_after_its_last_entry_keeps_every_entry(feed: bytes) -> None:
    end = max(feed.rindex(b"</item>") + 7 if b"</item>" in feed else 0, feed.rfind(b"</entry>") + 8)
    parsed = parse_feed(feed[:end], url="https://s.example/feed")
    assert [i.url for i in parsed.items] == ["https://s.example/a/1", "https://s.example/a/2"]


@pytest.mark.parametrize("flaw", [b"R < D", b"R \x01 D"], ids=["bare-lt", "control-char"])
def test_a_malformed_but_whole_feed_keeps_every_entry(flaw: bytes) -> None:
    broken = RSS.replace(b"Le texte du premier", b"Le texte " + flaw)
    parsed = parse_feed(broken, url="https://s.example/feed")
    assert parsed.warning and "malformed" in parsed.warning
    assert [i.url for i in parsed.items] == ["https://s.example/a/1", "https://s.example/a/2"]


def test_a_feed_cut_in_its_only_entry_is_unreadable_this_time() -> None:
    from watchtower.errors import PermanentError

    alone = RSS[: RSS.index(b"<item>", RSS.index(b"</item>"))] + b"</channel></rss>"
    cut = alone[: alone.index(b"premier") + 4]
    with pytest.raises(PermanentError, match="not a readable"):
        parse_feed(cut, url="https://s.example/feed")
