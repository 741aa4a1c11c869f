"""A later sighting at a place its story was seen at already: "Republié sur", word for word.

The pipeline marks such a thread reply ``same_place`` (its site republishing
the page under a new address, a member's cross-post, a second feed of the
site); Slack, the console and plain text say "Republié sur lemonde.fr
(nouvelle adresse)" instead of "Aussi vu sur lemonde.fr" under the lemonde.fr
message. A digest folding such a reply into its story does not count a second
site for it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.notify.test_notification_text import LEMONDE, mention
from watchtower.models import Notification
from watchtower.notify.console import ConsoleNotifier
from watchtower.notify.digest_text import reach_text, stories
from watchtower.notify.plain import reply_text
from watchtower.notify.slack import SlackNotifier
from watchtower.notify.slack_render import reply_blocks

TITLE = "Acmé rachète Zeta"
GOOGLE_NEWS = "https://news.google.com/rss/articles/CBMiK2h0dHBz?oc=5"


def later(url: str = LEMONDE, source: str = "google-alerts-acme", **story: Any) -> Notification:
    """A thread reply as the runner queues it: ``story`` adds to its story part."""
    part = {"id": 7, "first": False, "sightings": 1, "edited": False, **story}
    return mention(url=url, source=source, extra={"story": part})


def shown(n: Notification, language: str) -> tuple[str, str, str]:
    """What Slack, the console and plain text (Apprise, e-mail) show of ``n``."""
    _, slack = reply_blocks(n, language)
    console = ConsoleNotifier(language=language).render(n, "console:").text
    return slack, console, reply_text(n, language)


@pytest.mark.parametrize(
    ("language", "n", "line", "where"),
    [
        # The site again, at a new address: said as such.
        ("fr", later(same_place=True), "Republié sur lemonde.fr (nouvelle adresse)", LEMONDE),
        ("en", later(same_place=True), "Republished on lemonde.fr (new address)", LEMONDE),
        # No address (a newsletter without links): its source is its place.
        ("fr", later("", "lettre-b", same_place=True), "Republié sur lettre-b", ""),
        ("en", later("", "lettre-b", same_place=True), "Republished on lettre-b", ""),
        # A redirector's link is no site either: the source, and no "new address".
        (
            "fr",
            later(GOOGLE_NEWS, "google-alerts-acme", same_place=True),
            "Republié sur google-alerts-acme",
            GOOGLE_NEWS,
        ),
        # An edit of the very item is still an edit.
        ("fr", later(same_place=True, edited=True), "Modifié sur lemonde.fr", LEMONDE),
        # A new site, and a reply queued by an older watchtower (no same_place): as before.
        ("fr", later(same_place=False), "Aussi vu sur lemonde.fr", LEMONDE),
        ("fr", later(), "Aussi vu sur lemonde.fr", LEMONDE),
        ("en", later(), "Also seen on lemonde.fr", LEMONDE),
    ],
)
def test_the_reply_line_everywhere_a_sighting_shows(
    language: str, n: Notification, line: str, where: str
) -> None:
    colon = "\u00a0: " if language == "fr" else ": "
    slack, console, plain = shown(n, language)
    assert slack == f"{line}{colon}" + (f"<{where}|{TITLE}>" if where else TITLE)
    assert console == f"  ↳ [#7] {line}{colon}{TITLE}" + (f" — {where}" if where else "")
    assert plain == f"{line}{colon}{TITLE}" + (f" — {where}" if where else "")


def test_the_slack_notifier_posts_it_in_the_thread_without_raising_the_counter() -> None:
    """The thread's count is the story's (1 site): no re-rendered parent to update."""
    thread = {"channel": "C1", "ts": "1.0", "sightings": 1, "blocks": [], "text": "x"}
    story = {"id": 7, "first": False, "sightings": 1, "same_place": True}
    n = mention(extra={"story": story, "thread": thread})
    message = SlackNotifier("xoxb-test", language="fr").render(n, "#veille")
    assert message.text.startswith("Republié sur lemonde.fr (nouvelle adresse)\u00a0: ")

    assert "parent" not in message.extra  # no chat.update of the story's message


def row(source: str, url: str, **fields: Any) -> dict[str, Any]:
    """A digest row (grouping._item, digest.enrich's ``sites``) of story 7."""
    item = {"title": TITLE, "url": url, "source": source, "severity": "info"}
    return item | {"brands": ["Acmé"], "story": 7, "sites": 1} | fields


def test_a_digest_folding_the_republished_page_counts_one_site() -> None:
    """The first message and its same-site reply held for one digest, through two
    feeds: one line, one site (the story's count), not "vu sur 2 sites"."""
    [story] = stories([row("lemonde-une", LEMONDE), row("lemonde-eco", LEMONDE + "?v=2")])
    assert (story["mentions"], story["sites"]) == (2, 1)
    assert reach_text(story, "fr") == ""


def test_a_digest_still_counts_the_sites_of_rows_it_was_not_told_of() -> None:
    """A guard: rows without the story's count (an older payload) on two sites,
    or two sources without an address, are two places."""
    sites = [row("a", LEMONDE, sites=None), row("b", "https://www.lefigaro.fr/x", sites=None)]
    assert reach_text(stories(sites)[0], "fr") == "vu sur 2 sites"
    letters = [row("lettre-a", "", sites=None), row("lettre-b", "", sites=None)]
    assert stories(letters)[0]["sites"] == 2
