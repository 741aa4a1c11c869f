"""When a source is checked next, and what a first check treats as history.

``next_check`` spreads checks (±10% jitter), backs off after failures (doubling,
capped) and honours Retry-After; ``backlog_cutoff`` is the date before which a
source's first listing is recorded without notification (``backlog``).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from watchtower.adapters.base import ALL_BACKLOG, SourceSettings
from watchtower.config import Config
from watchtower.storage.queries import Claim

MAX_BACKOFF = timedelta(hours=6)
MAX_RETRY_AFTER = timedelta(hours=24)


def next_check(
    every: timedelta,
    now: datetime,
    *,
    failures: int = 0,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """When to check a source next: ``every`` ±10%, doubled per failure up to a cap,
    and never sooner than Retry-After."""
    rng = rng or random.Random()
    delay = every
    if failures:
        # Never multiply an interval past the cap: every * 2**16 overflows timedelta.
        capped = every >= MAX_BACKOFF
        delay = every if capped else min(every * 2 ** min(failures - 1, 16), MAX_BACKOFF)
    delay *= 0.9 + 0.2 * rng.random()
    if retry_after is not None:
        delay = max(delay, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return now + delay


def backlog_cutoff(
    config: Config, settings: SourceSettings, claim: Claim, now: datetime
) -> datetime | None:
    """On a source's first poll, what it lists from before ``backlog`` is history."""
    backlog = backlog_of(config, settings)
    if not claim.first_poll or backlog == ALL_BACKLOG:
        return None
    return now - backlog


def backlog_of(config: Config, settings: SourceSettings) -> timedelta:
    return config.watchtower.backlog if settings.backlog is None else settings.backlog
