"""Hardened XML parsing, shared by the feed parser and the App Store review feeds.

The parser never loads a DTD, never touches the network and never expands
entities; a document that *declares* entities (billion laughs, XXE) is refused
outright. Malformed XML is read in libxml2's recover mode, so a bozo feed still
yields what it holds, with a warning. Undeclared HTML entities (``&eacute;``),
which would cut the text, are rewritten as character references.

Encodings are read as browsers read them (WHATWG), like the project's HTML and
e-mail: a label is looked up in WHATWG's table (:mod:`._charset`), so a
document declaring ISO-8859-1, latin-1 or US-ASCII is decoded as windows-1252
(French CMSs write ’ € œ « » in 0x80–0x9F under those labels), ISO-8859-9 as
windows-1254, TIS-620 as windows-874, GB2312 as GBK, EUC-KR as windows-949,
and handed to libxml2 as UTF-8. So is every other legacy label of that table
(KOI8-R, ISO-8859-8-I, x-mac-cyrillic, windows-1251…): libxml2 knows some
labels under other names or not at all, and stops a text at a byte its codec
leaves undefined, where WHATWG's index reads a C1 control. Its UTF-8 labels
that libxml2 does not know (``unicode20utf8``…) are UTF-8; ISO-2022-JP is
read by WHATWG's decoder too. Left to libxml2: UTF-16/32 and labels WHATWG
does not list.

Which encoding, in order (RFC 7303 §3.2–3.3, which obsoletes RFC 3023; the
order feedparser follows, "Character Encoding Detection", and browsers'
XML loading):

1. A byte-order mark (UTF-8, UTF-16): it cannot be wrong, and wins over the
   rest. libxml2 reads it.
2. The ``charset`` of the HTTP ``Content-Type`` (``read_xml(content_type=)``),
   authoritative over the document's declaration as RFC 7303 and feedparser
   make it, whether the type is ``text/xml`` or ``application/*+xml``
   (RFC 7303 dropped RFC 3023's us-ascii default of ``text/xml`` without a
   charset: no charset is no information). Three limits, each for what
   servers actually send:

   - bytes that are valid UTF-8 are UTF-8, whatever the label says (Miniflux's
     rule, ``internal/reader/encoding/encoding.go``, and ours for
     declarations): servlet containers add
     ``charset=ISO-8859-1`` to UTF-8 feeds, and legacy text with any letter
     above ASCII is practically never valid UTF-8;
   - ``charset=utf-8`` over bytes that are not UTF-8 is a server's default
     (nginx ``charset utf-8``, Apache ``AddDefaultCharset``), not the
     document's: the document's declaration then decides, as below;
   - ``charset=ISO-8859-1`` (any windows-1252 label) was HTTP/1.1's default
     for ``text/*`` (RFC 2616 §3.7.1) and is what servers add when they know
     nothing: it yields to a declaration of another legacy encoding
     (``encoding="windows-1251"``). Any other charset was chosen for the
     document and wins.

   UTF-16/32 charsets are left to the bytes (libxml2 sniffs ``<`` in UTF-16).
   A feed read by its HTTP charset is not malformed: no warning, unless a byte
   cannot be decoded in it.
3. The XML declaration's ``encoding``, through WHATWG's table as above; bytes
   that are valid UTF-8 under a legacy label are UTF-8 (a template's stale
   declaration).
4. UTF-8, the XML default; bytes that are not valid UTF-8 are then read as
   windows-1252 (feedparser's last guess too) with a warning: nothing said
   what they are.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from html.entities import name2codepoint
from xml.sax.saxutils import quoteattr

from lxml import etree

from watchtower.adapters._charset import (
    charset_codec,
    decode_legacy,
    decode_windows_1252,
    legacy_codec,
    whatwg_codec,
)
from watchtower.errors import PermanentError

__all__ = ["XmlDocument", "parse_fragment", "parse_xml", "read_xml"]

_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>")
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)")
#: The UTF-8 labels libxml2 knows (WHATWG has four more: ``_charset``'s table).
_UTF8 = {"utf-8", "utf8"}
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_local = threading.local()


def _parser() -> etree.XMLParser:
    # lxml parsers keep per-parse state, so each thread gets its own.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            recover=True,
            remove_comments=True,
            remove_pis=True,
        )
        _local.parser = parser
    return parser


def _to_utf8_if_needed(data: bytes, transport: str | None = None) -> tuple[bytes, str | None]:
    """Re-encode feeds that claim (or default to) UTF-8 but are not, feeds
    declaring a legacy label WHATWG reads as another encoding, and feeds whose
    HTTP charset (``transport``, a codec from :func:`charset_codec`) says what
    they are.

    A feed without an encoding declaration is UTF-8 by the XML rules; when its
    bytes are not, it was almost always written as Windows-1252/ISO-8859-1
    (feedparser reaches the same guess). libxml2 would drop those bytes, so they
    are decoded here, as windows-1252 the way browsers decode it (the five bytes
    it leaves undefined are C1 controls, every other byte its windows-1252
    character), and the feed is marked malformed.

    A feed declaring ISO-8859-1 (or latin-1, US-ASCII…) is read as windows-1252,
    as browsers read it (``_charset``'s table, as ``decode_html``): libxml2 would read 0x92 as a C1
    control, not ’ (and cut the text at any byte above 0x7F under US-ASCII).
    The other legacy labels of that table (ISO-8859-9, TIS-620, GB2312,
    EUC-KR, KOI8-R, windows-1251…) are read as their WHATWG encoding likewise. Not an error: no
    warning. Bytes that are valid UTF-8 under such a label are
    UTF-8 (a template's stale declaration; windows-1252 text with accents is
    practically never valid UTF-8). The declaration is dropped from the UTF-8
    bytes handed to libxml2, which then reads them as UTF-8. The module
    docstring gives the order of BOM, HTTP charset and declaration.
    """
    declared = _DECLARED_ENCODING.match(data[:512])
    label = declared.group(1).decode("ascii").lower() if declared else None
    if transport is not None and not data.startswith(_BOMS):
        chosen = _by_transport(data, transport, label)
        if chosen is not None:
            return chosen
    if label is not None:
        codec = legacy_codec(label)
        if codec is not None:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                return _decoded(data, exc.start, codec, label)
            return _DECLARATION.sub(b"", data, count=1), None
        named = whatwg_codec(label)
        if named is not None and named.startswith(_SEVEN_BIT):
            # ISO-2022-JP is 7-bit, so always valid UTF-8: read it as browsers do
            # (libxml2's iconv refused Windows' ① ㈱ 髙 and lost the whole feed).
            return _decoded(data, 0, named, label)
        if named != "utf-8":
            return data, None  # UTF-16/32, labels no table knows: libxml2's
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data, None  # UTF-16 with a byte-order mark
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Read as a declared ISO-8859-1 is: a byte windows-1252 leaves undefined
        # (0x81…) is its C1 control alone, so one stray byte cannot make the
        # whole document latin-1 (’ € œ « » … read as C1 controls).
        fixed = _as_utf8(data, exc.start)
        reason = f"not valid UTF-8: {exc.reason} at byte {exc.start}; read as Windows-1252"
        return fixed, reason
    if label is not None and label not in _UTF8:
        # WHATWG's other UTF-8 labels (unicode-1-1-utf-8, unicode20utf8…):
        # libxml2 knows none of them, and would call the feed malformed.
        return _DECLARATION.sub(b"", data, count=1), None
    return data, None


def _by_transport(data: bytes, codec: str, label: str | None) -> tuple[bytes, str | None] | None:
    """``data`` read by its HTTP charset, or ``None`` to read it by what the
    document says (the rules and their sources are in the module docstring)."""
    if codec == "utf-8" or codec.startswith(_WIDE) or b"\x00" in data[:256]:
        return None  # a server's default, or left to the bytes (UTF-16/32)
    if codec.startswith(_SEVEN_BIT):
        # ISO-2022-JP text is ASCII bytes, escape sequences and all: always
        # valid UTF-8, so the check below would keep ESC $ B in the text.
        return _decoded(data, 0, codec, f"{codec} (the HTTP charset)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if codec == "windows-1252" and label is not None and _names_other_legacy(label):
            return None  # HTTP/1.1's default label yields to the document's own
        return _decoded(data, exc.start, codec, f"{codec} (the HTTP charset)")
    return _DECLARATION.sub(b"", data, count=1), None


def _names_other_legacy(label: str) -> bool:
    """Whether a declared label names a legacy encoding other than windows-1252."""
    codec = whatwg_codec(label)
    return codec is not None and codec != "windows-1252" and not codec.startswith("utf")


def _decoded(data: bytes, checked: int, codec: str, name: str) -> tuple[bytes, str | None]:
    """``data`` without its XML declaration, read in legacy ``codec``, as UTF-8,
    with a warning when a byte cannot be decoded in it (``name``: the label)."""
    if codec == "windows-1252":
        return _as_utf8(data, checked), None  # every byte decodes
    declaration = _DECLARATION.match(data)
    cut = declaration.end() if declaration else 0
    text, bad = decode_legacy(data[cut:], codec)
    if bad is None:
        return text.encode("utf-8"), None
    # ``bad`` counts bytes of data[cut:] (decode_legacy's contract).
    reason = f"not valid {name}: byte {cut + bad} cannot be decoded; read as U+FFFD"
    return text.encode("utf-8"), reason


def _as_utf8(data: bytes, checked: int) -> bytes:
    """``data`` without its XML declaration, read as windows-1252, as UTF-8.

    ``data[:checked]`` is what the UTF-8 check read before it failed: when it
    is ASCII it is already the same UTF-8 and only the rest is decoded, so no
    byte is decoded twice, however late the first one that is not UTF-8 comes.
    The declaration is cut from the bytes, not from the text: windows-1252
    reads each ASCII byte as itself and any other as a character above ASCII,
    so it spans the same characters either way.
    """
    declaration = _DECLARATION.match(data)
    cut = declaration.end() if declaration else 0
    view = memoryview(data)
    if cut <= checked and data[cut:checked].isascii():
        return b"".join((view[cut:checked], decode_windows_1252(view[checked:]).encode("utf-8")))
    return decode_windows_1252(view[cut:]).encode("utf-8")


def _without_nul(data: bytes) -> bytes:
    """``data`` without its NUL bytes when it is in an ASCII-compatible encoding.

    XML forbids NUL, and there a 0 byte can only be one (a broken writer's):
    libxml2 stops reading at it, and with a stray tag in the same entry the
    entries after it were lost. UTF-16 and UTF-32, where 0 bytes are ordinary,
    are left alone.
    """
    if b"\0" not in data or data.startswith((b"\xff\xfe", b"\xfe\xff", b"\0", b"<\0")):
        return data
    declared = _DECLARED_ENCODING.match(data[:512])
    if declared and declared.group(1).decode("ascii").lower().startswith(_WIDE):
        return data
    return data.replace(b"\0", b"")


#: Encodings written in 7-bit bytes, switching character sets by escape sequences.
_SEVEN_BIT = ("iso2022", "hz", "utf-7")
#: Encodings in which a 0 byte is part of ordinary characters.
_WIDE = ("utf-16", "utf16", "utf-32", "utf32", "ucs")


def _refuse_entities(tree: etree._ElementTree) -> None:
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise PermanentError(code="xml_entities")


def _first_error(parser: etree.XMLParser) -> str | None:
    for entry in parser.error_log:
        if entry.level >= etree.ErrorLevels.ERROR:
            return f"{entry.message.strip()}: line {entry.line}, column {entry.column}"
    return None


@dataclass(frozen=True, slots=True)
class XmlDocument:
    """A parsed document, with what a second, finer recovery needs to know.

    ``error`` is libxml2's first error (``None`` for well-formed XML, even when
    the bytes had to be re-encoded); ``data`` the bytes that were parsed, with
    their ``encoding`` (``None`` for UTF-16/32, which cannot be cut on ``<``).
    """

    root: etree._Element
    warning: str | None
    error: str | None
    data: bytes
    encoding: str | None


def parse_xml(data: bytes, *, content_type: str = "") -> tuple[etree._Element, str | None]:
    """Parse untrusted XML safely; return the root and a warning if it was malformed.

    Entities are never expanded and never loaded, and a document declaring any
    is refused; bytes that are not valid UTF-8 in a document that claims UTF-8
    are read as Windows-1252. ``content_type`` is the HTTP ``Content-Type``,
    whose ``charset`` is read as the module docstring says. Raises
    :class:`PermanentError` when no element can be recovered.
    """
    document = read_xml(data, content_type=content_type)
    return document.root, document.warning


def read_xml(data: bytes, *, content_type: str = "") -> XmlDocument:
    """:func:`parse_xml`, returning the whole :class:`XmlDocument`."""
    transport = charset_codec(content_type) if content_type else None
    data, warning = _to_utf8_if_needed(data.lstrip(), transport)
    data = _without_nul(data)
    root, error, _ = _recover(data)
    if root is None:
        raise PermanentError(code="xml_unreadable", params={"reason": error or "empty document"})
    if error is not None:
        warning = warning or f"malformed XML ({error})"
    return XmlDocument(root, warning, error, data, _encoding(data))


def parse_fragment(
    fragment: bytes, nsmap: Mapping[str | None, str], encoding: str
) -> tuple[etree._Element | None, bool]:
    """Parse a piece of a document (an entry) under a root declaring ``nsmap``.

    Returns the wrapping root (``None`` when nothing could be recovered) and
    whether the piece was well-formed. The piece gets the same parser and the
    same refusals as a whole document: a ``<!DOCTYPE`` inside it is never in the
    prolog, so it declares nothing, and entities are not expanded.
    """
    declarations = "".join(
        f" xmlns:{prefix}={quoteattr(uri)}" if prefix else f" xmlns={quoteattr(uri)}"
        for prefix, uri in nsmap.items()
    )
    head = f'<?xml version="1.0" encoding="{encoding}"?><_w{declarations}>'
    # An ASCII head reads the same in every encoding a piece can be cut from.
    wrapped = head.encode("ascii", "xmlcharrefreplace") + fragment + b"</_w>"
    root, _, clean = _recover(wrapped)
    return root, clean


def _encoding(data: bytes) -> str | None:
    """The encoding ``data`` is in, when it can be cut on ASCII ``<`` bytes."""
    declared = _DECLARED_ENCODING.match(data[:512])
    name = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:256]:
        return None
    if name.startswith(_WIDE):
        return None
    return name


def _recover(data: bytes) -> tuple[etree._Element | None, str | None, bool]:
    """The root libxml2 recovers from ``data``, its first error and whether the
    entity rewrite below left it well-formed."""
    parser = _parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise PermanentError(code="xml_unreadable", params={"reason": str(exc)}) from None
    if root is None:
        return None, _first_error(parser), False
    _refuse_entities(root.getroottree())
    error = _first_error(parser)
    if error is not None and _has_undefined_entities(parser):
        # HTML entities (&nbsp; &eacute;) in a feed without a DTD: libxml2 would
        # cut the text at each one, so they are rewritten as character references.
        fixed = etree.fromstring(_HTML_ENTITY.sub(_entity_reference, data), parser)
        if fixed is not None:
            root = fixed
            remaining = _first_error(parser)
            return root, remaining or error, remaining is None
    return root, error, error is None


_HTML_ENTITY = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = {b"amp", b"lt", b"gt", b"quot", b"apos"}
_UNDECLARED = {etree.ErrorTypes.ERR_UNDECLARED_ENTITY, etree.ErrorTypes.WAR_UNDECLARED_ENTITY}


def _has_undefined_entities(parser: etree.XMLParser) -> bool:
    return any(entry.type in _UNDECLARED for entry in parser.error_log)


def _entity_reference(match: re.Match[bytes]) -> bytes:
    name = match.group(1)
    if name in _XML_ENTITIES:
        return match.group(0)
    codepoint = name2codepoint.get(name.decode("ascii"))
    if codepoint is None:
        return b"&amp;" + name + b";"  # unknown: keep it as literal text
    return b"&#%d;" % codepoint
