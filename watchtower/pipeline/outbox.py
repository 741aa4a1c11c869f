"""Drain the outbox: the one place where notifications are sent and retried.

Each claimed row is rendered and sent by its notifier. Success records the
provider's message id; a retryable :class:`DeliveryError` reschedules the row
(Retry-After if given, else capped exponential backoff with jitter); anything
else — or too many attempts — marks it failed with the reason, and ops are told
once a day per target. A rate limit (Retry-After) is no failed attempt: the
target waits, its remaining rows in order behind. Rows claimed by a process
that died are claimed again once their lease expires.

Stopping (SIGTERM): workers stop between two rows and hand back the rows they
claimed but did not try. The final :meth:`Outbox.flush` sends only rows never
tried, to target kinds that were not failing, until its deadline; it retries
nothing and a failure there spends no attempt (the row waits for the next
start). A database outage is logged as one line (:mod:`watchtower.outage`).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from watchtower import metrics
from watchtower.errors import DeliveryError, OutcomeUnknown, RateLimited, TargetDisabled
from watchtower.logs import kv
from watchtower.models import Notification
from watchtower.notify.base import Message, Notifier, Receipt
from watchtower.notify.registry import split_target
from watchtower.outage import watch
from watchtower.pipeline import outbox_rows
from watchtower.pipeline.delivery import SEND, Claimed, DeliveryHooks, Verdict, notification_for
from watchtower.storage.db import Database
from watchtower.storage.outbox_queries import claim_outbox, due_kinds, paused_kinds

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
    final: bool = False  # the flush at shutdown: untried rows only, no retry, no attempt spent
    done: bool = False  # the flush met a failure: this kind's other rows wait for the next start


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
    # Kinds whose last send failed and could be retried (a timeout, a 5xx): the
    # flush at shutdown leaves them alone instead of waiting on them again.
    _failing: set[str] = field(default_factory=set)

    def drain(
        self,
        stop: threading.Event | None = None,
        *,
        wait: bool = True,
        final: bool = False,
        deadline: float | None = None,
    ) -> DrainStats:
        """Send everything due now; return what happened.

        ``wait=False`` (the daemon's periodic round) starts the workers and returns
        at once: a kind still busy with a slow server then never holds up the next
        round of the others. ``final`` and ``deadline`` (a ``time.monotonic()``
        value): see :meth:`flush`.
        """
        stats = DrainStats()
        # A round can queue rows of another kind (an ops e-mail about Slack): look
        # again once it is over, a few times at most.
        for _ in range(ROUNDS):
            started = self._start_workers(stop, final=final)
            if not wait or not started:
                break
            for worker, work in started:
                worker.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
                if worker.is_alive():  # past the deadline: its figures are not final
                    continue
                stats.sent += work.stats.sent
                stats.retried += work.stats.retried
                stats.failed += work.stats.failed
                for target, n in work.stats.per_target.items():
                    stats.per_target[target] = stats.per_target.get(target, 0) + n
            if deadline is not None and time.monotonic() >= deadline:
                break
        return stats

    def flush(self, deadline: float) -> DrainStats:
        """The last delivery before the process stops (SIGTERM), until ``deadline``
        (a ``time.monotonic()`` value).

        Only rows never tried go, and only to target kinds that were not failing:
        the flush retries nothing. A send that fails here spends no attempt and
        its kind's other rows are left for the next start (where every waiting
        row is due at once). At the deadline the workers stop between two rows;
        a send still in flight keeps its row claimed until its lease expires, and
        the row is then checked against the provider before it is sent again.
        """
        with self._lock:
            failing = sorted(self._failing)
        if failing:
            log.info(
                "not flushed, their last delivery failed: they go at the next start",
                extra=kv(kinds=",".join(failing)),
            )
        stop = threading.Event()
        try:
            return self.drain(stop, final=True, deadline=deadline)
        finally:
            stop.set()

    def _start_workers(
        self, stop: threading.Event | None, *, final: bool = False
    ) -> list[tuple[threading.Thread, _Round]]:
        """One worker per target kind with rows due, unless one is still running."""
        with self.db.session() as session:
            kinds = due_kinds(session, self.clock())
            if self._paused_kinds is None:
                self._paused_kinds = set(paused_kinds(session))
        watch(self.db.engine).ok()
        started = []
        with self._lock:
            for kind in kinds:
                if kind in self._workers:  # still busy from an earlier round
                    continue
                if final and kind in self._failing:
                    continue
                work = _Round(final=final)
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

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the workers still running, ``timeout`` seconds at most (shutdown:
        they stop after the row they are sending); True when none is left."""
        with self._lock:
            workers = list(self._workers.values())
        deadline = None if timeout is None else time.monotonic() + timeout
        for worker in workers:
            worker.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(worker.is_alive() for worker in workers)

    def busy(self) -> list[str]:
        """The target kinds whose worker is still sending."""
        with self._lock:
            return sorted(kind for kind, worker in self._workers.items() if worker.is_alive())

    def _drain_kind(self, kind: str, stop: threading.Event | None, work: _Round) -> None:
        untried: list[int] = []  # claimed rows not tried yet: handed back if the worker stops
        try:
            while not (work.done or (stop is not None and stop.is_set())):
                with self.db.writing() as session:
                    rows = claim_outbox(
                        session,
                        self.clock(),
                        self.lease,
                        self.batch,
                        kind=kind,
                        untried=work.final,
                    )
                    claimed = [Claimed.of(r) for r in rows]
                watch(self.db.engine).ok()
                if not claimed:
                    break
                untried = [row.id for row in reversed(claimed)]
                for row in claimed:
                    if work.done or (stop is not None and stop.is_set()):
                        break  # stopping: between two rows, never in the middle of one
                    untried.pop()
                    self._deliver(row, work)
                self._release(untried)
                untried = []
            self._report_failures(work)
        except Exception as exc:  # one kind's trouble (database, hook) must not kill the daemon
            if not watch(self.db.engine).failed(exc, job=f"outbox {kind}"):
                log.exception("drain round failed", extra=kv(kind=kind))
            try:
                self._release(untried)
            except Exception as again:  # the database is gone: their lease expires instead
                if not watch(self.db.engine).failed(again, job=f"outbox {kind}"):
                    log.exception("claimed notifications not released", extra=kv(kind=kind))
        finally:
            with self._lock:
                self._workers.pop(kind, None)

    def _release(self, row_ids: list[int]) -> None:
        """Hand back claimed rows that were not tried (stopping)."""
        if not row_ids:
            return
        with self.db.writing() as session:
            outbox_rows.release(session, row_ids)
        log.info(
            "claimed notifications handed back: stopping", extra=kv(notifications=len(row_ids))
        )

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
            with self._lock:
                self._failing.discard(kind)
            self._sent(row, message, receipt, notification, stats)
            return
        if error.retryable and not rate_limited(error):
            with self._lock:
                self._failing.add(kind)
        if work.final and error.retryable:
            # The flush at shutdown retries nothing: the row waits for the next
            # start without spending an attempt, and so do this kind's others.
            work.done = True
            self._finish(
                row_id,
                "pending",
                error=error.reason,
                unknown=isinstance(error, OutcomeUnknown),
                spent=False,
            )
            log.warning(
                "notification not sent before stopping; it goes at the next start",
                extra=kv(outbox_id=row_id, target=target, error=error.reason),
            )
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
        spent: bool = True,
    ) -> None:
        """Record a send's outcome (see :func:`outbox_rows.finish`)."""
        with self.db.writing() as session:
            outbox_rows.finish(
                session,
                row_id,
                status,
                self.clock(),
                message_id=message_id,
                error=error,
                delay=delay,
                unknown=unknown,
                spent=spent,
            )

    def _park(self, row_id: int, verdict: Verdict, *, at: datetime | None = None) -> None:
        """Apply a hold / defer / skip verdict, no delivery attempt (:func:`outbox_rows.park`)."""
        with self.db.writing() as session:
            outbox_rows.park(session, row_id, verdict, self.clock(), at=at)
