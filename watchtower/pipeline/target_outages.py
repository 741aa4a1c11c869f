"""What the dispatcher does about an unreachable target: hold it, tell ops, see it back.

A send that found its target unreachable
(:class:`~watchtower.notify.base.TargetUnreachable`) holds the target's
:func:`~watchtower.pipeline.target_health.scope`: the row and every waiting row
of the scope wait for the next probe, no attempt spent. The outage is logged
once (a WARNING when it starts, an INFO when it is back). If it lasts
:data:`TELL_OPS_AFTER`, its kind is paused the way a refused token pauses it
(``DeliveryHooks.target_disabled``: ops are told once through another kind,
``status`` shows it), or, for a service of its own (an Apprise URL), ops hear
of that service alone; either way they hear when it delivers again. A refused
address (:class:`~watchtower.notify.base.AddressRefused`: a deleted webhook)
waits the same way, and ops are told at once: it does not end by itself.

A row whose server error (:class:`~watchtower.notify.base.ServerError`) held
the target may be the one message the service chokes on; the next probe is
another row (:meth:`TargetHealth.last_probes`). But one notification sent to
several readers (one e-mail each) is several rows of the same message: with
:meth:`TargetOutages.probe_elsewhere`, once one of them failed in the outage
the others do not probe while another notification is due, so the copies
cannot take turns at failing while everything else waits; and once one copy
is proven to fail alone, the others' failures are theirs too
(:meth:`TargetOutages.alone_as_copy`): each copy does not hold the target again.
Two different messages the service chokes on would take turns the same way:
until ops are told, a row that failed in the outage lets a notification that
has not probe first.

An outage lives in this process's memory
(:class:`~watchtower.pipeline.target_health.TargetHealth`) until the target
answers; :func:`forget_targets` ends those of targets a reload dropped (a
corrected webhook URL), which nothing would ever end otherwise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchtower import metrics
from watchtower.errors import DeliveryError, DeliveryReason, OutcomeUnknown
from watchtower.logs import kv
from watchtower.notify.base import AddressRefused, ServerError
from watchtower.notify.registry import split_target
from watchtower.pipeline import outbox_rows
from watchtower.pipeline.delivery import Claimed, DeliveryHooks
from watchtower.pipeline.target_health import (
    SUSPECTS_KEPT,
    Outage,
    TargetHealth,
    scope,
)
from watchtower.redact import redact_target, redact_text
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow

__all__ = ["TELL_OPS_AFTER", "TargetOutages", "forget", "forget_targets", "held_scope"]

log = logging.getLogger("watchtower.outbox")

#: How long a target stays unreachable before its kind is paused and ops are told.
TELL_OPS_AFTER = timedelta(minutes=10)


class _Hooks(Protocol):
    hooks: DeliveryHooks | None


@dataclass
class TargetOutages:
    """Holds unreachable targets and tells ops about them; shared by the outbox's workers."""

    db: Database
    clock: Callable[[], datetime]
    targets: TargetHealth
    settings: _Hooks = field(repr=False)  # the hooks are read at each use (reload)
    #: scope → rows whose server error held it in its current outage
    _failed: dict[str, set[int]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    #: dedup keys of notifications a copy of which failed alone (oldest first, bounded)
    _proven: dict[str, None] = field(default_factory=dict, init=False, repr=False)
    #: scope → its outage's latest cause with its code (the outage keeps the text only)
    _causes: dict[str, DeliveryReason] = field(default_factory=dict, init=False, repr=False)

    def hold(self, row: Claimed, kind: str, error: DeliveryError) -> None:
        """Unreachable: ``row`` and every waiting row of its scope wait for the
        next probe, no attempt spent; logged when it starts, ops told if it lasts."""
        where, now = held_scope(row.target, error), self.clock()
        # A server error may be this row's own: the next probe is another row.
        suspect = row.id if isinstance(error, ServerError) else None
        outage, new = self.targets.unreachable(where, now, error.reason, row_id=suspect)
        with self._lock:
            failed = self._failed.setdefault(where, set())
            if new:
                failed.clear()
            if suspect is not None:
                failed.add(suspect)
            self._causes[where] = error.cause
        refused = isinstance(error, AddressRefused)
        with self.db.writing() as session:
            outbox_rows.finish(
                session,
                row.id,
                "pending",
                now,
                error=error.reason,
                delay=(outage.next_probe - now).total_seconds(),
                unknown=isinstance(error, OutcomeUnknown),
                spent=False,
            )
            outbox_rows.hold_scope(session, where, outage.next_probe)
        metrics.notification_retried(row.target)
        fields = {
            "target": redact_target(where),
            "error": redact_text(error.reason),
            "retry_in": f"{(outage.next_probe - now).total_seconds():.0f}s",
        }
        if new:
            what = "target refuses its address" if refused else "target unreachable"
            log.warning(f"{what}: its notifications wait, none is lost", extra=kv(**fields))
        else:
            log.debug("target still unreachable", extra=kv(tries=outage.probes, **fields))
        # A refused address does not come back by itself: ops hear of it at once.
        if not outage.told and (refused or now - outage.since >= TELL_OPS_AFTER):
            self._tell_ops(where, kind, outage, refused=refused)

    def probe_elsewhere(self, row: Claimed, now: datetime) -> bool:
        """Whether ``row``, due to probe its target, should let another row do
        it: it or another copy of its notification (same ``dedup_key``, another
        reader) failed with a server error in this outage, and a notification
        none of whose copies failed in it is due. False when the target answers.

        Its own earlier failure counts only until ops are told of the outage:
        two messages the service chokes on would otherwise take turns at
        probing, each failing, while the notifications that would show the
        service works wait, and ops would hear of an outage that is none. Once
        told (a plain outage, where every probe fails), the most urgent row
        probes again, so that it is the one that finds the target back."""
        where = scope(row.target)
        with self._lock:
            failed = set(self._failed.get(where, ()))
        if not failed or failed == {row.id}:
            return False
        outage = self.targets.down(where)
        if outage is None:  # it answered since: nothing to probe
            with self._lock:
                self._failed.pop(where, None)
            return False
        others = failed if not outage.told else failed - {row.id}
        with self.db.session() as session:
            return _copy_failed(session, where, now, row.id, others)

    def alone_as_copy(self, row: Claimed, alone: bool) -> bool:
        """Whether the server error of ``row`` is its own: ``alone`` (proven by
        :meth:`TargetHealth.failed_alone`), or a copy of its notification for
        another reader (same ``dedup_key``) was, and the target is not known
        down now. Remembers the proof for the other copies."""
        if not alone and self.targets.down(scope(row.target)) is not None:
            return False
        with self.db.session() as session:
            key = session.scalar(select(OutboxRow.dedup_key).where(OutboxRow.id == row.id))
        if key is None:
            return alone
        with self._lock:
            if not alone:
                return key in self._proven
            self._proven[key] = None
            if len(self._proven) > SUSPECTS_KEPT:  # a key forgotten costs one more hold
                for stale in list(self._proven)[: SUSPECTS_KEPT // 2]:
                    del self._proven[stale]
        return True

    def _tell_ops(self, where: str, kind: str, outage: Outage, *, refused: bool = False) -> None:
        """The outage lasts (or the address is refused): pause the kind as a refused
        token does (ops told once, through another kind; ``status`` shows it; ops
        hear when it is back)."""
        self.targets.told(where)
        since = outage.since.strftime("%Y-%m-%d %H:%M UTC")
        with self._lock:
            cause: str | DeliveryReason = self._causes.get(where) or outage.reason
        if str(cause) != outage.reason:  # not this outage's latest failure after all
            cause = outage.reason
        state = "outage_refused" if refused else "outage_unreachable"
        reason = DeliveryReason.of(state, since=since, reason=cause)
        hooks = self.settings.hooks
        if where != kind:  # one service (or Slack channel) down, not the kind: no pause
            log.error(
                "target unreachable for a while: its notifications wait",
                extra=kv(target=redact_target(where), error=redact_text(reason.text)),
            )
            if hooks:
                try:
                    hooks.service_down(where, reason, refused=refused)
                except Exception:
                    log.exception("unreachable notice not queued", extra=kv(kind=kind))
            return
        self.targets.pause(kind)
        if hooks:
            try:
                hooks.target_disabled(kind, reason, down=True)
            except Exception:
                log.exception("unreachable notice not queued", extra=kv(kind=kind))

    def back(self, target: str) -> None:
        """``target`` delivers again (here or from another replica): the end of
        its scope's outage and of its own (a Slack channel held alone), if any,
        each logged once."""
        for where in dict.fromkeys((scope(target), target)):
            self._back(where)

    def _back(self, where: str) -> None:
        outage = self.targets.reachable(where)
        if outage is not None:
            with self._lock:
                self._failed.pop(where, None)
                self._causes.pop(where, None)
        hooks = self.settings.hooks
        told_alone = where != split_target(where)[0]  # one target, not through a pause
        if outage is not None and outage.told and told_alone and hooks:
            try:
                hooks.service_back(where)
            except Exception:
                log.exception("back notice not queued", extra=kv(target=redact_target(where)))
        if outage is not None:
            log.info(
                "target back: delivering again",
                extra=kv(
                    target=redact_target(where),
                    down_for=f"{(self.clock() - outage.since).total_seconds():.0f}s",
                    tries=outage.probes + 1,
                ),
            )


def held_scope(target: str, error: DeliveryError) -> str:
    """What a failed send to ``target`` holds: its :func:`scope`, or the target
    alone when it refuses its address (a deleted webhook, a Slack channel the
    bot is not in): that says nothing of the kind's other targets."""
    return target if isinstance(error, AddressRefused) else scope(target)


def _copy_failed(
    session: Session, where: str, now: datetime, row: int, failed: Collection[int]
) -> bool:
    """Whether a copy of row ``row`` is among ``failed`` while a pending row of
    scope ``where`` that is no copy of any of them is due at ``now``."""
    keys = set(session.scalars(select(OutboxRow.dedup_key).where(OutboxRow.id.in_(failed))))
    if session.scalar(select(OutboxRow.dedup_key).where(OutboxRow.id == row)) not in keys:
        return False
    kind = split_target(where)[0]
    of_scope = (
        OutboxRow.target == where
        if where != kind
        else OutboxRow.target.like(f"{kind}:%") | (OutboxRow.target == kind)
    )
    due = select(OutboxRow.id).where(
        of_scope,
        OutboxRow.status == "pending",
        OutboxRow.next_attempt_at <= now,
        OutboxRow.dedup_key.not_in(sorted(keys)),
    )
    return session.scalar(due.limit(1)) is not None


def forget_targets(targets: TargetHealth, current: Collection[str]) -> list[str]:
    """End the outages of targets no part of the config names any more (``current``:
    :func:`~watchtower.pipeline.route.configured_targets`); return their scopes.

    Called after a reload: a corrected webhook URL leaves the old one's outage
    behind, and nothing delivers to it again to end it, while it keeps its kind
    claiming one row at a time and asks the database about it at every round.
    The kind-wide scopes (``slack``, ``email``: one API, one SMTP server) stay
    while any target of that kind is named. A row still queued for a dropped
    target (its rule was removed too) probes it once more, as a new outage would.
    """
    named = set(current)
    kinds = {split_target(target)[0] for target in named}
    gone = [
        where
        for where in targets.outages()
        if (where not in named if ":" in where else where not in kinds)
    ]
    for where in gone:
        forget(targets, where)
    return gone


def forget(targets: TargetHealth, where: str) -> None:
    """End the outage of ``where``, a scope the config no longer names, if any."""
    if targets.reachable(where) is not None:
        log.info(
            "outage forgotten: the config no longer names the target",
            extra=kv(target=redact_target(where)),
        )
