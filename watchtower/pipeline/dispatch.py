"""One claimed outbox row: sent with its target's notifier, or parked; the outcome recorded.

Before a send, a row waits (parked, no attempt spent) when its target kind was
paused earlier in the round, when its target is unreachable and not due for a
probe, when its target is rate-limited, or when the alerting hooks hold, defer
or skip it. A send that works records the provider's message id; a
:class:`TargetDisabled` pauses the whole kind and tells ops; any other failure
follows :func:`~watchtower.pipeline.retry_policy.after_failure` (retry with
backoff, wait for a rate-limited target, hold an unreachable one, give up, or —
in the flush at shutdown — hand the row back for the next start).

An unreachable target (:class:`~watchtower.notify.base.TargetUnreachable`) is
held: its rows keep their attempts and wait for the next probe, new ones behind
them; logged once, ops told if it lasts or if its address is refused
(:mod:`watchtower.pipeline.target_outages`).

A row that found its target answering a server error (:class:`ServerError`:
a 5xx, or an SMTP server that took the envelope and hung on the message) is a
suspect: the next probe is another row, and once the target delivered
others since, the row's own failures spend attempts (retried behind them, then
failed and told to ops like any other): one message a service answers 5xx to
never holds the target for ever. When nothing else waits for the target to
prove it works, once the row has failed for a few minutes
(:data:`~watchtower.pipeline.target_checks.CHECK_AFTER`), a check that sends nothing does
(:func:`~watchtower.pipeline.target_checks.answers`: Slack's ``auth.test``, an
SMTP session up to ``RCPT TO``): a service that answers it is not down, so the
row spends its own attempts the same way; a target with no check (Apprise)
is held until another notification gets through.

A row claimed when a reload dropped its target, or queued for a target the
config no longer names (by an older config: a replica not reloaded yet, the
spikes job's thread), goes where it routes now
(:func:`~watchtower.pipeline.readdress.readdress_row`), asked before the send
and after a failed or parked outcome: never sent to both targets.

:class:`~watchtower.pipeline.outbox.Outbox` runs the workers that claim rows
and hand each to :meth:`Dispatcher.deliver`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from watchtower import metrics
from watchtower.errors import DeliveryError, DeliveryReason, TargetDisabled
from watchtower.logs import kv
from watchtower.models import Notification
from watchtower.notify.base import Message, Notifier, Receipt
from watchtower.notify.registry import split_target
from watchtower.outage import watch
from watchtower.pipeline.delivery import SEND, Claimed, DeliveryHooks, Verdict, notification_for
from watchtower.pipeline.readdress import followed
from watchtower.pipeline.retry_policy import PAUSE, PROBE_BASE
from watchtower.pipeline.send_failures import FailureSteps
from watchtower.pipeline.target_health import TargetHealth, scope
from watchtower.pipeline.target_outages import TELL_OPS_AFTER, TargetOutages, forget
from watchtower.pipeline.unrecorded import LateMarks
from watchtower.redact import redact_text
from watchtower.storage.db import Database

__all__ = ["TELL_OPS_AFTER", "DeliverySettings", "Dispatcher", "DrainStats", "KindRound"]

log = logging.getLogger("watchtower.outbox")


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
class KindRound:
    """What one kind's worker did in a drain round."""

    stats: DrainStats = field(default_factory=DrainStats)
    paused: set[str] = field(default_factory=set)  # kinds refused (TargetDisabled) this round
    failed: dict[str, DeliveryReason] = field(default_factory=dict)  # target → last error (failed)
    final: bool = False  # the flush at shutdown: untried rows only, no retry, no attempt spent
    done: bool = False  # the flush met a failure: this kind's other rows wait for the next start


class DeliverySettings(Protocol):
    """The outbox's settings a reload changes, read at each use."""

    max_attempts: int
    hooks: DeliveryHooks | None


@dataclass
class Dispatcher(FailureSteps):
    """Delivers claimed rows one at a time; each outcome is written in its own transaction."""

    db: Database
    notifier_for: Callable[[str], Notifier]
    clock: Callable[[], datetime]
    targets: TargetHealth
    settings: DeliverySettings = field(repr=False)
    _outages: TargetOutages = field(init=False, repr=False)
    #: Rows sent whose "sent" mark the database refused: never sent again here.
    late: LateMarks = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._outages = TargetOutages(self.db, self.clock, self.targets, self.settings)
        self.late = LateMarks(self.db, self._after_send)

    def deliver(self, row: Claimed, work: KindRound) -> None:
        """Send ``row`` now, or park it if it must wait; record what happened.

        A row whose target a reload dropped while it was claimed, or whose
        target the config no longer names, goes where it routes now instead
        (:meth:`DeliveryHooks.readdress`): asked before the send, and again once
        a failed or parked outcome is written — the reload may have come while
        the row was on its way, when it could not move it.

        A row that went out here but whose mark the database refused is not
        sent again: only the mark is written (:mod:`~watchtower.pipeline.unrecorded`).
        """
        if self.late.holds(row.id):
            self.late.record(row.id)
            return
        if self._follows(row, claimed=True):
            return
        self._deliver(row, work)

    def _deliver(self, row: Claimed, work: KindRound) -> None:
        kind, address = split_target(row.target)
        verdict = self._verdict(row, kind, work)
        if verdict is None:
            self._follows(row)
            return
        notification: Notification = notification_for(row, verdict)
        try:
            notifier = self.notifier_for(kind)
            message = notifier.render(notification, address)
            receipt = notifier.send(message)
        except TargetDisabled as exc:
            self._pause(row, exc, work)
            self._follows(row)
            return
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # a bug in one notifier must not stop the drain
            log.exception("notifier crashed", extra=kv(outbox_id=row.id, target=row.target))
            error = DeliveryError(f"internal error: {type(exc).__name__}: {exc}", retryable=True)
        else:
            self.targets.answering(kind)
            self.targets.forget(row.id)
            self.back(row.target)
            self._sent(row, message, receipt, notification, work.stats)
            return
        # The config may have dropped the target while the row was on its way:
        # then it goes where it routes now, the old target's failure aside (no
        # outage, no ops notice for a target nobody names). Else the failure is
        # recorded, and asked again: a reload between the two found it claimed.
        if self._follows(row, claimed=True):
            # Re-addressed, or handed back to the replica whose config names
            # the target (its sender's to send): either way not this failure's row.
            done = (
                "re-addressed"
                if followed(self.db, row.id) == "moved"
                else "left for the replica whose config names it"
            )
            log.info(
                f"send to a target the config no longer names failed: {done}",
                extra=kv(outbox_id=row.id, error=redact_text(error.reason)),
            )
            return
        self._failed(row, kind, error, work)
        self._follows(row)

    def _follows(self, row: Claimed, *, claimed: bool = False) -> bool:
        """Whether ``row`` is not this sender's any more: re-addressed (a reload
        dropped its target while the row was claimed, or it was queued for a
        target the config no longer names), or handed back to the replica whose
        config names its target (see :func:`~watchtower.pipeline.readdress.readdress_row`)."""
        hooks = self.settings.hooks
        if hooks is None:
            return False
        try:
            moved = hooks.readdress(row, claimed=claimed)
        except Exception as exc:  # the row stays as it is: sent, or waiting, as before
            if not watch(self.db.engine).failed(exc, job="outbox re-address"):
                log.exception("notification not re-addressed", extra=kv(outbox_id=row.id))
            return False
        if moved:
            self.targets.forget(row.id)
            # A service of its own (or a channel held alone) nobody names now (its
            # failure may have just begun an outage, the reload being under way):
            # nothing ends it.
            forget(self.targets, row.target)
        return moved

    def _verdict(self, row: Claimed, kind: str, work: KindRound) -> Verdict | None:
        """The verdict to send ``row`` with, or None: it was parked to wait, no attempt spent."""
        if kind in work.paused:  # its token was refused earlier in this batch: keep it waiting
            self._park(row.id, Verdict("defer", delay=PAUSE, reason="target paused"))
            return None
        now = self.clock()
        if outage := self.targets.waiting(scope(row.target), now) or self.targets.waiting(
            row.target, now
        ):  # its kind (one API, one server), or this target alone (a channel refused)
            # Unreachable: only the probe goes; the others wait for it, attempts kept.
            self._park(row.id, Verdict("defer", reason=outage.reason), at=outage.next_probe)
            work.stats.retried += 1
            return None
        if self._outages.probe_elsewhere(row, self.clock()):
            # Its copy for another reader failed in this outage (the message
            # a service chokes on?): another notification probes first.
            self._park(
                row.id,
                Verdict("defer"),  # its own error stays its last one
                at=self.clock() + timedelta(seconds=PROBE_BASE),
            )
            work.stats.retried += 1
            return None
        if slowed := self.targets.slowed_until(row.target, self.clock()):
            # The provider asked this target to wait: the rows behind keep their
            # place (same due time, then id) and no attempt is spent.
            self._park(row.id, Verdict("defer", reason=slowed[1]), at=slowed[0])
            work.stats.retried += 1
            return None
        hooks = self.settings.hooks
        verdict = hooks.before_send(row) if hooks else SEND
        if verdict.action != "send":
            self._park(row.id, verdict)
            return None
        return verdict

    def _pause(self, row: Claimed, exc: TargetDisabled, work: KindRound) -> None:
        """Not this row's fault: nothing of this kind can go out until someone fixes
        the token. Keep every row waiting (never failed) and tell ops."""
        work.paused.add(exc.kind)
        self.targets.pause(exc.kind)
        self._park(row.id, Verdict("defer", delay=PAUSE, reason=exc.reason))
        log.error("target kind paused", extra=kv(kind=exc.kind, error=exc.reason))
        hooks = self.settings.hooks
        if hooks:
            hooks.target_disabled(exc.kind, exc.cause)

    def _sent(
        self,
        row: Claimed,
        message: Message,
        receipt: Receipt,
        notification: Notification,
        stats: DrainStats,
    ) -> None:
        row_id, target = row.id, row.target
        try:
            self._finish(row_id, "sent", message_id=receipt.message_id)
        except BaseException:
            # The message is out but the database refused to say so: remembered,
            # never sent again here; the worker stops (the outage is told by
            # its watcher) and the write is retried at the next drain.
            self.late.remember(row, message, receipt, self.clock())
            stats.sent += 1
            metrics.notification_sent(target, notification, self.clock())
            raise
        hooks = self.settings.hooks
        self._after_send(row, message, receipt)
        stats.sent += 1
        stats.per_target[target] = stats.per_target.get(target, 0) + 1
        metrics.notification_sent(target, notification, self.clock())
        log.info(
            "notification sent",
            extra=kv(outbox_id=row_id, target=target, message_id=receipt.message_id or "-"),
        )
        kind = split_target(target)[0]
        if self.targets.back(kind) and hooks:
            try:
                hooks.target_back(kind)
            except Exception as exc:
                if not watch(self.db.engine).failed(exc, job="outbox back notice"):
                    log.exception("back notice not queued", extra=kv(kind=kind))

    def _after_send(self, row: Claimed, message: Message, receipt: Receipt) -> None:
        """Run the after-send hooks of a send recorded (now, or late)."""
        hooks = self.settings.hooks
        if not hooks:
            return
        try:
            hooks.after_send(row, message, receipt)
        except Exception as exc:  # the message is out; bookkeeping must not resend it
            # A full or unreachable database is an outage, told once by its
            # watcher; only a real bug deserves a traceback.
            if not watch(self.db.engine).failed(exc, job="outbox after-send"):
                log.exception("after-send hook failed", extra=kv(outbox_id=row.id))

    def back(self, target: str) -> None:
        """``target`` delivers again (here or from another replica): the end of
        its scope's outage, if any, logged once."""
        self._outages.back(target)
