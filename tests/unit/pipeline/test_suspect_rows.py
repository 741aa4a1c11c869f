"""A row a target answers 5xx to: suspect, then proven to fail alone (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watchtower.errors import DeliveryError
from watchtower.notify.base import AddressRefused, ServerError, ServerErrorMaybeSent
from watchtower.pipeline.retry_policy import Step, after_failure
from watchtower.pipeline.target_health import TargetHealth

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
HOOK = "apprise:json://127.0.0.1:8080/hook"


@pytest.mark.parametrize(
    ("error", "attempts", "alone", "step"),
    [
        # The target may be down: held, whatever the attempts.
        (ServerError("Slack server error (500)"), 12, False, Step("hold_target")),
        # It delivers others: this row's own failure, spent, then given up.
        (ServerErrorMaybeSent("Slack server error (500)"), 3, True, Step("retry", 20.0)),
        (ServerError("Apprise json: error=500"), 12, True, Step("give_up")),
        # A refused address is never one message's own.
        (AddressRefused("Apprise json: error=404"), 12, True, Step("hold_target")),
    ],
)
def test_after_failure_of_a_suspect(
    error: DeliveryError, attempts: int, alone: bool, step: Step
) -> None:
    got = after_failure(error, attempts, 12, alone=alone)
    assert got.action == step.action
    if step.action == "retry":
        assert 0.8 * step.delay <= got.delay <= 1.2 * step.delay


def test_a_suspect_is_proven_alone_once_its_target_delivered_since() -> None:
    health = TargetHealth()
    health.unreachable(HOOK, NOW, "error=500", row_id=7)
    health.suspect(7, NOW)
    assert health.last_probes("apprise") == [7]  # the next probe is another row
    asked: list[datetime] = []

    def delivered(since: datetime) -> bool:
        asked.append(since)
        return True

    # While the target is known down, a failure is no proof of anything.
    assert not health.failed_alone(7, HOOK, delivered)
    assert asked == []
    health.reachable(HOOK)  # another row went through
    assert health.last_probes("apprise") == []
    health.suspect(7, NOW + timedelta(minutes=1))  # its first failure is kept
    assert health.failed_alone(7, HOOK, delivered)
    assert asked == [NOW]
    assert health.failed_alone(7, HOOK, lambda since: False)  # proven: not asked again
    health.forget(7)
    assert not health.failed_alone(7, HOOK, delivered)


def test_a_row_never_suspected_never_fails_alone() -> None:
    assert not TargetHealth().failed_alone(3, HOOK, lambda since: True)
