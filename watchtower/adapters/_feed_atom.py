"""The Atom 1.0 and 0.3 reader of :func:`watchtower.adapters._feed.parse_feed`:
feed and entries to rows, text constructs by their ``type``."""

from __future__ import annotations

from lxml import etree

from watchtower.adapters._feed_items import Base, Row, items
from watchtower.adapters._feed_tree import (
    ATOM,
    ATOM03,
    XML_BASE,
    XML_LANG,
    _child,
    _inner_base,
    _lang,
    _small_child_text,
)
from watchtower.adapters._text import collapse, html_to_text
from watchtower.models import Item


def _atom_text(node: etree._Element | None) -> str:
    """The text of an Atom text construct (``type`` text, html or xhtml)."""
    if node is None:
        return ""
    kind = node.get("type", "text")
    if kind == "xhtml" or "xml" in kind:
        return collapse(" ".join(node.itertext()))
    if kind == "html" or kind == "text/html":
        return html_to_text(node.text)
    return collapse(node.text)


def _atom_raw(node: etree._Element | None) -> tuple[str, bool]:
    """``(value, is_html)`` of a text construct; html is converted later, in a batch."""
    if node is None:
        return "", False
    kind = node.get("type", "text")
    if kind == "html" or kind == "text/html":
        return node.text or "", True
    return _atom_text(node), False


def _atom_fields(ns: str) -> dict[object, str]:
    names = {"id": "id", "link": "link", "title": "title", "content": "content",
             "summary": "summary", "published": "published", "issued": "published",
             "updated": "updated", "modified": "updated", "author": "author"}  # fmt: skip
    return {ns + tag: name for tag, name in names.items()}


_ATOM_FIELDS = {ATOM: _atom_fields(ATOM), ATOM03: _atom_fields(ATOM03)}


def _atom_row(node: etree._Element, ns: str, base: Base, lang: str | None) -> Row:
    fields = _ATOM_FIELDS[ns]
    found: dict[str, etree._Element] = {}
    link = ""
    for child in node:
        name = fields.get(child.tag)
        if name is None:
            continue
        if name == "link":
            if not link and child.get("rel", "alternate") == "alternate":
                link = (child.get("href") or "").strip()
        elif name not in found:
            found[name] = child
    entry_base = node.get(XML_BASE)
    if entry_base:
        base = Base(base.resolve(entry_base))
    guid = collapse(_text_of(found.get("id")))
    author = found.get("author")
    when = found.get("published")
    if when is None:
        when = found.get("updated")
    link = base.resolve(link)
    title, title_html = _atom_raw(found.get("title"))
    body, body_html = _atom_raw(found.get("content"))
    if not body.strip():
        body, body_html = _atom_raw(found.get("summary"))
    return Row(
        guid or link,
        link,
        title,
        body,
        _text_of(when),
        collapse(_small_child_text(author, ns + "name")) if author is not None else "",
        _lang(node.get(XML_LANG)) or lang,
        title_html=title_html,
        body_html=body_html,
    )


def _text_of(node: etree._Element | None) -> str:
    return "" if node is None else (node.text or "")


def _read_atom(root: etree._Element, url: str) -> tuple[str, list[Item]]:
    ns = root.tag[: root.tag.index("}") + 1]
    base = _inner_base(Base(url), root)
    lang = _lang(root.get(XML_LANG))
    rows = [_atom_row(node, ns, base, lang) for node in root.iterchildren(ns + "entry")]
    return _atom_text(_child(root, ns + "title")), items(rows)
