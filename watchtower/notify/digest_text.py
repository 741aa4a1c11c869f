"""Digest wording shared by the e-mail and Slack renderers.

A digest's title (its period, and for a weekly one the week it covers) and the
per-brand severity counts read the same in an e-mail and in Slack; each
renderer keeps its own layout and escaping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from watchtower.models import Severity
from watchtower.notify._text import SEVERITY_EMOJI, one_line, plural, seen_on_text, site_of, t
from watchtower.pipeline.sites import NO_SITE_HOSTS

_ORDER = {s.name: int(s) for s in Severity}

__all__ = [
    "Day",
    "bar_of",
    "day_text",
    "digest_heading",
    "digest_title",
    "digest_zone",
    "item_site",
    "number",
    "reach_text",
    "review_text",
    "severity_counts",
    "shown_days",
    "stories",
    "week_bars",
    "week_lines",
    "week_text",
]


def digest_zone(summary: dict[str, Any], timezone: str) -> str:
    """The zone a digest tells its times in: its own, which
    :func:`watchtower.digest.enrich` stored (a ``[[digests]]`` entry's
    ``timezone``), else ``timezone``, the notifier's (a row queued by an older
    watchtower, or a zone this machine no longer knows)."""
    zone = summary.get("timezone")
    if isinstance(zone, str) and zone:
        try:
            ZoneInfo(zone)
        except (ValueError, OSError, ZoneInfoNotFoundError):
            return timezone
        return zone
    return timezone


def number(value: int, language: str) -> str:
    """``1 234`` in French (a no-break space), ``1,234`` in English."""
    text = f"{value:,}"
    return text.replace(",", "\u00a0") if language == "fr" else text


def severity_counts(severities: dict[str, int], language: str, *, grouped: bool) -> str:
    """A brand's counts, most severe first: ``"🚨 2 · 🔎 1 234"``.

    ``grouped``: thousands grouped as the language writes them (the e-mail
    digest); else plain digits (Slack, whose title counts are plain too).
    """
    shown = [s for s in sorted(Severity, reverse=True) if severities.get(s.name)]
    counts = [int(severities[s.name]) for s in shown]
    return " · ".join(
        f"{SEVERITY_EMOJI[s]} {number(c, language) if grouped else c}"
        for s, c in zip(shown, counts, strict=True)
    )


def day_text(day: int, language: str) -> str:
    """A day of the month as a date says it: "1er" in French ("le 1er décembre")."""
    return "1er" if language == "fr" and day == 1 else str(day)


def _day(day: date, language: str, *, year: bool) -> str:
    month = t(language, "months").split()[day.month - 1]
    key = "day_month_year" if year else "day_month"
    return t(language, key).format(day=day_text(day.day, language), month=month, year=day.year)


def week_text(summary: dict[str, Any], language: str) -> str:
    """The week a weekly digest covers, or "" (not weekly, or an old payload).

    "semaine du 16 au 22 novembre", "semaine du 26 octobre au 1er novembre",
    "semaine du 28 décembre 2026 au 3 janvier 2027"; "week of November 16–22",
    "week of October 26 – November 1".
    The days are those of the digest's zone (:func:`watchtower.digest.enrich`).
    """
    week = summary.get("week")
    if summary.get("period") != "weekly" or not isinstance(week, list) or len(week) != 2:
        return ""
    try:
        first, last = date.fromisoformat(str(week[0])), date.fromisoformat(str(week[1]))
    except ValueError:
        return ""
    if (first.year, first.month) == (last.year, last.month):
        month = t(language, "months").split()[first.month - 1]
        return t(language, "digest_week").format(
            first=day_text(first.day, language), last=day_text(last.day, language), month=month
        )
    year = first.year != last.year
    return t(language, "digest_week_span").format(
        first=_day(first, language, year=year), last=_day(last, language, year=year)
    )


#: The longest bar of a weekly digest's days, in characters.
BAR_WIDTH = 20

#: A day's mentions by severity, most severe first (the chart stacks them so).
SEVERITIES = ("critical", "warning", "info")


@dataclass(frozen=True)
class Day:
    """One day of a weekly digest as its reader sees it.

    ``before``: the digest's own morning ("08:30"), shown only when something
    happened then; ``severities``: its mentions by severity (:data:`SEVERITIES`).
    """

    date: date
    label: str
    count: int
    severities: dict[str, int]
    before: str = ""


def shown_days(days: Any, language: str) -> list[Day]:
    """The days of a weekly digest's ``days`` (:func:`watchtower.digest.week_counts`)
    to show, or ``[]`` (an unusable payload, a week without a mention).

    The 7 days of the week, and the digest's own morning (Monday to 08:30) as an
    8th day when it had mentions: a Monday-morning crisis is not Sunday's. A
    payload queued by an older watchtower has 7 days, the last holding that
    morning, and only ``critical`` among the severities: the rest count as info.
    """
    if not isinstance(days, list) or len(days) not in (7, 8):
        return []
    names = t(language, "weekdays").split()
    shown = []
    try:
        for k, entry in enumerate(days):
            day, count = date.fromisoformat(str(entry["day"])), int(entry["count"])
            severities = {s: max(0, int(entry.get(s) or 0)) for s in ("critical", "warning")}
            rest = count - sum(severities.values())
            severities["info"] = max(0, int(entry["info"]) if "info" in entry else rest)
            before = str(entry.get("before") or "") if k == 7 else ""
            if k == 7 and (count <= 0 or not before):
                continue
            label = t(language, "weekday_day").format(
                weekday=names[day.weekday()], day=day_text(day.day, language)
            )
            shown.append(Day(day, label, count, severities, before))
    except (TypeError, KeyError, ValueError, AttributeError):
        return []
    if max(d.count for d in shown) <= 0:
        return []
    return shown


def week_bars(summary: dict[str, Any], language: str) -> list[tuple[str, str]]:
    """A weekly digest's mentions per day, ``(day, bar)`` for each of its 7 days
    (and the digest's morning when it had mentions), or ``[]`` (not weekly, an
    old payload, a week without a mention)::

        lun. 16  ████████████████████ 42 (dont 🚨 3)
        mar. 17  █████ 9
        mer. 18  0
        …
        lun. 23  █ 2 (avant 08:30)

    The days are the digest's (:func:`watchtower.digest.week_counts`): local
    days from its period's first, named by their dates across a change of
    summer time. :func:`week_lines` lays them out as text; the e-mail's HTML
    as a table.
    """
    if summary.get("period") != "weekly":
        return []
    days = shown_days(summary.get("days"), language)
    most = max((d.count for d in days), default=0)
    shown = []
    for day in days:
        # A day with one mention among hundreds still shows a bar: it was not empty.
        bar = bar_of(day.count, most)
        text = f"{bar + ' ' if bar else ''}{number(day.count, language)}"
        told = []
        if critical := day.severities["critical"]:
            told.append(t(language, "digest_day_critical").format(count=number(critical, language)))
        if day.before:
            told.append(t(language, "digest_day_before").format(time=day.before))
        if told:
            text += f" ({', '.join(told)})"
        shown.append((day.label, text))
    return shown


def bar_of(count: int, most: int) -> str:
    """``count``'s bar against the longest, ``most`` (:data:`BAR_WIDTH` blocks)."""
    return "█" * max(1, round(count * BAR_WIDTH / most)) if count > 0 else ""


def week_lines(summary: dict[str, Any], language: str) -> list[str]:
    """:func:`week_bars` as text lines, the days padded so the bars line up."""
    bars = week_bars(summary, language)
    width = max((len(label) for label, _ in bars), default=0)
    return [f"{label.ljust(width)}  {bar}" for label, bar in bars]


def digest_title(
    summary: dict[str, Any], language: str, mentions: str, *, with_week: bool = True
) -> str:
    """A digest's title: "Résumé quotidien : 38 mentions"; a weekly one names its
    week, "Résumé hebdomadaire, semaine du 16 au 22 novembre : 240 mentions".

    ``mentions`` is the count as the renderer writes it, or "rien à signaler".
    ``with_week=False``: the short title (an e-mail's subject names the week).
    """
    period = t(language, f"digest_{summary.get('period', 'daily')}")
    if with_week and (week := week_text(summary, language)):
        return t(language, "digest_title_week").format(period=period, week=week, mentions=mentions)
    return t(language, "digest_title").format(period=period, mentions=mentions)


def digest_heading(
    summary: dict[str, Any], language: str, *, grouped: bool, with_week: bool = True
) -> str:
    """A digest's heading, the same in Slack and in an e-mail: its title
    (:func:`digest_title`) and the critical alerts sent at once, if any —
    "Résumé quotidien : 0 mention, 1 alerte critique"; a quiet day says
    "Résumé quotidien : rien à signaler".

    ``grouped``: numbers with their thousands grouped (the e-mail), else plain
    digits (Slack, as its other counts).
    """
    count, apart = int(summary.get("count", 0)), int(summary.get("sent_apart") or 0)

    def counted(key: str, value: int) -> str:
        return plural(language, key, value, shown=number(value, language) if grouped else None)

    mentions = counted("mentions", count) if count or apart else t(language, "digest_nothing")
    title = digest_title(summary, language, mentions, with_week=with_week)
    return title + (f", {counted('digest_critical', apart)}" if apart else "")


def stories(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per story, the most important first: critical, then by reach
    (the sites a story was seen on), then in the order they came.

    Rows of one story (its id, else its URL; a row with neither is a story of
    its own: a shared title says nothing of a shared story) become one entry
    with ``mentions`` (how many rows) and ``sites`` (its story's count, at
    least the places of its rows). A place is a row's site, or its source without an address, as the
    story's counter counts them: the site republishing its page under a new
    address, or the same page through a second feed, is no second site; a
    Google News row is on its publisher's site (``site``), so it and the
    site's own row are one.
    """
    by_key: dict[str, dict[str, Any]] = {}
    places: dict[str, set[str]] = {}
    for index, item in enumerate(items):
        key = f"story:{item['story']}" if item.get("story") is not None else ""
        if not key and item.get("url"):
            key = f"url:{item['url']}:{item.get('title') or ''}"
        key = key or f"row:{index}"
        entry = by_key.get(key)
        if entry is None:
            entry = by_key[key] = dict(item, mentions=0, sites=int(item.get("sites") or 1))
            places[key] = set()
        entry["mentions"] += 1
        site = item_site(item)
        places[key].add(f"site:{site}" if site else f"source:{item.get('source') or ''}")
        if _ORDER.get(str(item.get("severity")), 0) > _ORDER.get(str(entry["severity"]), 0):
            entry["severity"] = item.get("severity")
        entry["sites"] = max(entry["sites"], int(item.get("sites") or 1), len(places[key]))
    ranked = list(by_key.values())
    ranked.sort(key=lambda s: (-_ORDER.get(str(s.get("severity")), 0), -int(s["sites"])))
    return ranked


def item_site(item: dict[str, Any]) -> str:
    """A digest or summary row's site: its publisher's for a Google News link
    (``site``), else its link's; ``""`` for a link through a redirector (its
    source counts). Shown beside the row's link in an e-mail, as Slack shows
    an item's (:func:`watchtower.notify._text.link_site`)."""
    named = item.get("site")
    if isinstance(named, str) and named:
        return site_of(f"https://{named}/")
    site = site_of(str(item.get("url") or ""))
    return "" if site in NO_SITE_HOSTS else site


def reach_text(story: dict[str, Any], language: str) -> str:
    """A story's reach in a digest line, "vu sur 12 sites", or "" for one site."""
    sites = int(story.get("sites") or 1)
    if sites < 2:
        return ""
    text = seen_on_text(language, sites).replace(str(sites), number(sites, language))
    return text[:1].lower() + text[1:]


def review_text(story: dict[str, Any], language: str) -> str:
    """Who wrote a review in a digest and the start of what they said, plain text:
    « Marie D. : « Trois semaines sans réponse du service client… » », or "" for
    an item that is not a review (or a review that said neither).

    The fields are :func:`watchtower.digest.review_fields`'s; each renderer escapes.
    """
    if story.get("rating") is None:
        return ""
    author = one_line(str(story.get("author") or ""))
    excerpt = one_line(str(story.get("excerpt") or ""))
    if author and excerpt:
        return t(language, "digest_review").format(author=author, excerpt=excerpt)
    if excerpt:
        return t(language, "digest_review_quote").format(excerpt=excerpt)
    return t(language, "digest_review_by").format(author=author) if author else ""
