"""Namespaces of the feed dialects, and the element lookups their readers share
(:mod:`watchtower.adapters._feed_rss`, :mod:`watchtower.adapters._feed_atom`)."""

from __future__ import annotations

from lxml import etree

from watchtower.adapters._feed_items import Base

__all__ = ["ATOM", "ATOM03", "CONTENT", "DC", "RDF", "RSS090", "RSS10", "XML_BASE", "XML_LANG"]

ATOM = "{http://www.w3.org/2005/Atom}"
ATOM03 = "{http://purl.org/atom/ns#}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS090 = "{http://my.netscape.com/rdf/simple/0.9/}"
RSS10 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _inner_base(base: Base, node: etree._Element) -> Base:
    """The base for links inside ``node``: its ``xml:base``, resolved against ``base``."""
    value = node.get(XML_BASE)
    return Base(base.resolve(value.strip())) if value else base


def _child(parent: etree._Element, tag: str) -> etree._Element | None:
    """The first child with this tag (``find`` without ElementPath's per-call cost)."""
    return next(parent.iterchildren(tag), None)


def _child_text(parent: etree._Element, tag: str) -> str | None:
    child = next(parent.iterchildren(tag), None)
    return None if child is None else (child.text or "")


def _small_child_text(parent: etree._Element, tag: str) -> str | None:
    """:func:`_child_text` for an element with a few children (an Atom ``<author>``).

    A plain loop over the children is about half the cost of ``iterchildren(tag)``,
    which builds a tag matcher on each call (session 21); on an element with many
    children (a channel and its items) the C loop of :func:`_child_text` wins.
    A plain name matches only un-namespaced elements there, as ``==`` does here.
    """
    for child in parent:
        if child.tag == tag:
            return child.text or ""
    return None


def _lang(value: str | None) -> str | None:
    value = (value or "").strip()
    return value[:35] or None
