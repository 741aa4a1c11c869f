"""Declared legacy labels are read through WHATWG's table, like the latin-1 family.

A feed declaring ISO-8859-9, TIS-620, GB2312, EUC-KR, Shift_JIS, Big5 or
x-user-defined went to libxml2's strict codec of that name, where browsers
(and ``decode_html`` for pages) read the superset WHATWG maps the label to:
windows-1254, windows-874, GBK, windows-949, windows-31J, Big5-HKSCS and
windows-1252. Turkish, Thai, Chinese, Korean and Japanese feeds written by
Windows tools use those supersets: a ’ in a Turkish feed, a € in a Thai one,
a GBK-only hanzi or a UHC-only hangul cut the text or lost the characters;
x-user-defined, unknown to libxml2, lost the whole feed.
"""

from __future__ import annotations

import pytest

from watchtower.adapters._feed import parse_feed
from watchtower.adapters._xml import read_xml
from watchtower.errors import PermanentError

URL = "https://news.example.org/feed"

# (label, the codec WHATWG reads it as, a title using characters outside the
# label's strict table but inside WHATWG's encoding)
CASES = [
    ("ISO-8859-9", "cp1254", "Acmé’nin açıklaması: “özür” ve 5 € iade — ğüşıöç İĞ"),
    ("latin5", "cp1254", "Şirket’in ‘açıklaması’"),
    ("TIS-620", "cp874", "ข่าว “บริษัท” ราคา 5 € …"),
    ("ISO-8859-11", "cp874", "ข่าวบริษัท – ‘ประกาศ’"),
    ("GB2312", "gb18030", "公司声明：朱镕基与𠀀"),  # 镕 is GBK only, 𠀀 GB18030 only
    ("EUC-KR", "cp949", "회사 발표: 똠방각하"),  # 똠 is UHC (windows-949) only
    ("Shift_JIS", "cp932", "会社の発表 ①②"),  # ① is windows-31J only
    ("Big5", "big5hkscs", "公司聲明：佢哋啲嘢"),  # 啲 is HKSCS only
    ("x-user-defined", "windows-1252", "L’Acmé : « manœuvre » à 5 €"),
]


def _feed(label: str, codec: str, title: str, items: int = 1) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>https://news.example.org/{n}</link>"
        f"<description>{title}</description></item>"
        for n in range(items)
    )
    document = (
        f'<?xml version="1.0" encoding="{label}"?>'
        f'<rss version="2.0"><channel><title>News</title>{entries}</channel></rss>'
    )
    return document.encode("cp1252" if codec == "windows-1252" else codec)


@pytest.mark.parametrize(("label", "codec", "title"), CASES)
def test_a_legacy_label_reads_as_its_whatwg_encoding(label: str, codec: str, title: str) -> None:
    feed = parse_feed(_feed(label, codec, title), url=URL)
    [item] = feed.items
    assert (item.title, item.text) == (title, title)
    assert feed.warnings == []  # the label is read as browsers read it: not an error


@pytest.mark.parametrize(("label", "codec", "title"), CASES)
def test_utf8_bytes_under_a_legacy_label_are_utf8(label: str, codec: str, title: str) -> None:
    # A template's stale declaration over UTF-8 text, as for ISO-8859-1.
    data = (
        _feed(label, codec, title)
        .decode("cp1252" if codec == "windows-1252" else codec)
        .encode("utf-8")
    )
    [item] = parse_feed(data, url=URL).items
    assert item.title == title


def test_an_undefined_c1_byte_is_its_control_as_whatwg_reads_it() -> None:
    # 0x81 has no character in windows-1254: WHATWG's index gives U+0081, and
    # the rest of the feed is windows-1254 all the same.
    data = _feed("ISO-8859-9", "cp1254", "Acmé’nin").replace(b"\x92", b"\x81\x92", 1)
    feed = parse_feed(data, url=URL)
    assert feed.items[0].title == "Acmé\x81’nin"
    assert feed.warnings == []


def test_an_undecodable_byte_is_replaced_and_named() -> None:
    # 0xDB is unassigned in windows-874: U+FFFD, and the feed is faulty.
    data = _feed("TIS-620", "cp874", "ข่าว").replace("ข".encode("cp874"), b"\xdb", 1)
    feed = parse_feed(data, url=URL)
    assert feed.items[0].title == "\ufffd่าว"
    assert feed.warning is not None and "not valid tis-620" in feed.warning


def test_entities_declared_under_a_legacy_label_are_still_refused() -> None:
    bomb = (
        b'<?xml version="1.0" encoding="ISO-8859-9"?>'
        b'<!DOCTYPE rss [<!ENTITY a "\xfe\xfe\xfe\xfe"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<rss version="2.0"><channel><item><title>&b;</title></item></channel></rss>'
    )
    with pytest.raises(PermanentError) as caught:
        read_xml(bomb)
    assert caught.value.code == "xml_entities"


def test_a_malformed_legacy_feed_keeps_its_characters_in_recovered_entries() -> None:
    title = "회사 발표: 똠방각하"
    broken = _feed("EUC-KR", "cp949", title, items=3).replace(b"</title>", b"</titl>", 1)
    feed = parse_feed(broken, url=URL)
    assert [i.url for i in feed.items][-2:] == [
        "https://news.example.org/1",
        "https://news.example.org/2",
    ]
    assert all(i.text == title for i in feed.items[-2:])


@pytest.mark.parametrize(
    ("label", "codec", "title"),
    [("KOI8-R", "koi8-r", "Компания Акме"), ("ISO-8859-15", "iso-8859-15", "5 € chez Acmé")],
)
def test_labels_naming_their_own_encoding_read_as_it(label: str, codec: str, title: str) -> None:
    [item] = parse_feed(_feed(label, codec, title), url=URL).items
    assert item.title == title


# Every label https://encoding.spec.whatwg.org/#names-and-labels gives these
# encodings, with a text only the Windows superset writes. Python reads some of
# the labels as the strict standard ("l5", "iso8859-9") and others not at all
# ("windows-874", "korean"): the HTTP charset of a Thai server said nothing.
WHATWG_LABELS = {
    "cp1254": (
        ("cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599"),
        ("iso_8859-9", "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254"),
        "Acmé’nin “özür” açıklaması",
    ),
    "cp874": (
        ("dos-874", "iso-8859-11", "iso8859-11"),
        ("iso885911", "tis-620", "windows-874"),
        "ข่าว “บริษัท” 5 €",
    ),
    "gb18030": (
        ("chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312"),
        ("gb_2312-80", "gbk", "iso-ir-58", "x-gbk"),
        "公司声明：朱镕基",
    ),
    "cp949": (
        ("cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean"),
        ("ks_c_5601-1987", "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949"),
        "회사 발표: 똠방각하",
    ),
    "big5hkscs": (("big5", "big5-hkscs", "cn-big5"), ("csbig5", "x-x-big5"), "公司聲明：啲嘢"),
    "cp932": (
        ("csshiftjis", "ms932", "ms_kanji", "shift-jis"),
        ("shift_jis", "sjis", "windows-31j", "x-sjis"),
        "会社の発表 ①②",
    ),
}
LABEL_CASES = [
    (label, codec, title)
    for codec, (first, second, title) in WHATWG_LABELS.items()
    for label in first + second
]


@pytest.mark.parametrize(("label", "codec", "title"), LABEL_CASES)
def test_every_whatwg_label_declared_or_served(label: str, codec: str, title: str) -> None:
    declared = parse_feed(_feed(label.upper(), codec, title), url=URL)
    assert declared.items[0].title == title and declared.warnings == []
    undeclared = _feed(label, codec, title).split(b"?>", 1)[1]
    served = parse_feed(undeclared, url=URL, content_type=f"text/xml; charset={label.upper()}")
    assert served.items[0].title == title and served.warnings == []
