"""A ``[[digests]]`` entry with its own ``timezone`` (a director in New York)
goes at its time in that zone, and its e-mail tells the period in that zone
too, not in ``[watchtower] timezone`` (Paris)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e.alerting_helpers import Clock
from tests.e2e.crisis_day import Article, rss
from tests.e2e.digest_day import DIRECTOR, Rounds, delivery, plain_of
from tests.servers.http import FeedServer, Resource
from tests.servers.smtp import SmtpServer
from watchtower.app import App

# 08:30 in New York on 25 and 26 November 2026 is 13:30 UTC (14:30 in Paris).
START = datetime(2026, 11, 25, 13, 31, tzinfo=UTC)
MORNING = datetime(2026, 11, 26, 13, 31, tzinfo=UTC)


def _config(database_url: str, feeds: FeedServer, smtp: SmtpServer) -> str:
    return f"""
[watchtower]
database_url = "{database_url}"
language = "fr"
timezone = "Europe/Paris"
default_notify = ["{DIRECTOR}"]
{delivery(smtp)}
[[brands]]
name = "Banque Acmé"
terms = ["Banque Acmé"]

[[sources]]
name = "presse-eco"
kind = "rss"
url = "{feeds.url("/presse-eco.rss")}"
allow_private = true

[[digests]]
targets = ["{DIRECTOR}"]
digest = "daily 08:30"
timezone = "America/New_York"
"""


def test_the_digest_tells_its_period_in_its_own_zone(
    database_url: str,
    feeds: FeedServer,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    polling_app: Callable[[Path, Clock], App],
) -> None:
    quiet = [Article(START, "zonebourse.example", "cac40", "Le CAC 40 finit stable", "Calme.")]
    feeds.resources["/presse-eco.rss"] = Resource(rss("presse-eco", quiet), "application/rss+xml")
    clock = Clock(now=START)
    app = polling_app(write_config(_config(database_url, feeds, smtp)), clock)
    run = Rounds([app], clock, smtp)
    run.until(MORNING - timedelta(minutes=2))
    assert run.digests() == []  # not before 08:30 in New York
    run.until(MORNING)

    [mail] = run.digests()
    lines = [line for line in plain_of(mail).splitlines() if line.strip()]
    # Sent at 08:30 New York time, it must not say it covers 14:30 to 14:30.
    assert lines[1].startswith("Du 25 novembre à 08:30 au 26 novembre à 08:30"), lines[1]
    assert "14:30" not in plain_of(mail)
