"""Item-aware recovery of a malformed feed: each entry parsed on its own.

libxml2's recovery is document-wide: a stray tag in one entry's text
(``Le texte<br>``, a lone ``</b>``, an unclosed ``<p>``) is never closed, so
every following entry is nested inside the broken one and no longer read, for
as long as the broken entry stays in the feed. A reader (and feedparser's loose
parser) shows those entries. So when a feed is not well-formed, its bytes are
cut on the entries' own tags (``<item …>`` … ``</item>``, ``<atom:entry>``,
with CDATA sections and comments skipped) and each piece is parsed alone with
the same hardened parser: the damage stays in its entry.

A piece that is not well-formed by itself is parsed a second time with its
text fields (title, description, content, summary) read as the HTML they
hold, in a CDATA section, so the stray tag is markup of that text instead of
a container of the next fields. Links are never rewritten: a broken entry
whose link cannot be read has none (or its guid's), never a guessed one.

An entry whose closing tag is missing is not read: at the end of the data it
was cut short (the next poll reads it whole), elsewhere its end is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from watchtower.adapters._xml import XmlDocument, parse_fragment

__all__ = ["recover_entries"]

_FIELDS = rb"(?:[\w.-]+:)?(?:title|description|encoded|summary|content)"
_PREDEFINED = re.compile(rb"&(lt|gt|amp|quot|apos);")
_PREDEFINED_CHARS = {b"lt": b"<", b"gt": b">", b"amp": b"&", b"quot": b'"', b"apos": b"'"}
_RUN = 64  # entries parsed together while they are well-formed
_ADDRESSES = frozenset(("link", "guid", "id"))
_TYPE = re.compile(rb"""\stype\s*=\s*["']([^"']*)["']""")


def recover_entries(
    container: etree._Element,
    document: XmlDocument,
    entry_tags: tuple[str, ...],
    qnames: list[bytes],
    fields: tuple[str, ...],
) -> str | None:
    """Replace the entries under ``container`` by the entries parsed one by one.

    ``entry_tags`` are the entries' tags in the tree (to remove what the
    document-wide recovery made of them), ``qnames`` their names in the bytes
    (``item``, ``atom:entry``), ``fields`` the tags of the entry's children that
    the feed's reader reads. Returns a note for the operator when entries
    could not be read, ``None`` otherwise. The tree is left as it was when the
    bytes cannot be cut (UTF-16) or the pieces yield fewer entries than it holds.
    """
    encoding = document.encoding
    if encoding is None or not qnames:
        return None
    nsmap = container.nsmap
    tags = (entry_tags, fields)
    atom = any(tag.endswith("}entry") for tag in entry_tags)
    data = document.data
    spans = list(_entry_spans(data, qnames))
    if spans and spans[-1][1] < 0:
        spans.pop()  # cut short where the data ends: read whole at the next poll
    closed = [(start, end) for start, end in spans if end >= 0]
    lost = len(spans) - len(closed)
    recovered: list[etree._Element] = []
    # Whole runs of entries are parsed at once, and only a run that is not
    # well-formed entry by entry: one bad entry among thousands costs little more.
    for first in range(0, len(closed), _RUN):
        run = closed[first : first + _RUN]
        wrapper, clean = parse_fragment(b"".join(data[s:e] for s, e in run), nsmap, encoding)
        if clean and wrapper is not None:
            entries = list(wrapper.iterchildren(*entry_tags))
            if len(entries) == len(run) == len(wrapper):
                recovered += entries
                continue
        for start, end in run:
            entry = _parse_entry(data[start:end], nsmap, encoding, tags, atom)
            if entry is None:
                lost += 1
            else:
                recovered.append(entry)
    if len(recovered) < sum(1 for _ in container.iterchildren(*entry_tags)):
        return None
    for old in list(container.getroottree().iter(*entry_tags)):
        parent = old.getparent()
        if parent is not None:
            parent.remove(old)
    container.extend(recovered)
    return f"{lost} entries could not be read" if lost else None


def _parse_entry(
    piece: bytes,
    nsmap: dict[str | None, str],
    encoding: str,
    tags: tuple[tuple[str, ...], tuple[str, ...]],
    atom: bool,
) -> etree._Element | None:
    entry_tags, fields = tags
    wrapper, clean = parse_fragment(piece, nsmap, encoding)
    if clean:
        return None if wrapper is None else next(wrapper.iterchildren(*entry_tags), None)
    wrapper, _ = parse_fragment(_fields_as_html(piece, atom), nsmap, encoding)
    if wrapper is None:
        return None
    entry = next(wrapper.iterchildren(*entry_tags), None)
    if entry is not None:
        _lift_fields(wrapper, entry, fields)
    return entry


def _lift_fields(wrapper: etree._Element, entry: etree._Element, fields: tuple[str, ...]) -> None:
    """Make the entry's fields that the recovery misplaced its children again;
    drop an address that holds markup.

    A stray tag between two fields (``<span>`` never closed) nests the next
    fields inside it, a stray closing tag (``</b>``) ends the entry early and
    leaves them outside; the piece holds one entry, so each of them is the
    entry's own (appended after its direct children, which keep precedence).
    A field inside another field is that field's content and stays there.
    """
    for element in list(wrapper.iter(*fields)):
        parent = element.getparent()
        if parent is entry:
            continue
        ancestor = parent
        while ancestor is not None and ancestor is not wrapper and ancestor.tag not in fields:
            ancestor = ancestor.getparent()
        if ancestor is wrapper:
            element.tail = None
            entry.append(element)
    queue = list(entry.iterchildren(*fields))
    while queue:
        element = queue.pop()
        # An address with a tag inside was cut there: no link beats a wrong one.
        # The fields nested in it (the tag swallowed them) are the entry's.
        if len(element) and element.tag.rpartition("}")[2] in _ADDRESSES:
            for child in list(element.iterchildren(*fields)):
                child.tail = None
                entry.append(child)
                queue.append(child)
            entry.remove(element)


def _tags(data: bytes, names: bytes) -> Iterator[tuple[bool, bytes, int, int, bytes]]:
    """``(closing, name, start, end, attributes)`` of each tag named ``names`` in ``data``.

    CDATA sections and comments are skipped (a ``</item>`` in an escaped body
    does not end the entry); ``end`` is past the tag's ``>``. Each search starts
    where the last one ended, so the scan is linear even on hostile input.
    """
    pattern = re.compile(rb"<!\[CDATA\[|<!--|<(/?)(" + names + rb")(?=[\s/>])")
    pos = 0
    while (match := pattern.search(data, pos)) is not None:
        token = match.group(0)
        if token in (b"<![CDATA[", b"<!--"):
            close = data.find(b"]]>" if token == b"<![CDATA[" else b"-->", match.end())
            if close < 0:
                return  # the rest is one unfinished section
            pos = close + 3
            continue
        gt = data.find(b">", match.end())
        if gt < 0:
            return
        pos = gt + 1
        yield bool(match.group(1)), match.group(2), match.start(), pos, data[match.end() : gt]


def _entry_spans(data: bytes, qnames: list[bytes]) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each entry in ``data``; ``end`` is -1 for an unclosed one."""
    names = b"|".join(re.escape(name) for name in qnames)
    start = -1
    for closing, _name, tag_start, tag_end, attributes in _tags(data, names):
        if closing:
            if start >= 0:
                yield start, tag_end
                start = -1
            continue  # a stray closing tag
        if start >= 0:
            yield start, -1  # opened again before it was closed
            start = -1
        if attributes.endswith(b"/"):
            yield tag_start, tag_end  # <item/>: empty, but an entry
        else:
            start = tag_start
    if start >= 0:
        yield start, -1  # cut short


def _fields_as_html(piece: bytes, atom: bool) -> bytes:
    """``piece`` with each text field's content in a CDATA section, read as HTML.

    The content is what the field's XML text would have been (the predefined
    entities decoded), markup included, so escaped HTML and stray tags both
    become the HTML the text holds. Fields holding CDATA already and Atom
    XHTML content are left alone; an Atom text field with tags becomes
    ``type="html"``, as a reader would show it.
    """
    out: list[bytes] = []
    copied = 0
    opened: tuple[bytes, int, int, bytes] | None = None
    for closing, name, start, end, attributes in _tags(piece, _FIELDS):
        if not closing:
            opened = None if attributes.endswith(b"/") else (name, start, end, attributes)
            continue
        if opened is None or opened[0] != name:
            continue
        _, open_start, open_end, attributes = opened
        opened = None
        inner = piece[open_end:start]
        kind = _TYPE.search(attributes)
        kind_name = kind.group(1).lower() if kind else b"text"
        if (b"<" not in inner and b"&" not in inner) or b"<![CDATA[" in inner:
            continue
        if atom and b"xml" in kind_name:
            continue
        head = piece[open_start:open_end]
        if atom and b"<" in inner and kind_name == b"text":
            attributes = _TYPE.sub(b"", attributes).rstrip()
            head = b"<" + name + attributes + b' type="html">'
        text = _PREDEFINED.sub(lambda m: _PREDEFINED_CHARS[m.group(1)], inner)
        cdata = b"<![CDATA[" + text.replace(b"]]>", b"]]]]><![CDATA[>") + b"]]>"
        out += [piece[copied:open_start], head, cdata]
        copied = start
    out.append(piece[copied:])
    return b"".join(out)
