"""The retry policy's decisions, and what goes down together (target scopes)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from watchtower.errors import DeliveryError, OutcomeUnknown, RateLimited
from watchtower.notify.base import TargetUnreachable, UnreachableMaybeSent
from watchtower.pipeline.retry_policy import PROBE_CAP, Step, after_failure, probe_delay
from watchtower.pipeline.target_health import TargetHealth, scope

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "attempts", "step"),
    [
        # The target is down: never given up, however many attempts the row had.
        (TargetUnreachable("cannot reach Slack (refused)"), 12, Step("hold_target")),
        (UnreachableMaybeSent("Slack server error (503)"), 99, Step("hold_target")),
        (RateLimited("429", retry_after=3), 12, Step("wait_for_target", 3)),
        (DeliveryError("refused", retryable=False), 1, Step("give_up")),
        (OutcomeUnknown("fatal_error"), 12, Step("give_up")),
    ],
)
def test_after_failure(error: DeliveryError, attempts: int, step: Step) -> None:
    assert after_failure(error, attempts, 12) == step


def test_the_flush_at_shutdown_hands_an_unreachable_row_back() -> None:
    assert after_failure(TargetUnreachable("down"), 1, 12, final=True) == Step("hand_back")


def test_probe_delay_doubles_up_to_ten_minutes_with_jitter() -> None:
    rng = random.Random(1)
    assert 8 <= probe_delay(1, rng) <= 12
    assert 16 <= probe_delay(2, rng) <= 24
    assert all(0.8 * PROBE_CAP <= probe_delay(n, rng) <= 1.2 * PROBE_CAP for n in (7, 30, 500))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("slack:#veille", "slack"),
        ("slack:C0123", "slack"),
        ("email:ops@example.fr", "email"),
        ("apprise:json://h/x", "apprise:json://h/x"),  # each Apprise service on its own
    ],
)
def test_scope(target: str, expected: str) -> None:
    assert scope(target) == expected


def test_an_outage_waits_until_its_probe_and_ends_with_a_success() -> None:
    health = TargetHealth()
    outage, new = health.unreachable("slack", NOW, "refused")
    assert new and outage.probes == 1
    assert health.waiting("slack", NOW) == outage
    assert health.waiting("email", NOW) is None
    assert health.waiting("slack", outage.next_probe) is None  # the probe may go

    later, new = health.unreachable("slack", outage.next_probe, "reset")
    assert not new and later.probes == 2 and later.since == NOW
    assert later.next_probe - outage.next_probe > timedelta(seconds=15)

    ended = health.reachable("slack")
    assert ended is not None and ended.reason == "reset"
    assert health.down("slack") is None and health.reachable("slack") is None
