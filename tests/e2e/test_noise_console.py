"""``watchtower noise`` counts only the alerts really posted on Slack.

A newcomer trying a config without ``SLACK_BOT_TOKEN`` sees the Slack alerts
printed in the terminal; they are recorded as sent, but nobody can react to a
console line: ``noise`` used to count them as "alerts on Slack". Real feed
server, fake Slack Web API, the real pipeline and the real command.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_noise_feedback import NOISE, RELEVANT, config, noise, rss, ts_of
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.config import load_config
from watchtower.scheduler import Daemon


def test_alerts_printed_on_the_console_are_not_counted_as_slack_alerts(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    feeds.resources["/presse.rss"] = Resource(rss(NOISE + RELEVANT), "application/rss+xml")
    path = write_config(config(database_url, feeds, slack, smtp))
    console = io.StringIO()
    app = App(load_config(path), console=console)  # a terminal: Slack alerts are printed
    app.start()
    try:
        app.poller.poll(all_sources=True)
        app.outbox.drain()
    finally:
        app.close()
    assert "jus d'orange" in console.getvalue().lower()
    assert slack.posts() == []

    text = noise(path, capsys)
    assert "alerts," not in text  # before: "brand 'Orange': 6 alerts, 0 not relevant (0%)"
    assert text.splitlines() == [
        "no alert was posted on Slack in the last 30d: reactions are read on Slack only",
        "(6 alerts for Slack printed on the console (no SLACK_BOT_TOKEN) are not counted)",
    ]
    report = json.loads(noise(path, capsys, "--json"))
    assert report["reports"] == []
    assert report["printed_not_posted"] == 6


def test_one_alert_reads_as_one(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One marked alert posted on Slack, one other: no "1 alerts", no "1 others"."""
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    feeds.resources["/presse.rss"] = Resource(rss(NOISE[:1] + RELEVANT[:1]), "application/rss+xml")
    path = write_config(config(database_url, feeds, slack, smtp))
    app = App(load_config(path), clock=clock)
    app.start()
    try:
        app.poller.poll(all_sources=True)
        app.outbox.drain()
        assert len(slack.posts()) == 2
        slack.react(ts_of(slack, NOISE[0][0]), "no_entry_sign")
        clock.advance(minutes=35)
        Daemon(app).feedback_job()
    finally:
        app.close()

    text = noise(path, capsys)
    assert "brand 'Orange': 2 alerts, 1 not relevant (50%)" in text
    assert "(1 marked, 0 others)" in text
    assert "suggestion (stops the marked alert, not the other one):" in text
    assert "1 others" not in text and "1 alerts" not in text and "console" not in text
