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
    app_version_text,
    author_text,
    clip,
    edited_stars_text,
    http_url,
    kind_of,
    label,
    language_text,
    one_line,
    published_text,
    rating_text,
    reply_line,
    reviewed_text,
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
        _, text, _ = email_render.summary_email(n, language, timezone)
        title, _, body = text.partition("\n")
        return PlainText(title, body.strip("\n"))
    if kind == "spike":
        _, text, _ = email_render.spike_email(n, language, timezone)
        title, _, body = text.partition("\n")
        spike = n.extra.get("spike") or {}
        if spike.get("escalation"):  # not a copy of the alert
            title = "⏫ " + t(language, "escalation_prefix") + title
        # The e-mail's text, with its ack hint (email_render.ack_hint) before the examples.
        return PlainText(title, body.strip("\n"))
    title = f"[{severity_text(n, language)}] {title_text(n, language)}"
    if kind == "ops":
        lines = [n.excerpt] if n.excerpt else []
    else:
        # What is unknown or empty is left out, as in Slack and e-mail.
        lines = [
            line
            for line in (
                _fields(language, ("source", one_line(n.source)), ("brands", ", ".join(n.brands))),
                _fields(language, ("terms", ", ".join(n.terms)), ("rule", ", ".join(n.rules))),
                _fields(
                    language,
                    ("published_label", published_text(n, language, timezone)),
                    ("language", language_text(n.lang, language)),
                ),
            )
            if line
        ]
        review = _fields(
            language,
            ("reviewed", reviewed_text(n)),
            ("rating", rating_text(n, language)),
            ("author", one_line(author_text(n))),
            ("app_version", app_version_text(n)),
        )
        if review:  # a review: its stars and author, under the source line
            lines.insert(1, review)
        if n.excerpt.strip():
            # Cut between words, as Slack and e-mail cut it: "… la colère…", not "… la col…".
            lines += ["", clip(n.excerpt.strip(), EXCERPT_CHARS)]
    if url := http_url(n.url):  # only http(s) is ever shown as an address
        lines += ["", url]
    return PlainText(title, "\n".join(lines))


def _fields(language: str, *fields: tuple[str, str]) -> str:
    """ "Source : forum · Marques : Acmé", leaving out the empty fields."""
    return " · ".join(f"{label(language, key)}{value}" for key, value in fields if value)


def reply_text(n: Notification, language: str) -> str:
    """One line for a later sighting or an edit, under its story's first message:
    "Aussi vu sur lemonde.fr : <title> — <url>"."""
    line = reply_line(n, language)
    url = http_url(n.url)
    stars = edited_stars_text(n, language)  # an edited review's stars now
    title = title_text(n, language) + (f" · {stars}" if stars else "")
    return f"{line}{t(language, 'colon')}{title}" + (f" — {url}" if url else "")
