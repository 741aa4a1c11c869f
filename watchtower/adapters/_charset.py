"""Bytes to text with the encoding browsers would pick (WHATWG), in one place.

HTML pages (``kind = "html"``, ``kind = "reviews"``), e-mail parts and feeds
that declare a legacy label all read labels through :data:`WINDOWS_1252_LABELS`
and decode windows-1252 with :func:`decode_windows_1252`, so an ISO-8859-1
label means the same text wherever it is met. Labels are read as WHATWG's
"get an encoding" reads them (https://encoding.spec.whatwg.org/#concept-encoding-get:
trimmed, ASCII case-insensitive, through its table of labels): ``iso-8859-9``
is windows-1254, ``tis-620`` windows-874, ``gb2312`` GBK, ``euc-kr``
windows-949, as :func:`whatwg_codec` and :func:`legacy_codec` say. Pages,
e-mail and feeds decode with :func:`decode_legacy`, which reads single-byte
encodings through WHATWG's indexes: a byte a windows-125x code page leaves
undefined in 0x80–0x9F is its C1 control everywhere, not U+FFFD; and the CJK
encodings through WHATWG's decoders, on top of Python's superset codecs
(:mod:`._charset_cjk`, :mod:`._charset_iso2022jp`, :mod:`._euc_jp`).
"""

from __future__ import annotations

import codecs
import functools
import importlib
import re
from collections.abc import Callable

from watchtower.adapters._charset_cjk import decode_gb18030, decode_pairs, decode_shift_jis
from watchtower.adapters._charset_iso2022jp import decode_iso_2022_jp
from watchtower.adapters._euc_jp import decode_euc_jp

__all__ = [
    "WINDOWS_1252_LABELS",
    "charset_codec",
    "decode_html",
    "decode_legacy",
    "decode_windows_1252",
    "legacy_codec",
    "whatwg_codec",
]

# How far into a page a <meta> charset is looked for. WHATWG says 1024 bytes;
# pages with long <head>s (inline styles, many <link>s) often declare it later,
# and a <meta> in the first few kilobytes is still the page's own declaration.
_META_SCAN = 4096
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
# <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?\bcharset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
_COMMENT = re.compile(rb"<!--.*?(?:-->|$)", re.DOTALL)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
#: The labels WHATWG's Encoding Standard maps to windows-1252 (plus "latin-1",
#: which Python and some CMSs write): browsers read every "latin-1" page as
#: windows-1252 (servers label cp1252 text so all the time: curly quotes and
#: dashes live in 0x80-0x9F), and a C-locale server's "ANSI_X3.4-1968" too.
#: The one list: HTML pages, e-mail and feed declarations (``_xml``) read it.
WINDOWS_1252_LABELS = frozenset(
    (
        "ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1",
        "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1",
        "latin-1", "us-ascii", "windows-1252", "x-cp1252",
    )
)  # fmt: skip
# Every label of https://encoding.spec.whatwg.org/#names-and-labels, by the
# Python codec that reads its encoding as WHATWG does. Python reads some labels
# as another table ("iso8859-9", "l5": ISO-8859-9, no ’ at 0x92; "gb2312":
# strict GB2312), others not at all ("windows-874", "korean", "x-mac-cyrillic",
# "iso-8859-8-i", "x-euc-jp", "unicode20utf8"): a page or feed so labelled lost
# its characters, or (a feed) went to libxml2, which knows fewer labels still.
# Left out: WHATWG's "replacement" labels (iso-2022-kr, hz-gb-2312,
# iso-2022-cn…), which browsers refuse to decode; Python decodes them, and a
# Korean e-mail in ISO-2022-KR (RFC 1557) is text worth matching.
_WHATWG_ENCODINGS: dict[str, tuple[str, ...]] = {
    "utf-8": (
        "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8",
    ),
    "cp866": ("866", "cp866", "csibm866", "ibm866"),
    "iso8859-2": (
        "csisolatin2", "iso-8859-2", "iso-ir-101", "iso8859-2", "iso88592", "iso_8859-2",
        "iso_8859-2:1987", "l2", "latin2",
    ),
    "iso8859-3": (
        "csisolatin3", "iso-8859-3", "iso-ir-109", "iso8859-3", "iso88593", "iso_8859-3",
        "iso_8859-3:1988", "l3", "latin3",
    ),
    "iso8859-4": (
        "csisolatin4", "iso-8859-4", "iso-ir-110", "iso8859-4", "iso88594", "iso_8859-4",
        "iso_8859-4:1988", "l4", "latin4",
    ),
    "iso8859-5": (
        "csisolatincyrillic", "cyrillic", "iso-8859-5", "iso-ir-144", "iso8859-5", "iso88595",
        "iso_8859-5", "iso_8859-5:1988",
    ),
    "iso8859-6": (
        "arabic", "asmo-708", "csiso88596e", "csiso88596i", "csisolatinarabic", "ecma-114",
        "iso-8859-6", "iso-8859-6-e", "iso-8859-6-i", "iso-ir-127", "iso8859-6", "iso88596",
        "iso_8859-6", "iso_8859-6:1987",
    ),
    "iso8859-7": (
        "csisolatingreek", "ecma-118", "elot_928", "greek", "greek8", "iso-8859-7", "iso-ir-126",
        "iso8859-7", "iso88597", "iso_8859-7", "iso_8859-7:1987", "sun_eu_greek",
    ),
    # ISO-8859-8 and ISO-8859-8-I (logical order) are one table: the order is
    # the bidi algorithm's business, not the decoder's.
    "iso8859-8": (
        "csiso88598e", "csisolatinhebrew", "hebrew", "iso-8859-8", "iso-8859-8-e", "iso-ir-138",
        "iso8859-8", "iso88598", "iso_8859-8", "iso_8859-8:1988", "visual",
        "csiso88598i", "iso-8859-8-i", "logical",
    ),
    "iso8859-10": (
        "csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910", "l6", "latin6",
    ),
    "iso8859-13": ("iso-8859-13", "iso8859-13", "iso885913"),
    "iso8859-14": ("iso-8859-14", "iso8859-14", "iso885914"),
    "iso8859-15": ("csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "l9"),
    "iso8859-16": ("iso-8859-16",),
    "koi8-r": ("cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"),
    "koi8-u": ("koi8-ru", "koi8-u"),  # WHATWG's KOI8-U is KOI8-RU: see _WHATWG_DIFFERENCES
    "mac-roman": ("csmacintosh", "mac", "macintosh", "x-mac-roman"),
    "cp874": ("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"),
    "cp1250": ("cp1250", "windows-1250", "x-cp1250"),
    "cp1251": ("cp1251", "windows-1251", "x-cp1251"),
    # x-user-defined has its own table (0x80-0xFF to U+F780-U+F7FF, private
    # use): no text to match in that, windows-1252 is the better guess.
    "windows-1252": (*WINDOWS_1252_LABELS, "x-user-defined"),
    "cp1253": ("cp1253", "windows-1253", "x-cp1253"),
    "cp1254": (
        "cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599",
        "iso_8859-9", "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254",
    ),
    "cp1255": ("cp1255", "windows-1255", "x-cp1255"),
    "cp1256": ("cp1256", "windows-1256", "x-cp1256"),
    "cp1257": ("cp1257", "windows-1257", "x-cp1257"),
    "cp1258": ("cp1258", "windows-1258", "x-cp1258"),
    "mac-cyrillic": ("x-mac-cyrillic", "x-mac-ukrainian"),
    # WHATWG's GBK decoder is its gb18030 decoder.
    "gb18030": (
        "chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk",
        "iso-ir-58", "x-gbk", "gb18030",
    ),
    "big5hkscs": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"),
    "euc_jp": ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp"),
    "iso2022_jp": ("csiso2022jp", "iso-2022-jp"),
    "cp932": (
        "csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j",
        "x-sjis",
    ),
    "cp949": (
        "cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
        "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949",
    ),
    "utf-16-be": ("unicodefffe", "utf-16be"),
    # WHATWG's "UTF-16" label means little-endian.
    "utf-16-le": (
        "csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16", "utf-16le",
    ),
}  # fmt: skip
_WHATWG_LABELS = {label: codec for codec, labels in _WHATWG_ENCODINGS.items() for label in labels}
# Bytes where WHATWG's index of a single-byte encoding differs from Python's
# table other than by the C1 controls (checked against every index): KOI8-U is
# KOI8-RU there (ў Ў, where Python has box drawings), and windows-1255 has the
# holam haser for vav that Microsoft added at 0xCA.
_WHATWG_DIFFERENCES = {
    "koi8-u": {0xAE: "\u045e", 0xBE: "\u040e"},
    "cp1255": {0xCA: "\u05ba"},
}
# windows-1252 as browsers decode it (WHATWG's index): Python's cp1252 table with
# the five bytes it leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) mapped to the
# C1 controls of the same value, as latin-1 maps them. Kept, not dropped: it is
# the text a browser's DOM holds, the same in every document (a declared one,
# an undeclared one, a page, an e-mail), and a control is a word boundary to the
# matcher where a dropped byte would glue two words into one. One charmap decode
# in C, whatever the bytes: an error handler called back per undefined byte
# took 0.2 s for 300 kB of them.
_WINDOWS_1252 = "".join(
    bytes((byte,)).decode("cp1252", "ignore") or chr(byte) for byte in range(256)
)


def whatwg_codec(label: bytes | str) -> str | None:
    """The Python codec for an encoding label, or ``None`` if it names none.

    WHATWG's table first, all of it (``iso-8859-1`` is ``"windows-1252"``,
    decoded with :func:`decode_windows_1252`; ``iso-8859-9`` is ``cp1254``,
    ``x-mac-cyrillic`` ``mac-cyrillic``), then Python's own names for labels
    WHATWG does not list (``cp850``, ``utf-32``, ``iso-2022-kr``): an e-mail
    charset is more varied than the Web's, and a label Python reads right is
    information.
    """
    if isinstance(label, bytes):
        label = label.decode("ascii", "replace")
    label = label.strip().lower()
    name = _WHATWG_LABELS.get(label, label)
    if name == "windows-1252":
        return name
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_codec(content_type: str) -> str | None:
    """The codec named by the ``charset`` of a ``Content-Type`` value (:func:`whatwg_codec`).

    ``None`` when there is no charset or it names no encoding we know: an
    unknown label is no information, as in WHATWG's "get an encoding".
    """
    declared = _HTTP_CHARSET.search(content_type)
    return whatwg_codec(declared.group(1)) if declared else None


def legacy_codec(label: str) -> str | None:
    """The codec of a legacy label of WHATWG's table, to decode with :func:`decode_legacy`.

    ``"windows-1252"`` for the latin-1 family and ``x-user-defined``; ``cp1254``
    for ``iso-8859-9``, ``cp874`` for ``tis-620``, ``gb18030`` for ``gb2312``
    (WHATWG's GBK decoder is its gb18030 decoder), ``cp949`` for ``euc-kr``,
    ``koi8-r`` for ``koi8``, ``iso8859-8`` for ``iso-8859-8-i``…
    ``None`` for the UTF labels, for labels WHATWG does not list, and for
    ISO-2022-JP: its text is 7-bit, escape sequences and all, so it could not
    be told from UTF-8 by its bytes (see :mod:`._xml`).
    """
    codec = _WHATWG_LABELS.get(label.strip().lower())
    if codec is None or codec.startswith("utf") or codec == "iso2022_jp":
        return None
    return codec


def decode_windows_1252(data: bytes | memoryview) -> str:
    """``data`` read as windows-1252 the way browsers read it (no byte is invalid:
    0x81, 0x8D, 0x8F, 0x90 and 0x9D are U+0081, U+008D, U+008F, U+0090, U+009D).

    Any buffer: a ``memoryview`` of part of a document is decoded without a copy.
    """
    return codecs.charmap_decode(data, "strict", _WINDOWS_1252)[0]


@functools.cache
def _single_byte_table(codec: str) -> str | None:
    """A charmap table of a single-byte codec as WHATWG reads it, or ``None``
    for a codec that is not a single-byte table (multi-byte, latin-1).

    WHATWG's indexes of windows-874, windows-1250…1258 give a byte in
    0x80–0x9F that the code page leaves undefined its C1 control (as
    :data:`_WINDOWS_1252`); any other undefined byte is an error, read U+FFFD.
    The few characters WHATWG's index has where Python's table differs are
    WHATWG's (:data:`_WHATWG_DIFFERENCES`).
    """
    try:
        module = importlib.import_module("encodings." + codec.replace("-", "_"))
    except ImportError:
        return None
    table = getattr(module, "decoding_table", None)
    if not isinstance(table, str) or len(table) != 256:
        return None
    differences = _WHATWG_DIFFERENCES.get(codec, {})
    return "".join(
        differences.get(byte)
        or ((chr(byte) if 0x80 <= byte < 0xA0 else "\ufffd") if char == "\ufffe" else char)
        for byte, char in enumerate(table)
    )


# The CJK codecs of WHATWG's table, read by WHATWG's decoders rather than Python's.
_MULTIBYTE: dict[str, Callable[[bytes], tuple[str, int | None]]] = {
    "euc_jp": decode_euc_jp,
    "iso2022_jp": decode_iso_2022_jp,
    "gb18030": decode_gb18030,
    "big5hkscs": lambda data: decode_pairs(data, "big5hkscs"),
    "cp949": lambda data: decode_pairs(data, "cp949"),
    "cp932": decode_shift_jis,
}


def decode_legacy(data: bytes, codec: str) -> tuple[str, int | None]:
    """``data`` read in ``codec`` (from :func:`whatwg_codec`) as WHATWG reads it,
    and the offset of its first undecodable byte (``None`` when there is none).

    Undecodable bytes become U+FFFD, as browsers show them; windows-1252 and
    the single-byte code pages give their undefined 0x80–0x9F bytes' C1
    controls instead, as WHATWG's indexes do. The CJK encodings are WHATWG's
    decoders: EUC-JP and ISO-2022-JP read Windows' extensions (:mod:`._euc_jp`,
    :mod:`._charset_iso2022jp`), and a bad pair of GBK, Big5, EUC-KR or
    Shift_JIS is one U+FFFD that leaves the next character whole
    (:mod:`._charset_cjk`, with GBK's € at 0x80 and GB18030-2022's mappings).
    """
    if codec == "windows-1252":
        return decode_windows_1252(data), None
    multibyte = _MULTIBYTE.get(codec)
    if multibyte is not None:
        return multibyte(data)
    table = _single_byte_table(codec)
    if table is not None:
        text = codecs.charmap_decode(data, "strict", table)[0]
        bad = text.find("\ufffd")  # one character per byte: the offset of the byte
        return text, (bad if bad >= 0 else None)
    try:
        return data.decode(codec), None
    except UnicodeDecodeError as exc:
        return data.decode(codec, "replace"), exc.start


def _meta_charset(data: bytes) -> str | None:
    head = _COMMENT.sub(b"", data[:_META_SCAN])
    for match in _META_CHARSET.finditer(head):
        codec = whatwg_codec(match.group(1))
        if codec is not None:
            # A <meta> cannot honestly declare UTF-16: the bytes it is written
            # in were just read as ASCII. Browsers take UTF-8 then, as here.
            return "utf-8" if codec.startswith("utf-16") else codec
    return None


def decode_html(data: bytes, content_type: str = "") -> str:
    """An HTML page's text, its encoding chosen as browsers choose it (WHATWG).

    In order: a byte order mark; the ``charset`` of the HTTP ``Content-Type``;
    a ``<meta charset>`` or ``<meta http-equiv="Content-Type">`` near the top
    of the page; UTF-8 if the bytes are valid UTF-8; else windows-1252.
    ISO-8859-1, latin-1 and ASCII labels are read as windows-1252, as browsers
    do. Unknown labels are skipped; undecodable bytes become U+FFFD, except
    the C1 bytes WHATWG's indexes define (:func:`decode_legacy`).
    """
    for bom, unicode in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(unicode, "replace")
    declared = _HTTP_CHARSET.search(content_type)
    codec = (whatwg_codec(declared.group(1)) if declared else None) or _meta_charset(data)
    if codec is not None:
        # As feeds read it: an undefined C1 byte of a windows-125x page or
        # e-mail is its control (a word boundary), not U+FFFD.
        return decode_legacy(data, codec)[0]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_windows_1252(data)
