"""Forum and blog boilerplate at the end of feed entries, removed before HTML→text.

Forum engines and blog plugins append the same lines to every entry of their
feeds. Left in, they fill the excerpt shown in Slack and can even match a rule
(a user named "AcmeFan" in phpBB's footer). Each kind is recognised by its
markup and its place — the very end of the entry's HTML — never by its words,
which every board translates:

* **phpBB** (``feed.php``, any language): the statistics paragraph its feed
  template closes each entry with, ``<p>Statistics: Posted by <a …>X</a> — Sun
  May 18, 2014 9:17 pm</p><hr />`` ("Statistiques : Posté par …"): a short
  label and a colon, the author (a profile link or a plain name), em dashes,
  then ``<hr />``.
* **A link back to the entry itself** that ends it, alone on its line (its own
  paragraph, after a line break or a block) or after an ellipsis: Discourse's
  "Read full topic", XenForo's "Read more" / "Lire la suite" (XenForo 1 puts the
  thread title there), WordPress themes' "Continue reading". Discourse's
  "N posts - N participants" line just before it goes with it.
* **WordPress (Yoast SEO)**: a last paragraph of two links, the first to the
  entry: "The post <a>X</a> appeared first on <a>Y</a>." ("L'article … est
  apparu en premier sur …").

* **Reddit**: its feeds (English only, whatever the subreddit) end every entry
  with "submitted by <a href=…/user/X>/u/X</a> <br/> <span><a>[link]</a></span>
  <span><a href=ENTRY>[comments]</a></span>". The author is already the item's
  ``author``; left in, a user name like "AcmeFan" is a mention. A link post
  is then its title only.

What is never removed: anything before the end, a link to another page (a
source credit), a body that would be left with no text (Hacker News'
"Comments" link *is* the entry) except Reddit's, and plain text bodies (no
markup to tell boilerplate by).

Every HTML body of every feed is a candidate (``benchmarks/parse.py``), so the
feed reader calls :func:`strip_trailers` only for a body that ends with a tag
(or whitespace) and whose last :data:`TRAILER_TAIL` characters hold ``</a>`` or
``<hr``; the function then rules out, with bounded string searches, a last
link followed by text or whose target is not the entry. Entries without
boilerplate pay only those searches.

**Other people's words and page decorations** (:func:`strip_foreign`, anywhere in
the body, for feeds and for Discourse's JSON alike): a reply quoting a complaint
about "Banque Acmé" would otherwise be a mention of its own, and every reply
quoting it one more alert. Each is recognised by the markup its engine writes,
never by words:

* quotes of a forum post: Discourse ``<aside class="quote" data-username=…>``
  (with its "Name:" title); phpBB ``<blockquote class="uncited">`` (every quote
  of a 3.2+ feed, whose quote helper drops the author) and ``<blockquote><div>
  <cite>Name wrote:</cite>``, ``quotetitle``/``quotecontent`` (older styles);
  XenForo 2 ``bbCodeBlock--quote``, XenForo 1 ``bbCodeQuote``; vBulletin 4
  ``bbcode_quote`` (with its ``bbcode_container`` and "Quote:" label);
  Discourse chat transcripts (``chat-transcript``). They are removed with
  nothing in their place: the excerpt shows the author's words, the link the
  context, and a placeholder such as "[citation]" would be one more word for
  rules to match. A quote that names no post (Discourse's bare ``[quote]``, a
  Markdown ``>``, a plain ``<blockquote>`` in a news feed) is usually an
  outside text the author brings in, never seen by watchtower: it stays;
* signatures: ``signature`` (phpBB, XenForo 1), ``message-signature``
  (XenForo 2), ``signaturecontainer`` (vBulletin). Standard feeds carry none,
  but modified boards and page scrapes do, and a signature repeats on every post;
* link previews, which show another site's page (its title, description and
  picture): Discourse oneboxes (``<aside class="onebox">``) and XenForo 2
  unfurls (``bbCodeBlock--unfurl``) become the address the author pasted
  (``data-onebox-src``, ``data-url``), or nothing if they lack one;
* Discourse's image details (``<div class="meta">`` with the file name and size
  inside a lightbox) and a poll's voter count (``poll-info``).

Kept: mentions (``@name``), spoilers, code blocks, poll options and the
author's own ``<blockquote>``; only what its markup marks goes. A body is
scanned only when a few substring searches find a hint of them
(:func:`may_hold_foreign`); the scan is one linear pass over its tags
(:func:`~watchtower.adapters._text.drop_elements`).
"""

from __future__ import annotations

import html
import re

from watchtower.adapters._text import class_names, drop_elements

__all__ = [
    "TRAILER_TAIL",
    "drop_foreign",
    "may_hold_foreign",
    "strip_foreign",
    "strip_trailers",
]

#: How far from the end the last "</a>" may be for the entry to end with a link:
#: closing tags and the whitespace of templated CDATA ("</a></p>\n        ").
#: A body whose last TRAILER_TAIL characters hold neither "</a>" nor "<hr" has
#: no trailer: callers may skip it.
TRAILER_TAIL = 96
# How far back the start of the last link, or of phpBB's paragraph, may be.
_WINDOW = 2048

# phpBB's feed template: <p>{{ lang('STATISTICS') }}: {{ row.statistics }}</p><hr />,
# the statistics being "Posted by USER — DATE[ — Replies N — Views N]".
_DASH = "(?:\u2014|&mdash;|&#8212;|&#x2014;)"
_PHPBB = re.compile(
    r"<p>[^<>:]{1,40}:\s*[^<>\u2014&]{0,80}"
    r"(?:<a\s[^<>]*>[^<>]{0,255}</a>|<span\b[^<>]*>[^<>]{0,255}</span>)?"
    rf"\s*{_DASH}[^<>]{{0,200}}</p>\s*<hr\s*/?>\s*\Z",
    re.IGNORECASE,
)
# Reddit's trailer (its feed template, not translated): "&#32; submitted by &#32;
# <a href=…/user/X> /u/X </a> <br/> <span><a …>[link]</a></span> &#32;
# <span><a …>[comments]</a></span>", then the table's closing tags.
_SPACE32 = r"(?:\s|&#32;)*"
_REDDIT = re.compile(
    # Right after a tag: the label is the template's, never the end of the author's text.
    rf"(?<=>){_SPACE32}[^<>&]{{0,40}}{_SPACE32}"
    r'<a href="https?://(?:www\.|old\.|new\.)?reddit\.com/u(?:ser)?/[^"<>]{1,100}">[^<>]{0,120}</a>'
    r"\s*<br\s*/?>\s*<span><a href=\"[^\"<>]*\">\[link\]</a></span>"
    rf"{_SPACE32}<span><a href=\"[^\"<>]*\">\[comments\]</a></span>"
    r"(?:\s|</[A-Za-z]+\s*>)*\Z"
)
_REDDIT_TAIL = "[comments]</a></span>"
# The href of an <a> tag.
_HREF = re.compile(r"""(?<![\w-])href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
# After the last </a>: only closing tags, whitespace and a full stop.
_AFTER_LINK = re.compile(r"(?:\s|\.|</[A-Za-z][A-Za-z0-9]*\s*>)*\Z")
# Tags that may open the link's own line and stay behind once it is gone ("<p>").
_WRAPPER = re.compile(r"<(?:p|div|span|small|em|strong)\b[^<>]*>\Z", re.IGNORECASE)
# Tags that end a line: a link right after one of them stands alone.
_LINE_BREAK = re.compile(
    r"</?(?:p|div|blockquote|aside|section|article|header|footer|figure|ul|ol|li|table|"
    r"pre|h[1-6])\b[^<>]*>\Z|<(?:br|hr)\b[^<>]*>\Z",
    re.IGNORECASE,
)
_ELLIPSES = ("…", "&hellip;", "&#8230;", "&#x2026;", "...")
# Discourse's "<p><small>12 posts - 5 participants</small></p>" (translated words).
_COUNTS = re.compile(
    r"<p>\s*<small>\s*\d[\d\s.,\u00a0\u202f]*[^\W\d][^<>]{0,40}?\s[-\u2013]\s"
    r"\d[\d\s.,\u00a0\u202f]*[^\W\d][^<>]{0,40}</small>\s*</p>\Z",
    re.IGNORECASE,
)
# Yoast SEO's RSS footer: <p>The post <a href=ENTRY>X</a> appeared first on <a …>Y</a>.</p>
_YOAST = re.compile(
    r"<p\b[^<>]*>[^<>]{0,80}(<a\s[^<>]*>)[^<>]{1,500}</a>[^<>]{1,80}"
    r"<a\s[^<>]*>[^<>]{1,200}</a>\s*\.?\s*</p>\s*\Z",
    re.IGNORECASE,
)
# Visible text: a character outside tags, first or after a tag (a guard, so
# approximate: the text of a <script> counts).
_TEXT_FIRST = re.compile(r"\s*[^<\s]")
_TEXT_AFTER_TAG = re.compile(r">\s*[^<\s]")


def strip_trailers(body: str, link: str) -> str:
    """``body`` without the boilerplate that ends it (see the module docstring).

    ``link`` is the entry's own address. At most one link back to the entry is
    removed (with Yoast's paragraph after it, if any): a second one before it
    is the author's (Discourse writes a hidden spoiler as a link to the post).
    Returns ``body`` itself when nothing is recognised, or when removing it
    would leave no text.
    """
    if _REDDIT_TAIL in body[-TRAILER_TAIL:]:
        reddit = _REDDIT.search(body, max(0, len(body) - _WINDOW))
        if reddit is not None:
            return body[: reddit.start()]
    cut = None
    if "<hr" in body[-16:]:
        phpbb = _PHPBB.search(body, max(0, len(body) - _WINDOW))
        cut = None if phpbb is None else phpbb.start()
    if cut is None:
        # Most entries stop here: text follows their last link, or it is not the entry's.
        end = body.rfind("</a>", max(0, len(body) - TRAILER_TAIL))
        if end < 0 or body[end + 4 :].lstrip()[:1] not in ("", "<", "."):
            return body
        base = _page(link)
        start = max(0, end - _WINDOW)
        if not base or (
            body.rfind(base, start, end) < 0  # backwards: the href is near the end
            and ("&" not in base or body.rfind(base.replace("&", "&amp;"), start, end) < 0)
        ):
            return body
        cut = _link_trailer_start(body, end, link)
    if cut is None or not (_TEXT_FIRST.match(body, 0, cut) or _TEXT_AFTER_TAG.search(body, 0, cut)):
        return body
    return body[:cut]


def _link_trailer_start(body: str, end: int, link: str) -> int | None:
    """Where the trailer ending with the link closed at ``end`` starts, or ``None``."""
    if not _AFTER_LINK.match(body, end + 4):
        return None
    paragraph = body.rfind("<p", max(0, end - _WINDOW), end)
    if paragraph >= 0 and body.find("</a>", paragraph, end) >= 0:  # two links in it
        yoast = _YOAST.match(body, paragraph)
        if yoast is not None and _is_entry(yoast.group(1), link):
            # A theme's "Continue reading" link may come just before it.
            before = _last_link_end(body, paragraph)
            more = None if before is None else _self_link_start(body, before, link)
            return paragraph if more is None else more
    return _self_link_start(body, end, link)


def _last_link_end(body: str, stop: int) -> int | None:
    """Where the ``</a>`` ending ``body[:stop]`` is, if only closing tags follow it."""
    end = body.rfind("</a>", max(0, stop - TRAILER_TAIL), stop)
    if end < 0 or not _AFTER_LINK.match(body, end + 4, stop):
        return None
    return end


def _self_link_start(body: str, end: int, link: str) -> int | None:
    """Where the link closed at ``end`` starts, if it points to the entry and stands
    alone on its line; with Discourse's counts line before it, if there is one."""
    start = body.rfind("<a", max(0, end - _WINDOW), end)
    start = max(start, body.rfind("<A", max(0, start), end))
    opening = _opening_tag(body, start, end)
    if opening is None:
        return None
    cut = _skip_space(body, start)
    while cut > 0 and body[cut - 1] == ">":  # "<p>", "<div class=…>" opening its line
        tag = body.rfind("<", max(0, cut - 200), cut)
        if tag < 0 or not _WRAPPER.match(body, tag, cut):
            break
        cut = _skip_space(body, tag)
    if not _stands_alone(body, cut) or not _is_entry(opening, link):
        return None
    if body.endswith("</p>", 0, cut):
        counts = body.rfind("<p>", max(0, cut - 300), cut)
        if counts >= 0 and _COUNTS.match(body, counts, cut):
            return counts
    return cut


def _opening_tag(body: str, start: int, end: int) -> str | None:
    """The ``<a …>`` tag at ``start`` (not ``<abbr>``), if it closes before ``end``."""
    if start < 0 or body[start + 2 : start + 3] not in (" ", "\t", "\n", "\r", ">"):
        return None
    close = body.find(">", start, end)
    if close < 0 or body.find("<", start + 1, close) >= 0:
        return None
    return body[start : close + 1]


def _skip_space(body: str, at: int) -> int:
    """Where the whitespace ending ``body[:at]`` starts."""
    while True:
        low = max(0, at - 64)
        kept = low + len(body[low:at].rstrip())
        if kept > low or low == 0:
            return kept
        at = low


def _stands_alone(body: str, cut: int) -> bool:
    """Whether what ends ``body[:cut]`` starts a line: a block tag, an ellipsis.

    Not the start of the body: a link that is all the entry holds is its
    content (Hacker News' "Comments"), not a trailer.
    """
    if cut == 0:
        return False
    if body[cut - 1] != ">":
        return body.endswith(_ELLIPSES, 0, cut)
    tag = body.rfind("<", max(0, cut - 200), cut)
    return tag >= 0 and _LINE_BREAK.match(body, tag, cut) is not None


def _is_entry(tag: str, link: str) -> bool:
    """Whether the ``<a>`` tag ``tag`` points to ``link`` (fragments and ``utm_*`` aside)."""
    found = _HREF.search(tag)
    if found is None or not link:
        return False
    href = (found.group(1) or found.group(2) or found.group(3) or "").strip()
    if "&" in href:
        href = html.unescape(href)
    return _page(href) == _page(link)


def _page(url: str) -> str:
    """``url`` without its fragment and its ``utm_*`` parameters: feeds tag the
    entry's own link (``?utm_source=rss``) and not the links in its text."""
    url = url.partition("#")[0]
    if "utm_" not in url:
        return url
    path, _, query = url.partition("?")
    kept = [p for p in query.replace("&amp;", "&").split("&") if p and not p.startswith("utm_")]
    return f"{path}?{'&'.join(kept)}" if kept else path


# ------------------------------------------------------- other people's words
# Classes whose element goes whole, wherever it is (see the module docstring).
_QUOTES = frozenset(
    {"quotetitle", "quotecontent", "bbCodeBlock--quote", "bbCodeQuote", "bbcode_quote"}
)
_SIGNATURES = frozenset({"signature", "message-signature", "signaturecontainer"})
_DROPPED = _QUOTES | _SIGNATURES | {"chat-transcript", "poll-info"}
# How far into an element its first children are looked for (bounded: linear time).
_PEEK = 400
# phpBB's quote of a named author: <blockquote><div><cite>Name wrote:</cite>…
_CITED = re.compile(r"\s*<div>\s*<cite\b", re.IGNORECASE)
# A link preview's address: Discourse's data-onebox-src, XenForo's data-url.
_PREVIEW_SRC = re.compile(
    r"""(?<![^\s])data-(?:onebox-src|url)\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)')""", re.IGNORECASE
)


def may_hold_foreign(body: str) -> bool:
    """Whether :func:`strip_foreign` may find something in ``body`` (no false "no").

    It runs on every feed entry, so it is a few substring searches (each a fast
    scan in C), ordered so that common bodies stop early: one with no ``class``
    attribute and no ``<cite`` is done after two or three. Every quote kind holds
    "quote" and a class or phpBB's ``<cite>``; the rest are class names:
    signatures, Discourse's oneboxes and lightboxes ("box"), XenForo's unfurls,
    Discourse's chat transcripts (``data-username``) and polls. A false "yes"
    costs one scan of the tags.
    """
    has_class = "class" in body
    if "quote" in body and (has_class or "<cite" in body):
        return True
    return has_class and (
        "ignature" in body
        or "box" in body
        or "unfurl" in body
        or "data-username" in body
        or "poll-info" in body
    )


def _foreign(name: str, attributes: str, body: str, end: int) -> str | None:
    """What replaces the element opened by ``<name attributes>`` (ending at ``end``
    in ``body``), or ``None`` when it is the author's own (see :func:`strip_foreign`)."""
    classes = class_names(attributes)
    if not classes:
        if name == "blockquote" and _CITED.match(body, end):
            return " "
        return None
    if not _DROPPED.isdisjoint(classes):
        return " "
    if name == "blockquote":
        return " " if "uncited" in classes else None
    if name == "aside":
        if "quote" in classes:
            return " " if "data-username" in attributes else None
        if "onebox" in classes:
            return _preview(attributes)
        return None
    if name != "div":
        return None
    if "bbCodeBlock--unfurl" in classes:
        return _preview(attributes)
    if "bbcode_container" in classes:
        return " " if body.find("bbcode_quote", end, end + _PEEK) >= 0 else None
    if "meta" in classes:  # Discourse's lightbox: file name and size
        return " " if body.find('class="filename"', end, end + _PEEK) >= 0 else None
    return None


def _preview(attributes: str) -> str:
    """A link preview's replacement: the address it previews, as text."""
    found = _PREVIEW_SRC.search(attributes)
    if found is None:
        return " "
    return f" {found.group(1) or found.group(2) or ''} "


def strip_foreign(body: str) -> str:
    """``body`` without quotes of other posts, signatures, link previews and image
    details (see the module docstring); ``body`` itself when it holds no hint of
    them (:func:`may_hold_foreign`)."""
    return drop_foreign(body) if may_hold_foreign(body) else body


def drop_foreign(body: str) -> str:
    """:func:`strip_foreign` without the :func:`may_hold_foreign` test (done by the caller)."""
    return drop_elements(body, _foreign)
