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

from watchtower import metrics
from watchtower.errors import DeliveryError, OutcomeUnknown, TargetDisabled
from watchtower.logs import kv
from watchtower.models import Notification
from watchtower.notify.base import Notifier
from watchtower.notify.registry import split_target
from watchtower.pipeline.delivery import SEND, Claimed, DeliveryHooks, Verdict, notification_for
from watchtower.storage.db import Database
from watchtower.storage.queries import claim_outbox
from watchtower.storage.tables import OutboxRow

log = logging.getLogger("watchtower.outbox")

LEASE = timedelta(minutes=5)
BACKOFF_BASE = 5.0  # seconds
BACKOFF_CAP = 3600.0  # seconds
PAUSE = 600.0  # seconds a disabled target kind (revoked Slack token) waits before one more try


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before retry number ``attempt`` (1-based): 5s, 10s, 20s … capped at 1h, ±20%."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempt - 1))
    return float(delay * (0.8 + 0.4 * (rng or random).random()))


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
    lease: timedelta = LEASE
    hooks: DeliveryHooks | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def drain(self, stop: threading.Event | None = None) -> DrainStats:
        """Send everything due now; return what happened."""
        stats = DrainStats()
        with self._lock:
            while stop is None or not stop.is_set():
                with self.db.session() as session:
                    rows = claim_outbox(session, self.clock(), self.lease, self.batch)
                    claimed = [Claimed.of(r) for r in rows]
                if not claimed:
                    break
                paused: set[str] = set()
                for row in claimed:
                    self._deliver(row, stats, paused)
        return stats

    def _deliver(self, row: Claimed, stats: DrainStats, paused: set[str]) -> None:
        row_id, target, attempts = row.id, row.target, row.attempts
        kind, address = split_target(target)
        if kind in paused:  # its token was refused earlier in this batch: keep it waiting
            self._park(row_id, Verdict("defer", delay=PAUSE, reason="target paused"))
            return
        verdict = self.hooks.before_send(row) if self.hooks else SEND
        if verdict.action != "send":
            self._park(row_id, verdict)
            return
        notification: Notification = notification_for(row, verdict)
        try:
            notifier = self.notifier_for(kind)
            message = notifier.render(notification, address)
            receipt = notifier.send(message)
        except TargetDisabled as exc:
            # Not this row's fault: nothing of this kind can go out until someone
            # fixes the token. Keep every row waiting (never failed) and tell ops.
            paused.add(exc.kind)
            self._park(row_id, Verdict("defer", delay=PAUSE, reason=exc.reason))
            log.error("target kind paused", extra=kv(kind=exc.kind, error=exc.reason))
            if self.hooks:
                self.hooks.target_disabled(exc.kind, exc.reason)
            return
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a bug in one notifier must not stop the drain
            log.exception("notifier crashed", extra=kv(outbox_id=row_id, target=target))
            error = DeliveryError(f"internal error: {type(exc).__name__}: {exc}", retryable=True)
        else:
            self._finish(row_id, "sent", message_id=receipt.message_id)
            if self.hooks:
                try:
                    self.hooks.after_send(row, message, receipt)
                except Exception:  # the message is out; bookkeeping must not resend it
                    log.exception("after-send hook failed", extra=kv(outbox_id=row_id))
            stats.sent += 1
            stats.per_target[target] = stats.per_target.get(target, 0) + 1
            metrics.notification_sent(target, notification, self.clock())
            log.info(
                "notification sent",
                extra=kv(outbox_id=row_id, target=target, message_id=receipt.message_id or "-"),
            )
            return
        if error.retryable and attempts < self.max_attempts:
            delay = error.retry_after if error.retry_after is not None else backoff(attempts)
            self._finish(
                row_id,
                "pending",
                error=error.reason,
                delay=delay,
                unknown=isinstance(error, OutcomeUnknown),
            )
            stats.retried += 1
            metrics.notification_retried(target)
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
            metrics.notification_failed(target)
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
        unknown: bool = False,
    ) -> None:
        now = self.clock()
        with self.db.session() as session:
            row = session.get(OutboxRow, row_id)
            if row is None:  # pruned meanwhile
                return
            row.status = status
            row.claimed_until = None
            row.outcome_unknown = row.outcome_unknown or unknown
            if status == "sent":
                row.sent_at = now
                row.provider_message_id = message_id
                row.last_error = None
            else:
                row.last_error = error
                row.next_attempt_at = now + timedelta(seconds=delay)

    def _park(self, row_id: int, verdict: Verdict) -> None:
        """Apply a hold / defer / skip verdict; none of them counts as a delivery attempt."""
        now = self.clock()
        with self.db.session() as session:
            row = session.get(OutboxRow, row_id)
            if row is None:
                return
            row.claimed_until = None
            row.attempts = max(0, row.attempts - 1)
            if verdict.action == "hold":
                row.status = "held"
                row.hold_reason = verdict.hold_reason
                row.group_key = verdict.group_key
                row.hold_until = verdict.until
            elif verdict.action == "skip":
                row.status = "skipped"
                row.last_error = verdict.reason
            else:
                row.status = "pending"
                row.last_error = verdict.reason or row.last_error
                row.next_attempt_at = now + timedelta(seconds=verdict.delay)
