"""The digest e-mail (:func:`digest_email`), as a director reads it on a phone: the
period, the critical alerts sent at once, the chart or the week's days, then each
brand's stories. The other e-mail bodies: :mod:`.email_render`.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from watchtower.models import Notification, Severity
from watchtower.notify._text import (
    SEVERITY_EMOJI,
    digest_apart_text,
    http_url,
    plural,
    rating_text,
    t,
    watching_text,
)
from watchtower.notify.digest_text import (
    day_text,
    digest_heading,
    digest_zone,
    number,
    reach_text,
    review_text,
    severity_counts,
    stories,
    week_bars,
    week_lines,
    week_text,
)
from watchtower.notify.email_render import CHART_CID, SHOWN, TD, TH, item_link_html, title_source

# ------------------------------------------------------------------ the digest
_H2 = "margin:0 0 4px 0;font-size:20px;line-height:1.3"
_H3 = "margin:16px 0 4px 0;font-size:17px;line-height:1.3"
_P = "margin:0 0 6px 0"
_UL = "margin:0 0 6px 0;padding:0 0 0 20px"
_LI = "margin:0 0 4px 0"
_BARS = "margin:0 0 6px 0;border-collapse:collapse"
_NOWRAP = "white-space:nowrap"
_SAID = "font-style:italic"  # a review's author and words, under its title

#: The bytes of HTML a digest's brands may take, at most: Gmail clips a message
#: past 102 KB and hides its end, the last brands and their counts with it. A
#: digest of long addresses stops listing there and counts what it leaves out.
HTML_MAX = 90_000


def _counted(language: str, key: str, count: int) -> str:
    return plural(language, key, count, shown=number(count, language))


def _when(
    moment: datetime, language: str, timezone: str, *, clock: bool, year: bool = False
) -> str:
    """ "25 novembre à 08:30"; with ``year`` (a period across the new year),
    "28 décembre 2026 à 08:30"."""
    local = moment.astimezone(ZoneInfo(timezone))
    month = t(language, "months").split()[local.month - 1]
    key = "day_month_year_time" if clock and year else "day_month_time" if clock else "day_month"
    day = day_text(local.day, language)  # "1er décembre" in French
    return t(language, key).format(day=day, month=month, time=f"{local:%H:%M}", year=local.year)


def _moment(value: Any) -> datetime | None:
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(float(value), UTC)
        moment = datetime.fromisoformat(str(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stars(story: dict[str, Any], language: str) -> str:
    """A review's rating ("★☆☆☆☆ 1/5"), or ""."""
    if story.get("rating") is None:
        return ""
    payload = {"extra": {"rating": story["rating"]}}
    return rating_text(Notification.from_payload(0, "", payload), language)


def _story_text(story: dict[str, Any], language: str) -> str:
    emoji = SEVERITY_EMOJI[Severity[str(story.get("severity") or "info")]]
    url = http_url(str(story.get("url") or ""))
    title, source = title_source(story, language)
    tail = " · ".join(
        x for x in (source, _stars(story, language), reach_text(story, language)) if x
    )
    said = review_text(story, language)  # a review: who wrote it, and what
    return (
        f"{emoji} {title}"
        + (f" — {tail}" if tail else "")
        + (f"\n   {said}" if said else "")
        + (f"\n   {url}" if url else "")
    )


def _story_html(story: dict[str, Any], language: str) -> str:
    e = html.escape
    emoji = SEVERITY_EMOJI[Severity[str(story.get("severity") or "info")]]
    title, source = title_source(story, language)
    line = f"{emoji} {item_link_html(story, title)}"  # and the site it leads to
    if source:
        line += f" — <em>{e(source)}</em>"
    if stars := _stars(story, language):
        line += f" · {e(stars)}"
    if reach := reach_text(story, language):
        line += f" · <strong>{e(reach)}</strong>"
    if said := review_text(story, language):
        line += f"<br><span style='{_SAID}'>{e(said)}</span>"
    return f"<li style='{_LI}'>{line}</li>"


def _chart_html(name: str, alt: str, language: str) -> str:
    """The inline chart, 600 px wide on a desktop and the phone's width on a
    phone; its ``alt`` names it and gives its numbers ("Mentions par jour :
    lun. 16 3, …"), for a reader whose client does not show it."""
    # The alt holds brand names: its spacing is the templates', never applied to it.
    alt = f"{name}{t(language, 'colon')}{alt}"
    return (
        f'<p style=\'{_P}\'><img src="cid:{CHART_CID}" alt="{html.escape(alt)}" width="600" '
        'style="display:block;width:100%;max-width:600px;height:auto;border:0"></p>'
    )


def _bar_count(bar: str) -> str:
    """A day's text without its bar: "42 (dont 🚨 3)"."""
    return bar.lstrip("█ ")


def _bar_html(bar: str) -> str:
    """A day's bar and count kept on one line (a phone breaking the bar in two
    reads as two bars), what follows free to wrap; the blocks hidden from
    screen readers, which read each one aloud ("plein bloc" 20 times)."""
    count = _bar_count(bar)
    blocks = bar[: len(bar) - len(count)].rstrip()
    number, _, rest = count.partition(" ")
    shown = html.escape(number)
    if blocks:
        shown = f"<span aria-hidden='true'>{blocks}</span> {shown}"
    return f"<span style='{_NOWRAP}'>{shown}</span>" + (f" {html.escape(rest)}" if rest else "")


def digest_email(n: Notification, language: str, timezone: str) -> tuple[str, str, str]:
    """``(subject, text, html)`` of a digest, as a director reads it on a phone.

    The subject says the count, the critical alerts and the day, or for a
    weekly digest the week (each subject differs, so Gmail does not thread them
    into one conversation). The body: the period in the digest's own zone
    (:func:`~watchtower.notify.digest_text.digest_zone`, else ``timezone``), ending at the
    digest's own time even when it went out late; the critical alerts sent at
    once, listed; the chart; then each brand's stories, one line per story (not one per
    copy), critical first and then by the number of sites; beyond
    :data:`SHOWN`, how many more stories and mentions.
    """
    e = html.escape
    summary: dict[str, Any] = n.extra.get("summary") or {}
    timezone = digest_zone(summary, timezone)  # a [[digests]] entry's own zone, if stored
    count = int(summary.get("count", 0))
    mentions = _counted(language, "mentions", count)
    apart = int(summary.get("sent_apart") or 0)
    # The subject names the week (below); the heading is the short title, as
    # Slack's but for the week: "Résumé quotidien : 0 mention, 1 alerte critique".
    heading = digest_heading(summary, language, grouped=True, with_week=False)
    end = (
        _moment(summary.get("until"))
        or _moment(n.extra.get("created_at"))
        or _moment(summary.get("last"))
    )
    hourly = summary.get("period") == "hourly"
    day = week_text(summary, language) or (
        _when(end, language, timezone, clock=hourly) if end else ""
    )
    prefix = "[veille]" if language == "fr" else "[watchtower]"
    subject = f"{prefix} {heading}" + (f" — {day}" if day else "")

    ranked = stories(list(summary.get("items") or []))
    lines = [heading]
    parts = [f"<h2 style='{_H2}'>{e(heading)}</h2>"]
    start = _moment(summary.get("since"))
    if start and end:
        zone = ZoneInfo(timezone)
        # Across the new year, each end names its year, as the week's name does.
        year = start.astimezone(zone).year != end.astimezone(zone).year
        when = t(language, "digest_period").format(
            start=_when(start, language, timezone, clock=True, year=year),
            end=_when(end, language, timezone, clock=True, year=year),
        )
        told = f"{when} · {mentions} · {_counted(language, 'stories', len(ranked))}"
        if count > len(summary.get("items") or []):  # not every row is in the payload
            told = f"{when} · {mentions}"
        if not count:  # no mention: say so, and the critical alerts (0 too)
            told = f"{when} · {mentions} · {_counted(language, 'digest_critical', apart)}"
        lines.append(told)
        parts.append(f"<p style='{_P}'>{e(told)}</p>")
    if watching := watching_text(summary, language):  # a quiet day, not a dead daemon
        lines.append(watching)
        parts.append(f"<p style='{_P}'>{e(watching)}</p>")
    lines.append("")
    if text := digest_apart_text(summary, language):
        listed = [dict(a, sites=1) for a in summary.get("apart") or []]
        lines += [text, *(_story_text(a, language) for a in listed), ""]
        parts.append(f"<p style='{_P}'><strong>{e(text)}</strong></p>")
        if listed:
            parts.append(f"<ul style='{_UL}'>")
            parts += [_story_html(a, language) for a in listed]
            parts.append("</ul>")
    by_brand: dict[str, dict[str, int]] = summary.get("by_brand") or {}
    bars = week_bars(summary, language)  # a weekly digest: its days
    # A weekly digest's chart is its days (the brands' counts head their lists
    # below): it takes the place of the days' table. An older payload's chart
    # is per brand, whatever its period.
    days_chart = bool(bars) and summary.get("chart") == "days" and bool(n.extra.get("chart"))
    if n.extra.get("chart") and not days_chart:
        alt = ", ".join(
            f"{brand} {number(sum(v.values()), language)}" for brand, v in by_brand.items()
        )
        parts.append(_chart_html(t(language, "chart_title"), alt, language))
    if bars:
        days = (t(language, "digest_days") + t(language, "colon")).rstrip()
        lines += [days, *week_lines(summary, language), ""]
        parts.append(f"<p style='{_P}'><strong>{e(days)}</strong></p>")
        if days_chart:
            # Images off (or a screen reader): each day's count, as the table said it.
            alt = ", ".join(f"{label} {_bar_count(bar)}" for label, bar in bars)
            parts.append(_chart_html(t(language, "digest_days"), alt, language))
        else:
            parts.append(f"<table role='presentation' style='{_BARS}'>")
            parts += [
                f"<tr><td style='{TH}'>{e(label)}</td><td style='{TD}'>{_bar_html(bar)}</td></tr>"
                for label, bar in bars
            ]
            parts.append("</table>")
    room = HTML_MAX - sum(len(part.encode()) for part in parts)
    brands = list(by_brand.items())
    for index, (brand, severities) in enumerate(brands):
        counts = severity_counts(severities, language, grouped=True)
        mine = [s for s in ranked if brand in (s.get("brands") or [])]
        total = sum(severities.values())
        head = f"<h3 style='{_H3}'>{e(brand)} — {e(counts)}</h3><ul style='{_UL}'>"
        room -= len(head.encode())
        if room < 0:  # not even its heading: it and the next brands are left out
            left = total + sum(sum(v.values()) for _, v in brands[index + 1 :])
            _left_out(lines, parts, language, left, len(brands) - index)
            break
        shown: list[dict[str, Any]] = []
        shown_html: list[str] = []
        for story in mine[:SHOWN]:
            room -= len((line := _story_html(story, language)).encode())
            if room < 0:
                break
            shown.append(story)
            shown_html.append(line)
        cut = room < 0
        lines += [f"{brand} — {counts}", *(_story_text(s, language) for s in shown)]
        parts += [head, *shown_html, "</ul>"]
        room -= len("</ul>")
        rest = total - sum(int(s["mentions"]) for s in shown)
        if cut:  # inside this brand: its rest and the next brands are left out
            left = rest + sum(sum(v.values()) for _, v in brands[index + 1 :])
            _left_out(lines, parts, language, left, len(brands) - index - 1)
            break
        if rest > 0:
            # Stories not in the payload (beyond its items) count one mention each.
            others = len(mine) - len(shown) + max(0, total - sum(int(s["mentions"]) for s in mine))
            more = t(language, "digest_more").format(
                count=number(rest, language), stories=_counted(language, "stories", others)
            )
            lines.append(more)
            parts.append(f"<p style='{_P}'>{e(more)}</p>")
            room -= len(parts[-1].encode())
        lines.append("")
    return subject, "\n".join(lines).rstrip() + "\n", "".join(parts)


def _left_out(
    lines: list[str], parts: list[str], language: str, mentions: int, brands: int
) -> None:
    """The line of a digest cut at :data:`HTML_MAX`: "… et 50 mentions de plus
    (5 marques)", in its text and its HTML."""
    more = plural(language, "more_mentions", mentions, shown=number(mentions, language))
    if brands:
        more += f" ({plural(language, 'more_brands', brands, shown=number(brands, language))})"
    lines += [more, ""]
    parts.append(f"<p style='{_P}'>{html.escape(more)}</p>")
