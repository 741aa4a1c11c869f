"""A new source's history is recorded, not announced.

On its first poll a source lists what it has published so far: months of App
Store reviews, a forum's recent pages. Items older than ``backlog`` are stored
without a notification (and so never announced later); undated items, and every
item that appears after the first poll, are notified however old their date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.e2e.test_review_stories import query
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.cli import main


def rss(*entries: tuple[str, timedelta | None]) -> Resource:
    """A feed of ``(title, age)`` entries naming the bank; ``age=None``: no date."""
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>{title}</title><link>https://forum.example.fr/t/{i}</link>"
        f"<guid>https://forum.example.fr/t/{i}</guid>"
        + (f"<pubDate>{format_datetime(now - age)}</pubDate>" if age is not None else "")
        + f"<description>{title} : la Banque Acme encore.</description></item>"
        for i, (title, age) in enumerate(entries)
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}</channel></rss>'
    )
    return Resource(body.encode(), "application/rss+xml")


@pytest.fixture
def run_once(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., int]:
    """``run --once`` with one RSS source; ``[watchtower]`` and source keys added as given."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)

    def run(section: str = "", source: str = "") -> int:
        path = write_config(
            f"""
[watchtower]
database_url = "{database_url}"
{section}

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"

[[brands]]
name = "Acme Banque"
terms = ["Banque Acme"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
allow_private = true
{source}
"""
        )
        return main(["run", "--once", "--config", str(path)])

    return run


def titles(slack: FakeSlack) -> list[str]:
    return sorted(
        next(w for w in ("Ancien", "Récent", "Sans date", "Exhumé", "Vieux") if w in p["text"])
        for p in slack.posts()
    )


def test_first_poll_announces_only_what_is_recent_or_undated(
    run_once: Callable[..., int],
    feeds: FeedServer,
    slack: FakeSlack,
    database_url: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    feeds.resources["/forum.rss"] = rss(
        ("Ancien", timedelta(days=40)), ("Récent", timedelta(hours=5)), ("Sans date", None)
    )
    assert run_once() == 0
    assert titles(slack) == ["Récent", "Sans date"]
    # The old one is stored (known from now on), with no mention to count in spikes.
    assert len(query(database_url, "SELECT id FROM items")) == 3
    assert len(query(database_url, "SELECT id FROM mentions")) == 2
    [line] = [line for line in capfd.readouterr().err.splitlines() if "first poll" in line]
    assert "source=forum items=1 older_than=3d" in line

    # Later polls: whatever is new is news, however old its date; the old one stays quiet.
    feeds.resources["/forum.rss"] = rss(
        ("Ancien", timedelta(days=40)),
        ("Récent", timedelta(hours=5)),
        ("Sans date", None),
        ("Exhumé", timedelta(days=90)),
    )
    assert run_once() == 0
    assert titles(slack) == ["Exhumé", "Récent", "Sans date"]


def test_a_first_poll_that_failed_is_still_the_first(
    run_once: Callable[..., int], feeds: FeedServer, slack: FakeSlack
) -> None:
    feeds.resources["/forum.rss"] = Resource(b"nope", "text/plain", status=500)
    assert run_once() == 1  # the source failed
    feeds.resources["/forum.rss"] = rss(("Ancien", timedelta(days=40)), ("Récent", timedelta(0)))
    assert run_once() == 0
    assert titles(slack) == ["Récent"]


@pytest.mark.parametrize(
    ("section", "source", "expected"),
    [
        ('backlog = "all"', "", ["Ancien", "Récent", "Vieux"]),
        ('backlog = "60d"', "", ["Ancien", "Récent"]),
        ('backlog = "all"', 'backlog = "1d"', ["Récent"]),  # the source's own wins
        ("", 'backlog = "0s"', []),  # nothing of its history
    ],
)
def test_backlog_is_configurable(
    run_once: Callable[..., int],
    feeds: FeedServer,
    slack: FakeSlack,
    section: str,
    source: str,
    expected: list[str],
) -> None:
    feeds.resources["/forum.rss"] = rss(
        ("Ancien", timedelta(days=40)),
        ("Récent", timedelta(hours=5)),
        ("Vieux", timedelta(days=400)),
    )
    assert run_once(section, source) == 0
    assert titles(slack) == expected
