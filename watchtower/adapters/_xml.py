"""Hardened XML parsing, shared by the feed parser and the App Store review feeds.

The parser never loads a DTD, never touches the network and never expands
entities; a document that *declares* entities (billion laughs, XXE) is refused
outright. Malformed XML is read in libxml2's recover mode, so a bozo feed still
yields what it holds, with a warning. Undeclared HTML entities (``&eacute;``),
which would cut the text, are rewritten as character references.
"""

from __future__ import annotations

import re
import threading
from html.entities import name2codepoint

from lxml import etree

from watchtower.errors import PermanentError

__all__ = ["parse_xml"]

_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>")
_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)")
_UTF8 = {"utf-8", "utf8"}
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


def _to_utf8_if_needed(data: bytes) -> tuple[bytes, str | None]:
    """Re-encode feeds that claim (or default to) UTF-8 but are not.

    A feed without an encoding declaration is UTF-8 by the XML rules; when its
    bytes are not, it was almost always written as Windows-1252/ISO-8859-1
    (feedparser reaches the same guess). libxml2 would drop those bytes, so they
    are decoded here and the feed is marked malformed.
    """
    declared = _DECLARED_ENCODING.match(data[:512])
    if declared and declared.group(1).decode("ascii").lower() not in _UTF8:
        return data, None  # libxml2 decodes declared encodings itself
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data, None  # UTF-16 with a byte-order mark
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        fixed = _DECLARATION.sub(b"", text.encode("utf-8"), count=1)
        reason = f"not valid UTF-8: {exc.reason} at byte {exc.start}; read as Windows-1252"
        return fixed, reason
    return data, None


def _refuse_entities(tree: etree._ElementTree) -> None:
    dtd = tree.docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise PermanentError(code="xml_entities")


def _first_error(parser: etree.XMLParser) -> str | None:
    for entry in parser.error_log:
        if entry.level >= etree.ErrorLevels.ERROR:
            return f"{entry.message.strip()}: line {entry.line}, column {entry.column}"
    return None


def parse_xml(data: bytes) -> tuple[etree._Element, str | None]:
    """Parse untrusted XML safely; return the root and a warning if it was malformed.

    Entities are never expanded and never loaded, and a document declaring any
    is refused; bytes that are not valid UTF-8 in a document that claims UTF-8
    are read as Windows-1252. Raises :class:`PermanentError` when no element
    can be recovered.
    """
    data, warning = _to_utf8_if_needed(data.lstrip())
    parser = _parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise PermanentError(code="xml_unreadable", params={"reason": str(exc)}) from None
    if root is None:
        reason = _first_error(parser) or "empty document"
        raise PermanentError(code="xml_unreadable", params={"reason": reason})
    _refuse_entities(root.getroottree())
    error = _first_error(parser)
    if error is not None and _has_undefined_entities(parser):
        # HTML entities (&nbsp; &eacute;) in a feed without a DTD: libxml2 would
        # cut the text at each one, so they are rewritten as character references.
        fixed = etree.fromstring(_HTML_ENTITY.sub(_entity_reference, data), parser)
        if fixed is not None:
            root = fixed
            error = _first_error(parser) or error
    return root, warning or (f"malformed XML ({error})" if error else None)


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
