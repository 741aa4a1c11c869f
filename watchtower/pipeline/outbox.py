"""Drain the outbox: the one place where notifications are sent and retried.

Each claimed row is rendered and sent by its notifier. Success records the
provider's message id; a retryable :class:`DeliveryError` reschedules the row
(Retry-After if given, else capped exponential backoff with jitter); anything
else — or too many attempts — marks it failed with the reason, and ops are told
once a day per target. A rate limit (Retry-After) is no failed attempt: the
target waits, its remaining rows in order behind. Rows claimed by a process
that died are claimed again once their lease expires.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from watchtower import metrics
from watchtower.errors import DeliveryError, OutcomeUnknown, RateLimited, TargetDisabled
from watchtower.logs import kv
from watchtower.models import Notification
from watchtower.notify.base import Message, Notifier, Receipt
from watchtower.notify.registry import split_target
from watchtower.pipeline.delivery import SEND, Claimed, DeliveryHooks, Verdict, notification_for
from watchtower.storage.db import Database
from watchtower.storage.outbox_queries import claim_outbox, due_kinds, paused_kinds
from watchtower.storage.tables import OutboxRow

log = logging.getLogger("watchtower.outbox")

LEASE = timedelta(minutes=5)
BACKOFF_BASE = 5.0  # seconds
BACKOFF_CAP = 3600.0  # seconds
ROUNDS = 4  # worker rounds of one drain: rows a round queued for another kind go too
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


def rate_limited(error: DeliveryError) -> bool:
    """Whether the provider asked us to slow down (Slack's 429 with Retry-After).

    Not the row's fault and not a failed attempt: the whole target waits.
    """
    return isinstance(error, RateLimited)


@dataclass
class _Round:
    """What one kind's worker did in a drain round."""

    stats: DrainStats = field(default_factory=DrainStats)
    paused: set[str] = field(default_factory=set)  # kinds refused (TargetDisabled) this round
    failed: dict[str, str] = field(default_factory=dict)  # target → last error, failed for good


@dataclass
class Outbox:
    """Sends due notifications with the notifier of each target kind.

    Each target kind (Slack, e-mail…) is drained by its own worker thread, so a
    hung SMTP server never delays a Slack alert; rows of one kind go one after
    another, which keeps each target's order. A kind whose worker is still busy
    from an earlier round is left to it. Threads are bounded by the number of
    target kinds (a handful); SQLite's single writer is respected by writing
    through :meth:`Database.writing`.
    """

    db: Database
    notifier_for: Callable[[str], Notifier]
    clock: Callable[[], datetime]
    max_attempts: int = 12
    batch: int = 50
    lease: timedelta = LEASE
    hooks: DeliveryHooks | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: dict[str, threading.Thread] = field(default_factory=dict)
    # Targets rate-limited by their provider: target → (until, reason). In memory:
    # a Retry-After is seconds, and a restart is a natural retry point anyway.
    _slowed: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    # Kinds paused (TargetDisabled) and not delivering since; None: not read yet.
    _paused_kinds: set[str] | None = None

    def drain(self, stop: threading.Event | None = None, *, wait: bool = True) -> DrainStats:
        """Send everything due now; return what happened.

        ``wait=False`` (the daemon's periodic round) starts the workers and returns
        at once: a kind still busy with a slow server then never holds up the next
        round of the others.
        """
        stats = DrainStats()
        # A round can queue rows of another kind (an ops e-mail about Slack): look
        # again once it is over, a few times at most.
        for _ in range(ROUNDS):
            started = self._start_workers(stop)
            if not wait or not started:
                break
            for worker, work in started:
                worker.join()
                stats.sent += work.stats.sent
                stats.retried += work.stats.retried
                stats.failed += work.stats.failed
                for target, n in work.stats.per_target.items():
                    stats.per_target[target] = stats.per_target.get(target, 0) + n
        return stats

    def _start_workers(self, stop: threading.Event | None) -> list[tuple[threading.Thread, _Round]]:
        """One worker per target kind with rows due, unless one is still running."""
        with self.db.session() as session:
            kinds = due_kinds(session, self.clock())
            if self._paused_kinds is None:
                self._paused_kinds = set(paused_kinds(session))
        started = []
        with self._lock:
            for kind in kinds:
                if kind in self._workers:  # still busy from an earlier round
                    continue
                work = _Round()
                worker = threading.Thread(
                    target=self._drain_kind,
                    args=(kind, stop, work),
                    name=f"drain-{kind}",
                    daemon=True,
                )
                self._workers[kind] = worker
                started.append((worker, work))
        for worker, _ in started:
            worker.start()
        return started

    def join(self, timeout: float | None = None) -> None:
        """Wait for the workers still running (shutdown)."""
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            worker.join(timeout)

    def _drain_kind(self, kind: str, stop: threading.Event | None, work: _Round) -> None:
        try:
            while stop is None or not stop.is_set():
                with self.db.writing() as session:
                    rows = claim_outbox(session, self.clock(), self.lease, self.batch, kind=kind)
                    claimed = [Claimed.of(r) for r in rows]
                if not claimed:
                    break
                for row in claimed:
                    self._deliver(row, work)
            self._report_failures(work)
        except Exception:  # one kind's trouble (the database, a hook) must not kill the daemon
            log.exception("drain round failed", extra=kv(kind=kind))
        finally:
            with self._lock:
                self._workers.pop(kind, None)

    def _report_failures(self, work: _Round) -> None:
        """Tell ops, once the round is over (so the count covers it), what failed for good."""
        if not self.hooks:
            return
        for target, reason in work.failed.items():
            try:
                self.hooks.delivery_failed(target, reason)
            except Exception:
                log.exception("failure notice not queued", extra=kv(target=target))

    def _slowed_until(self, target: str, now: datetime) -> tuple[datetime, str] | None:
        with self._lock:
            slowed = self._slowed.get(target)
            if slowed is not None and slowed[0] <= now:
                del self._slowed[target]
                return None
            return slowed

    def _deliver(self, row: Claimed, work: _Round) -> None:
        row_id, target, attempts = row.id, row.target, row.attempts
        stats = work.stats
        kind, address = split_target(target)
        if kind in work.paused:  # its token was refused earlier in this batch: keep it waiting
            self._park(row_id, Verdict("defer", delay=PAUSE, reason="target paused"))
            return
        if slowed := self._slowed_until(target, self.clock()):
            # The provider asked this target to wait: the rows behind keep their
            # place (same due time, then id) and no attempt is spent.
            self._park(row_id, Verdict("defer", reason=slowed[1]), at=slowed[0])
            stats.retried += 1
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
            work.paused.add(exc.kind)
            with self._lock:
                if self._paused_kinds is not None:
                    self._paused_kinds.add(exc.kind)
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
            self._sent(row, message, receipt, notification, stats)
            return
        if rate_limited(error):
            assert error.retry_after is not None
            until = self.clock() + timedelta(seconds=error.retry_after)
            with self._lock:
                self._slowed[target] = (until, error.reason)
            self._park(row_id, Verdict("defer", reason=error.reason), at=until)
            stats.retried += 1
            metrics.notification_retried(target)
            log.warning(
                "target rate-limited: paused",
                extra=kv(
                    outbox_id=row_id,
                    target=target,
                    retry_in=f"{error.retry_after:.1f}s",
                    error=error.reason,
                ),
            )
        elif error.retryable and attempts < self.max_attempts:
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
            work.failed[target] = error.reason
            metrics.notification_failed(target)
            log.error(
                "notification failed",
                extra=kv(outbox_id=row_id, target=target, attempts=attempts, error=error.reason),
            )

    def _sent(
        self,
        row: Claimed,
        message: Message,
        receipt: Receipt,
        notification: Notification,
        stats: DrainStats,
    ) -> None:
        row_id, target = row.id, row.target
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
        kind = split_target(target)[0]
        with self._lock:
            back = self._paused_kinds is not None and kind in self._paused_kinds
            if back and self._paused_kinds is not None:
                self._paused_kinds.discard(kind)
        if back and self.hooks:
            try:
                self.hooks.target_back(kind)
            except Exception:
                log.exception("back notice not queued", extra=kv(kind=kind))

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
        with self.db.writing() as session:
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

    def _park(self, row_id: int, verdict: Verdict, *, at: datetime | None = None) -> None:
        """Apply a hold / defer / skip verdict; none of them counts as a delivery attempt.

        ``at``: when a deferred row is due (else ``verdict.delay`` from now).
        """
        now = self.clock()
        with self.db.writing() as session:
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
                row.next_attempt_at = at or now + timedelta(seconds=verdict.delay)
