"""Escalation of spike alerts nobody acknowledged.

If nobody reacts with ✅ or replies "ack" in a spike alert's Slack thread within
``ack_timeout`` of its Slack post, the alert is sent again to ``escalate_notify``,
saying where and when it first went, with a link to its Slack message
(``chat.getPermalink``) when Slack gives one.

The deadline is decided once, when the alert reaches Slack, and stored
(``spike_alerts.escalate_at``). The wall clock may step afterwards (an NTP
correction, a VM restored): the daemon, which watches for such jumps, moves
the deadlines of open alerts by the jump (:func:`shift_deadlines`), so a step
back of an hour does not delay a crisis's escalation by an hour, and a step
forward does not escalate at once alerts people still have time to answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from watchtower.errors import DeliveryError
from watchtower.logs import kv
from watchtower.notify.base import Notifier
from watchtower.notify.registry import split_target
from watchtower.redact import redact_target
from watchtower.storage.db import Database
from watchtower.storage.outbox_queries import enqueue_notice
from watchtower.storage.tables import OutboxRow, SpikeAlertRow

log = logging.getLogger("watchtower.escalation")

# Slack unreadable (an outage) this long past the ack deadline: escalate without knowing.
ACK_CHECK_GRACE = timedelta(minutes=5)


def record_sent(
    session: Session, payload: dict[str, Any], channel: str, ts: str, now: datetime
) -> None:
    """Remember where the first Slack copy of an alert went, to look for its ✅ later."""
    spike = payload.get("spike") or {}
    if spike.get("escalation") or spike.get("calm"):
        return
    alert = session.scalars(
        select(SpikeAlertRow).where(SpikeAlertRow.dedup_key == spike.get("alert"))
    ).first()
    if alert is not None and alert.channel is None:
        alert.channel, alert.ts, alert.sent_at = channel, ts, now
        # People get the whole ``ack_timeout`` from the post, however late it went.
        alert.escalate_at = now + timedelta(seconds=alert.ack_timeout_s)


def deadline(alert: SpikeAlertRow) -> datetime:
    """When ``alert`` escalates unless acknowledged.

    ``escalate_at`` once known; before its Slack post (or on a row an older
    replica wrote), ``ack_timeout`` after its post, else after its creation.
    """
    if alert.escalate_at is not None:
        return alert.escalate_at
    posted = alert.sent_at if alert.channel and alert.sent_at else alert.created_at
    return posted + timedelta(seconds=alert.ack_timeout_s)


def shift_deadlines(session: Session, now: datetime, jump: timedelta) -> int:
    """The wall clock moved by ``jump`` more than time passed, and reads ``now``:
    move the deadline of every open alert by ``jump``; return how many moved.

    A deadline is a duration after the Slack post, stored as a clock time: after
    a step back of an hour (``jump`` = −1 h) the clock reads an hour less, and
    the alert must escalate at the same moment, so its deadline reads an hour
    less too; after a step forward, an hour more (people keep the time they had
    left). Alerts not on Slack yet get their deadline here, moved the same way.

    For the daemon's clock watch (``scheduler``), once per jump. Replicas on one
    host each see the same step: a deadline is never moved past a whole
    ``ack_timeout`` from ``now``, so a step forward counted twice delays an
    escalation by less than ``ack_timeout``, not by the step (a step back
    counted twice escalates early: one message too many, never a late one).
    """
    moved = 0
    open_alerts = session.scalars(
        select(SpikeAlertRow).where(
            SpikeAlertRow.acked_at.is_(None), SpikeAlertRow.escalated_at.is_(None)
        )
    )
    for alert in open_alerts:
        if alert.escalate_notify:
            whole = now + timedelta(seconds=alert.ack_timeout_s)
            alert.escalate_at = min(deadline(alert) + jump, whole)
            moved += 1
    return moved


def check_escalations(db: Database, notifier_for: Callable[[str], Notifier], now: datetime) -> int:
    """Escalate alerts nobody acknowledged within their ``ack_timeout``; return how many.

    The time to react starts when the alert reached Slack (a delayed post still
    gives people the whole ``ack_timeout``), and a ✅ or "ack" on *any* Slack copy
    of the alert counts. When Slack cannot be read, the alert is escalated anyway
    (at once for a lasting refusal, after ``ACK_CHECK_GRACE`` for an outage):
    doubt costs one extra message, never a silenced crisis. The escalation says
    where and when the alert went and links to its Slack message.
    """
    escalated = 0
    with db.session() as session:
        open_alerts = session.scalars(
            select(SpikeAlertRow).where(
                SpikeAlertRow.acked_at.is_(None),
                SpikeAlertRow.escalated_at.is_(None),
                or_(SpikeAlertRow.escalate_at.is_(None), SpikeAlertRow.escalate_at <= now),
            )
        ).all()
        for alert in open_alerts:
            if not alert.escalate_notify:
                continue
            due = deadline(alert)
            if now < due:
                continue
            slack = _slack(notifier_for) if alert.channel and alert.ts else None
            if slack is not None:
                verdict = _acknowledgement(session, alert, slack, now - due)
                if verdict == "acked":
                    alert.acked_at = now
                    continue
                if verdict == "wait":
                    continue
            original = session.scalars(
                select(OutboxRow.payload).where(OutboxRow.dedup_key == alert.dedup_key)
            ).first()
            if original is None:
                continue
            spike = dict(
                original["spike"], escalation=True, original=_original(session, alert, slack)
            )
            enqueue_notice(
                session,
                f"{alert.dedup_key}:escalation"[:200],
                list(alert.escalate_notify),
                dict(original, spike=spike),
                now,
                "critical",
            )
            alert.escalated_at = now
            escalated += 1
            log.warning("spike alert escalated", extra=kv(alert=alert.dedup_key))
    return escalated


def _slack(notifier_for: Callable[[str], Notifier]) -> Notifier | None:
    """The Slack notifier, or ``None`` when Slack cannot be used now (no token)."""
    try:
        return notifier_for("slack")
    except DeliveryError as exc:
        log.warning("cannot read Slack to check acknowledgements", extra=kv(error=exc.reason))
        return None


def _slack_copies(session: Session, alert: SpikeAlertRow, slack: Notifier) -> list[tuple[str, str]]:
    """``(channel, ts)`` of every Slack copy of ``alert`` that went out, the recorded one first."""
    assert alert.channel and alert.ts
    copies = [(alert.channel, alert.ts)]
    rows = session.execute(
        select(OutboxRow.target, OutboxRow.provider_message_id).where(
            OutboxRow.dedup_key == alert.dedup_key,
            OutboxRow.status == "sent",
            OutboxRow.target.like("slack:%"),
        )
    ).all()
    default = str(getattr(slack, "default_channel", "") or "")
    for target, ts in rows:
        channel = split_target(target)[1] or default
        if ts and channel and ts != alert.ts:
            copies.append((channel, str(ts)))
    return copies


def _acknowledgement(
    session: Session, alert: SpikeAlertRow, slack: Notifier, late: timedelta
) -> Literal["acked", "wait", "escalate"]:
    """``acked``, ``wait`` (Slack unreadable for now) or ``escalate``; ``late``: past deadline."""
    acknowledged = getattr(slack, "acknowledged", None)
    if acknowledged is None:  # Slack printed on the console: nobody can react
        return "escalate"
    transient: DeliveryError | None = None
    for channel, ts in _slack_copies(session, alert, slack):
        try:
            ack = acknowledged(channel, ts)
        except DeliveryError as exc:
            if exc.retryable:
                transient = exc
            else:  # a missing scope, a deleted message: this copy cannot say "yes"
                log.warning(
                    "cannot check acknowledgement on this copy",
                    extra=kv(alert=alert.dedup_key, channel=channel, error=exc.reason),
                )
            continue
        if ack:
            log.info(
                "spike alert acknowledged",
                extra=kv(
                    alert=alert.dedup_key,
                    channel=channel,
                    user=getattr(ack, "user", None),
                    via=getattr(ack, "via", None),
                    detail=getattr(ack, "detail", None),
                ),
            )
            return "acked"
    if transient is not None and late < ACK_CHECK_GRACE:
        log.warning(
            "cannot check acknowledgement; will retry",
            extra=kv(alert=alert.dedup_key, error=transient.reason),
        )
        return "wait"
    return "escalate"


def _original(session: Session, alert: SpikeAlertRow, slack: Notifier | None) -> dict[str, Any]:
    """Where and when the alert went, and its Slack permalink, for the escalation to show."""
    rows = session.execute(
        select(OutboxRow.target, OutboxRow.status, OutboxRow.sent_at)
        .where(OutboxRow.dedup_key == alert.dedup_key)
        .order_by(OutboxRow.id)
    ).all()
    copies = [
        {
            "target": redact_target(target),  # an Apprise URL holds its tokens
            "status": status,
            "at": sent_at.isoformat() if sent_at is not None else None,
        }
        for target, status, sent_at in rows
    ]
    permalink = ""
    get_permalink = getattr(slack, "permalink", None)
    if alert.channel and alert.ts and get_permalink is not None:
        try:
            permalink = str(get_permalink(alert.channel, alert.ts))
        except DeliveryError as exc:
            log.warning(
                "escalation sent without a link to the Slack alert",
                extra=kv(
                    alert=alert.dedup_key, channel=alert.channel, ts=alert.ts, error=exc.reason
                ),
            )
    return {"copies": copies, "permalink": permalink}
