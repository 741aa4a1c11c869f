"""A rule's own digest when the rule has no ``notify`` (a pack rule).

What users met: a rule with ``digest = "hourly"`` and no ``notify`` sends to the
brand's ``notify`` or ``[watchtower] default_notify``; its digest went out
titled "Résumé quotidien" and counted the critical alerts of the last 24 hours
instead of its hour, because the periods were only known for the targets a
rule names itself.

The real daemon (App: poll rounds against the local feed server, alerting ticks,
outbox drains, aiosmtpd, the fake Slack Web API) runs on an injected clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.crisis_day import Article, rss
from tests.e2e.digest_day import Rounds, delivery, plain_of
from tests.french import nb
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App

TEAM = "email:veille@acme.example"
#: Thursday 26 November 2026, 09:10 in Paris.
START = datetime(2026, 11, 26, 8, 10, tzinfo=UTC)


def config(
    database_url: str, feeds: FeedServer, smtp: SmtpServer, slack: FakeSlack, digest: str
) -> str:
    return f"""
[watchtower]
database_url = "{database_url}"
timezone = "Europe/Paris"
default_notify = ["{TEAM}"]
{delivery(smtp, slack)}
[[brands]]
name = "Banque Acmé"
terms = ["Banque Acmé"]

[[brands]]
name = "Zéphyr Assurances"
terms = ["Zéphyr Assurances"]
notify = ["slack:#client-zephyr"]

[[sources]]
name = "presse-eco"
kind = "rss"
url = "{feeds.url("/presse-eco.rss")}"
allow_private = true

[[rules]]
name = "piratage"
query = "piratage"
severity = "critical"
notify = ["{TEAM}"]

# A pack-style rule: no notify, so the brand's channel or the defaults.
[[rules]]
name = "avis"
query = "avis"
digest = "{digest}"
"""


class Run(Rounds):
    """One daemon, and the press feed it reads, where a test publishes articles."""

    def __init__(self, app: App, clock: Clock, feeds: FeedServer, smtp: SmtpServer) -> None:
        super().__init__([app], clock, smtp)
        self.feeds = feeds
        self.articles: list[Article] = []

    def publish(self, title: str, slug: str) -> None:
        self.articles.append(Article(self.clock.now, "presse.example", slug, title, f"{title}."))
        self.feeds.resources["/presse-eco.rss"] = Resource(
            rss("presse-eco", self.articles), "application/rss+xml"
        )


@pytest.fixture
def run_with(
    database_url: str,
    feeds: FeedServer,
    smtp: SmtpServer,
    slack: FakeSlack,
    write_config: Callable[[str], Path],
    polling_app: Callable[[Path, Clock], App],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[str], Run]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)

    def build(digest: str) -> Run:
        clock = Clock(now=START)
        slack.clock = clock.timestamp
        app = polling_app(write_config(config(database_url, feeds, smtp, slack, digest)), clock)
        run = Run(app, clock, feeds, smtp)
        run.publish("Le CAC 40 finit stable", "cac40")
        return run

    return build


def test_an_hourly_rule_digest_without_notify_is_titled_and_counted_hourly(
    run_with: Callable[[str], Run],
) -> None:
    run = run_with("hourly")
    run.step()
    # 09:10: a crisis, sent at once; three hours later, another hour's digest.
    run.publish("Piratage chez Banque Acmé : le site fermé", "piratage")
    run.step()
    run.clock.now = START + timedelta(hours=3)  # 12:10
    run.publish("Banque Acmé : les avis clients sur la nouvelle appli", "avis-1")
    run.publish("Banque Acmé : avis partagés sur les frais", "avis-2")
    run.until(START + timedelta(hours=4), every=timedelta(minutes=10))  # 13:10
    [mail] = run.digests()
    # The hour's digest: its title says so, and the 09:10 crisis is not in its hour.
    assert str(mail["Subject"]) == nb("[veille] Résumé horaire : 2 mentions — 26 novembre à 13:00")
    text = plain_of(mail)
    assert text.splitlines()[1].startswith("Du 26 novembre à 12:00 au 26 novembre à 13:00 · ")
    assert "alerte critique" not in text


def test_a_weekly_rule_digest_without_notify_goes_to_the_brands_channel_weekly(
    run_with: Callable[[str], Run], slack: FakeSlack
) -> None:
    run = run_with("weekly mon 08:30")
    run.step()
    run.publish("Zéphyr Assurances : les avis des assurés", "zephyr-avis")
    run.until(datetime(2026, 11, 30, 7, 31, tzinfo=UTC), every=timedelta(hours=12))
    [post] = [p for p in slack.posts() if "Résumé" in p["text"]]
    assert post["channel"] == "#client-zephyr"
    assert nb("Résumé hebdomadaire, semaine du 23 au 29 novembre : 1 mention") in post["text"]
