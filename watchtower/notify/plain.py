"""Plain-text notifications, shared by the console and Apprise.

Every kind a notifier can be given has its own text: a mention, a summary
(grouped, quiet hours, digest), a spike alert and an operational notice (a
source down or back, a rejected configuration, Slack paused). A renderer that
knew only mentions would print a summary as an empty mention, and the held
rows it replaces are marked ``grouped``: their items would be lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from watchtower.models import Notification
from watchtower.notify import email_render
from watchtower.notify._text import (
    author_text,
    http_url,
    kind_of,
    label,
    published_text,
    rating_text,
    severity_text,
    t,
    title_text,
)

EXCERPT_CHARS = 500


@dataclass(frozen=True)
class PlainText:
    """A notification as a title line and a body (lines joined by ``\\n``)."""

    title: str
    body: str


def plain_text(n: Notification, language: str, timezone: str) -> PlainText:
    """The title and body of ``n`` in ``language``, whatever its kind."""
    kind = kind_of(n)
    if kind == "summary":
        _, text, _ = email_render.summary_email(n, language)
        title, _, body = text.partition("\n")
        return PlainText(title, body.strip("\n"))
    if kind == "spike":
        _, text, _ = email_render.spike_email(n, language, timezone)
        title, _, body = text.partition("\n")
        if (n.extra.get("spike") or {}).get("escalation"):  # not a copy of the alert
            title = "⏫ " + t(language, "escalation_prefix") + title
        return PlainText(title, body.strip("\n"))
    title = f"[{severity_text(n, language)}] {title_text(n, language)}"
    if kind == "ops":
        lines = [n.excerpt] if n.excerpt else []
    else:
        lines = [
            f"{label(language, 'source')}{n.source} · {label(language, 'brands')}"
            f"{', '.join(n.brands)}",
            f"{label(language, 'terms')}{', '.join(n.terms) or '-'} · {label(language, 'rule')}"
            f"{', '.join(n.rules) or '-'}",
            f"{label(language, 'published')}{published_text(n, language, timezone)}"
            + (f" · {label(language, 'language')}{n.lang}" if n.lang else ""),
        ]
        review = [
            f"{label(language, key)}{value}"
            for key, value in (("rating", rating_text(n, language)), ("author", author_text(n)))
            if value
        ]
        if review:  # a review: its stars and author, under the source line
            lines.insert(1, " · ".join(review))
        if n.excerpt:
            excerpt = n.excerpt.strip()
            cut = excerpt[:EXCERPT_CHARS] + ("…" if len(excerpt) > EXCERPT_CHARS else "")
            lines += ["", cut]
    if url := http_url(n.url):  # only http(s) is ever shown as an address
        lines += ["", url]
    return PlainText(title, "\n".join(lines))


def reply_text(n: Notification, language: str) -> str:
    """One line for a later sighting or an edit, under its story's first message."""
    key = "edited_on" if n.story.get("edited") else "also_seen"
    line = t(language, key).format(source=n.source)
    url = http_url(n.url)
    return f"{line}{t(language, 'colon')}{title_text(n, language)}" + (f" — {url}" if url else "")
