"""Text in Slack's mrkdwn: a feed's words escaped, links made safe, cuts that
break neither a link nor an entity.

Slack reads ``&``, ``<`` and ``>`` as control characters (``<!channel>``,
``<@U123>``, ``<url|label>``); everything a stranger wrote goes through
:func:`escape_text` (or :func:`escape_mrkdwn`), every address through
:func:`escape_url` or :func:`shown_url`. :mod:`watchtower.notify.slack_render`
builds the blocks with these.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from watchtower.notify._text import clip, http_url, whole_room
from watchtower.notify.base import word_cut
from watchtower.sanitise import printable

__all__ = [
    "LINK_URL_MAX",
    "cut_mrkdwn",
    "escape_mrkdwn",
    "escape_text",
    "escape_url",
    "link",
    "linkable",
    "shown_url",
]

# A longer URL is never made a link: with its label and the text around it, the
# block would pass Slack's 3,000 characters and Slack would refuse the whole message.
LINK_URL_MAX = 2_000

# A formatting mark, except an underscore inside a word ("jeanne_75", "marie_dupont"):
# Slack opens italics only at a "_" not preceded by a letter or digit and closes
# them only at one not followed by one, so snake_case is never italic (and a
# zero-width space there would break a pseudonym pasted into a forum's search).
# ASCII letters and digits only: a parser whose word characters are ASCII's
# (JavaScript's \w) reads "é_" as a boundary. "*", "~" and "`" keep their
# spaces everywhere: whether Slack formats them mid-word ("a*b*c") is not
# settled (mrkdwn parsers written to match it disagree), so they stay inert.
_FORMATTING = re.compile(r"[*~`]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# In a link's URL: what would end it (<, >, |), whitespace, controls, bidi controls.
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f<>|\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Slack parses "some mentions" in mrkdwn on its own (text objects' ``verbatim``
# is false: "certain mentions will be automatically parsed", its text object
# reference, without saying which): a title's plain "@channel" must not be one.
#
# Look-alikes. "＠" (U+FF20, full width) and "﹫" (U+FE6B, small) are the only
# characters NFKC folds to "@"; "ｈｅｒｅ" (full width), "𝐡𝐞𝐫𝐞" (mathematical
# bold) fold to "here". Neither Slack's docs nor any report we found (docs,
# issues, pages searched) says whether Slack folds them into a mention; a
# zero-width space after the at sign costs nothing visible, so every NFKC form
# of "@" and of the three words is defused as the ASCII one. Other confusables
# (Cyrillic "һere") are other words to any parser, not folded by NFKC: left.
_AT_SIGNS = "@\uff20\ufe6b"
_MASS_WORDS = frozenset({"here", "channel", "everyone"})
# An at sign and the word after it; anywhere (Slack reads "x@here" too).
_AT_WORD = re.compile(rf"[{_AT_SIGNS}](\w+)")
# Nor a handle: "@marketing-team" (a user group's), "@jdupont". What we found:
# posted through the API, a plain "@group" does not notify the group (only
# ``<!subteam^ID>`` does, or the legacy ``link_names=1``, which we never send:
# mrb0nj/Slack.Webhooks#41, CircleCI-Public/slack-orb#116,
# Ilshidur/action-slack#246, wee-slack/wee-slack#367); but the automatic
# parsing ``verbatim: false`` asks for is undocumented, so handles are defused
# anyway. An address's "@" stays ("contact@acme.fr": a letter or digit before
# it and a dotted domain after it; Slack makes it a mailto: link, which a
# zero-width space would cut). A letter before it is no longer enough: in
# "contact@acme" or "x@marketing-team" nothing after the "@" is a domain, so
# nothing is an address and the handle is defused. A look-alike at sign is
# never an address's: always defused.
_HANDLE = re.compile(
    r"[\uff20\ufe6b](?=\w)"  # "＠marketing-team", "x﹫group"
    r"|(?<![^\W_])@(?=\w)"  # "@marketing-team", "(@group"
    r"|@(?=\w)(?![\w-]+(?:\.[\w-]+)+)"  # "x@group", not "x@acme.fr"
)
# An address in the text keeps its "@" in its path ("https://medium.com/@acme/…"):
# Slack links it whole, and a zero-width space would cut the link there. Not in
# its host part: "https://@marketing-team" links nowhere (no host) and
# "https://x@marketing-team" names a user group where a host should be, so
# their "@" is defused (``authority``). It ends early rather than late (at "|",
# a quote, an escaped "<" or ">"): a handle after it must not pass for part of it.
_URL = re.compile(
    r"https?://(?P<authority>(?:(?!&[lg]t;)[^\s|<>\"'/?#])*)"
    r"(?:[/?#](?:(?!&[lg]t;)[^\s|<>\"'])*)?",
    re.IGNORECASE,
)
_AT = re.compile(rf"[{_AT_SIGNS}](?=\w)")
# The start of an entity cut short ("&am"): what remains of "&amp;" at a cut.
_CUT_ENTITY = re.compile(r"&[a-z]*$")


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control sequences."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_text(text: str) -> str:
    """Text from a feed (a title, a source, an excerpt) shown as written in mrkdwn.

    :func:`escape_mrkdwn`, and Slack's formatting marks made inert: mrkdwn has
    no escape for ``*``, ``_``, ``~`` and ````` ``, so a title "*GRATUIT*" would be
    bold and "~prix~" struck through. A zero-width space on each side of the
    mark keeps the character (and copy-paste) while no word boundary matches.
    An underscore between two ASCII letters or digits ("jeanne_75") stays bare:
    it can neither open nor close italics, and a pseudonym copied from Slack
    must find its author.
    Never for a URL: the spaces would break it. Control characters and bidi
    overrides go (:func:`watchtower.sanitise.printable`): U+202E before
    "gpj.exe" would show "exe.jpg". A mention written out, a mass one ("@here")
    or a handle ("@marketing-team", a user group's: Slack may ping it whatever
    ``verbatim`` says), gets a zero-width space after its "@": still readable,
    pings nobody; so does a full-width or other NFKC form of them ("＠here",
    "@ｈｅｒｅ"). An "@" after a letter or digit is an address's, left as it
    is, only when a dotted domain follows ("contact@acme.fr", not
    "x@marketing-team"). The written forms (``<!here>``, ``<!subteam^S1>``, ``<@U1>``,
    ``<#C1>``) are text once their ``<`` and ``>`` are escaped.
    """
    text = _FORMATTING.sub("\u200b\\g<0>\u200b", escape_mrkdwn(printable(text)))
    return _defuse_handles(_AT_WORD.sub(_defuse_mass, text))


def _defuse_mass(found: re.Match[str]) -> str:
    """An at sign and its word; a zero-width space between them when the word is
    (NFKC-folded, any case) "here", "channel" or "everyone"."""
    word = unicodedata.normalize("NFKC", found[1]).casefold()
    at = found.group()[0]
    return f"{at}\u200b{found[1]}" if word in _MASS_WORDS else found.group()


def _defuse_handles(text: str) -> str:
    """A zero-width space after each handle's "@", outside http(s) addresses'
    paths (and after any "@" of their host part)."""
    parts, last = [], 0
    for found in _URL.finditer(text):
        start, end = found.span("authority")
        authority = _AT.sub("\\g<0>\u200b", text[start:end])
        url = text[found.start() : start] + authority + text[end : found.end()]
        parts += [_HANDLE.sub("\\g<0>\u200b", text[last : found.start()]), url]
        last = found.end()
    return "".join([*parts, _HANDLE.sub("\\g<0>\u200b", text[last:])])


def shown_url(url: str, limit: int | None = None) -> str:
    """An http(s) URL written out as text (not a link), in mrkdwn: cut to
    ``limit`` and escaped, its controls and bidi overrides percent-encoded by
    :func:`~watchtower.notify._text.http_url` (``""`` for another scheme)."""
    url = http_url(url)
    return escape_mrkdwn(clip(url, limit) if limit is not None else url)


def escape_url(url: str) -> str:
    """A URL safe inside ``<url|label>``; ``""`` for anything but http(s), never a link."""
    return _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=""), http_url(url))


def linkable(url: str) -> bool:
    """Whether ``url`` is short enough to be a link (see ``LINK_URL_MAX``)."""
    return 0 < len(escape_url(url)) <= LINK_URL_MAX


def link(url: str, text: str) -> str:
    """``<url|text>`` (``text`` already escaped), or just ``text`` without a linkable
    (http(s), not too long) URL."""
    return f"<{escape_url(url)}|{text}>" if linkable(url) else text


def cut_mrkdwn(text: str, limit: int, more: str = "") -> str:
    """Cut mrkdwn to ``limit`` characters without breaking a link or an ``&amp;`` entity."""
    if len(text) <= limit:
        return text
    tail = "…" + (f" {more}" if more else "")
    room = whole_room(text, limit - len(tail))  # never inside an emoji
    cut = word_cut(text[:room], text[room : room + 1])  # between words
    if cut.rfind("<") > cut.rfind(">"):  # inside <url|label>
        cut = cut[: cut.rfind("<")]
    # Only an entity cut short: a link's URL keeps its "&" ("?a=1&b=2") whole.
    cut = _CUT_ENTITY.sub("", cut)
    return cut.rstrip() + tail
