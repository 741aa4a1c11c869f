"""What a failed send does to its outbox row (:class:`~watchtower.pipeline.dispatch.Dispatcher`):
the retry policy's step applied (retry with backoff, wait for a rate-limited
target, hold an unreachable one, give up, or hand the row back at shutdown),
a server error proven the row's own, and each outcome written."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from watchtower import metrics
from watchtower.errors import DeliveryError, OutcomeUnknown
from watchtower.logs import kv
from watchtower.notify.base import Notifier, ServerError
from watchtower.notify.registry import split_target
from watchtower.pipeline import outbox_rows
from watchtower.pipeline.delivery import Claimed, Verdict
from watchtower.pipeline.retry_policy import after_failure, rate_limited
from watchtower.pipeline.target_checks import CHECK_AFTER, answers
from watchtower.pipeline.target_health import TargetHealth, scope
from watchtower.pipeline.target_outages import TargetOutages
from watchtower.redact import redact_target
from watchtower.storage.db import Database

if TYPE_CHECKING:
    from watchtower.pipeline.dispatch import DeliverySettings, DrainStats, KindRound

__all__ = ["FailureSteps"]

log = logging.getLogger("watchtower.outbox")


class FailureSteps:
    """The failure handling and outcome writing of
    :class:`~watchtower.pipeline.dispatch.Dispatcher`."""

    db: Database
    notifier_for: Callable[[str], Notifier]
    clock: Callable[[], datetime]
    targets: TargetHealth
    settings: DeliverySettings
    _outages: TargetOutages

    # ------------------------------------------------------------- failures
    def _failed(self, row: Claimed, kind: str, error: DeliveryError, work: KindRound) -> None:
        """Apply the retry policy's step to a send that failed with ``error``."""
        if error.retryable and not rate_limited(error):
            self.targets.failing(kind)
        proof = ""  # why a server error is this row's own, if it is
        if isinstance(error, ServerError):
            # A few minutes of 5xx are more often a glitch than a poisoned message.
            since = self.targets.suspected_since(row.id)
            lasting = since is not None and self.clock() - since >= CHECK_AFTER
            if self._failed_alone(row):
                proof = "the target delivers other notifications but not this one"
            elif lasting and not work.final and self._alone_and_answering(row, kind):
                proof = "the target answers a check but not this notification, nothing else waits"
        alone = bool(proof)
        step = after_failure(
            error, row.attempts, self.settings.max_attempts, final=work.final, alone=alone
        )
        if alone and step.action in ("retry", "give_up"):
            log.warning(
                f"{proof}: its attempts are spent, the target is not held",
                extra=kv(outbox_id=row.id, target=redact_target(row.target)),
            )
        if step.action == "hand_back":
            self._hand_back(row, error, work)
        elif step.action == "wait_for_target":
            self._wait_for_target(row, error, step.delay, work.stats)
        elif step.action == "hold_target":
            self._hold_target(row, kind, error, work.stats)
        elif step.action == "retry":
            self._retry(row, error, step.delay, work.stats)
        else:
            self._give_up(row, error, work)

    def _failed_alone(self, row: Claimed) -> bool:
        """Whether ``row`` found its target "unreachable" while the target delivers
        others (see :meth:`TargetHealth.failed_alone`), or is a copy of such a
        notification for another reader; remembers it as a suspect."""
        where = scope(row.target)

        def delivered_since(since: datetime) -> bool:
            with self.db.session() as session:
                return outbox_rows.sent_since(session, where, since)

        alone = self.targets.failed_alone(row.id, where, delivered_since)
        self.targets.suspect(row.id, self.clock())
        return self._outages.alone_as_copy(row, alone)

    def _alone_and_answering(self, row: Claimed, kind: str) -> bool:
        """Whether nothing but ``row`` (and its copies for other readers) waits
        for its target, so no other notification can show the target works,
        and the target's service answers a check that sends nothing
        (:func:`~watchtower.pipeline.target_checks.answers`): then its server
        error is its own. A target with no check (Apprise) is held as before."""
        with self.db.session() as session:
            if outbox_rows.others_waiting(session, scope(row.target), row.id):
                return False
        try:
            notifier = self.notifier_for(kind)
        except DeliveryError:
            return False
        return bool(answers(notifier, split_target(row.target)[1]))

    def _hand_back(self, row: Claimed, error: DeliveryError, work: KindRound) -> None:
        """The flush at shutdown retries nothing: the row waits for the next start
        without spending an attempt, and so do this kind's others."""
        work.done = True
        self._finish(
            row.id,
            "pending",
            error=error.reason,
            unknown=isinstance(error, OutcomeUnknown),
            spent=False,
        )
        log.warning(
            "notification not sent before stopping; it goes at the next start",
            extra=kv(outbox_id=row.id, target=row.target, error=error.reason),
        )

    def _wait_for_target(
        self, row: Claimed, error: DeliveryError, delay: float, stats: DrainStats
    ) -> None:
        """Rate-limited: the target waits ``delay`` seconds, its rows in order behind."""
        until = self.clock() + timedelta(seconds=delay)
        self.targets.slow(row.target, until, error.reason)
        self._park(row.id, Verdict("defer", reason=error.reason), at=until)
        stats.retried += 1
        metrics.notification_retried(row.target)
        log.warning(
            "target rate-limited: paused",
            extra=kv(
                outbox_id=row.id,
                target=row.target,
                retry_in=f"{delay:.1f}s",
                error=error.reason,
            ),
        )

    def _hold_target(
        self, row: Claimed, kind: str, error: DeliveryError, stats: DrainStats
    ) -> None:
        """Unreachable: the row and its scope wait for the next probe
        (:meth:`TargetOutages.hold`)."""
        self._outages.hold(row, kind, error)
        stats.retried += 1

    def _retry(self, row: Claimed, error: DeliveryError, delay: float, stats: DrainStats) -> None:
        self._finish(
            row.id,
            "pending",
            error=error.reason,
            delay=delay,
            unknown=isinstance(error, OutcomeUnknown),
        )
        stats.retried += 1
        metrics.notification_retried(row.target)
        log.warning(
            "notification will be retried",
            extra=kv(
                outbox_id=row.id,
                target=row.target,
                attempt=row.attempts,
                retry_in=f"{delay:.1f}s",
                error=error.reason,
            ),
        )

    def _give_up(self, row: Claimed, error: DeliveryError, work: KindRound) -> None:
        self.targets.forget(row.id)
        self._finish(row.id, "failed", error=error.reason)
        work.stats.failed += 1
        work.failed[row.target] = error.cause
        metrics.notification_failed(row.target)
        log.error(
            "notification failed",
            extra=kv(
                outbox_id=row.id, target=row.target, attempts=row.attempts, error=error.reason
            ),
        )

    # -------------------------------------------------------------- writing
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
