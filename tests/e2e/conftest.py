"""Fixtures shared by the alerting end-to-end tests: an injectable clock, App
factories, and the two webhook services of the re-addressing tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, base_config, make_app
from tests.e2e.scenario import ACME_FR, GOOGLE_ALERTS, config_text
from tests.servers.answering import AnsweringService
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app_for(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[str], App]]:
    """Build started Apps on the alerting base config plus ``extra`` TOML; closed afterwards."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    apps: list[App] = []

    def build(extra: str = "") -> App:
        app = make_app(write_config(base_config(database_url, slack, smtp, extra)), clock)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close()


@pytest.fixture
def polling_app() -> Iterator[Callable[[Path, Clock], App]]:
    """Start Apps on a config file and a clock, polling with no politeness delay
    (every "site" of the local feed server is 127.0.0.1); closed afterwards."""
    apps: list[App] = []

    def start(path: Path, clock: Clock) -> App:
        app = make_app(path, clock)
        app.http.politeness_delay = 0.0
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.close()


@pytest.fixture
def configure(
    database_url: str, slack: FakeSlack, smtp: SmtpServer, write_config: Callable[[str], Path]
) -> Callable[[str], Path]:
    """Write (or rewrite, as the operator does) the config file of :func:`app_for`
    with other ``extra`` TOML: what a reload then reads."""
    return lambda extra: write_config(base_config(database_url, slack, smtp, extra))


@pytest.fixture
def setup(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    """The run-once scenario's config: feeds served, Slack token set."""
    feeds.resources["/alerts/slack.xml"] = Resource(GOOGLE_ALERTS, "application/atom+xml")
    feeds.resources["/forum.rss"] = Resource(ACME_FR, "application/rss+xml")
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    return write_config(config_text(database_url, feeds, slack, smtp))


@pytest.fixture
def old_hook() -> Iterator[AnsweringService]:
    """The service behind the webhook URL the operator replaces (see tests/e2e/webhooks.py)."""
    server = AnsweringService()
    yield server
    server.stop()


@pytest.fixture
def new_hook() -> Iterator[AnsweringService]:
    """The service behind the webhook URL the operator puts in its place."""
    server = AnsweringService()
    yield server
    server.stop()
