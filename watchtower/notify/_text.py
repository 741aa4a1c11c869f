"""Notification wording in the configured language (``fr`` default, ``en``)."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from watchtower.durations import parse_duration
from watchtower.models import Notification, Severity
from watchtower.notify._strings import LANGUAGE_NAMES, STRINGS
from watchtower.notify.base import word_cut
from watchtower.pipeline.sites import NO_SITE_HOSTS
from watchtower.typography import french_spacing as french_spacing  # re-exported

SEVERITY_EMOJI = {Severity.info: "🔎", Severity.warning: "⚠️", Severity.critical: "🚨"}
# In an address: whitespace (line separators included), controls, bidi controls.
_URL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def http_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL, else ``""``.

    Items' URLs are already only http(s) (:func:`watchtower.pipeline.canonical.
    canonical_url`); every notifier checks again before it makes a link or shows
    an address, so a ``javascript:`` or ``data:`` URL that reached a payload by
    another way (an old row, a new producer) is never one. For the same reason
    whitespace, controls and bidi controls inside it are percent-encoded, as
    canonical_url does: a line break would start a forged line ("Bcc: …") in a
    text body, U+202E would show the address reordered.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=""), url)


def t(language: str, key: str) -> str:
    """The text for ``key`` in ``language`` (falls back to French), French with
    its no-break spaces (:func:`~watchtower.typography.french_spacing`).

    The template is spaced before the caller fills it: a value put in by
    ``.format`` (a feed's title "Prix : en hausse", a URL with "?") is never
    changed.
    """
    table = STRINGS.get(language)
    if table is not None and key in table:
        return french_spacing(table[key], language)
    return french_spacing(STRINGS["fr"][key], "fr")


def is_singular(language: str, count: int) -> bool:
    """Whether ``count`` takes the singular: 0 and 1 in French ("0 mention"),
    only 1 in English ("0 mentions")."""
    return count in (0, 1) if language == "fr" else count == 1


def plural_keys(key: str) -> tuple[str, str]:
    """The singular and plural keys of a counted text: ``<key>_one`` and
    ``<key>_other``, or ``<key>`` itself for the two older pairs written so
    ("seen_on", "source_down_body": the docs and other modules name them)."""
    other = f"{key}_other"
    return f"{key}_one", other if other in STRINGS["fr"] else key


def plural(language: str, key: str, count: int, *, shown: str | None = None) -> str:
    """The counted text ``key`` for ``count``, in the right number: every count
    a reader sees goes through here, so "1 alerte critique envoyée" and
    "2 alertes critiques envoyées" agree, in both languages.

    ``shown``: the number as written when it is not plain digits ("1 234").
    """
    one, other = plural_keys(key)
    template = t(language, one if is_singular(language, count) else other)
    return template.format(count=str(count) if shown is None else shown)


def _joins_previous(char: str) -> bool:
    """Whether ``char`` is drawn with the character before it: an accent, the
    emoji presentation selector (the U+FE0F of "⚠️"), a skin tone, a ZWJ, a
    flag's tag or a keycap's frame."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char in "\u200d\ufe0e\ufe0f"
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
    )


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF  # half of a flag: "🇫🇷" is two of them


def whole_room(text: str, room: int) -> int:
    """The longest prefix of ``text`` up to ``room`` characters that ends between
    two characters as shown: a cut never leaves "⚠" without its U+FE0F, a skin
    tone alone, a family emoji split at a ZWJ, or half a flag (a lone letter)."""
    room = max(0, min(room, len(text)))
    while 0 < room < len(text) and (_joins_previous(text[room]) or text[room - 1] == "\u200d"):
        room -= 1
    if 0 < room < len(text) and _regional(text[room]):
        start = room
        while start > 0 and _regional(text[start - 1]):
            start -= 1
        room -= (room - start) % 2  # flags pair up from the first of the run
    return room


def clip(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, between words when a
    space is near (:func:`watchtower.notify.base.word_cut`), and never inside a
    character as shown (:func:`whole_room`): "Acmé rachète…", not "Acmé rach…"
    nor a flag cut in half. Every cut of a notifier's text goes through here."""
    if len(text) <= limit:
        return text
    room = whole_room(text, limit - len(ellipsis))
    return word_cut(text[:room], text[room : room + 1]) + ellipsis


def published_text(n: Notification, language: str, timezone: str) -> str:
    """The publication time in the configured zone, or ``""`` when unknown.

    An unknown date is no line at all (Slack, e-mail and plain text alike):
    "Publié le date inconnue" said nothing a reader could use.
    """
    if n.published is None:
        return ""
    try:
        if n.published.astimezone(UTC).time() == time(0):
            # A date without a time (JSON-LD "2026-11-25") is stored as midnight UTC:
            # shown in the local zone it would claim "01:00", an hour nobody wrote.
            # An item really published at 00:00:00 UTC loses its time, which is rare.
            return n.published.astimezone(UTC).strftime(t(language, "date_only_format"))
        return local_time_text(n.published, language, timezone)
    except OverflowError:  # year 1 or 9999 moved to another zone: not a real date
        return ""


def local_time_text(when: datetime, language: str, timezone: str) -> str:
    """``when`` in the configured zone: "04/03/2026 à 11:00 (CET)".

    A naive ``when`` (a SQLite column) is UTC, never the server's own zone.
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    local = when.astimezone(ZoneInfo(timezone))
    return local.strftime(t(language, "date_format")) + f" ({local.tzname()})"


def sent_apart_text(summary: dict[str, Any], language: str) -> str:
    """A digest's line for the critical alerts its target got at once, or ""."""
    count = int(summary.get("sent_apart") or 0)
    if not count:
        return ""
    return plural(language, "sent_apart", count)


def seen_on_text(language: str, count: int) -> str:
    """A story's counter: ``"Vu sur 1 site"``, ``"Vu sur 30 sites"``."""
    return plural(language, "seen_on", count)


def mentions_text(language: str, count: int) -> str:
    """``"1 mention"``, ``"3 mentions"``; French also says "0 mention"."""
    return plural(language, "mentions", count)


def number_text(value: float, language: str) -> str:
    """``value`` to one decimal (half up), without a useless ",0": "1,6", "4" in French."""
    try:
        rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(value)
    text = f"{rounded:f}".removesuffix(".0")
    return text.replace(".", ",") if language == "fr" else text


def rating_text(n: Notification, language: str) -> str:
    """A review's rating as stars and a score ("★★☆☆☆ 2/5"), or "" without one.

    One decimal, as review sites show a rating, with the language's decimal
    mark: an average of 3.1/10 is "1,6/5" in French, as in its title.
    """
    raw = n.extra.get("rating")
    if raw is None or isinstance(raw, bool):
        return ""
    try:
        rating = min(5.0, max(0.0, float(raw)))
    except (TypeError, ValueError):
        return ""
    if rating != rating:  # NaN
        return ""
    full = int(rating + 0.5)  # round half up: 2.5 shows three stars, as review sites do
    text = "★" * full + "☆" * (5 - full) + f" {number_text(rating, language)}/5"
    count = str(n.extra.get("rating_count") or "")
    if count.isdigit():  # an average: over how many reviews
        text += f" ({plural(language, 'reviews', int(count))})"
    return text


# "Banque Acme – agence Lyon · ★ 1.6/5": the title reviews.py gives an aggregate rating.
_AGGREGATE_TITLE = re.compile(r"^(?P<subject>.*)★ (?P<score>\d+(?:\.\d+)?)/5$")


def duration_text(value: str | timedelta, language: str) -> str:
    """A duration for people: "30 min", "1 h 30 min", "2 jours" ("1h30m" is config syntax).

    Two units at most: a source's usual gap of "3h27m14s" is "3 h 27 min".
    Anything that is no duration is shown as it is.
    """
    try:
        seconds = int(parse_duration(value).total_seconds())
    except ValueError:
        return str(value)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(plural(language, "day", days))
    parts += [f"{number} {unit}" for number, unit in ((hours, "h"), (minutes, "min")) if number]
    if secs or not parts:
        parts.append(f"{secs} s")
    return " ".join(parts[:2])


def author_text(n: Notification) -> str:
    """Who wrote the item (a review's author), or ""."""
    return str(n.extra.get("author") or "").strip()


def reviewed_text(n: Notification) -> str:
    """What a review is about ("Banque Acmé – agence Lyon"), or "" when its
    title already says it (a review without a headline, an average)."""
    reviewed = one_line(str(n.extra.get("reviewed") or ""))
    return "" if reviewed in one_line(n.title) else reviewed


def app_version_text(n: Notification) -> str:
    """The app version an App Store review is about ("5.12.0"), or ""."""
    return one_line(str(n.extra.get("app_version") or ""))


def kind_of(n: Notification) -> str:
    """``item``, ``summary``, ``spike`` or ``ops``.

    A notice queued without a ``kind`` (a rejected configuration) names no
    brand: no mention does, since every match is a brand's.
    """
    kind = str(n.extra.get("kind") or "item")
    return "ops" if kind == "item" and not n.brands else kind


def severity_text(n: Notification, language: str) -> str:
    """The label of ``n``'s urgency; an ops notice that needs nothing (a source
    back) is "Info", not "Mention"."""
    if n.severity is Severity.info and kind_of(n) == "ops":
        return t(language, "severity.notice")
    return t(language, f"severity.{n.severity.name}")


#: Whitespace a line may break at: every kind but the no-break spaces.
_BREAKING_SPACE = re.compile(r"[^\S\u00a0\u2007\u202f]+")


def one_line(text: str) -> str:
    """``text`` on one line: newlines and runs of spaces in a feed's title become
    one space. A no-break space is kept: French text ("Source en panne : x") keeps
    its colon on the line of its word."""
    return _BREAKING_SPACE.sub(" ", text).strip()


def title_text(n: Notification, language: str) -> str:
    """The item's title on one line; an aggregate rating's score in the language
    ("★ 1,6/5" in French, as its rating line says)."""
    title = one_line(n.title)
    if not title:
        return t(language, "untitled")
    aggregate = _AGGREGATE_TITLE.match(title)
    if aggregate and str(n.extra.get("rating_count") or ""):
        score = number_text(float(aggregate["score"]), language)
        return f"{aggregate['subject']}★ {score}/5"
    return title


def site_of(url: str) -> str:
    """The site of an http(s) URL, as people name it: "lemonde.fr" for
    "https://www.lemonde.fr/…", or ``""`` without one."""
    try:
        host = (urlsplit(http_url(url)).hostname or "").rstrip(".")
    except ValueError:
        return ""
    host = host.removeprefix("www.")
    if "xn--" in host:  # "xn--acm-bma.fr" is "acmé.fr" to its readers
        with contextlib.suppress(UnicodeError):
            decoded = host.encode("ascii").decode("idna")
            # Only accented Latin letters ("acmé"): a Cyrillic "а" or a Latin
            # alpha "ɑ" would show "paypal.com" for another site (a homograph).
            if all(ord(unicodedata.normalize("NFD", c)[0]) < 128 for c in decoded):
                host = decoded
    return host


def link_site(n: Notification) -> str:
    """The site an item's link leads to, to show beside a link whose label is
    the item's own title ("lemonde.fr"): a title cannot pass a link to another
    site off as the brand's. The story part's ``site`` when the address names
    none (a Google News link: its publisher); ``""`` for a redirector's link
    with no publisher, or no link."""
    site = _story_site(n)
    return "" if site in NO_SITE_HOSTS else site


def _story_site(n: Notification) -> str:
    """The story part's ``site`` when it names one (a Google News link: its
    publisher's), else the site of the item's link."""
    named = n.story.get("site")
    return site_of(f"https://{named}/") if isinstance(named, str) and named else site_of(n.url)


def reply_line(n: Notification, language: str) -> str:
    """ "Aussi vu sur lemonde.fr": where a story was seen again (or edited).

    The site comes from the item's address, or from the story part's ``site``
    when the address names none (a Google News link: its publisher's site); the
    configured source name ("google-alerts-acme") says where watchtower
    listened, not where the story is, so it is shown only for an item without
    either.

    At a place the story was already seen at (``same_place``: the site
    republishing its page under a new address, a member's cross-post, the
    article through a second feed), it is "Republié sur lemonde.fr (nouvelle
    adresse)": "Aussi vu sur lemonde.fr" under the lemonde.fr message reads as
    a bug. Such a sighting adds no site to the story's counter.
    """
    site = _story_site(n)
    if n.story.get("edited"):
        key = "edited_on"
    elif n.story.get("same_place"):
        # A redirector's link (Google News) is no site: the source is the place.
        addressed = bool(site) and site not in NO_SITE_HOSTS
        key = "republished_on" if addressed else "republished"
        site = site if addressed else ""
    else:
        key = "also_seen"
    return t(language, key).format(site=site or one_line(n.source) or "?")


def edited_stars_text(n: Notification, language: str) -> str:
    """An edited review's stars now ("★★★★☆ 4/5"), shown after its reply line;
    "" for anything else, and for an average, whose title says its score."""
    if not n.story.get("edited") or n.extra.get("rating_count"):
        return ""
    return rating_text(n, language)


def language_text(code: str | None, language: str) -> str:
    """The name of an item's language ("anglais" for ``en`` in French), or its code."""
    if not code:
        return ""
    names = LANGUAGE_NAMES.get(language, LANGUAGE_NAMES["fr"])
    return names.get(code.split("-")[0].split("_")[0].lower(), code)


def label(language: str, key: str) -> str:
    """``"Source : "`` in French, ``"Source: "`` in English."""
    return t(language, key) + t(language, "colon")


def watching_text(summary: dict[str, Any], language: str) -> str:
    """A digest's health line when it has no mention, or "": "watchtower veille
    toujours : 15 sources suivies, dont 1 en panne." — a quiet day, not a dead
    daemon (the sources are the enabled ones; failing: their last check failed)."""
    health = summary.get("health")
    if not isinstance(health, dict) or int(summary.get("count") or 0):
        return ""
    sources, failing = int(health.get("sources") or 0), int(health.get("failing") or 0)
    watching = plural(language, "digest_watching", sources)
    state = t(language, "digest_failing" if failing else "digest_failing_none")
    return f"{watching}, {state.format(count=failing)}."


def digest_apart_text(summary: dict[str, Any], language: str) -> str:
    """:func:`sent_apart_text`, without its "also" in a digest with no mention
    (a night of critical alerts only): "🚨 5 alertes critiques envoyées dès leur arrivée."."""
    count = int(summary.get("sent_apart") or 0)
    if not count or int(summary.get("count") or 0):
        return sent_apart_text(summary, language)
    return plural(language, "sent_apart_only", count)
