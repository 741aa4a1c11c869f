"""``watchtower_outbox_oldest_age_seconds``: how long the notification waiting longest
for delivery has been deliverable, so an alert on it means "stuck", not "was held".

A simulated clock drives the real App (quiet hours, the outbox, a fake Slack);
the metric is read as Prometheus scrapes it.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.alerting_helpers import Clock, queue, rows
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.metrics import DatabaseCollector

AGE = "watchtower_outbox_oldest_age_seconds"

QUIET = """
[[quiet_hours]]
targets = ["slack:#veille"]
windows = ["mon-fri 20:00-08:00", "sat-sun"]
timezone = "Europe/Paris"
"""


def oldest_age(app: App) -> float:
    text = generate_latest(DatabaseCollector(app.db, app.clock)).decode()
    [family] = [f for f in text_string_to_metric_families(text) if f.name == AGE]
    [sample] = family.samples
    return float(sample.value)


def test_a_notification_released_from_quiet_hours_counts_from_the_end_of_the_hold(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for(QUIET)
    clock.now = clock.now.replace(day=6, hour=21)  # Friday 22:00 in Paris
    queue(app, "slack:#veille")
    app.outbox.drain()
    [held] = list(rows(app))
    assert held.status == "held" and held.hold_until is not None
    clock.advance(hours=1)
    assert oldest_age(app) == 0  # held on purpose: not waiting for delivery

    clock.now = held.hold_until
    clock.advance(seconds=30)  # the week-end ended (Monday 00:00 in Paris) 30 s ago
    app.alerting.tick()  # released alone, as itself
    [released] = list(rows(app))
    assert released.status == "pending" and released.created_at < clock.now
    # Before: from its creation, Friday evening, 50 hours ago.
    assert oldest_age(app) == 30

    app.outbox.drain()
    assert len(slack.posts()) == 1
    assert oldest_age(app) == 0


def test_a_notification_waiting_for_a_retry_keeps_counting_from_its_creation(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("")
    slack.fail_next = [503]
    queue(app, "slack:#veille")
    app.outbox.drain()  # fails: retried with backoff
    [row] = list(rows(app))
    # Slack down (503): the row waits for the next probe, its attempts kept.
    assert row.status == "pending" and row.attempts == 0 and row.next_attempt_at > clock.now
    clock.advance(minutes=20)
    assert oldest_age(app) == 20 * 60  # late, whatever the backoff says: alert on it
