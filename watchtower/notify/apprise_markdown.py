"""Text from a feed made harmless for an Apprise service: no ping, no link of its own.

Control characters (C0, DEL, C1) and bidi controls are removed
(:mod:`watchtower.sanitise`) and mentions are defused by a zero-width space
(``@everyone``, ``@here``, ``@channel``, ``<!channel>``, Mattermost's and
Rocket.Chat's ``@all``, Matrix's ``@room``, Zulip's ``@**all**``, a person's
or a user group's ``@handle`` outside links' paths (``https://@direction`` has
no host: its handle is defused), Discord's ``<@&role>`` and
``<@user>``, Teams' ``<at>…</at>``, Google Chat's ``<users/all>``), so a feed
cannot ping a whole team, nor label a link of its own (Google Chat's
``<url|label>``); an address is left as it is (``contact@all.fr``; not
``x@here.fr``: Discord reads ``@here`` in it). Their NFKC look-alikes are
defused too (``＠everyone``, ``﹫all``, ``@ｈｅｒｅ``).

Services that only take Markdown (Teams through ``workflows://``, Google Chat),
and those whose URL asks for it (``format=markdown``: Discord, Telegram…),
get Markdown written here, because Apprise's own escaping puts a backslash
before every ``.``, ``-`` and ``_`` — shown as is on Teams' phone app and Google
Chat, and breaking every link: text that would format (``*``, ``_``,
``[label](url)``, a ``#`` heading) is neutralised without backslashes, links
stay intact and clickable. Services that take plain text but show it as
Markdown all the same (:data:`_RENDERS_MARKDOWN`: Discord, Mattermost,
Rocket.Chat, Zulip, Nextcloud Talk…) get the same neutral text: there a feed's
``[Votre compte est bloqué](https://phishing.example)`` would be a live link
under a label of the feed's choosing. Their addresses stay bare, which each
of them turns into a link.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

import apprise

from watchtower.notify.base import truncate
from watchtower.sanitise import printable

__all__ = ["LINK_LABEL_CHARS"]

# Words that ping a whole channel or team: "@everyone", "@here", "@channel"
# (Discord, Slack, Mattermost, Rocket.Chat, Zulip), "@all" (Mattermost, Rocket.Chat,
# Nextcloud Talk, Zulip), "@room" (Matrix), "@online" (Revolt), Zulip's
# "@**all**", "@**stream**", "@**topic**" (and its silent "@_**…**", defused too).
# The first three anywhere, as always (Discord reads "x@here" too); the others
# not after a letter or digit, where "@" is an address's ("contact@all.fr").
# Defused even inside a link: a whole team's ping outweighs a link's path.
# Their look-alikes too, as in Slack's text (notify/slack_mrkdwn.py): "＠" (U+FF20)
# and "﹫" (U+FE6B) fold to "@" under NFKC, "ｈｅｒｅ" to "here"; no service says
# it folds them, none says it does not, and a zero-width space costs nothing
# visible. A look-alike at sign is never an address's: defused after a letter too.
_AT_SIGNS = "@\uff20\ufe6b"
_MASS_ANYWHERE = frozenset({"everyone", "here", "channel"})
_MASS_WORDS = _MASS_ANYWHERE | {"all", "room", "online", "stream", "topic"}
_AT_WORD = re.compile(rf"[{_AT_SIGNS}](_?\**)(\w+)")
_WORD_BEFORE = re.compile(r"[^\W_]")
# A person or a user group named in plain text: "@jean", "@direction"
# (Mattermost, Rocket.Chat, Telegram, Matrix), Zulip's "@**Jean**" and "@*groupe*",
# Nextcloud Talk's '@"Jean Dupont"'. Outside links only: "youtube.com/@Acme"
# must still open; after a letter or digit it is an address ("jean@acme.fr"):
# these services read a handle only after a space or a mark (Mattermost's
# ``\B@``), unlike Slack, so "x@direction" stays. "＠jean" is defused anywhere.
_HANDLE_MENTION = re.compile(r'(?<![^\W_])@(?=[\w*"])|[\uff20\ufe6b](?=[\w*"])')
# Nor in an address's host part: "https://@direction" links nowhere, and
# "https://x@direction" names a group where a host should be.
_HOST_MENTION = re.compile(
    rf'(https?://[^\s/?#{_AT_SIGNS}]*)([{_AT_SIGNS}])(?=[\w*"])', re.IGNORECASE
)
# Pings that name their target: Discord's <@123>, <@!123>, <@&role>; Teams'
# <at>…</at> (Apprise's workflows plugin turns it into a mention entity);
# Google Chat's <users/all> and <users/123>; Slack's every <!…> command
# (<!subteam^S1> pings a user group, <!here|here> the channel, whatever its label).
_TAG_MENTION = re.compile(r"<(?=@|!|at>|users/)", re.IGNORECASE)
# Google Chat shows "<https://evil.example|acme.fr>" (passed on by Apprise) as a
# link labelled "acme.fr": a feed's link must not pass for the brand's site.
_ANGLE_LINK = re.compile(r"<(?=[a-z][a-z0-9+.-]*:)", re.IGNORECASE)
_URL = re.compile(r"https?://\S+")
# Markdown that would format text from a feed: emphasis, code, a link's "](",
# a heading, a quote or a rule at the start of a line.
_EMPHASIS = str.maketrans({"*": "\u2217", "`": "\u02cb", "~": "\u02dc"})
# What would end or open a Markdown link inside an address, percent-encoded
# (the address still leads to the same page).
_URL_MARKDOWN = str.maketrans({c: f"%{ord(c):02X}" for c in "[]()<>"})
_LINE_START = re.compile(r"^(\s*)([#>=+]|-{3,}|_{3,})")
#: Services that format plain text as Markdown, by their Apprise URL schemes
#: (checked in Apprise 2.3's plugins: each sends the text as it is given and
#: the service renders it). Rocket.Chat and Google Chat take only Markdown
#: unless the URL says ``format=text``; then they are here.
_RENDERS_MARKDOWN = frozenset(
    {
        "discord",
        "guilded",  # Apprise's Guilded plugin is its Discord plugin
        "fluxer",  # a Discord-like chat: content rendered as Markdown
        "fluxers",
        "mmost",  # Mattermost
        "mmosts",
        "rocket",  # Rocket.Chat
        "rockets",
        "zulip",
        "nctalk",  # Nextcloud Talk (Markdown in chat since Talk 17)
        "nctalks",
        "ryver",  # Apprise itself writes the title there as "**title**"
        "revolt",
        "misskey",  # Misskey's MFM: "[label](url)", "**bold**"
        "misskeys",
        "humhub",  # HumHub posts are Markdown
        "humhubs",
        "gchat",
        "workflow",
        "workflows",
    }
)
#: A link's label on Teams and Google Chat: its address, cut beyond this.
LINK_LABEL_CHARS = 80


def _defuse(text: str) -> str:
    """``@everyone`` → ``@\u200beveryone``, ``@all`` → ``@\u200ball``,
    ``@**all**`` → ``@\u200b**all**``, ``<@&42>`` → ``<\u200b@&42>``,
    ``<https://…|label>`` → ``<\u200bhttps://…|label>``: still readable, pings
    nobody, links nowhere."""
    text = _AT_WORD.sub(_defuse_mass, printable(text, keep="\n"))
    text = _outside_links(text, lambda part: _HANDLE_MENTION.sub("\\g<0>\u200b", part))
    text = _HOST_MENTION.sub("\\1\\2\u200b", text)
    return _ANGLE_LINK.sub("<\u200b", _TAG_MENTION.sub("<\u200b", text))


def _defuse_mass(found: re.Match[str]) -> str:
    """An at sign, a mark or two and a word; a zero-width space after the at sign
    when the word (NFKC-folded, any case) pings a whole team and may here: the
    first three anywhere, the others not after a letter or digit (an address)."""
    at, lead, word = found.group()[0], found[1], found[2]
    folded = unicodedata.normalize("NFKC", word).casefold()
    start = found.start()
    after_word = start > 0 and _WORD_BEFORE.match(found.string[start - 1]) is not None
    if folded in _MASS_ANYWHERE and not lead:
        pings = True
    else:
        pings = folded in _MASS_WORDS and (at != "@" or not after_word)
    return f"{at}\u200b{lead}{word}" if pings else found.group()


def _outside_links(text: str, change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to all but its http(s) addresses."""
    parts, last = [], 0
    for m in _URL.finditer(text):
        parts += [change(text[last : m.start()]), m.group(0)]
        last = m.end()
    return "".join([*parts, change(text[last:])])


def _markdown_text(text: str) -> str:
    """Text outside links, unable to format: ``*gras*`` and ``[x](y)`` shown as
    written, no backslash (Teams' phone app and Google Chat show those as is)."""
    text = _LINE_START.sub(lambda m: m.group(1) + "\u200b" + m.group(2), text)
    text = text.translate(_EMPHASIS).replace("](", "]\u200b(")
    # "_" formats only at a word's edge ("post_du_forum" stays as it is).
    return re.sub(r"(?<![^\W_])_|_(?![^\W_])", "\u02cd", text)


def _markdown_line(line: str, whole_link: bool) -> str:
    """One line of Markdown: its text neutralised, its links left whole (a line
    that is only a link becomes ``[url](url)``, clickable everywhere; a long
    address is shown cut, ``[https://news.google.com/rss/articles/CBMi…](url)``)."""
    if whole_link and _URL.fullmatch(line.strip()):
        url = line.strip()
        href = url.translate(_URL_MARKDOWN)
        shown = _markdown_text(truncate(url, LINK_LABEL_CHARS))
        return f"{line[: len(line) - len(line.lstrip())]}[{shown}]({href})"
    parts, last = [], 0
    for m in _URL.finditer(line):
        # An address in a feed's text ends no link label and opens none: in
        # "[site officiel https://acme.fr](https://evil.example)" it would.
        parts += [_markdown_text(line[last : m.start()]), m.group(0).translate(_URL_MARKDOWN)]
        last = m.end()
    return "".join([*parts, _markdown_text(line[last:])])


def _schemes(plugin: Any) -> tuple[str, ...]:
    """The URL schemes of an Apprise plugin (``("workflow", "workflows")``)."""
    found: list[str] = []
    for attr in ("protocol", "secure_protocol"):
        value = getattr(plugin, attr, None)
        found += [value] if isinstance(value, str) else list(value or ())
    return tuple(found)


def _markdown_only(plugin: Any) -> bool:
    """Whether the service takes only Markdown (Teams' workflows, Google Chat)."""
    formats = plugin.notify_format
    if isinstance(formats, str):
        formats = (formats,)
    accepted = {str(getattr(f, "value", f)) for f in formats}
    return accepted == {"markdown"}


def _sends_markdown(plugin: Any) -> bool:
    """Whether Apprise would send our plain text to the service as Markdown: a
    service that takes only Markdown (:func:`_markdown_only`), or one whose URL
    asks for it (``discord://…?format=markdown``, ``tgram://…?format=markdown``).
    Given plain text, Apprise would escape it for Markdown, a backslash before
    every ``[``, ``_``, ``.``, ``-``, shown as is and breaking links: such a
    service gets our own neutral Markdown instead, which Apprise passes on."""
    resolve = getattr(plugin, "resolve_format", None)
    if callable(resolve):  # Apprise 2: a multi-format plugin honours ``format=``
        resolved = resolve(apprise.NotifyFormat.TEXT)
        return str(getattr(resolved, "value", resolved)) == "markdown"
    return _markdown_only(plugin)  # Apprise 1: ``format=`` replaces notify_format
