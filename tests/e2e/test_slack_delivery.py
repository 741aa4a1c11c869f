"""Slack limits and errors, pacing, exactly-once reconciliation, against the fake Slack."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from tests.e2e.alerting_helpers import Clock, naming, queue, rows, statuses
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.storage.tables import OutboxRow


def test_oversized_message_is_truncated_not_refused(
    app_for: Callable[[str], App], slack: FakeSlack
) -> None:
    app = app_for("")
    queue(
        app,
        "slack:#veille",
        title="T" * 500,
        excerpt="x" * 50_000,
        terms=[f"terme{i}" for i in range(2000)],
    )

    stats = app.outbox.drain()

    assert stats.sent == 1 and stats.failed == 0
    [post] = slack.posts()
    assert len(post["text"]) <= 40_000
    header_text = post["blocks"][0]["text"]["text"]
    assert "…" in header_text
    details = post["blocks"][1]["text"]["text"]
    assert len(details) <= 3000 and details.endswith("|Lire la suite>")


def test_ok_false_is_permanent_and_recorded(
    app_for: Callable[[str], App], slack: FakeSlack
) -> None:
    app = app_for("")
    queue(app, "slack:#veille")
    slack.error_next = ["restricted_action_read_only_channel"]

    stats = app.outbox.drain()

    assert stats.failed == 1
    [row] = [r for r in rows(app) if r.target == "slack:#veille"]
    assert row.status == "failed"
    assert row.last_error == (
        "Slack refused the message: restricted_action_read_only_channel — only admins may "
        "post in #veille: pick another channel"
    )


def test_not_in_channel_joins_once_then_posts(
    app_for: Callable[[str], App], slack: FakeSlack
) -> None:
    app = app_for("")
    queue(app, "slack:#veille", 2)
    slack.not_member = {"#veille"}

    stats = app.outbox.drain()

    assert stats.sent == 2
    assert [c.method for c in slack.calls].count("conversations.join") == 1
    assert len(slack.posts()) == 2


def test_revoked_token_pauses_slack_keeps_rows_and_alerts_ops(
    app_for: Callable[[str], App], slack: FakeSlack, smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for("")
    queue(app, "slack:#veille", 3)
    slack.revoked = True

    app.outbox.drain()

    posts = [c for c in slack.calls if c.method == "chat.postMessage"]
    assert len(posts) == 1  # the first refusal pauses Slack for the whole batch
    assert set(statuses(app).values()) == {"pending", "sent"}
    slack_rows = [r for r in rows(app) if r.target.startswith("slack:")]
    assert [r.status for r in slack_rows] == ["pending"] * 3
    assert all(r.attempts == 0 for r in slack_rows)
    [mail] = smtp.messages
    assert mail["To"] == "ops@example.fr" and "token_revoked" in mail["Subject"]

    slack.revoked = False  # someone fixed the token
    clock.advance(minutes=11)
    app.outbox.drain()
    assert len(slack.posts()) == 3
    [_, back] = smtp.messages  # and ops hear that Slack works again, once
    assert "Slack" in back["Subject"] and "token_revoked" not in back["Subject"]


def test_pacing_keeps_one_message_per_second_per_channel(
    app_for: Callable[[str], App], slack: FakeSlack
) -> None:
    slack.min_interval = 1.0
    built = app_for(naming("slack:#autre"))
    notifier = built.notifier_for("slack")
    notifier.api.interval = 1.0  # type: ignore[attr-defined]
    queue(built, "slack:#veille", 3)
    queue(built, "slack:#autre", 1, key="other")

    stats = built.outbox.drain()

    assert stats.sent == 4
    assert slack.rate_limited == 0


def test_429_is_retried_after_retry_after_and_nothing_is_lost(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    slack.min_interval = 60.0  # unpaced sender against a strict server
    app = app_for("")
    queue(app, "slack:#veille", 3)

    first = app.outbox.drain()
    assert first.sent == 1 and first.retried == 2
    retried = [r for r in rows(app) if r.status == "pending"]
    assert all(r.last_error == "Slack rate limit (429)" for r in retried)
    assert all(r.next_attempt_at == clock.now + timedelta(seconds=1) for r in retried)

    slack.min_interval = 0.0
    clock.advance(seconds=2)
    second = app.outbox.drain()
    assert second.sent == 2
    ids = [m["metadata"]["event_payload"]["outbox_id"] for m in slack.posts()]
    assert sorted(ids) == ["1", "2", "3"]


def test_unknown_outcome_is_reconciled_from_history_not_resent(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("")
    [row_id] = queue(app, "slack:#veille")
    app.outbox.drain()
    assert len(slack.posts()) == 1
    # Simulate a crash after Slack stored the message but before we recorded it.
    with app.db.session() as session:
        row = session.get(OutboxRow, row_id)
        assert row is not None
        row.status, row.claimed_until = "sending", clock.now
    clock.advance(minutes=1)

    stats = app.outbox.drain()

    assert stats.sent == 1
    assert len(slack.posts()) == 1
    methods = [c.method for c in slack.calls]
    assert "conversations.history" in methods
    [row] = list(rows(app))
    assert row.status == "sent" and row.outcome_unknown
    assert row.provider_message_id == slack.posts()[0]["ts"]


def test_unknown_outcome_not_found_is_sent(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("")
    [row_id] = queue(app, "slack:#veille")
    with app.db.session() as session:
        row = session.get(OutboxRow, row_id)
        assert row is not None
        row.status, row.claimed_until = "sending", clock.now
    clock.advance(minutes=1)

    assert app.outbox.drain().sent == 1
    assert len(slack.posts()) == 1


def test_5xx_holds_slack_with_growing_backoff_then_sent(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    # A 5xx says Slack is down, not that this message is wrong: Slack is probed
    # with growing waits, and the row spends no attempt meanwhile.
    app = app_for("")
    queue(app, "slack:#veille", 1)
    slack.fail_next = [500, 503]

    assert app.outbox.drain().retried == 1
    [row] = list(rows(app))
    assert row.status == "pending" and row.last_error == "Slack server error (500)"
    assert row.attempts == 0
    first_delay = (row.next_attempt_at - clock.now).total_seconds()
    assert 8 <= first_delay <= 12  # 10 s ± 20 %

    assert app.outbox.drain().handled == 0  # not due yet: nothing is sent early
    clock.advance(seconds=first_delay + 0.1)
    assert app.outbox.drain().retried == 1
    [row] = list(rows(app))
    second_delay = (row.next_attempt_at - clock.now).total_seconds()
    assert 16 <= second_delay <= 24  # doubled

    clock.advance(seconds=second_delay + 0.1)
    assert app.outbox.drain().sent == 1
    [row] = list(rows(app))
    assert row.status == "sent" and row.attempts == 1 and row.last_error is None
    assert len(slack.posts()) == 1


def test_a_row_left_mid_send_by_a_killed_process_is_due_at_restart(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock, database_url: str
) -> None:
    """``kill -9`` mid-send left a row ``sending`` under its lease. With no other
    process live (one daemon per SQLite file; on PostgreSQL no other row whose
    liveness lock is held: tests/e2e/test_dead_process_leases.py), the restarted
    daemon sends it at once (as an unknown outcome: looked for in Slack first),
    not after ``delivery_lease``."""
    app = app_for("")
    [row_id] = queue(app, "slack:#veille")
    with app.db.session() as session:
        row = session.get(OutboxRow, row_id)
        assert row is not None
        row.status, row.claimed_until = "sending", clock.now + timedelta(minutes=5)
        row.attempts = 1  # claimed, then killed
    app.poller.heartbeat.close()  # killed: its liveness lock went with its connection

    restarted = app_for("")  # a new process on the same database

    assert restarted.outbox.drain().sent == 1
    assert len(slack.posts()) == 1
    [row] = list(rows(restarted))
    assert row.status == "sent" and row.outcome_unknown  # looked for in Slack first
