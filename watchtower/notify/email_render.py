"""E-mail bodies for summaries (grouped, quiet hours, digests) and spike alerts.

Text and HTML say the same thing; the digest chart is referenced from the HTML
as ``cid:`` and attached inline by :meth:`EmailNotifier.build` (``Message.extra
["images"]``), so it shows without loading remote content.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from watchtower.models import Notification, Severity
from watchtower.notify._spike_text import (
    calm_text,
    original_permalink,
    original_text,
    spike_heading,
    spike_stats,
)
from watchtower.notify._text import (
    SEVERITY_EMOJI,
    app_version_text,
    author_text,
    digest_apart_text,
    duration_text,
    http_url,
    label,
    language_text,
    one_line,
    plural,
    published_text,
    rating_text,
    reviewed_text,
    sent_apart_text,
    severity_text,
    t,
    watching_text,
)
from watchtower.notify.base import truncate
from watchtower.notify.digest_text import (
    day_text,
    digest_heading,
    number,
    reach_text,
    severity_counts,
    stories,
    week_bars,
    week_lines,
    week_text,
)
from watchtower.notify.slack_render import summary_title

CHART_CID = "chart@watchtower"
SHOWN = 20  # items per brand in an e-mail summary

# Inline styles only: Outlook and Gmail drop <style> blocks and external CSS.
# No colours: a client in dark mode keeps the text readable by inverting them.
_TH = "text-align:left;vertical-align:top;padding:0 12px 2px 0;white-space:nowrap"
_TD = "vertical-align:top;padding:0 0 2px 0"
_QUOTE = "margin:12px 0 0 0;padding:0 0 0 10px;border-left:3px solid #999999"
_BODY = "margin:0;padding:8px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.4"


def document(body: str) -> str:
    """A whole HTML document around ``body``, as mail clients expect it.

    ``color-scheme`` tells Apple Mail and Outlook the message suits dark mode;
    ``overflow-wrap`` breaks a title or URL longer than a phone's width instead
    of widening the message; ``max-width`` keeps lines readable on a desktop.
    """
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        '<meta name="supported-color-schemes" content="light dark">'
        f'</head><body style="{_BODY}">'
        '<div style="max-width:640px;overflow-wrap:anywhere;word-wrap:break-word">'
        f"{body}</div></body></html>"
    )


def html_link(url: str, text: str) -> str:
    """``<a href="url">text</a>`` (both escaped) for an http(s) URL, else ``text`` escaped:
    a ``javascript:`` or ``data:`` URL is never a link in an e-mail."""
    url = http_url(url)
    if not url:
        return html.escape(text)
    return f'<a href="{html.escape(url)}">{html.escape(text)}</a>'


def _title_source(item: dict[str, Any], language: str) -> tuple[str, str]:
    """An item's title (or "(sans titre)") and source, each on one line."""
    title = one_line(str(item.get("title") or "")) or t(language, "untitled")
    return title, one_line(str(item.get("source") or ""))


def _item_text(item: dict[str, Any], language: str) -> str:
    emoji = SEVERITY_EMOJI[Severity[str(item.get("severity", "info"))]]
    url = http_url(str(item.get("url") or ""))
    title, source = _title_source(item, language)
    return f"{emoji} {title}" + (f" — {source}" if source else "") + (f"\n   {url}" if url else "")


def _item_html(item: dict[str, Any], language: str) -> str:
    emoji = SEVERITY_EMOJI[Severity[str(item.get("severity", "info"))]]
    title, source = _title_source(item, language)
    line = f"{emoji} {html_link(str(item.get('url') or ''), title)}"
    return f"<li>{line}" + (f" — <em>{html.escape(source)}</em>" if source else "") + "</li>"


def summary_email(
    n: Notification, language: str, timezone: str = "Europe/Paris"
) -> tuple[str, str, str]:
    """``(subject, text, html)`` of a summary notification (a digest: :func:`digest_email`)."""
    e = html.escape
    summary: dict[str, Any] = n.extra.get("summary") or {}
    if summary.get("reason") == "digest":
        return digest_email(n, language, timezone)
    title = summary_title(n, language)
    items: list[dict[str, Any]] = list(summary.get("items") or [])
    text_lines, html_parts = [title, ""], [f"<h2>{e(title)}</h2>"]
    if apart := sent_apart_text(summary, language):
        text_lines[1:1] = [apart]
        html_parts.append(f"<p>{e(apart)}</p>")
    if n.extra.get("chart"):
        html_parts.append(
            f'<p><img src="cid:{CHART_CID}" alt="{e(t(language, "chart_title"))}"></p>'
        )
    for brand, severities in (summary.get("by_brand") or {}).items():
        counts = severity_counts(severities, language, grouped=False)
        mine = [i for i in items if brand in (i.get("brands") or [])][:SHOWN]
        text_lines += [f"{brand} — {counts}", *(_item_text(i, language) for i in mine), ""]
        html_parts += [
            f"<h3>{e(brand)} — {e(counts)}</h3><ul>",
            *(_item_html(i, language) for i in mine),
            "</ul>",
        ]
        more = sum(severities.values()) - len(mine)
        if more > 0:
            text_lines.append(t(language, "more").format(count=more))
            html_parts.append(f"<p>{e(t(language, 'more').format(count=more))}</p>")
    subject = f"{'[veille]' if language == 'fr' else '[watchtower]'} {title}"
    return subject, "\n".join(text_lines), "".join(html_parts)


def spike_email(
    n: Notification, language: str, timezone: str = "Europe/Paris"
) -> tuple[str, str, str]:
    """``(subject, text, html)`` of a spike alert (or its escalation).

    An escalation says where and when the alert first went (targets, times in
    ``timezone``) and links to its Slack message when Slack gave a permalink.
    """
    e = html.escape
    spike: dict[str, Any] = n.extra.get("spike") or {}
    title = spike_heading(spike, language)
    stats = spike_stats(spike, language)
    lines = [title, stats]
    html_lines = [e(title), e(stats)]
    if over := calm_text(spike, language, timezone):
        lines.append(over)
        html_lines.append(e(over))
    if spike.get("escalation"):
        timeout = duration_text(str(spike.get("timeout", "")), language)
        escalated = [t(language, "escalated").format(timeout=timeout)]
        if origin := original_text(spike, language, timezone):
            escalated.append(origin)
        lines[1:1] = escalated
        html_lines[1:1] = [e(line) for line in escalated]
        if permalink := http_url(original_permalink(spike)):
            name = t(language, "original_link")
            lines.insert(1 + len(escalated), f"{name}{t(language, 'colon')}{permalink}")
            html_lines.insert(1 + len(escalated), f'<a href="{e(permalink)}">{e(name)}</a>')
    for key in ("top_sources", "top_terms"):
        pairs = spike.get(key) or []
        if pairs:
            values = ", ".join(f"{a} ({b})" for a, b in pairs)
            lines.append(f"{t(language, key)}{t(language, 'colon')}{values}")
            html_lines.append(e(lines[-1]))
    examples = spike.get("examples") or []
    examples_title = t(language, "examples")
    text = "\n".join(
        lines
        + ([""] if examples else [])
        + ([f"{examples_title}{t(language, 'colon')}".rstrip()] if examples else [])
        + [_item_text(x, language) for x in examples]
    )
    body = "".join(f"<p>{line}</p>" for line in html_lines)
    if examples:
        body += f"<p><strong>{e(examples_title)}</strong></p><ul>"
        body += "".join(_item_html(x, language) for x in examples) + "</ul>"
    # An escalation is a new message to new people: its subject says so, so it
    # is not read as a copy of the alert they may have seen.
    prefix = "⏫ " + t(language, "escalation_prefix") if spike.get("escalation") else ""
    subject = f"{'[veille]' if language == 'fr' else '[watchtower]'} {prefix}{title}"
    return subject, text, body


def mention_email(n: Notification, lang: str, timezone: str, title: str) -> tuple[str, str]:
    """``(text, html)`` of one mention, ``title`` already cut to the notifier's limit.

    What is unknown or empty is no row (as in Slack): no "Termes : -", no
    "Publié le : date inconnue". A review's stars and author come before its
    terms (often none): they say more.
    """
    rows = [
        (label(lang, key), value)
        for key, value in (
            ("source", one_line(n.source)),
            ("brands", ", ".join(n.brands)),
            ("reviewed", reviewed_text(n)),
            ("rating", rating_text(n, lang)),
            ("author", one_line(author_text(n))),
            ("app_version", app_version_text(n)),
            ("terms", ", ".join(n.terms)),
            ("rule", ", ".join(n.rules)),
            ("published_label", published_text(n, lang, timezone)),
            ("language", language_text(n.lang, lang)),
        )
        if value
    ]
    excerpt = truncate(n.excerpt.strip(), 1000)
    url = http_url(n.url)  # anything else is no link (javascript:, data:)
    text = "\n".join(
        [f"{SEVERITY_EMOJI[n.severity]} {severity_text(n, lang)} · {title}", url, ""]
        + [f"{k}{v}" for k, v in rows]
        + (["", excerpt] if excerpt else [])
    )
    e = html.escape
    html_body = (
        f"<p>{SEVERITY_EMOJI[n.severity]} <strong>{e(severity_text(n, lang))}</strong> · "
        f"{html_link(url, title)}</p><table role='presentation'>"
        + "".join(
            f"<tr><th align='left' style='{_TH}'>{e(k)}</th><td style='{_TD}'>{e(v)}</td></tr>"
            for k, v in rows
        )
        + "</table>"
        + (f"<blockquote style='{_QUOTE}'>{e(excerpt)}</blockquote>" if excerpt else "")
    )
    return text, html_body


# ------------------------------------------------------------------ the digest
_H2 = "margin:0 0 4px 0;font-size:20px;line-height:1.3"
_H3 = "margin:16px 0 4px 0;font-size:17px;line-height:1.3"
_P = "margin:0 0 6px 0"
_UL = "margin:0 0 6px 0;padding:0 0 0 20px"
_LI = "margin:0 0 4px 0"
_BARS = "margin:0 0 6px 0;border-collapse:collapse"
_NOWRAP = "white-space:nowrap"


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
    title, source = _title_source(story, language)
    tail = " · ".join(
        x for x in (source, _stars(story, language), reach_text(story, language)) if x
    )
    return f"{emoji} {title}" + (f" — {tail}" if tail else "") + (f"\n   {url}" if url else "")


def _story_html(story: dict[str, Any], language: str) -> str:
    e = html.escape
    emoji = SEVERITY_EMOJI[Severity[str(story.get("severity") or "info")]]
    title, source = _title_source(story, language)
    line = f"{emoji} {html_link(str(story.get('url') or ''), title)}"
    if source:
        line += f" — <em>{e(source)}</em>"
    if stars := _stars(story, language):
        line += f" · {e(stars)}"
    if reach := reach_text(story, language):
        line += f" · <strong>{e(reach)}</strong>"
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
    into one conversation). The body: the period in ``timezone``, ending at the
    digest's own time even when it went out late; the critical alerts sent at
    once, listed; the chart; then each brand's stories, one line per story (not one per
    copy), critical first and then by the number of sites; beyond
    :data:`SHOWN`, how many more stories and mentions.
    """
    e = html.escape
    summary: dict[str, Any] = n.extra.get("summary") or {}
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
                f"<tr><td style='{_TH}'>{e(label)}</td><td style='{_TD}'>{_bar_html(bar)}</td></tr>"
                for label, bar in bars
            ]
            parts.append("</table>")
    for brand, severities in by_brand.items():
        counts = severity_counts(severities, language, grouped=True)
        mine = [s for s in ranked if brand in (s.get("brands") or [])]
        shown = mine[:SHOWN]
        total = sum(severities.values())
        lines += [f"{brand} — {counts}", *(_story_text(s, language) for s in shown)]
        parts += [f"<h3 style='{_H3}'>{e(brand)} — {e(counts)}</h3><ul style='{_UL}'>"]
        parts += [_story_html(s, language) for s in shown] + ["</ul>"]
        rest = total - sum(int(s["mentions"]) for s in shown)
        if rest > 0:
            # Stories not in the payload (beyond its items) count one mention each.
            others = len(mine) - len(shown) + max(0, total - sum(int(s["mentions"]) for s in mine))
            more = t(language, "digest_more").format(
                count=number(rest, language), stories=_counted(language, "stories", others)
            )
            lines.append(more)
            parts.append(f"<p style='{_P}'>{e(more)}</p>")
        lines.append("")
    return subject, "\n".join(lines).rstrip() + "\n", "".join(parts)
