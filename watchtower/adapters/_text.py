"""HTML to plain text for item titles and bodies."""

from __future__ import annotations

import html
import re

import lxml.html
from lxml import etree

_SPACES = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]{0,2000}>")


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment, whitespace collapsed, entities decoded."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return _SPACES.sub(" ", markup).strip()
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
        for bad in root.xpath("//script|//style"):
            bad.drop_tree()
        text = root.text_content()
    except (etree.ParserError, ValueError):
        text = html.unescape(_TAG.sub(" ", markup))
    return _SPACES.sub(" ", text.replace("\xa0", " ")).strip()
