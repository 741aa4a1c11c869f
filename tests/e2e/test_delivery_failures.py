"""Delivery failures an operator must see or that must not cost a notification:
rate limits, permanent failures, paused kinds, restarts, a slow kind."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, naming, queue, rows
from tests.e2e.scenario import targets
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.health import render_status
from watchtower.models import Notification
from watchtower.notify.base import Message, Notifier, Receipt
from watchtower.storage.tables import OutboxRow


def _posted_ids(slack: FakeSlack) -> list[str]:
    return [m["metadata"]["event_payload"]["outbox_id"] for m in slack.posts()]


def test_429s_spend_no_attempt_and_the_row_is_sent(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("")
    app.outbox.max_attempts = 3
    queue(app, "slack:#veille")
    slack.rate_limit_next, slack.retry_after = 4, 1

    for _ in range(5):
        app.outbox.drain()
        clock.advance(seconds=2)

    [row] = list(rows(app))
    assert row.status == "sent"
    assert row.attempts == 1  # four 429s, one real attempt
    assert len(slack.posts()) == 1


def test_a_429_pauses_its_target_and_keeps_the_order(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for(naming("slack:#autre"))
    ids = queue(app, "slack:#veille", 3)
    [other] = queue(app, "slack:#autre", key="other")
    slack.rate_limit_next, slack.retry_after = 1, 3

    first = app.outbox.drain()

    posts = [c for c in slack.calls if c.method == "chat.postMessage"]
    assert [p.body["channel"] for p in posts] == ["#veille", "#autre"]  # the rest waited
    assert first.sent == 1 and first.retried == 3 and first.failed == 0
    waiting = [r for r in rows(app) if r.target == "slack:#veille"]
    assert [r.status for r in waiting] == ["pending"] * 3
    assert {r.next_attempt_at for r in waiting} == {clock.now + timedelta(seconds=3)}
    assert all(r.attempts == 0 for r in waiting)

    clock.advance(seconds=1)
    assert app.outbox.drain().handled == 0  # Retry-After not over: nothing is tried
    clock.advance(seconds=3)
    assert app.outbox.drain().sent == 3
    assert _posted_ids(slack) == [str(other), *(str(i) for i in ids)]


def test_a_permanent_failure_tells_ops_once_per_target_and_day(
    app_for: Callable[[str], App], slack: FakeSlack, smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for(naming("slack:#crsie"))
    queue(app, "slack:#crsie", 2)
    # A channel setting refuses the bot (a missing channel waits instead)
    slack.error_next = ["restricted_action", "restricted_action"]

    assert app.outbox.drain().failed == 2

    [mail] = smtp.messages
    assert mail["To"] == "ops@example.fr"
    assert "slack:#crsie" in mail["Subject"]
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert nb("qui ne seront pas renvoyées : 2") in text and "restricted_action" in text

    clock.advance(hours=1)
    queue(app, "slack:#crsie", key="later")
    slack.error_next = ["restricted_action"]
    assert app.outbox.drain().failed == 1
    assert len(smtp.messages) == 1  # once a day per target

    with app.db.session() as session:
        status = render_status(session, clock.now)
    assert (
        "failed for slack:#crsie: 3 · last error: Slack refused the message: restricted_action"
        in status
    )


def test_a_failing_ops_target_is_told_to_the_other_ops_targets_only(
    app_for: Callable[[str], App], slack: FakeSlack, smtp: SmtpServer
) -> None:
    app = app_for("")
    app.loaded.config.watchtower.ops_notify.append("slack:#ops")
    queue(app, "email:ops@example.fr")
    smtp.handler.refuse_with = "550 5.2.2 mailbox full"

    assert app.outbox.drain().failed == 1

    [notice] = [r for r in rows(app) if r.target != "email:ops@example.fr"]
    assert notice.target == "slack:#ops" and notice.status == "sent"
    assert "email:ops@example.fr" in notice.payload["title"]
    assert "mailbox full" in notice.payload["excerpt"]


def test_a_restart_makes_waiting_rows_due_and_leaves_held_ones(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for(naming("slack:#crise"))
    [waiting, held] = queue(app, "slack:#crise", 2, severity="critical")
    later = clock.now + timedelta(minutes=10)
    with app.db.session() as session:
        row = session.get(OutboxRow, waiting)
        assert row is not None
        row.next_attempt_at = later  # pushed back by a Slack pause
        row = session.get(OutboxRow, held)
        assert row is not None
        row.status, row.hold_reason, row.hold_until, row.next_attempt_at = (
            "held",
            "digest",
            later,
            later,
        )

    app.start()  # the operator fixed the token and restarted

    by_id = {r.id: r for r in rows(app)}
    assert by_id[waiting].next_attempt_at == clock.now
    assert by_id[held].status == "held" and by_id[held].next_attempt_at == later
    assert app.outbox.drain().sent == 1
    assert len(slack.posts()) == 1


def test_ops_hear_once_that_a_paused_kind_is_back(
    app_for: Callable[[str], App], slack: FakeSlack, smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for("")
    queue(app, "slack:#veille", 2)
    slack.revoked = True
    app.outbox.drain()
    assert len(smtp.messages) == 1  # "Slack est en pause"
    with app.db.session() as session:
        assert "Slack paused" in render_status(session, clock.now)

    slack.revoked = False
    clock.advance(minutes=11)
    app.outbox.drain()
    queue(app, "slack:#veille", key="later")
    app.outbox.drain()

    assert len(slack.posts()) == 3
    assert len(smtp.messages) == 2
    assert "Slack fonctionne à nouveau" in str(smtp.messages[1]["Subject"])
    with app.db.session() as session:
        assert "paused" not in render_status(session, clock.now)


class _HungNotifier(Notifier):
    """An e-mail server that answers only when told to."""

    kind = "email"

    def __init__(self) -> None:
        self.release = threading.Event()

    def render(self, notification: Notification, address: str) -> Message:
        return Message(address=address, text=notification.title)

    def send(self, message: Message) -> Receipt:
        self.release.wait(10)
        return Receipt(message_id="mail")


def test_a_hung_smtp_server_does_not_hold_up_slack(
    app_for: Callable[[str], App], slack: FakeSlack
) -> None:
    app = app_for(naming("email:dircom@example.fr", "slack:#crise"))
    hung = _HungNotifier()
    app._notifiers["email"] = hung
    queue(app, "email:dircom@example.fr", 3, key="mail")
    queue(app, "slack:#crise", key="alert", severity="critical")

    def drain_in_background() -> threading.Thread:
        thread = threading.Thread(target=app.outbox.drain, daemon=True)
        thread.start()
        return thread

    def wait_for_posts(n: int) -> None:
        deadline = time.monotonic() + 5
        while len(slack.posts()) < n and time.monotonic() < deadline:
            time.sleep(0.05)

    first = drain_in_background()
    try:
        wait_for_posts(1)
        assert len(slack.posts()) == 1  # while the e-mails still wait for their server
        queue(app, "slack:#crise", key="next", severity="critical")
        second = drain_in_background()  # the next round: e-mail still busy, Slack goes
        wait_for_posts(2)
        assert len(slack.posts()) == 2
    finally:
        hung.release.set()
        first.join(40)
    second.join(10)
    assert {r.status for r in rows(app)} == {"sent"}


def test_a_refused_sender_pauses_email_and_ops_hear_it_in_slack(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """E-mail paused (here: the sender refused) is told as an e-mail problem, with
    what to fix, through a target that still works; then that it works again."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    text = targets(database_url, slack, smtp, 'ops_notify = ["slack:#ops"]')
    brands = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
    app = make_app(write_config(text + brands + naming("email:dircom@example.fr")), clock)
    try:
        queue(app, "email:dircom@example.fr", 2)
        smtp.handler.refuse_mail_from = "550 5.7.1 sender not allowed"
        app.outbox.drain()
        assert smtp.messages == []
        [paused] = [p for p in slack.posts() if p["channel"] == "#ops"]
        assert "L'e-mail est en pause" in paused["text"] and "Slack" not in paused["text"]
        mails = [r for r in rows(app) if r.target.startswith("email:")]
        assert {r.status for r in mails} == {"pending"}  # kept, not failed

        smtp.handler.refuse_mail_from = None
        clock.advance(minutes=11)
        app.outbox.drain()
        assert len(smtp.messages) == 2
        [_, back] = [p for p in slack.posts() if p["channel"] == "#ops"]
        assert "L'envoi d'e-mails fonctionne à nouveau" in back["text"]
    finally:
        app.close()
