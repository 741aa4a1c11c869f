"""windows-1252's five undefined bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) in text
that declares no encoding and is not UTF-8.

Such a feed was read as latin-1 from its first byte to its last when it held
one of them (Python's cp1252 codec fails on them): its ’ € œ « » … became C1
controls, "L’Acmé" read "L\\x92Acmé" and "manœuvre" two words. Browsers
(WHATWG's windows-1252 index) read each of the five as the C1 control of the
same value and every other byte as windows-1252, which is what a declared
ISO-8859-1 feed, an HTML page and an e-mail already got here; an undeclared
feed (and an App Store XML feed) now reads the same.
"""

from __future__ import annotations

import email
import email.policy

import pytest

from watchtower.adapters._charset import decode_windows_1252
from watchtower.adapters._feed import parse_feed
from watchtower.adapters._mail_decode import body_text, decode_bytes, decode_words, header
from watchtower.adapters._text import decode_html
from watchtower.adapters.reviews import parse_reviews

UNDEFINED = (0x81, 0x8D, 0x8F, 0x90, 0x9D)
TEXT = "L’Acmé : « manœuvre » à 5 € – “scandale”…"
URL = "https://forum.example.fr/feed.php"


def _written(byte: int) -> tuple[bytes, str]:
    """TEXT in windows-1252 with one undefined byte after it; the text a browser reads."""
    return TEXT.encode("cp1252") + b" " + bytes([byte]), f"{TEXT} {chr(byte)}"


def _rss(body: bytes, declaration: bytes = b"") -> bytes:
    return (
        declaration + b'<rss version="2.0"><channel><title>Forum conso</title>'
        b"<item><title>" + body + b"</title><link>https://forum.example.fr/t/1</link>"
        b"<description>" + body + b"</description></item></channel></rss>"
    )


@pytest.mark.parametrize("byte", UNDEFINED, ids=hex)
def test_an_undeclared_feed_is_windows_1252_around_an_undefined_byte(byte: int) -> None:
    written, read = _written(byte)
    feed = parse_feed(_rss(written), url=URL)
    [item] = feed.items
    # The control is kept (a word boundary, as in a browser's DOM); the
    # description is collapsed text, where it is one more character.
    assert item.title == read
    assert item.text == read
    assert feed.warning is not None and "read as Windows-1252" in feed.warning


@pytest.mark.parametrize("byte", UNDEFINED, ids=hex)
def test_undeclared_and_declared_iso_8859_1_read_alike(byte: int) -> None:
    written, read = _written(byte)
    declared = parse_feed(_rss(written, b'<?xml version="1.0" encoding="ISO-8859-1"?>'), url=URL)
    undeclared = parse_feed(_rss(written), url=URL)
    assert [i.title for i in undeclared.items] == [i.title for i in declared.items] == [read]
    assert declared.warning is None  # a label meaning windows-1252 is no fault


def test_a_feed_declaring_utf8_that_is_not_is_read_the_same_way() -> None:
    written, read = _written(0x81)
    data = _rss(written, b'<?xml version="1.0" encoding="UTF-8"?>')
    [item] = parse_feed(data, url=URL).items
    assert item.title == read


def test_an_undefined_byte_in_a_later_item() -> None:
    # Not the byte the UTF-8 check stopped at (0x92, in the first item), and
    # yet it decided how the whole document, the first item too, was read.
    entries = b"".join(
        b"<item><title>" + title + b"</title><link>https://forum.example.fr/t/%d</link></item>" % n
        for n, title in enumerate((b"L\x92offre Acm\xe9 \x80", b"x\x8dy"))
    )
    data = b'<rss version="2.0"><channel><title>F</title>' + entries + b"</channel></rss>"
    titles = [item.title for item in parse_feed(data, url=URL).items]
    assert titles == ["L’offre Acmé €", "x\x8dy"]


def test_an_app_store_xml_feed_is_read_alike() -> None:
    written, read = _written(0x90)
    data = (
        b'<feed xmlns:im="http://itunes.apple.com/rss" xmlns="http://www.w3.org/2005/Atom">'
        b"<id>https://itunes.apple.com/fr/rss/customerreviews/id=1/sortBy=mostRecent/xml</id>"
        b"<entry><id>10900000001</id><updated>2024-03-04T10:21:07-07:00</updated>"
        b"<title>" + written + b'</title><content type="text">' + written + b"</content>"
        b"<im:rating>1</im:rating><author><name>Claire</name></author></entry></feed>"
    )
    url = "https://itunes.apple.com/fr/rss/customerreviews/id=1/sortBy=mostRecent/xml"
    [item] = parse_reviews(data, url)
    assert item.title == read


@pytest.mark.parametrize("byte", UNDEFINED, ids=hex)
def test_an_undeclared_html_page_reads_alike(byte: int) -> None:
    written, read = _written(byte)
    assert decode_html(b"<p>" + written) == f"<p>{read}"
    assert decode_html(written, "text/html; charset=iso-8859-1") == read


@pytest.mark.parametrize("charset", [None, "iso-8859-1", "windows-1252"])
def test_an_email_part_reads_alike(charset: str | None) -> None:
    written, read = _written(0x8D)
    assert decode_bytes(written, charset) == read
    content_type = f"text/plain; charset={charset}" if charset else "text/plain"
    raw = (
        b"From: alertes@example.fr\r\nSubject: " + written + b"\r\n"
        b"Content-Type: " + content_type.encode() + b"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + written + b"\r\n"
    )
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    assert header(message, "Subject") == read  # a raw 8-bit header
    assert body_text(message) == read


def test_an_iso_8859_1_encoded_word_reads_alike() -> None:
    # The question behind a declared ISO-8859-1: 0x92 is ’, as a browser reads it.
    assert decode_words("=?iso-8859-1?Q?L=92Acm=E9_=81_=80?=") == "L’Acmé \x81 €"


def test_the_whatwg_table_byte_by_byte() -> None:
    every = bytes(range(256))
    expected = "".join(
        chr(b) if b in UNDEFINED else bytes([b]).decode("cp1252") for b in range(256)
    )
    assert decode_windows_1252(every) == expected
    assert decode_windows_1252(memoryview(every)[0x80:0xA0]) == expected[0x80:0xA0]
    # Only undefined bytes: each its own control, none dropped or replaced.
    assert decode_windows_1252(bytes(UNDEFINED) * 1000) == "\x81\x8d\x8f\x90\x9d" * 1000
