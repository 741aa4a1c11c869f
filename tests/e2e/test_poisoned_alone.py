"""One notification a service chokes on, with nothing else waiting for that service.

When other notifications wait, the next probe is one of them, and its delivery
shows the service works (tests/e2e/test_poisoned_notification.py). Alone, the
choking notification used to probe and fail for ever: the target looked down,
ops were told it was unreachable, and the row never spent its attempts. Now a
check that sends nothing (Slack's ``auth.test``, an SMTP session up to ``RCPT
TO``) says whether the service answers: if it does, the row spends its own
attempts, then fails with one ops notice; if it does not (a real outage), the
row waits, no attempt spent, and goes once the service is back. Real local
servers: the fake Slack Web API, aiosmtpd; a simulated clock drives the hours.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, naming, queue, rows
from tests.e2e.scenario import targets
from tests.e2e.test_email_poisoned import hang_on
from tests.servers.slack import Answer, FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.status_report import status_report
from watchtower.status_text import target_lines

POISON = "POISON"  # in the text of the one message the service chokes on
ATTEMPTS = 12  # max_delivery_attempts' default
TARGET = "email:dircom@example.fr"


@dataclass
class ChokingSlack(FakeSlack):
    """Slack answering HTTP 500 to one message (its text), and to it only."""

    def _chat_postMessage(self, body: dict[str, Any]) -> Answer:
        if POISON in str(body.get("text")):
            return 500, {}, {"ok": False, "error": "fatal_error"}
        return super()._chat_postMessage(body)


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    server = ChokingSlack().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[App]:
    """E-mail with a short timeout, a rule sending to :data:`TARGET`; ops are
    told in Slack's #ops."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    text = targets(database_url, slack, smtp, 'ops_notify = ["slack:#ops"]').replace(
        'from = "veille@example.fr"', 'from = "veille@example.fr"\ntimeout = "0.4s"'
    )
    brands = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
    app = make_app(write_config(text + brands + naming(TARGET)), clock)
    yield app
    app.close()


def drain_for(app: App, clock: Clock, minutes: int) -> None:
    """The daemon's delivery rounds, one a minute."""
    for _ in range(minutes):
        app.outbox.drain()
        clock.advance(minutes=1)


def shown_status(app: App, clock: Clock) -> str:
    with app.db.session() as session:
        report = status_report(session, app.loaded, clock.now)
    return "\n".join(target_lines(report["targets"], clock.now))


def ops_subjects(smtp: SmtpServer) -> list[str]:
    return [str(m["Subject"]) for m in smtp.messages if m["To"] == "ops@example.fr"]


def test_the_only_message_slack_answers_500_to_spends_its_attempts_and_is_told_once(
    app_for: Callable[[str], App],
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")
    app = app_for()
    [poisoned] = queue(app, "slack:#veille", key=POISON, severity="critical")

    drain_for(app, clock, 5 * 60)

    [row] = [r for r in rows(app) if r.id == poisoned]
    assert (row.status, row.attempts) == ("failed", ATTEMPTS)
    assert not any(POISON in str(m.get("text")) for m in slack.messages)
    assert any(call.method == "auth.test" for call in slack.calls)
    subjects = ops_subjects(smtp)
    assert sum("Notifications perdues pour slack:#veille" in s for s in subjects) == 1
    # Slack was never reported down nor paused; its first 500 alone looked like an outage.
    assert not any("injoignable" in s or "pause" in s for s in subjects)
    assert "paused" not in shown_status(app, clock)
    assert sum("target unreachable" in r.getMessage() for r in caplog.records) == 1
    failed = [r for r in caplog.records if r.getMessage() == "notification failed"]
    assert len(failed) == 1

    # Slack still delivers the next alert at once.
    [late] = queue(app, "slack:#veille", key="late")
    app.outbox.drain()
    assert {r.id: r.status for r in rows(app)}[late] == "sent"


def test_a_slack_down_for_everything_still_holds_the_only_waiting_alert(
    app_for: Callable[[str], App], slack: FakeSlack, smtp: SmtpServer, clock: Clock
) -> None:
    # Guard: its check fails too, so the 500 is Slack's, not the message's.
    app = app_for()
    slack.refuse["chat.postMessage"] = slack.refuse["auth.test"] = 503
    [alert] = queue(app, "slack:#veille", key="crise", severity="critical")

    drain_for(app, clock, 6 * 60)

    [row] = [r for r in rows(app) if r.id == alert]
    assert (row.status, row.attempts) == ("pending", 0)
    assert any("Slack" in s and "injoignable" in s for s in ops_subjects(smtp))
    del slack.refuse["chat.postMessage"], slack.refuse["auth.test"]
    drain_for(app, clock, 15)
    [row] = [r for r in rows(app) if r.id == alert]
    assert row.status == "sent"
    assert sum("crise" in str(m.get("text")) for m in slack.posts()) == 1  # once


def test_the_only_email_the_server_hangs_on_spends_its_attempts_and_is_told_once(
    mail_app: App, smtp: SmtpServer, slack: FakeSlack, clock: Clock
) -> None:
    hang_on(smtp, lambda content: POISON.encode() in content)
    [poisoned] = queue(mail_app, TARGET, key=POISON, severity="critical")

    drain_for(mail_app, clock, 5 * 60)

    [row] = [r for r in rows(mail_app) if r.id == poisoned]
    assert (row.status, row.attempts) == ("failed", ATTEMPTS)
    assert smtp.messages == []
    ops = ("#ops", slack.channel_id("#ops"))
    told = [str(p["text"]) for p in slack.posts() if p["channel"] in ops]
    assert sum(f"Notifications perdues pour {TARGET}" in t for t in told) == 1
    assert not any("injoignable" in t or "en pause" in t for t in told)
    assert "paused" not in shown_status(mail_app, clock)
