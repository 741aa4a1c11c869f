"""GBK, Big5, EUC-KR, Shift_JIS and EUC-JP bytes read as WHATWG's decoders read them.

Every WHATWG label of these encodings already named the right Python codec
(``test_whatwg_charsets``); what still differed from a browser:

* a pair the table leaves empty (a user-defined character, a byte lost in
  transit) garbled the character after it: Python's CJK decoders replace the
  lead byte alone and read its trail byte as the next lead, where WHATWG's
  drop the pair (one U+FFFD) and read again only an ASCII trail byte;
* GBK's € at 0x80 (code page 936) was U+FFFD, and a feed declaring gb2312
  with one was called malformed;
* GBK's mappings browsers changed since Python's table: 0xA3 0xA0 (U+3000),
  0xA8 0xBC (ḿ, GB18030-2005), and the 18 characters GB18030-2022 took out
  of the private use area (︐ ︒ ︑ … 䶴 …);
* Shift_JIS 0xA0 and 0xFD–0xFF were private-use characters, not errors.
"""

from __future__ import annotations

import pytest

from watchtower.adapters._charset import decode_legacy
from watchtower.adapters._feed import parse_feed
from watchtower.adapters._mail_decode import decode_bytes
from watchtower.adapters._text import decode_html

URL = "https://news.example.org/feed"
EURO = b"\x80"  # in code page 936

# (codec, bytes, what a browser reads, offset of the first error). Each row
# holds a bad pair and the good character right after it.
ERRORS = [
    # EUC-KR: C9 A1 is user-defined (empty in the index): 가 follows whole;
    # an ASCII trail byte is read again.
    ("cp949", "똠".encode("cp949") + b"\xc9\xa1\xb0\xa1\xc9\x41", "똠\ufffd가\ufffdA", 2),
    # Big5: a lead byte with a trail byte outside the table.
    ("big5hkscs", b"\xa4\xff\xa4\x40\xa4\x7f", "\ufffd一\ufffd\x7f", 0),
    # Shift_JIS: row 9 is empty; 0x80 is a bad trail byte.
    ("cp932", b"\x85\x80\x88\x9f\x85\x40", "\ufffd亜\ufffd@", 0),
    ("cp932", b"\x81\xfd\x88\x9f", "\ufffd亜", 0),
    # EUC-JP: row 9 is empty; an unknown JIS X 0212 triple is one error.
    ("euc_jp", b"\xa9\xa1\xb0\xa1", "\ufffd亜", 0),
    ("euc_jp", b"\x8f\xa1\xa1\xb0\xa1", "\ufffd亜", 0),
    ("euc_jp", b"\x8f\xa1\x41", "\ufffdA", 0),
    ("euc_jp", b"\x8e\xe0\xb0\xa1", "\ufffd亜", 0),
    # gb18030: a two-byte lead with a bad trail byte, four bytes past the
    # ranges, and a broken four-byte sequence whose bytes are read again.
    ("gb18030", b"\x81\xff\xb0\xa1", "\ufffd啊", 0),
    ("gb18030", b"\x84\x31\xa5\x30a", "\ufffda", 0),
    # 81 30 81 41: 30 is read again (0), then 81 41 as a pair.
    ("gb18030", b"\x81\xff\x81\x30\x81\x41", "\ufffd\ufffd0丄", 0),
    ("gb18030", b"\xe3\x32\x9a\x36\xb0\xa1", "\ufffd啊", 0),
]


@pytest.mark.parametrize(("codec", "data", "read", "bad"), ERRORS)
def test_a_bad_pair_is_one_replacement_and_the_next_character_survives(
    codec: str, data: bytes, read: str, bad: int
) -> None:
    assert decode_legacy(data, codec) == (read, bad)


def test_gbk_reads_windows_euro_sign() -> None:
    # Code page 936 writes € as 0x80 (Python's gbk cannot): no error, in a
    # page, an e-mail or a feed.
    written = "价格：5 ".encode("gbk") + EURO
    assert decode_legacy(written, "gb18030") == ("价格：5 €", None)
    assert decode_html(written, "text/html; charset=gb2312") == "价格：5 €"
    assert decode_bytes(written, "GBK") == "价格：5 €"


def test_gbk_reads_the_mappings_browsers_use() -> None:
    # A3 A0: U+3000 (whatwg/encoding#25); A8 BC: ḿ and 81 35 F4 37: U+E7C7
    # (GB18030-2005); GB18030-2022's vertical forms (A6 DA and A6 DB are ︒ ︑)
    # and the ideographs FE 59… (whatwg/encoding#336).
    data = bytes.fromhex("a3a0a8bc8135f437a6d9a6daa6dba6f3fe59fea0")
    assert decode_legacy(data, "gb18030") == ("\u3000ḿ\ue7c7︐︒︑︙\u9fb4\u9fbb", None)


@pytest.mark.parametrize("byte", [0xA0, 0xFD, 0xFE, 0xFF])
def test_shift_jis_bytes_windows_leaves_undefined_are_errors(byte: int) -> None:
    data = "会社".encode("cp932") + bytes((byte,)) + "①".encode("cp932")
    assert decode_legacy(data, "cp932") == ("会社\ufffd①", 4)
    assert decode_html(data, "text/html; charset=shift_jis") == "会社\ufffd①"


def _rss(titles: list[bytes], label: str | None = None) -> bytes:
    head = f'<?xml version="1.0" encoding="{label}"?>'.encode() if label else b""
    items = b"".join(
        b"<item><title>" + title + b"</title><link>https://news.example.org/"
        + str(n).encode() + b"</link></item>"
        for n, title in enumerate(titles)
    )  # fmt: skip
    return head + b'<rss version="2.0"><channel><title>N</title>' + items + b"</channel></rss>"


@pytest.mark.parametrize(
    ("label", "titles", "read"),
    [
        (
            "euc-kr",
            [b"\xc9\xa1" + "똠방각하 발표".encode("cp949"), "회사 소식".encode("cp949")],
            ["\ufffd똠방각하 발표", "회사 소식"],
        ),
        (
            "gb2312",
            ["朱镕基 5 ".encode("gbk") + EURO, b"\x81\xff" + "公司声明".encode("gbk")],
            ["朱镕基 5 €", "\ufffd公司声明"],
        ),
        (
            "big5",
            [b"\xa4\xff" + "公司聲明：啲嘢".encode("big5hkscs"), "新聞".encode("big5hkscs")],
            ["\ufffd公司聲明：啲嘢", "新聞"],
        ),
        (
            "shift_jis",
            [b"\x85\x80" + "会社の発表 ①".encode("cp932"), "髙島屋".encode("cp932")],
            ["\ufffd会社の発表 ①", "髙島屋"],
        ),
    ],
)
def test_a_declared_feed_keeps_every_item_and_the_character_after_a_bad_pair(
    label: str, titles: list[bytes], read: list[str]
) -> None:
    declared = parse_feed(_rss(titles, label), url=URL)
    served = parse_feed(_rss(titles), url=URL, content_type=f"application/rss+xml; charset={label}")
    assert [item.title for item in declared.items] == [item.title for item in served.items] == read


def test_a_gb2312_feed_with_a_euro_sign_is_not_malformed() -> None:
    feed = parse_feed(_rss(["朱镕基 5 ".encode("gbk") + EURO], "gb2312"), url=URL)
    assert [item.title for item in feed.items] == ["朱镕基 5 €"]
    assert feed.warnings == []
