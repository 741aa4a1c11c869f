"""When a notification whose send failed is tried again, and when it is given up.

Pure decisions, no I/O: :func:`after_failure` turns a :class:`DeliveryError`
into a :class:`Step`, which :mod:`watchtower.pipeline.dispatch` applies. Only
``retryable`` errors are retried, with capped exponential backoff and jitter
(or the provider's Retry-After), up to ``max_delivery_attempts``. A rate limit
(Retry-After on a 429) is the provider's pacing, not a failed attempt: the
whole target waits. Neither is a target that cannot be reached
(:class:`~watchtower.notify.base.TargetUnreachable`: refused, reset, timed out,
5xx): the whole target waits and is probed, one row at a time, every
:func:`probe_delay` — however long the outage, its rows are never given up.
Unless the row fails *alone*: its target delivered other notifications since
the row first failed (a 5xx the service answers to that one message), so the
row is retried with backoff behind them and given up after
``max_delivery_attempts``, like any retryable failure. A refused address
(:class:`~watchtower.notify.base.AddressRefused`) is never the row's own.
The flush at shutdown retries nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from watchtower.errors import DeliveryError, RateLimited
from watchtower.notify.base import AddressRefused, TargetUnreachable

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "PAUSE",
    "PROBE_BASE",
    "PROBE_CAP",
    "Step",
    "after_failure",
    "backoff",
    "probe_delay",
    "rate_limited",
]

BACKOFF_BASE = 5.0  # seconds
BACKOFF_CAP = 3600.0  # seconds
PAUSE = 600.0  # seconds a disabled target kind (revoked Slack token) waits before one more try
PROBE_BASE = 10.0  # seconds before an unreachable target is tried again, doubled each time…
PROBE_CAP = 600.0  # …up to 10 minutes


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before retry number ``attempt`` (1-based): 5s, 10s, 20s … capped at 1h, ±20%."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1))
    return float(delay * (0.8 + 0.4 * (rng or random).random()))


def probe_delay(probes: int, rng: random.Random | None = None) -> float:
    """Seconds before an unreachable target is tried again after ``probes`` failed
    tries: 10s, 20s, 40s … capped at 10 min, ±20% (replicas do not probe in step)."""
    delay = min(PROBE_CAP, PROBE_BASE * 2 ** max(0, probes - 1))
    return float(delay * (0.8 + 0.4 * (rng or random).random()))


def rate_limited(error: DeliveryError) -> bool:
    """Whether the provider asked us to slow down (Slack's 429 with Retry-After).

    Not the row's fault and not a failed attempt: the whole target waits.
    """
    return isinstance(error, RateLimited)


@dataclass(frozen=True)
class Step:
    """What becomes of a row whose send failed.

    - ``hand_back``: the flush at shutdown; pending for the next start, no attempt spent;
    - ``wait_for_target``: rate-limited; the target waits ``delay`` seconds, no attempt spent;
    - ``hold_target``: unreachable; the target waits for its next probe, no attempt spent;
    - ``retry``: pending again in ``delay`` seconds;
    - ``give_up``: failed for good.
    """

    action: Literal["hand_back", "wait_for_target", "hold_target", "retry", "give_up"]
    delay: float = 0.0


def after_failure(
    error: DeliveryError,
    attempts: int,
    max_attempts: int,
    *,
    final: bool = False,
    alone: bool = False,
) -> Step:
    """The step for a send that failed with ``error`` on attempt number ``attempts``;
    ``alone``: the row's target delivers others, so an "unreachable" is the row's own."""
    if final and error.retryable:
        return Step("hand_back")
    if rate_limited(error):
        assert error.retry_after is not None
        return Step("wait_for_target", error.retry_after)
    if isinstance(error, TargetUnreachable) and (isinstance(error, AddressRefused) or not alone):
        return Step("hold_target")  # not this row's fault: no attempt, never given up
    if error.retryable and attempts < max_attempts:
        delay = error.retry_after if error.retry_after is not None else backoff(attempts)
        return Step("retry", delay)
    return Step("give_up")
