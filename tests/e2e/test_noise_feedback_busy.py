"""A busy day: more alerts than the feedback job's base budget reads in time.

At 20 Slack calls per 5-minute round, about 1,900 alerts a day get their three
reads; beyond, reads wait, and those of alerts older than 48 hours are never
made. Once the oldest due read is half an hour late, rounds make three times as
many calls (60 per 5 minutes, a quarter of Slack's tier 3 for
``reactions.get``) until they catch up; still an hour late after that, the log
says once that reads fall behind, and again when they caught up.

Real feed server, pipeline, fake Slack Web API and database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_noise_feedback import config, reads
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.config import load_config
from watchtower.scheduler import Daemon

ALERTS = 150


def rss(count: int) -> bytes:
    items = "".join(
        f"<item><title>Panne Orange n°{n}</title><link>https://news.example.fr/{n}</link>"
        f"<guid>p{n}</guid><pubDate>Tue, 03 Mar 2026 {8 + n // 60:02d}:{n % 60:02d}:00 +0100"
        f"</pubDate><description>Panne du réseau Orange, secteur {n}.</description></item>"
        for n in range(count)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Presse</title><link>https://news.example.fr/</link>{items}</channel></rss>"
    ).encode()


@pytest.fixture
def daemon(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Daemon]:
    """A burst of alerts posted to #conso at once."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    feeds.resources["/presse.rss"] = Resource(rss(ALERTS), "application/rss+xml")
    app = App(load_config(write_config(config(database_url, feeds, slack, smtp))), clock=clock)
    app.start()
    try:
        app.poller.poll(all_sources=True)
        app.outbox.drain()
        assert len(slack.posts()) == ALERTS
        yield Daemon(app)
    finally:
        app.close()


def test_late_reads_get_a_larger_budget_and_falling_behind_is_said_once(
    daemon: Daemon, slack: FakeSlack, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    feedback = daemon.feedback
    caplog.set_level("INFO", logger="watchtower.feedback")
    behind = "reading Slack reactions falls behind: marks come late, and alerts older than 48 hours are never read"  # noqa: E501

    clock.advance(minutes=35)  # every alert's first read is due, 5 minutes ago
    first = feedback.run()
    assert (first.read, first.stopped) == (20, "call budget spent")

    clock.advance(minutes=30)  # the rest is 35 minutes late: three times the calls
    second = feedback.run()
    assert (second.read, second.stopped) == (60, "call budget spent")
    assert (first.budget, second.budget) == (20, 60)
    assert behind not in caplog.messages  # late, not an hour late

    clock.advance(minutes=30)
    third = feedback.run()
    assert third.read == 60
    assert caplog.messages.count(behind) == 1
    clock.advance(minutes=5)
    last = feedback.run()
    assert (last.read, last.stopped) == (ALERTS - 140, "")
    assert caplog.messages.count(behind) == 1  # said once
    assert "reading Slack reactions caught up" in caplog.messages
    assert reads(slack) == ALERTS  # each alert read once, none lost

    # Back to the base budget once the reads keep up (the 6-hour reads, on time).
    clock.advance(hours=4, minutes=25)  # the alerts are 6 hours 5 minutes old
    assert feedback.run().budget == 20
