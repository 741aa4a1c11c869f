"""Two different e-mails the SMTP server hangs on, with healthy ones behind them.

The server takes the envelope of every message, then sits on the DATA of two
different alerts (a content filter choking on each) and takes every other
message. Each poisoned alert must spend its own attempts and end in one
"Notifications perdues" notice, the healthy e-mails queued behind them must
go out, and e-mail must never be reported unreachable nor shown paused: the
two must not take turns at probing the "outage" while the rest waits. Real
aiosmtpd on loopback, a real (short) SMTP timeout, the real delivery loop, a
simulated clock for the hours of retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, queue, rows
from tests.e2e.scenario import targets
from tests.e2e.test_email_poisoned import (
    ATTEMPTS,
    TIMEOUT,
    drain_for,
    hang_on,
    ops_posts,
    shown_status,
    subjects,
)
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App

#: The two alerts the server chokes on, each to its own reader (one notice each).
POISONED = {"POISON-A": "email:dircom@example.fr", "POISON-B": "email:presse@example.fr"}
HEALTHY = "email:veille@example.fr"


@pytest.fixture
def mail_app(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[App]:
    """E-mail with a short timeout; ops are told in Slack's #ops."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    text = targets(database_url, slack, smtp, 'ops_notify = ["slack:#ops"]').replace(
        'from = "veille@example.fr"', f'from = "veille@example.fr"\ntimeout = "{TIMEOUT}s"'
    )
    # The config names every target, so no row is re-addressed to the default route.
    named = ", ".join(f'"{t}"' for t in [*POISONED.values(), HEALTHY])
    brand = f'[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\nnotify = [{named}]\n'
    app = make_app(write_config(text + brand), clock)
    yield app
    app.close()


def poisoned(content: bytes) -> bool:
    return any(key.encode() in content for key in POISONED)


def test_two_different_hung_emails_do_not_take_turns_holding_the_others(
    mail_app: App,
    smtp: SmtpServer,
    slack: FakeSlack,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")
    hang_on(smtp, poisoned)
    # Both first in line (critical), the healthy ones behind them.
    hung = {queue(mail_app, t, key=k, severity="critical")[0]: t for k, t in POISONED.items()}
    healthy = queue(mail_app, HEALTHY, 3, key="normal")

    drain_for(mail_app, clock, 30)

    # The healthy e-mails went out, each once, well before ops would hear of an outage.
    assert {r.id: r.status for r in rows(mail_app) if r.id in healthy} == dict.fromkeys(
        healthy, "sent"
    )
    assert len(smtp.messages) == 3 and not any("POISON" in s for s in subjects(smtp))
    assert not any("injoignable" in t or "en pause" in t for t in ops_posts(slack))

    drain_for(mail_app, clock, 6 * 60)

    # Each poisoned alert spent its own attempts and failed, told once for its reader.
    assert {r.id: (r.status, r.attempts) for r in rows(mail_app) if r.id in hung} == dict.fromkeys(
        hung, ("failed", ATTEMPTS)
    )
    told = ops_posts(slack)
    for target in POISONED.values():
        assert sum(f"Notifications perdues pour {target}" in t for t in told) == 1
    assert not any("injoignable" in t or "en pause" in t for t in told)
    assert "paused" not in shown_status(mail_app, clock)
    failed = [r for r in caplog.records if r.getMessage() == "notification failed"]
    assert len(failed) == 2

    # E-mail still delivers a new alert at the next round.
    [late] = queue(mail_app, HEALTHY, key="late")
    mail_app.outbox.drain()
    assert {r.id: r.status for r in rows(mail_app)}[late] == "sent"
