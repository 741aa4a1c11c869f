"""A webhook deleted on the service's side (Discord, Teams, Google Chat…) loses nothing.

The service answers 404 (or 401, 403, 410) to every message: the URL is the
problem, not the message. That target waits as when it is down — its
notifications kept, no attempt spent, a probe now and then — ops are told at
once, and once only, what to fix; ``status`` shows it paused with the reason;
the waiting notifications go out, in order and once each, when the URL works
again. A real Apprise ``json://`` plugin posts to a local HTTP service.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest

from tests.e2e.alerting_helpers import Clock, naming, queue, rows
from tests.servers.answering import AnsweringService
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.status_report import status_report
from watchtower.status_text import target_lines

SECRET = "t0kEnDuWebhook42"


@pytest.fixture
def service() -> Iterator[AnsweringService]:
    server = AnsweringService()
    yield server
    server.stop()


def paused(app: App, clock: Clock) -> str:
    """The targets part of ``watchtower status``."""
    with app.db.session() as session:
        report = status_report(session, app.loaded, clock.now)
    return "\n".join(target_lines(report["targets"], clock.now))


def drain_for(app: App, clock: Clock, minutes: int) -> None:
    for _ in range(minutes):
        app.outbox.drain()
        clock.advance(minutes=1)


def ops_mails(smtp: SmtpServer) -> list[tuple[str, str]]:
    return [
        (str(m["Subject"]), m.get_body().get_content())
        for m in smtp.messages
        if m["To"] == "ops@example.fr"
    ]


@pytest.mark.parametrize("status", [404, 401, 403, 410])
def test_a_deleted_webhook_keeps_its_alerts_and_tells_ops_once(
    app_for: Callable[[str], App],
    service: AnsweringService,
    smtp: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")
    target = f"apprise:json://127.0.0.1:{service.port}/webhooks/{SECRET}"
    app = app_for(naming(target))
    service.status = status  # the webhook was deleted, or its token revoked
    queue(app, target, 2, key="matin", severity="warning")

    app.outbox.drain()

    # Told at once, not after the ten minutes an outage is given.
    [(subject, body)] = ops_mails(smtp)
    assert "apprise:json://127.0.0.1" in subject and SECRET not in subject + body
    # The reason in the reader's language too (the log keeps Apprise's English).
    assert "HTTP" in body and str(status) in body and "webhook a sans doute été supprimé" in body
    assert "fix the URL" not in body
    assert len(service.requests) == 1  # one try, not one per notification

    # The day goes on: more alerts, all kept; ops not told again.
    for hour in range(3):
        queue(app, target, 2, key=f"h{hour}", severity="critical" if hour == 1 else "info")
        drain_for(app, clock, 60)
    waiting = [r for r in rows(app) if r.target == target]
    assert {(r.status, r.attempts) for r in waiting} == {("pending", 0)}
    assert len(ops_mails(smtp)) == 1
    assert len(service.requests) <= 30  # probes, up to every 10 minutes
    assert not [r for r in caplog.records if r.getMessage() == "notification failed"]
    assert SECRET not in caplog.text
    shown = paused(app, clock)
    assert "paused" in shown and "refused this URL" in shown and SECRET not in shown

    # The webhook works again (re-created with the same URL, or the token restored).
    service.status = None
    drain_for(app, clock, 15)
    assert {r.status for r in rows(app) if r.target == target} == {"sent"}
    titles = [str(r.body["title"]) for r in service.accepted()]
    assert len(titles) == len(set(titles)) == 8  # each once
    assert "critique" in titles[0].lower() or "critique" in titles[1].lower()  # order kept
    assert "fonctionne à nouveau" in ops_mails(smtp)[-1][0]
    assert "paused" not in paused(app, clock)


def test_a_message_the_service_refuses_fails_alone(
    app_for: Callable[[str], App], service: AnsweringService, clock: Clock
) -> None:
    # Guard: a 400 is about that one message; the others go, nothing waits for it.
    target = f"apprise:json://127.0.0.1:{service.port}/hook"
    app = app_for(naming(target))
    service.answer = lambda body: 400 if "refusé" in str(body.get("title")) else 200
    [refused] = queue(app, target, key="refusé")
    others = queue(app, target, 3, key="ok")

    app.outbox.drain()

    states = {r.id: (r.status, r.attempts) for r in rows(app) if r.target == target}
    assert states[refused] == ("failed", 1)
    assert {states[i] for i in others} == {("sent", 1)}
