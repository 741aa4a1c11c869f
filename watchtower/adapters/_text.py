"""HTML to plain text for item titles and bodies.

Items are matched against brand terms, not rendered, so all we need is the
visible text with word boundaries kept. A handful of regular expressions do that
about ten times faster than building an HTML tree, which matters because every
feed entry goes through here (see ``benchmarks/parse.py``). Markup is never
evaluated, so nothing here can fetch or execute anything.

:func:`html_to_text_many` converts a whole feed's worth of fragments in one pass
over their NUL-joined concatenation: the per-call cost of the regular
expressions dominates on short fragments. NUL cannot occur in XML text, and no
pattern below crosses it, so each fragment is converted exactly as
:func:`html_to_text` would.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

__all__ = ["collapse", "html_to_text", "html_to_text_many"]

# Elements whose content is not visible text; dropped with their content.
_INVISIBLE = re.compile(
    r"<(script|style|template|noscript|head|title)\b[^>\0]*>[^\0]*?</\1\s*>|<!--[^\0]*?-->",
    re.IGNORECASE,
)
# Quoted attribute values may contain ">", so the tag body is matched attribute-aware.
# (Written as an unrolled loop: an alternation per character is several times slower.)
_TAG_BODY = r"""[^>"'\0]*(?:(?:"[^"\0]*"|'[^'\0]*')[^>"'\0]*)*"""
# Every tag (name captured), CDATA marker, doctype or processing instruction. One
# split on this, then a set lookup per tag name, is faster than a regex per kind.
_TAG = re.compile(
    r"<(/?[A-Za-z][^\s/>\0]*)" + _TAG_BODY + r">|<!\[CDATA\[|\]\]>|<![^>\0]*>|<\?[^>\0]*>"
)
# Block-level and line-breaking elements separate words: "<p>a</p><p>b</p>" is "a b";
# any other tag vanishes in place: "<b>Slack</b>'s" is "Slack's".
_BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "img",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_SEPARATOR = "\0"


def collapse(text: str | None) -> str:
    """Collapse runs of whitespace (and no-break spaces) to one space; strip the ends."""
    if not text:
        return ""
    # str.split() splits on every Unicode space (no-break space included) and is
    # several times faster than a regular expression here.
    return " ".join(text.split())


def _strip_markup(markup: str) -> str:
    if "<" in markup:
        markup = _INVISIBLE.sub(" ", markup)
        parts = _TAG.split(markup)
        parts[1::2] = [
            " " if name and name.lstrip("/").lower() in _BLOCK else "" for name in parts[1::2]
        ]
        markup = "".join(parts)
    if "&" in markup:
        markup = html.unescape(markup)
    return markup


def html_to_text(markup: str | None) -> str:
    """Visible text of an HTML fragment, whitespace collapsed, entities decoded.

    ``<b>Slack</b> news`` → ``Slack news``; ``<p>a</p><p>b</p>`` → ``a b``;
    ``&lt;enter&gt;`` → ``<enter>`` (entities are decoded after tags are removed,
    so escaped angle brackets stay text).
    """
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        return collapse(markup)
    return collapse(_strip_markup(markup.replace(_SEPARATOR, "")))


def html_to_text_many(fragments: Sequence[str | None]) -> list[str]:
    """``[html_to_text(f) for f in fragments]``, computed in one pass (same results)."""
    out = [""] * len(fragments)
    # Fragments with tags and fragments with only entities go in separate batches,
    # so each gets exactly the steps html_to_text would apply to it alone.
    batches: dict[bool, tuple[list[int], list[str]]] = {True: ([], []), False: ([], [])}
    for index, fragment in enumerate(fragments):
        if not fragment:
            continue
        has_tags = "<" in fragment
        if has_tags or "&" in fragment:
            positions, markup = batches[has_tags]
            positions.append(index)
            markup.append(fragment.replace(_SEPARATOR, ""))
        else:
            out[index] = collapse(fragment)
    for positions, markup in batches.values():
        if markup:
            texts = _strip_markup(_SEPARATOR.join(markup)).split(_SEPARATOR)
            for index, text in zip(positions, texts, strict=True):
                out[index] = collapse(text)
    return out
