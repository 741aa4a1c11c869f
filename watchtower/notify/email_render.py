"""E-mail bodies for summaries (grouped, quiet hours, digests) and spike alerts; the
digest's own body: :mod:`.email_digest`.

Text and HTML say the same thing; the digest chart is referenced from the HTML
as ``cid:`` and attached inline by :meth:`EmailNotifier.build` (``Message.extra
["images"]``), so it shows without loading remote content.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from watchtower.models import Notification, Severity
from watchtower.notify._spike_text import (
    ack_text,
    calm_text,
    clock_text,
    original_permalink,
    original_text,
    paged_text,
    spike_heading,
    spike_stats,
)
from watchtower.notify._text import (
    SEVERITY_EMOJI,
    app_version_text,
    author_text,
    duration_text,
    http_url,
    label,
    language_text,
    link_site,
    one_line,
    published_text,
    rating_text,
    reviewed_text,
    sent_apart_text,
    severity_text,
    t,
)
from watchtower.notify.base import truncate
from watchtower.notify.digest_text import item_site, severity_counts
from watchtower.notify.slack_render import summary_title
from watchtower.sanitise import printable

CHART_CID = "chart@watchtower"
SHOWN = 20  # items per brand in an e-mail summary

# Inline styles only: Outlook and Gmail drop <style> blocks and external CSS.
# No colours: a client in dark mode keeps the text readable by inverting them.
TH = "text-align:left;vertical-align:top;padding:0 12px 2px 0;white-space:nowrap"
TD = "vertical-align:top;padding:0 0 2px 0"
_QUOTE = "margin:12px 0 0 0;padding:0 0 0 10px;border-left:3px solid #999999"
_BODY = "margin:0;padding:8px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.4"
# Muted by size and opacity, not a colour: it follows the text's own in dark mode.
_SITE = "font-size:13px;opacity:0.75"


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


def site_html(url: str, site: str) -> str:
    """ " · lemonde.fr", muted, to follow a link whose label is the feed's own
    title: where it leads, as Slack shows it (a title cannot pass a link to
    another site off as the brand's; a look-alike domain stays ``xn--``:
    :func:`~watchtower.notify._text.site_of`). ``""`` without a link or a site."""
    if not site or not http_url(url):
        return ""
    return f" <span style='{_SITE}'>· {html.escape(site)}</span>"


def item_link_html(item: dict[str, Any], title: str) -> str:
    """A summary or digest row's title as a link, and the site it leads to."""
    url = str(item.get("url") or "")
    return html_link(url, title) + site_html(url, item_site(item))


def title_source(item: dict[str, Any], language: str) -> tuple[str, str]:
    """An item's title (or "(sans titre)") and source, each on one line."""
    title = one_line(str(item.get("title") or "")) or t(language, "untitled")
    return title, one_line(str(item.get("source") or ""))


def _item_text(item: dict[str, Any], language: str) -> str:
    emoji = SEVERITY_EMOJI[Severity[str(item.get("severity", "info"))]]
    url = http_url(str(item.get("url") or ""))
    title, source = title_source(item, language)
    return f"{emoji} {title}" + (f" — {source}" if source else "") + (f"\n   {url}" if url else "")


def _item_html(item: dict[str, Any], language: str) -> str:
    emoji = SEVERITY_EMOJI[Severity[str(item.get("severity", "info"))]]
    title, source = title_source(item, language)
    line = f"{emoji} {item_link_html(item, title)}"
    return f"<li>{line}" + (f" — <em>{html.escape(source)}</em>" if source else "") + "</li>"


def summary_email(
    n: Notification, language: str, timezone: str = "Europe/Paris"
) -> tuple[str, str, str]:
    """``(subject, text, html)`` of a summary notification (a digest: :func:`digest_email`)."""
    e = html.escape
    summary: dict[str, Any] = n.extra.get("summary") or {}
    if summary.get("reason") == "digest":
        # Imported here: the digest module builds on this one's helpers.
        from watchtower.notify.email_digest import digest_email

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
    An alert that escalates unless acknowledged in Slack says so before its
    examples (:func:`ack_hint`); the Apprise text (:mod:`.plain`) is this text.
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
        if paged := paged_text(spike, language):
            escalated.append(paged)
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
    if hint := ack_hint(spike, language):
        lines.append(hint)
        html_lines.append(e(hint))
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
    if spike.get("reply_to"):  # a calm-down, in the conversation of the alert it closes
        subject = reply_subject(spike, language)
    return subject, text, body


def reply_subject(spike: dict[str, Any], language: str) -> str:
    """The subject of an e-mail answering a spike alert's (``spike["reply_to"]``):
    the alert's with "Re: ", so that a mail client without the ``In-Reply-To``
    header (:class:`~watchtower.notify.email.EmailNotifier`) still puts it in the
    alert's conversation."""
    heading = spike_heading(dict(spike, calm=False), language)
    return f"Re: {'[veille]' if language == 'fr' else '[watchtower]'} {heading}"


def taken_email(n: Notification, language: str, timezone: str) -> tuple[str, str, str]:
    """``(subject, text, html)`` of the e-mail telling a spike alert's e-mail readers
    that someone took it in Slack: who and when (in ``timezone``), then which alert.

    Its subject is the alert's with "Re: " (:func:`reply_subject`); without a
    ``reply_to`` (its reader never got the alert's e-mail: a reload moved the
    notice to another address), the alert's name and who took it, since it is
    read on its own ("[veille] Pic de mentions : Acmé — ✅ Pris en charge par …").
    """
    spike: dict[str, Any] = n.extra.get("spike") or {}
    taken = _taken_text(spike, language, timezone)
    heading = spike_heading(dict(spike, calm=False), language)
    subject = reply_subject(spike, language)
    if not spike.get("reply_to"):
        # No 🚨: the news is that it is handled.
        name = t(language, "spike_title").format(name=one_line(str(spike.get("name", ""))))
        tag = "[veille]" if language == "fr" else "[watchtower]"
        said = f" — {taken.rstrip('.')}" if taken else ""
        subject = truncate(f"{tag} {name}{said}", 140)  # email.SUBJECT_MAX (it imports this)
    lines = [line for line in (taken, heading) if line]
    return subject, "\n".join(lines), "".join(f"<p>{html.escape(line)}</p>" for line in lines)


def _taken_text(spike: dict[str, Any], language: str, timezone: str) -> str:
    """ "✅ Pris en charge par Marie Dupont à 12:02 : pas d'escalade.": the person's
    name as Slack shows it (``ack.name``, looked up when the ack was read), else
    their Slack id, "@U0CM" (:func:`~watchtower.notify._spike_text.ack_text`)."""
    said = ack_text(spike, language, timezone, slack=False)
    ack = spike.get("ack")
    if not said or not isinstance(ack, dict):
        return said
    # Untrusted (people choose their display name): one line, no controls.
    name = " ".join(printable(str(ack.get("name") or ""), keep="").split())
    if not name:
        return said
    when = clock_text(datetime.fromisoformat(str(ack["at"])), timezone)
    return t(language, "ack_taken").format(who=name, time=when)


def ack_hint(spike: dict[str, Any], language: str) -> str:
    """How to take a spike alert in charge before it escalates, or "" when there
    is nothing to take: no Slack copy to acknowledge (acks are read in Slack
    only), an escalation (too late) or a calm-down.

    Not Slack's "react ✅ in the thread": an e-mail or an Apprise copy has no
    thread, so it names the Slack message and the deadline.
    """
    if not spike.get("ack_in_slack") or spike.get("escalation") or spike.get("calm"):
        return ""
    timeout = duration_text(str(spike.get("timeout", "")), language)
    return t(language, "ack_hint_elsewhere").format(timeout=timeout)


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
        f"{html_link(url, title)}{site_html(url, link_site(n))}</p><table role='presentation'>"
        + "".join(
            f"<tr><th align='left' style='{TH}'>{e(k)}</th><td style='{TD}'>{e(v)}</td></tr>"
            for k, v in rows
        )
        + "</table>"
        + (f"<blockquote style='{_QUOTE}'>{e(excerpt)}</blockquote>" if excerpt else "")
    )
    return text, html_body
