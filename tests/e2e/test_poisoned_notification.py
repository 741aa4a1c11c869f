"""One notification a service always answers 5xx to does not hold its target.

A 5xx says "down", and a real outage holds everything in order, losing nothing
(tests/e2e/test_target_outage.py). But a service may choke on one message only
(its content) while it takes every other. Then the next probe is another
notification; once that one goes through, the choking one is retried behind
the others with backoff, spends its attempts, and is failed for good after
``max_delivery_attempts``: logged, ops told once, never sent twice. The
servers are real local ones (an HTTP service for Apprise's ``json://``, the fake
Slack Web API) that answer 500 to that one message; a simulated clock drives
the hours of retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock, naming, queue, rows
from tests.servers.answering import AnsweringService
from tests.servers.slack import Answer, FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.status_report import status_report
from watchtower.status_text import target_lines

POISON = "POISON"  # in the title of the one notification the service chokes on
ATTEMPTS = 12  # max_delivery_attempts' default


def chokes(body: dict[str, Any]) -> int:
    return 500 if POISON in str(body.get("title")) else 200


@pytest.fixture
def service() -> Iterator[AnsweringService]:
    server = AnsweringService(chokes)
    yield server
    server.stop()


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


def paused(app: App, clock: Clock) -> str:
    """The targets part of ``watchtower status``."""
    with app.db.session() as session:
        report = status_report(session, app.loaded, clock.now)
    return "\n".join(target_lines(report["targets"], clock.now))


def drain_for(app: App, clock: Clock, minutes: int) -> None:
    """The daemon's delivery rounds, one a minute."""
    for _ in range(minutes):
        app.outbox.drain()
        clock.advance(minutes=1)


def ops_subjects(smtp: SmtpServer) -> list[str]:
    return [str(m["Subject"]) for m in smtp.messages if m["To"] == "ops@example.fr"]


def test_one_message_an_apprise_service_chokes_on_holds_no_other(
    app_for: Callable[[str], App],
    service: AnsweringService,
    smtp: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")
    target = f"apprise:json://127.0.0.1:{service.port}/hook"
    app = app_for(naming(target))
    [poisoned] = queue(app, target, key=POISON, severity="critical")  # first in line
    others = queue(app, target, 5, key="normal")

    drain_for(app, clock, 3)

    # The others went out within a couple of rounds; the poisoned one waits behind.
    titles = [str(r.body["title"]) for r in service.accepted()]
    assert len(titles) == 5 and not any(POISON in t for t in titles)
    assert {r.id: r.status for r in rows(app) if r.id in others} == dict.fromkeys(others, "sent")

    # Later alerts to the same service go out at the next round, every time.
    for hour in range(4):
        drain_for(app, clock, 50)
        [late] = queue(app, target, key=f"late-{hour}")
        app.outbox.drain()
        assert {r.id: r.status for r in rows(app)}[late] == "sent"

    # Its attempts ran out: failed for good, never delivered, said once.
    [row] = [r for r in rows(app) if r.id == poisoned]
    assert (row.status, row.attempts) == ("failed", ATTEMPTS)
    assert "500" in (row.last_error or "")
    assert not any(POISON in str(r.body["title"]) for r in service.accepted())
    failed = [
        r for r in caplog.records if r.getMessage() == "notification failed" and r.levelno >= 40
    ]
    assert len(failed) == 1
    subjects = ops_subjects(smtp)
    assert sum("Notifications perdues pour apprise:json://127.0.0.1" in s for s in subjects) == 1
    # The service itself was never reported down nor shown paused.
    assert not any("injoignable" in s for s in subjects)
    assert "paused" not in paused(app, clock)


def test_a_service_that_is_down_still_holds_everything_in_order(
    app_for: Callable[[str], App], service: AnsweringService, clock: Clock
) -> None:
    # Guard: when every message gets a 500, nothing is the message's own fault.
    target = f"apprise:json://127.0.0.1:{service.port}/hook"
    app = app_for(naming(target))
    service.status = 500
    queue(app, target, key="crise", severity="critical")
    queue(app, target, 5, key="normal")

    drain_for(app, clock, 6 * 60)

    assert {(r.status, r.attempts) for r in rows(app) if r.target == target} == {("pending", 0)}
    assert len(service.requests) <= 60  # probes, one at a time
    service.status = None
    drain_for(app, clock, 15)
    assert {r.status for r in rows(app) if r.target == target} == {"sent"}
    assert len(service.accepted()) == 6  # each once
    # The critical one goes first, or second when another row was the probe.
    got = [str(r.body["title"]) for r in service.accepted()]
    assert any("crise" in title for title in got[:2])


def test_one_message_slack_answers_500_to_holds_no_other_channel(
    app_for: Callable[[str], App], slack: FakeSlack, smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for(naming("slack:#crise"))
    [poisoned] = queue(app, "slack:#veille", key=POISON, severity="critical")
    others = queue(app, "slack:#veille", 3, key="normal") + queue(app, "slack:#crise", 3)

    drain_for(app, clock, 3)

    texts = [str(m.get("text")) for m in slack.posts()]
    assert len(texts) == 6 and not any(POISON in t for t in texts)
    assert {r.id: r.status for r in rows(app) if r.id in others} == dict.fromkeys(others, "sent")

    for hour in range(4):
        drain_for(app, clock, 50)
        [late] = queue(app, "slack:#crise", key=f"late-{hour}")
        app.outbox.drain()
        assert {r.id: r.status for r in rows(app)}[late] == "sent"

    [row] = [r for r in rows(app) if r.id == poisoned]
    assert (row.status, row.attempts) == ("failed", ATTEMPTS)
    # Slack may have stored it before its 500: each retry looked first, none went twice.
    assert not any(POISON in str(m.get("text")) for m in slack.messages)
    subjects = ops_subjects(smtp)
    assert sum("Notifications perdues pour slack:#veille" in s for s in subjects) == 1
    assert not any("Slack" in s and "injoignable" in s for s in subjects)
