"""ISO-2022-JP read as WHATWG's decoder reads it, in pages, e-mail and served feeds.

Python's ``iso2022_jp`` is strict JIS X 0208: an e-mail written on Windows
with ① ㈱ ㍻ 髙 (code page 932's NEC and IBM rows, which WHATWG's index has)
read U+FFFD for each, 0x21 0x41 was 〜 where browsers read ～, and half-width
katakana (``ESC ( I``), which browsers accept, was an error.
"""

from __future__ import annotations

import base64
import email
import email.policy

import pytest

from watchtower.adapters._charset import decode_legacy
from watchtower.adapters._feed import parse_feed
from watchtower.adapters._mail_decode import body_text, decode_words
from watchtower.adapters._text import decode_html

URL = "https://news.example.org/feed"
JIS = b"\x1b$B"
ASCII = b"\x1b(B"


def _jis(text: str) -> bytes:
    """``text`` (JIS X 0208 characters only) as Windows writes it in ISO-2022-JP."""
    out = bytearray()
    for char in text:
        first, second = char.encode("cp932")
        row_pair = (first - (0x81 if first < 0xA0 else 0xC1)) * 188
        row, cell = divmod(row_pair + second - (0x40 if second < 0x7F else 0x41), 94)
        out += bytes((row + 0x21, cell + 0x21))
    return JIS + bytes(out) + ASCII


def test_windows_characters_read_as_in_shift_jis() -> None:
    data = b"Acme " + _jis("株式会社①㈱㍻髙島屋") + b" news"
    assert decode_legacy(data, "iso2022_jp") == ("Acme 株式会社①㈱㍻髙島屋 news", None)


def test_every_jis_x_0208_position_reads_as_windows_31j() -> None:
    # One index for ISO-2022-JP, EUC-JP and Shift_JIS, rows 1-94: cp932
    # decodes exactly WHATWG's there. An empty position is one U+FFFD.
    for row in range(94):
        for cell in range(94):
            first, second = divmod(row * 94 + cell, 188)
            lead = first + (0x81 if first < 0x1F else 0xC1)
            sjis = bytes((lead, second + (0x40 if second < 0x3F else 0x41)))
            expected, empty = decode_legacy(sjis, "cp932")
            jis = JIS + bytes((row + 0x21, cell + 0x21)) + ASCII + b"x"
            want = (expected + "x", None) if empty is None else ("\ufffdx", 3)
            assert decode_legacy(jis, "iso2022_jp") == want, (row, cell)


@pytest.mark.parametrize(
    ("data", "read", "bad"),
    [
        (JIS + b"\x21\x41" + ASCII, "～", None),  # WAVE DASH as Windows and browsers read it
        # Half-width katakana, then JIS X 0201 Roman.
        (b"\x1b(I\x31\x32\x33\x1b(J\\~" + ASCII + b"\\~", "ｱｲｳ¥‾\\~", None),
        # Two escape sequences in a row are an error; one at the start is not.
        (ASCII + b"x" + JIS + ASCII + b"x", "x\ufffdx", 7),
        (JIS + b"\x30" + ASCII + b"x", "\ufffdx", 3),  # a lead byte without its trail
        # A bad trail byte goes with its lead; a lead at the end is an error.
        (JIS + b"\x30\x0a\x2d\x21\x30", "\ufffd①\ufffd", 3),
        (b"a\x1b$(Db", "a\ufffd$(Db", 1),  # JIS X 0212 is not ISO-2022-JP's
        (b"a\x1b$A\x30\x21", "a\ufffd$A0!", 1),  # nor GB 2312 (ISO-2022-JP-2)
        # An unknown escape sequence after a lead byte: two errors, then $Z is a pair.
        (JIS + b"\x30\x1b$Z\x30\x21", "\ufffd\ufffdぺ亜", 3),
        (b"a\x0eb\x80c", "a\ufffdb\ufffdc", 1),  # shift-out and 8-bit bytes are errors
        (b"\x1b(I\x60" + ASCII, "\ufffd", 3),
    ],
)
def test_escape_sequences_and_errors_as_whatwg_reads_them(
    data: bytes, read: str, bad: int | None
) -> None:
    assert decode_legacy(data, "iso2022_jp") == (read, bad)


def test_a_japanese_email_written_on_windows() -> None:
    subject = "=?ISO-2022-JP?B?" + base64.b64encode(_jis("①㈱")).decode() + "?="
    raw = (
        b"From: client@example.jp\r\nSubject: " + subject.encode() + b"\r\n"
        b"Content-Type: text/plain; charset=ISO-2022-JP\r\n"
        b"Content-Transfer-Encoding: 7bit\r\n\r\n" + _jis("髙島屋の返品") + b" Acme\r\n"
    )
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    assert body_text(message).strip() == "髙島屋の返品 Acme"
    assert decode_words(str(message["Subject"])) == "①㈱"


def test_a_page_served_as_iso_2022_jp() -> None:
    page = b"<p>" + _jis("㈱アクメ～") + b"</p>"
    assert decode_html(page, "text/html; charset=csISO2022JP") == "<p>㈱アクメ～</p>"


def test_a_feed_served_as_iso_2022_jp_keeps_its_items() -> None:
    titles = [_jis("㈱アクメ①"), JIS + b"\x30" + ASCII + b"x", _jis("髙島屋")]
    body = b'<rss version="2.0"><channel><title>N</title>' + b"".join(
        b"<item><title>" + title + b"</title><link>https://news.example.org/"
        + str(n).encode() + b"</link></item>"
        for n, title in enumerate(titles)
    ) + b"</channel></rss>"  # fmt: skip
    feed = parse_feed(body, url=URL, content_type="application/rss+xml; charset=ISO-2022-JP")
    assert [item.title for item in feed.items] == ["㈱アクメ①", "\ufffdx", "髙島屋"]


def test_a_feed_declaring_iso_2022_jp_keeps_windows_characters() -> None:
    titles = [_jis("㈱アクメ①"), _jis("髙島屋") + b" 2024"]
    body = b'<?xml version="1.0" encoding="ISO-2022-JP"?><rss version="2.0"><channel>'
    body += b"<title>N</title>"
    body += b"".join(
        b"<item><title>"
        + title
        + b"</title><link>https://news.example.org/"
        + str(n).encode()
        + b"</link></item>"
        for n, title in enumerate(titles)
    )
    body += b"</channel></rss>"
    feed = parse_feed(body, url=URL)
    assert [item.title for item in feed.items] == ["㈱アクメ①", "髙島屋 2024"]
    assert feed.warnings == []
