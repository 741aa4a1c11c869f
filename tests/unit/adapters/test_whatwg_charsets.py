"""Every WHATWG label, and every legacy encoding decoded as WHATWG's indexes say.

Feeds already read windows-1252's undefined bytes as C1 controls and a few
legacy labels through WHATWG's table; what was left:

* HTML pages and e-mail parts decoded a single-byte code page with Python's
  codec, where a byte the code page leaves undefined (0x81 in windows-1250,
  0x98 in windows-1251…) became U+FFFD, and a feed declaring one went to
  libxml2, which stopped the text at that byte and called the feed malformed.
  WHATWG's indexes give those bytes their C1 control (a word boundary);
* WHATWG's KOI8-U is KOI8-RU (0xAE ў, 0xBE Ў) and its windows-1255 has U+05BA
  at 0xCA, where Python's tables differ;
* 49 labels of WHATWG's table were unknown (x-mac-cyrillic, iso-8859-8-i,
  koi8, x-cp1250, iso88592, x-euc-jp, unicode20utf8, ucs-2…): a page or an
  e-mail so labelled was read as UTF-8 or windows-1252, a feed went to
  libxml2, which knows few of them (and none of WHATWG's other UTF-8 labels);
* EUC-JP was Python's strict JIS X 0208, without the NEC and IBM rows
  WHATWG's index has (㈱ ① 髙 﨑): a brand written 髙島屋 was lost;
* a feed served ``charset=ISO-2022-JP`` kept its escape sequences (7-bit
  text is valid UTF-8, and valid UTF-8 used to win over the HTTP charset).

An e-mail part declaring ``charset=iso-8859-1`` and carrying ’ € œ in
0x80–0x9F was already read as windows-1252 (``test_charset_labels``,
``test_cp1252_undefined``); it is checked here once more with a French e-mail.
"""

from __future__ import annotations

import email
import email.policy
import hashlib

import pytest

from watchtower.adapters._charset import decode_legacy, legacy_codec, whatwg_codec
from watchtower.adapters._feed import parse_feed
from watchtower.adapters._mail_decode import body_text, decode_bytes, decode_words
from watchtower.adapters._text import decode_html
from watchtower.adapters._xml import read_xml

URL = "https://news.example.org/feed"

# https://encoding.spec.whatwg.org/#names-and-labels: encoding -> (Python codec, labels).
# Left out: the "replacement" labels (iso-2022-kr, hz-gb-2312, iso-2022-cn…),
# which Python decodes and browsers refuse to.
SPEC = {
    "utf-8": ("utf-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8"),
    "ibm866": ("cp866", "866 cp866 csibm866 ibm866"),
    "iso-8859-2": (
        "iso8859-2",
        "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2",
    ),
    "iso-8859-3": (
        "iso8859-3",
        "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3",
    ),
    "iso-8859-4": (
        "iso8859-4",
        "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4",
    ),
    "iso-8859-5": (
        "iso8859-5",
        "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5"
        " iso_8859-5:1988",
    ),
    "iso-8859-6": (
        "iso8859-6",
        "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6"
        " iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987",
    ),
    "iso-8859-7": (
        "iso8859-7",
        "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7"
        " iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek",
    ),
    "iso-8859-8": (
        "iso8859-8",
        "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8"
        " iso88598 iso_8859-8 iso_8859-8:1988 visual",
    ),
    "iso-8859-8-i": ("iso8859-8", "csiso88598i iso-8859-8-i logical"),
    "iso-8859-10": (
        "iso8859-10",
        "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6",
    ),
    "iso-8859-13": ("iso8859-13", "iso-8859-13 iso8859-13 iso885913"),
    "iso-8859-14": ("iso8859-14", "iso-8859-14 iso8859-14 iso885914"),
    "iso-8859-15": ("iso8859-15", "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9"),
    "iso-8859-16": ("iso8859-16", "iso-8859-16"),
    "koi8-r": ("koi8-r", "cskoi8r koi koi8 koi8-r koi8_r"),
    "koi8-u": ("koi8-u", "koi8-ru koi8-u"),
    "macintosh": ("mac-roman", "csmacintosh mac macintosh x-mac-roman"),
    "windows-874": ("cp874", "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874"),
    "windows-1250": ("cp1250", "cp1250 windows-1250 x-cp1250"),
    "windows-1251": ("cp1251", "cp1251 windows-1251 x-cp1251"),
    "windows-1252": (
        "windows-1252",
        "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1"
        " iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252",
    ),
    "windows-1253": ("cp1253", "cp1253 windows-1253 x-cp1253"),
    "windows-1254": (
        "cp1254",
        "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989"
        " l5 latin5 windows-1254 x-cp1254",
    ),
    "windows-1255": ("cp1255", "cp1255 windows-1255 x-cp1255"),
    "windows-1256": ("cp1256", "cp1256 windows-1256 x-cp1256"),
    "windows-1257": ("cp1257", "cp1257 windows-1257 x-cp1257"),
    "windows-1258": ("cp1258", "cp1258 windows-1258 x-cp1258"),
    "x-mac-cyrillic": ("mac-cyrillic", "x-mac-cyrillic x-mac-ukrainian"),
    "gbk": (
        "gb18030",
        "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk",
    ),
    "gb18030": ("gb18030", "gb18030"),
    "big5": ("big5hkscs", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
    "euc-jp": ("euc_jp", "cseucpkdfmtjapanese euc-jp x-euc-jp"),
    "iso-2022-jp": ("iso2022_jp", "csiso2022jp iso-2022-jp"),
    "shift_jis": (
        "cp932",
        "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis",
    ),
    "euc-kr": (
        "cp949",
        "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601"
        " ksc_5601 windows-949",
    ),
    "utf-16be": ("utf-16-be", "unicodefffe utf-16be"),
    "utf-16le": (
        "utf-16-le",
        "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le",
    ),
    "x-user-defined": ("windows-1252", "x-user-defined"),  # _charset's choice, not WHATWG's table
}
LABELS = [(label, codec) for codec, labels in SPEC.values() for label in labels.split()]


@pytest.mark.parametrize(("label", "codec"), LABELS)
def test_every_whatwg_label_names_its_encoding(label: str, codec: str) -> None:
    assert whatwg_codec(label) == codec
    assert whatwg_codec(f" {label.upper()}\t".encode()) == codec  # "get an encoding" trims


# For each single-byte encoding: SHA-256 (first 16 hex digits) of the 128
# characters WHATWG's index gives bytes 0x80-0xFF, U+FFFD where it gives none,
# and those bytes. Computed from the indexes of encoding.spec.whatwg.org.
INDEXES = {
    "ibm866": ("2e3f89d51df1d1b9", ""),
    "iso-8859-2": ("da4d3b2f8f06435d", ""),
    "iso-8859-3": ("c1d9ce25d3762a52", "a5aebec3d0e3f0"),
    "iso-8859-4": ("54140e6e75ba62ce", ""),
    "iso-8859-5": ("5372981566958051", ""),
    "iso-8859-6": (
        "2b716bc800e7bfe3",
        "a1a2a3a5a6a7a8a9aaabaeafb0b1b2b3b4b5b6b7b8b9babcbdbec0dbdcdddedff3f4f5f6f7f8f9fafbfcfdfeff",
    ),
    "iso-8859-7": ("8d94b0308cf418c9", "aed2ff"),
    "iso-8859-8": (
        "ade2c0790e86ddc8",
        "a1bfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddefbfcff",
    ),
    "iso-8859-8-i": (  # the same index
        "ade2c0790e86ddc8",
        "a1bfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddefbfcff",
    ),
    "iso-8859-10": ("129e084c5bc4da60", ""),
    "iso-8859-13": ("20a9bcd406361c31", ""),
    "iso-8859-14": ("80050213abdb4257", ""),
    "iso-8859-15": ("b9a4a2394ee58552", ""),
    "iso-8859-16": ("c2bb18a77fe0cd90", ""),
    "koi8-r": ("25a9da95cf2db39e", ""),
    "koi8-u": ("79b0a6e96024f61a", ""),
    "macintosh": ("94dcdcc19412eb48", ""),
    "windows-874": ("4bb5efdc1a2832ec", "dbdcdddefcfdfeff"),
    "windows-1250": ("52665a0c49e77322", ""),
    "windows-1251": ("153baf169d84e269", ""),
    "windows-1252": ("9ba654722668eee9", ""),
    "windows-1253": ("fa630499b7db169e", "aad2ff"),
    "windows-1254": ("612d01246f4b5106", ""),
    "windows-1255": ("16925d6a9d5cff62", "d9dadbdcdddedffbfcff"),
    "windows-1256": ("ae636a90722c9d75", ""),
    "windows-1257": ("abd51531663d43f8", "a1a5"),
    "windows-1258": ("ded84db6d51e3143", ""),
    "x-mac-cyrillic": ("ab39a8a69bbbd008", ""),
}
HIGH = bytes(range(0x80, 0x100))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.mark.parametrize("name", INDEXES)
def test_a_page_and_an_email_part_read_as_whatwgs_index(name: str) -> None:
    digest, undefined = INDEXES[name]
    page = decode_html(HIGH, f"text/html; charset={name}")
    assert len(page) == 128 and _digest(page) == digest
    assert [b for b, char in zip(HIGH, page, strict=True) if char == "\ufffd"] == list(
        bytes.fromhex(undefined)
    )
    meta = decode_html(f'<meta charset="{name}">'.encode() + HIGH)
    assert meta.endswith(page)
    assert decode_bytes(HIGH, name) == page


@pytest.mark.parametrize("name", INDEXES)
def test_a_declared_feed_reads_as_whatwgs_index_without_a_fault(name: str) -> None:
    # Every byte the index defines, in a declared document: no byte stops the
    # text (libxml2 stopped at 0x81 in windows-1250) and the feed is not faulty.
    digest, undefined = INDEXES[name]
    defined = bytes(b for b in HIGH if b not in bytes.fromhex(undefined))
    document = f'<?xml version="1.0" encoding="{name}"?><r>'.encode() + defined + b"</r>"
    read = read_xml(document)
    text = read.root.text or ""
    assert len(text) == len(defined)
    chars = iter(text)
    whole = "".join("\ufffd" if b in bytes.fromhex(undefined) else next(chars) for b in HIGH)
    assert _digest(whole) == digest
    assert read.warning is None


# (label, written text, what a browser reads): the undefined C1 bytes and
# the characters where WHATWG's index is not Python's table.
WORDS = [
    ("windows-1250", "Zażółć „Acmé”".encode("cp1250") + b"\x81x", "Zażółć „Acmé”\x81x"),
    ("windows-1251", "Компания «Акме»".encode("cp1251") + b"\x98", "Компания «Акме»\x98"),
    ("windows-1253", b"\x81" + "Άκμε".encode("cp1253"), "\x81Άκμε"),
    ("windows-874", "ข่าว".encode("cp874") + b"\x81", "ข่าว\x81"),
    ("koi8-u", b"\xae\xbe " + "Акме".encode("koi8-u"), "ўЎ Акме"),
    ("windows-1255", "ו".encode("cp1255") + b"\xca", "וֺ"),
]


@pytest.mark.parametrize(("label", "written", "read"), WORDS)
def test_pages_emails_and_feeds_read_alike(label: str, written: bytes, read: str) -> None:
    assert decode_html(written, f"text/html; charset={label}") == read
    assert decode_html(b"<meta charset=" + label.encode() + b">" + written).endswith(read)
    assert decode_bytes(written, label) == read
    word = "".join(f"={byte:02X}" for byte in written)
    assert decode_words(f"=?{label}?Q?{word}?=") == read
    document = (
        (
            f'<?xml version="1.0" encoding="{label}"?><rss version="2.0"><channel><title>N</title>'
            "<item><title>"
        ).encode()
        + written
        + b"</title><link>https://news.example.org/1</link></item></channel></rss>"
    )
    feed = parse_feed(document, url=URL)
    assert [item.title for item in feed.items] == [read]
    assert feed.warnings == []


def test_a_french_email_declaring_latin1_written_on_windows() -> None:
    # Outlook labels cp1252 text iso-8859-1: ’ € œ « » live in 0x80-0x9F.
    text = "L’offre d’Acmé : « manœuvre » à 5 € — “arnaque” ?"
    raw = (
        b"From: client@example.fr\r\nSubject: =?iso-8859-1?Q?Acm=E9_=92?=\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        + "".join(
            f"={b:02X}" if b > 0x7E or b == 0x3D else chr(b) for b in text.encode("cp1252")
        ).encode()
        + b"\r\n"
    )
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    assert body_text(message) == text
    assert decode_words(str(message["Subject"])) == "Acmé ’"


# One text per legacy encoding, written in it, for each of its labels.
TEXTS = {
    "cp866": "Компания Акме",
    "iso8859-2": "Zażółć gęślą jaźń",
    "iso8859-3": "Ĉu Acmé ŝanĝis?",
    "iso8859-4": "Ļoti labi: Acmē",
    "iso8859-5": "Компания Акме",
    "iso8859-6": "شركة أكمي",
    "iso8859-7": "Εταιρεία Άκμε",
    "iso8859-8": "חברת אקמה",
    "iso8859-10": "Þjónusta Acmé",
    "iso8859-13": "Įmonė „Acmė“",
    "iso8859-14": "Ŵyr Acmé",
    "iso8859-15": "5 € chez Acmé, œuvre",
    "iso8859-16": "Compania Acmé: ș ț",
    "koi8-r": "Компания Акме",
    "koi8-u": "Компанія Акме: ґ ї є",
    "mac-roman": "Acmé — “prix” 5 €",
    "cp874": "ข่าว “บริษัท” 5 €",
    "cp1250": "Zażółć „Acmé” – 5 €",
    "cp1251": "Компания «Акме» — 5 €",
    "windows-1252": "L’Acmé : « manœuvre » à 5 €",
    "cp1253": "Εταιρεία «Άκμε» — 5 €",
    "cp1254": "Acmé’nin “özür” açıklaması",
    "cp1255": "חברת “אקמה” ₪",
    "cp1256": "شركة أكمي — 5 €",
    "cp1257": "Įmonė „Acmė“ — 5 €",
    "cp1258": "Công ty Acmé – 5 €",
    "mac-cyrillic": "Компания Акме",
    "gb18030": "公司声明：朱镕基",
    "big5hkscs": "公司聲明：啲嘢",
    "euc_jp": "会社の発表 ㈱アクメ 髙島屋 ①",
    "iso2022_jp": "会社の発表 アクメ",
    "cp932": "会社の発表 ①②",
    "cp949": "회사 발표: 똠방각하",
}
LEGACY = [(label, codec) for label, codec in LABELS if codec in TEXTS]


def _euc_jp(text: str) -> bytes:
    """``text`` in EUC-JP as Windows writes it (the JIS X 0208 positions of cp932)."""
    out = bytearray()
    for char in text:
        sjis = char.encode("cp932")
        if len(sjis) == 1:
            out += sjis
            continue
        first = sjis[0] - (0x81 if sjis[0] < 0xA0 else 0xC1)
        second = sjis[1] - (0x40 if sjis[1] < 0x7F else 0x41)
        row, cell = divmod(first * 188 + second, 94)
        out += bytes((row + 0xA1, cell + 0xA1))
    return bytes(out)


def _written(text: str, codec: str) -> bytes:
    if codec == "euc_jp":
        return _euc_jp(text)
    return text.encode("cp1252" if codec == "windows-1252" else codec)


@pytest.mark.parametrize(("label", "codec"), LEGACY)
def test_every_legacy_label_in_every_place(label: str, codec: str) -> None:
    text = TEXTS[codec]
    written = _written(text, codec)
    assert decode_html(written, f"text/html; charset={label.upper()}") == text
    assert decode_bytes(written, label) == text
    body = b'<rss version="2.0"><channel><title>N</title><item><title>'
    body += written + b"</title><link>https://news.example.org/1</link></item></channel></rss>"
    declared = parse_feed(f'<?xml version="1.0" encoding="{label}"?>'.encode() + body, url=URL)
    served = parse_feed(body, url=URL, content_type=f"application/rss+xml; charset={label}")
    assert [i.title for i in declared.items] == [i.title for i in served.items] == [text]
    assert declared.warnings == served.warnings == []


@pytest.mark.parametrize("label", ["unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8"])
def test_whatwgs_other_utf8_labels_are_utf8_in_a_feed(label: str) -> None:
    document = (
        f'<?xml version="1.0" encoding="{label}"?><rss version="2.0"><channel><title>N</title>'
        "<item><title>L’Acmé € œ</title><link>https://news.example.org/1</link></item>"
        "</channel></rss>"
    ).encode()
    feed = parse_feed(document, url=URL)
    assert [item.title for item in feed.items] == ["L’Acmé € œ"]
    assert feed.warnings == []  # libxml2 said "Unsupported encoding"
    # Not UTF-8 after all: read as under "UTF-8" (windows-1252, and named).
    broken = document.replace("’".encode(), b"\x92")
    under_utf8 = parse_feed(broken.replace(label.encode(), b"UTF-8", 1), url=URL)
    feed = parse_feed(broken, url=URL)
    assert [i.title for i in feed.items] == [i.title for i in under_utf8.items]
    offset = broken.index(b"\x92")
    assert feed.warning is not None
    assert f"at byte {offset}; read as Windows-1252" in feed.warning


@pytest.mark.parametrize(
    ("label", "codec"), [("unicode", "utf-16-le"), ("unicodeFFFE", "utf-16-be")]
)
def test_utf16_labels_of_a_page(label: str, codec: str) -> None:
    assert decode_html("L’Acmé".encode(codec), f"text/html; charset={label}") == "L’Acmé"


def test_euc_jp_reads_windows_rows_as_shift_jis_does() -> None:
    # WHATWG's EUC-JP and Shift_JIS read one JIS X 0208 index: NEC's row 13
    # and the IBM rows 89-92 too (cp932 decodes exactly that index).
    for row in (13, 89, 90, 91, 92):
        for cell in range(94):
            sjis_first, sjis_second = divmod((row - 1) * 94 + cell, 188)
            sjis = bytes(
                (
                    sjis_first + (0x81 if sjis_first < 0x1F else 0xC1),
                    sjis_second + (0x40 if sjis_second < 0x3F else 0x41),
                )
            )
            expected, bad = decode_legacy(sjis, "cp932")
            euc = bytes((row + 0xA0, cell + 0xA1))
            text, euc_bad = decode_legacy(euc, "euc_jp")
            if bad is None:
                assert (text, euc_bad) == (expected, None), euc.hex()
            else:  # a position the index leaves empty
                assert euc_bad == 0 and set(text) == {"\ufffd"}, euc.hex()


def test_euc_jp_reads_the_six_symbols_as_fullwidth_forms() -> None:
    euc = bytes.fromhex("a1c1a1c2a1dda1f1a1f2a2cc")
    assert decode_legacy(euc, "euc_jp") == ("～∥－￠￡￢", None)
    assert decode_legacy(b"~", "euc_jp") == ("~", None)  # ASCII stays ASCII


def test_euc_jp_names_its_first_undecodable_byte() -> None:
    euc = _euc_jp("髙島屋") + b"\xad\x20" + _euc_jp("㈱")
    assert decode_legacy(euc, "euc_jp") == ("髙島屋\ufffd ㈱", 6)


def test_iso_2022_jp_is_never_taken_for_utf8() -> None:
    # Its bytes are 7-bit, so always valid UTF-8; the label must decide.
    assert legacy_codec("iso-2022-jp") is None  # a declaration is libxml2's
    written = "会社の発表 アクメ".encode("iso2022_jp")
    assert decode_html(written, "text/html; charset=csISO2022JP") == "会社の発表 アクメ"
