"""Drain the outbox: the one place where notifications are sent and retried.

Each claimed row is rendered and sent by its notifier. Success records the
provider's message id; a retryable :class:`DeliveryError` reschedules the row
(Retry-After if given, else capped exponential backoff with jitter); anything
else — or too many attempts — marks it failed with the reason. Rows claimed by
a process that died are claimed again once their lease expires.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from watchtower.errors import DeliveryError
from watchtower.logs import kv
from watchtower.models import Notification
from watchtower.notify.base import Notifier
from watchtower.notify.registry import split_target
from watchtower.storage.db import Database
from watchtower.storage.queries import claim_outbox
from watchtower.storage.tables import OutboxRow

log = logging.getLogger("watchtower.outbox")

LEASE = timedelta(minutes=5)
BACKOFF_BASE = 5.0  # seconds
BACKOFF_CAP = 3600.0  # seconds


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before retry number ``attempt`` (1-based): 5s, 10s, 20s … capped at 1h, ±20%."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1))
    return delay * (0.8 + 0.4 * (rng or random).random())


@dataclass
class DrainStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    per_target: dict[str, int] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed


@dataclass
class Outbox:
    """Sends due notifications with the notifier of each target kind."""

    db: Database
    notifier_for: Callable[[str], Notifier]
    clock: Callable[[], datetime]
    max_attempts: int = 12
    batch: int = 50
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def drain(self, stop: threading.Event | None = None) -> DrainStats:
        """Send everything due now; return what happened."""
        stats = DrainStats()
        with self._lock:
            while stop is None or not stop.is_set():
                with self.db.session() as session:
                    rows = claim_outbox(session, self.clock(), LEASE, self.batch)
                    claimed = [(r.id, r.target, r.payload, r.attempts) for r in rows]
                if not claimed:
                    break
                for row_id, target, payload, attempts in claimed:
                    self._deliver(row_id, target, payload, attempts, stats)
        return stats

    def _deliver(
        self, row_id: int, target: str, payload: dict[str, object], attempts: int, stats: DrainStats
    ) -> None:
        kind, address = split_target(target)
        notification = Notification.from_payload(row_id, target, payload)
        try:
            notifier = self.notifier_for(kind)
            receipt = notifier.send(notifier.render(notification, address))
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a bug in one notifier must not stop the drain
            log.exception("notifier crashed", extra=kv(outbox_id=row_id, target=target))
            error = DeliveryError(f"internal error: {type(exc).__name__}: {exc}", retryable=True)
        else:
            self._finish(row_id, "sent", message_id=receipt.message_id)
            stats.sent += 1
            stats.per_target[target] = stats.per_target.get(target, 0) + 1
            log.info(
                "notification sent",
                extra=kv(outbox_id=row_id, target=target, message_id=receipt.message_id or "-"),
            )
            return
        if error.retryable and attempts < self.max_attempts:
            delay = error.retry_after if error.retry_after is not None else backoff(attempts)
            self._finish(row_id, "pending", error=error.reason, delay=delay)
            stats.retried += 1
            log.warning(
                "notification will be retried",
                extra=kv(
                    outbox_id=row_id,
                    target=target,
                    attempt=attempts,
                    retry_in=f"{delay:.1f}s",
                    error=error.reason,
                ),
            )
        else:
            self._finish(row_id, "failed", error=error.reason)
            stats.failed += 1
            log.error(
                "notification failed",
                extra=kv(outbox_id=row_id, target=target, attempts=attempts, error=error.reason),
            )

    def _finish(
        self,
        row_id: int,
        status: str,
        *,
        message_id: str | None = None,
        error: str | None = None,
        delay: float = 0.0,
    ) -> None:
        now = self.clock()
        with self.db.session() as session:
            row = session.get(OutboxRow, row_id)
            if row is None:  # pruned meanwhile
                return
            row.status = status
            row.claimed_until = None
            if status == "sent":
                row.sent_at = now
                row.provider_message_id = message_id
                row.last_error = None
            else:
                row.last_error = error
                row.next_attempt_at = now + timedelta(seconds=delay)
