"""Bytes to text with the encoding browsers would pick (WHATWG), in one place.

HTML pages (``kind = "html"``, ``kind = "reviews"``), e-mail parts and feeds
that declare a legacy label all read labels through :data:`WINDOWS_1252_LABELS`
and decode windows-1252 with :func:`decode_windows_1252`, so an ISO-8859-1
label means the same text wherever it is met. Labels are read as WHATWG's
"get an encoding" reads them (https://encoding.spec.whatwg.org/#concept-encoding-get:
trimmed, ASCII case-insensitive, through its table of labels): ``iso-8859-9``
is windows-1254, ``tis-620`` windows-874, ``gb2312`` GBK, ``euc-kr``
windows-949, as :func:`whatwg_codec` and :func:`legacy_codec` say; feeds
decode them with :func:`decode_legacy`.
"""

from __future__ import annotations

import codecs
import functools
import importlib
import re

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
# WHATWG labels whose encoding is not the Python codec of the same name.
_WHATWG_ALIASES = {
    **dict.fromkeys(WINDOWS_1252_LABELS, "windows-1252"),
    # WHATWG gives x-user-defined its own table (0x80-0xFF to U+F780-U+F7FF,
    # private use): no text to match in that, windows-1252 is the better guess.
    "x-user-defined": "windows-1252",
    # Every WHATWG label of these encodings: Python reads some of them as the
    # strict standard ("iso8859-9", "l5": ISO-8859-9, no ’ at 0x92), others not
    # at all ("windows-874", "korean"), where browsers read the Windows superset.
    **dict.fromkeys(
        (
            "cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599",
            "iso_8859-9", "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254",
        ),
        "cp1254",
    ),
    **dict.fromkeys(
        ("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"),
        "cp874",
    ),
    **dict.fromkeys(
        (
            "chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk",
            "iso-ir-58", "x-gbk",
        ),
        "gb18030",  # WHATWG's GBK decoder is its gb18030 decoder
    ),
    **dict.fromkeys(
        (
            "cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987",
            "ks_c_5601-1989", "ksc5601", "ksc_5601", "windows-949",
        ),
        "cp949",
    ),
    **dict.fromkeys(("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"), "big5hkscs"),
    **dict.fromkeys(
        (
            "csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j",
            "x-sjis",
        ),
        "cp932",
    ),
    "utf-16": "utf-16-le",  # WHATWG's "UTF-16" label means little-endian
    "unicode-1-1-utf-8": "utf-8",
}  # fmt: skip
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

    WHATWG's table first (``iso-8859-1`` is ``"windows-1252"``, decoded with
    :func:`decode_windows_1252`; ``iso-8859-9`` is ``cp1254``), then Python's
    own names for the labels WHATWG reads as the encoding of the same name.
    """
    if isinstance(label, bytes):
        label = label.decode("ascii", "replace")
    label = label.strip().lower()
    name = _WHATWG_ALIASES.get(label, label)
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
    """The codec of a lowercase legacy label that WHATWG reads as another encoding.

    ``"windows-1252"`` for the latin-1 family and ``x-user-defined``; ``cp1254``
    for ``iso-8859-9``, ``cp874`` for ``tis-620``, ``gb18030`` for ``gb2312``
    (WHATWG's GBK decoder is its gb18030 decoder), ``cp949`` for ``euc-kr``…
    ``None`` for the other labels, whose encoding is the one of the same name
    (``koi8-r``, ``iso-8859-15``), and for the UTF labels.
    """
    codec = _WHATWG_ALIASES.get(label)
    if codec is None or codec.startswith("utf"):
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
    """
    try:
        module = importlib.import_module("encodings." + codec.replace("-", "_"))
    except ImportError:
        return None
    table = getattr(module, "decoding_table", None)
    if not isinstance(table, str) or len(table) != 256:
        return None
    return "".join(
        (chr(byte) if 0x80 <= byte < 0xA0 else "\ufffd") if char == "\ufffe" else char
        for byte, char in enumerate(table)
    )


def decode_legacy(data: bytes, codec: str) -> tuple[str, int | None]:
    """``data`` read in ``codec`` (from :func:`whatwg_codec`) as WHATWG reads it,
    and the offset of its first undecodable byte (``None`` when there is none).

    Undecodable bytes become U+FFFD, as browsers show them; windows-1252 and
    the single-byte code pages give their undefined 0x80–0x9F bytes' C1
    controls instead, as WHATWG's indexes do.
    """
    if codec == "windows-1252":
        return decode_windows_1252(data), None
    table = _single_byte_table(codec)
    if table is not None:
        text = codecs.charmap_decode(data, "strict", table)[0]
        bad = text.find("\ufffd")  # one character per byte: the offset of the byte
        return text, (bad if bad >= 0 else None)
    try:
        return data.decode(codec), None
    except UnicodeDecodeError as exc:
        return data.decode(codec, "replace"), exc.start


def _decode(data: bytes, codec: str) -> str:
    if codec == "windows-1252":
        return decode_windows_1252(data)
    return data.decode(codec, "replace")


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
    do. Unknown labels are skipped; undecodable bytes become U+FFFD.
    """
    for bom, unicode in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(unicode, "replace")
    declared = _HTTP_CHARSET.search(content_type)
    codec = (whatwg_codec(declared.group(1)) if declared else None) or _meta_charset(data)
    if codec is not None:
        return _decode(data, codec)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode(data, "windows-1252")
