"""Who took a spike alert, told to the people who got it (:mod:`watchtower.escalation`
finds the ack).

Two notices, each queued once (an outbox dedup key: replicas and restarts that
find the same ack queue nothing more):

- a reply in the Slack thread of the copy that was acknowledged,
  « ✅ Pris en charge par @… à 12:02 : pas d'escalade. »;
- a short e-mail to each of the alert's own e-mail readers (its ``notify``
  targets, not its escalation's), in the thread of the alert's e-mail: they
  cannot see the Slack thread, and would take the alert a second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchtower.logs import kv
from watchtower.notify._text import t
from watchtower.spike_copies import email_replies
from watchtower.storage.outbox_queries import enqueue_notice
from watchtower.storage.tables import OutboxRow, SpikeAlertRow

__all__ = ["Found", "aware", "taken"]

log = logging.getLogger("watchtower.escalation")


@dataclass(frozen=True)
class Found:
    """An acknowledgement, and the Slack copy of the alert it was given on."""

    target: str  # the outbox target of that copy ("slack:#crise")
    channel: str
    ts: str
    ack: Any  # slack_ack.Acknowledgement, or any truthy answer of a stand-in notifier


def taken(
    session: Session, alert: SpikeAlertRow, found: Found, now: datetime, language: str
) -> None:
    """Record the ack; queue the "taken by" reply in the thread it was given in,
    and the same news by e-mail to the alert's e-mail readers.

    The reply's dedup key is the alert's: replicas and restarts that find the
    same ack queue it once (and ``acked_at``, set in the same transaction, stops
    this alert from being read again).
    """
    user = str(getattr(found.ack, "user", "") or "")
    # Their name as Slack shows it (users.info), for the e-mail readers; "" if unknown.
    shown_as = str(getattr(found.ack, "name", "") or "")
    via = str(getattr(found.ack, "via", "") or "")
    at = _ack_time(str(getattr(found.ack, "ts", "") or ""), alert, now)
    alert.acked_at = at
    log.info(
        "spike alert acknowledged",
        extra=kv(
            alert=alert.dedup_key,
            channel=found.channel,
            user=user or None,
            via=via or None,
            detail=getattr(found.ack, "detail", None),
            at=at.isoformat(),
        ),
    )
    original = session.scalars(
        select(OutboxRow.payload).where(OutboxRow.dedup_key == alert.dedup_key)
    ).first()
    shown = dict((original or {}).get("spike") or {})
    name = str(shown.get("name") or alert.name)
    spike = {
        "alert": alert.dedup_key,
        "scope": alert.scope,
        "name": name,
        "escalation": False,
        "ack": {"user": user, "name": shown_as, "via": via, "at": at.isoformat()},
    }
    payload = {
        "kind": "spike",
        "title": t(language, "ack_taken").format(
            who=f"@{user}" if user else "?", time=aware(at).strftime("%H:%M UTC")
        ),
        "url": "",
        "source": "",
        "brands": list((original or {}).get("brands") or []),
        "terms": [],
        "rules": list((original or {}).get("rules") or []),
        "severity": "info",
    }
    # Where Slack posts it: a reply in the thread of the copy that was acked.
    thread = {"channel": found.channel, "ts": found.ts}
    slack = dict(payload, spike=dict(spike, thread=thread))
    enqueue_notice(session, f"{alert.dedup_key}:ack"[:200], [found.target], slack, now, "info")
    _tell_email_readers(session, alert, payload, spike, now)


def _tell_email_readers(
    session: Session,
    alert: SpikeAlertRow,
    payload: dict[str, Any],
    spike: dict[str, Any],
    now: datetime,
) -> int:
    """Queue the "taken by" e-mail to each e-mail target the alert went to; return how many.

    Each names the alert's e-mail it answers (``reply_to``,
    :func:`watchtower.spike_copies.email_replies`). A copy that failed for good,
    or moved to another target by a reload, got no alert to answer. Its own
    dedup key, per target: never a second Slack reply.
    """
    queued = 0
    for target, reply_to in email_replies(session, alert.dedup_key).items():
        mail = dict(payload, spike=dict(spike, reply_to=reply_to))
        key = f"{alert.dedup_key}:ack-email"[:200]
        queued += enqueue_notice(session, key, [target], mail, now, "info")
    return queued


def _ack_time(ts: str, alert: SpikeAlertRow, now: datetime) -> datetime:
    """When the alert was taken: the reply's Slack ``ts``, else ``now`` (a reaction
    has no time in Slack's answer: seen within ``ACK_POLL`` of it, or at the deadline)."""
    try:
        at = datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError, OSError):
        return now
    sent = aware(alert.sent_at or alert.created_at)
    # A Slack clock far off ours (or a forged ts) must not put the ack before the alert.
    if not sent <= at <= aware(now):
        return now
    return at if now.tzinfo is not None else at.replace(tzinfo=None)


def aware(when: datetime) -> datetime:
    """A naive time (a SQLite column) is UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
