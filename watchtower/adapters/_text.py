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

Shortcuts, each exact (``tests/unit/adapters/test_feed.py`` checks them against
the plain steps): entities are decoded with ``str.replace`` when only the common
five occur; a tag name becomes a space or nothing through a table lookup; and
the tag pattern drops its ``]]>`` branch when the text holds no ``]]>``, which
lets the regex engine jump from one ``<`` to the next.

:func:`decode_html` (from :mod:`watchtower.adapters._charset`, re-exported here
for the adapters that import it with the rest) turns a fetched HTML page into
text the way a browser picks its encoding, so that ``kind = "html"`` and
``kind = "reviews"`` agree.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from watchtower.adapters._charset import decode_html

__all__ = [
    "Chooser",
    "class_names",
    "collapse",
    "decode_html",
    "drop_elements",
    "html_to_text",
    "html_to_text_many",
]

# Elements whose content is not visible text; dropped with their content. Every
# pattern below runs in linear time on any input, unclosed markup included (a
# regex that scans to the end of the text from each "<" it cannot close makes
# "<a <a <a …" quadratic: seconds for 24 kB, hours for 1 MB, daemon frozen):
# - an element ends at its first closing tag, and is not one (its opening tag is
#   then an ordinary tag, its text stays) when another opening of the same
#   element comes first or there is no closing tag: each scan stops at the next
#   opening of its kind, so a stray "<style>" in a post never hides what follows;
# - a comment ends at the first "-->" or, unclosed, at the end of the fragment,
#   as in a browser (so the first unclosed comment ends all scans);
# - a tag, "<!…>" or "<?…>" cannot hold "<" outside quoted attribute values
#   (HTML written by anyone never does): each scan stops at the next "<" unless
#   a quote carries it further. A tag name stops at a quote. Quantifiers are
#   possessive, so a failed match is not retried with a shorter name or body.
_INVISIBLE = re.compile(
    r"<(script|style|template|noscript|head|title)\b[^<>\0]*+>"
    r"[^<\0]*+(?:<(?!\1\b|/\1\s*>)[^<\0]*+)*+</\1\s*>"
    r"|<!--(?:[^\0]*?-->|[^\0]*+)",
    re.IGNORECASE,
)
# Quoted attribute values may contain ">", so the tag body is matched attribute-aware.
# (Written as an unrolled loop: an alternation per character is several times slower.)
_TAG_BODY = r"""[^<>"'\0]*+(?:(?:"[^"\0]*+"|'[^'\0]*+')[^<>"'\0]*+)*+"""
_TAG_NAME = r"""(/?[A-Za-z][^\s/<>"'\0]*+)"""
# Every tag (name captured), CDATA marker, doctype or processing instruction. One
# split on this, then a set lookup per tag name, is faster than a regex per kind.
_TAG = re.compile("<" + _TAG_NAME + _TAG_BODY + r">|<!\[CDATA\[|\]\]>|<![^<>\0]*+>|<\?[^<>\0]*+>")
# The same without the "]]>" alternative, used when the text holds no "]]>" (then the
# two match the same spans): a pattern whose every branch starts with "<" lets the
# regex engine skip ahead to the next "<", a third faster on typical markup.
_TAG_NO_CDATA_END = re.compile(
    "<(?:" + _TAG_NAME + _TAG_BODY + r">|!\[CDATA\[|![^<>\0]*+>|\?[^<>\0]*+>)"
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


class _TagSpace(dict[str | None, str]):
    """Tag name → what the tag becomes: ``" "`` for block elements, ``""`` otherwise.

    A dict so that the per-tag decision is one C-level lookup; names not seen yet
    are computed once and remembered (bounded: the names come from the network).
    """

    def __missing__(self, name: str | None) -> str:
        value = " " if name and name.lstrip("/").lower() in _BLOCK else ""
        if len(self) < 4096:
            self[name] = value
        return value


_TAG_SPACE = _TagSpace()
# The five entities nearly all feed markup uses, decoded with str.replace when they
# are the only ones present (see _unescape).
_SIMPLE_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"))


def collapse(text: str | None) -> str:
    """Collapse runs of whitespace (and no-break spaces) to one space; strip the ends."""
    if not text:
        return ""
    # str.split() splits on every Unicode space (no-break space included) and is
    # several times faster than a regular expression here.
    return " ".join(text.split())


def _unescape(text: str) -> str:
    """``html.unescape(text)``; plain ``str.replace`` when only the common five occur.

    When every ``&`` starts one of ``&amp; &lt; &gt; &quot; &#39;``, replacing
    them one kind at a time (``&amp;`` last, so ``&amp;lt;`` stays ``&lt;``) is
    exactly what ``html.unescape``'s single left-to-right pass does, without a
    Python call per entity.
    """
    amps = text.count("&")
    if not amps:
        return text
    simple = text.count("&amp;")
    for entity, _ in _SIMPLE_ENTITIES:
        simple += text.count(entity)
    if simple != amps:
        return html.unescape(text)
    for entity, char in _SIMPLE_ENTITIES:
        text = text.replace(entity, char)
    return text.replace("&amp;", "&")


def _strip_tags(markup: str) -> str:
    markup = _INVISIBLE.sub(" ", markup)
    parts = (_TAG if "]]>" in markup else _TAG_NO_CDATA_END).split(markup)
    parts[1::2] = map(_TAG_SPACE.__getitem__, parts[1::2])
    return "".join(parts)


def _strip_markup(markup: str) -> str:
    if "<" in markup:
        markup = _strip_tags(markup)
    return _unescape(markup)


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
    # Fragments with tags and the others go in separate batches, so each gets
    # exactly the steps html_to_text would apply to it alone ("]]>" is removed
    # only from markup with tags; plain text only needs entities and spaces).
    tagged: tuple[list[int], list[str]] = ([], [])
    plain: tuple[list[int], list[str]] = ([], [])
    for index, fragment in enumerate(fragments):
        if fragment:
            batch = tagged if "<" in fragment else plain
            batch[0].append(index)
            batch[1].append(fragment)
    for (positions, parts), has_tags in ((tagged, True), (plain, False)):
        if not parts:
            continue
        joined = _SEPARATOR.join(parts)
        if joined.count(_SEPARATOR) != len(parts) - 1:  # a fragment holds NUL itself
            for index, fragment in zip(positions, parts, strict=True):
                out[index] = html_to_text(fragment)
            continue
        if has_tags:
            joined = _strip_tags(joined)
        # One str.split() per part beats one regular expression over the batch.
        for index, text in zip(positions, _unescape(joined).split(_SEPARATOR), strict=True):
            out[index] = " ".join(text.split())
    return out


# ------------------------------------------------------------ whole elements
# The opening and closing tags of the elements :func:`drop_elements` may drop.
_ELEMENT = re.compile(
    r"<(/?)(div|span|aside|blockquote)(?=[\s/>])(" + _TAG_BODY + ")>", re.IGNORECASE
)
_CLASS = re.compile(r"""(?<![^\s])class\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`=]+))""", re.I)

#: Decides, for the opening tag of a ``div``, ``span``, ``aside`` or ``blockquote``
#: (lower-case name, attributes, the markup scanned, where the tag ends in it),
#: whether the element goes: ``None`` keeps it, a string replaces it (markup,
#: often ``" "`` to keep the words around it apart).
Chooser = Callable[[str, str, str, int], str | None]


def class_names(attributes: str) -> list[str]:
    """The class names in a tag's attributes (``'class="a b" id=c'`` → ``["a", "b"]``)."""
    found = _CLASS.search(attributes)
    if found is None:
        return []
    return (found.group(1) or found.group(2) or found.group(3) or "").split()


def drop_elements(markup: str, choose: Chooser) -> str:
    """``markup`` without the elements ``choose`` picks, each replaced by what it returns.

    One pass over the tags of the four element names, in linear time whatever
    the nesting: an element picked ends at the closing tag that brings its own
    name's depth back to zero (other names inside it do not count, as a browser
    closes them with it) and runs to the end of the markup when never closed,
    as in a browser. Elements inside a dropped one are not offered to ``choose``.
    Comments, scripts and styles are removed first, so a tag inside them is
    never taken for an element.
    """
    markup = _INVISIBLE.sub(" ", markup)
    out: list[str] = []
    kept = 0  # markup[kept:] has not been copied yet
    dropping = ""  # the name of the element being dropped
    depth = start = 0
    replacement = ""
    for tag in _ELEMENT.finditer(markup):
        name = tag.group(2).lower()
        if dropping:
            if name == dropping:
                depth += -1 if tag.group(1) else 1
                if not depth:
                    out += (markup[kept:start], replacement)
                    kept, dropping = tag.end(), ""
            continue
        if tag.group(1):
            continue
        chosen = choose(name, tag.group(3), markup, tag.end())
        if chosen is not None:
            dropping, depth, start, replacement = name, 1, tag.start(), chosen
    if dropping:
        out += (markup[kept:start], replacement)
    elif not out:
        return markup
    else:
        out.append(markup[kept:])
    return "".join(out)
