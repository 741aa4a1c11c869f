"""Escalation of spike alerts nobody acknowledged.

If nobody reacts with ✅ or replies "ack" in a spike alert's Slack thread within
``ack_timeout`` of its Slack post, the alert is sent again to ``escalate_notify``,
saying where and when it first went, with a link to its Slack message
(``chat.getPermalink``) when Slack gives one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
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
                SpikeAlertRow.acked_at.is_(None), SpikeAlertRow.escalated_at.is_(None)
            )
        ).all()
        for alert in open_alerts:
            if not alert.escalate_notify:
                continue
            posted = alert.sent_at if alert.channel and alert.sent_at else alert.created_at
            deadline = posted + timedelta(seconds=alert.ack_timeout_s)
            if now < deadline:
                continue
            slack = _slack(notifier_for) if alert.channel and alert.ts else None
            if slack is not None:
                verdict = _acknowledgement(session, alert, slack, now - deadline)
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
