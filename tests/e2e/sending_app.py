"""An App that sends to the fake Slack Web API and aiosmtpd on 127.0.0.1, on the
test clock: the set-up of the tests where a target refuses or cannot be reached
(tests/e2e/test_relay_refused.py, test_uninvited_channel.py,
test_notifier_dns_hang.py). Its config names the targets the test queues rows
for (:func:`~tests.e2e.alerting_helpers.queue`), the ops target and the language.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, naming
from tests.e2e.scenario import targets
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App

BRANDS = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'


def sending_config(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    *notify: str,
    ops_notify: str = "",
    language: str = "fr",
) -> str:
    """The config sending to the local servers, watching Acmé, with one rule
    whose ``notify`` lists ``notify``; ops told through ``ops_notify`` (none when
    empty), the notifications written in ``language``."""
    watchtower = f'ops_notify = ["{ops_notify}"]' if ops_notify else ""
    sections = targets(database_url, slack, smtp, watchtower)
    sections = sections.replace('language = "fr"', f"language = {language!r}")
    return sections + BRANDS + naming(*notify)


@contextmanager
def sending_app(
    config: Path, slack: FakeSlack, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[App]:
    """A started App on ``config``, with the fake Slack's token and on ``clock``
    (the fake Slack's too); closed afterwards."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    app = make_app(config, clock)
    try:
        yield app
    finally:
        app.close()
