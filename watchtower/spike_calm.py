"""The calm-down message ("Retour au calme"): telling where a spike alert went that it is over.

:mod:`watchtower.spikes` calls :func:`calm` on each check with the window's
current counts, before it looks for new spikes. Once per alert, not before a
full ``window`` after it and not after :data:`CALM_WITHIN`, an ``info`` notice
goes to the alert's targets, and to its ``escalate_notify`` when it was
escalated: in the Slack thread of each copy that was posted (broadcast to the
channel too) and in the conversation of each e-mail. A rule spike folded into
its brand's alert is told by that alert's calm-down.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchtower.config import SpikesSection
from watchtower.durations import format_duration
from watchtower.logs import kv
from watchtower.notify._text import t
from watchtower.spike_copies import email_replies, slack_threads
from watchtower.storage.outbox_queries import READDRESSED, enqueue_notice
from watchtower.storage.tables import MentionRow, OutboxRow, SpikeAlertRow

__all__ = ["CALM_WITHIN", "calm", "is_calm"]

log = logging.getLogger("watchtower.spikes")  # the spikes job's log, as before the split


#: How long after a spike alert its end is still told (a spike lasting longer is news anyway).
CALM_WITHIN = timedelta(days=1)


def is_calm(observed: int, baseline: float, settings: SpikesSection) -> bool:
    """Whether a spike's volume fell back under half the volume that makes one
    (``min_count``, or ``min_ratio`` × the usual level for a busy brand): half,
    so that a crisis wavering around the threshold is not told over twice."""
    threshold = max(settings.min_count, settings.min_ratio * max(baseline, 1.0))
    return observed * 2 < threshold


def _answers(
    session: Session, alert: SpikeAlertRow
) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """How the calm-down answers the alert at each target: the payload for ``target``.

    - a Slack copy that was posted: a reply in its thread, broadcast to the
      channel (the end of a crisis must be seen by those who never open the
      thread); a copy of the escalation likewise, when the target got no copy
      of the alert itself;
    - an e-mail copy: an answer to its e-mail, in its conversation;
    - anything else (a copy not posted yet, an Apprise target, an escalation's
      e-mail): a message of its own, as before.

    A thread deleted since is the notifier's to handle: it posts the notice in
    the channel (:class:`~watchtower.notify.slack.SlackNotifier`).
    """
    threads = {
        **slack_threads(session, f"{alert.dedup_key}:escalation"[:200]),
        **slack_threads(session, alert.dedup_key, (alert.channel, alert.ts)),
    }
    replies = email_replies(session, alert.dedup_key)

    def payload_for(target: str, payload: dict[str, Any]) -> dict[str, Any]:
        spike = dict(payload["spike"])
        if thread := threads.get(target):
            # ``target``: a copy re-addressed by a reload is not in that thread's channel.
            spike["thread"] = dict(thread, broadcast=True, target=target)
        elif reply_to := replies.get(target):
            spike["reply_to"] = reply_to
        else:
            return payload
        return dict(payload, spike=spike)

    return payload_for


def calm(
    session: Session,
    current: dict[str, Counter[str]],
    settings: SpikesSection,
    now: datetime,
    language: str = "fr",
) -> int:
    """Tell where each spike alert went that its volume fell back; once per alert.

    The team that dropped everything for a crisis must hear when it is over, and
    so must whoever it was escalated to. Not before a full ``window`` after the
    alert: the window still holds the spike's own mentions until then.
    """
    told = 0
    alerts = session.scalars(
        select(SpikeAlertRow).where(
            SpikeAlertRow.created_at > now - CALM_WITHIN,
            SpikeAlertRow.created_at <= now - settings.window,
        )
    ).all()
    for alert in alerts:
        observed = current.get(alert.scope, Counter()).get(alert.name, 0)
        if not is_calm(observed, alert.baseline, settings):
            continue
        # Not a copy re-addressed after a reload: its target is no longer named.
        moved = (OutboxRow.status == "skipped") & func.coalesce(OutboxRow.last_error, "").endswith(
            READDRESSED, autoescape=True
        )
        copies = session.scalars(
            select(OutboxRow)
            .where(OutboxRow.dedup_key == alert.dedup_key, ~moved)
            .order_by(OutboxRow.id)
        ).all()
        if not copies:  # a rule spike folded into its brand's alert: told there
            continue
        escalated = list(alert.escalate_notify or []) if alert.escalated_at is not None else []
        targets = list(dict.fromkeys([*(c.target for c in copies), *escalated]))  # once each
        created = (
            alert.created_at if alert.created_at.tzinfo else alert.created_at.replace(tzinfo=UTC)
        )
        column = MentionRow.brand if alert.scope == "brand" else MentionRow.rule
        total = session.scalar(
            select(func.count(func.distinct(MentionRow.item_id))).where(
                column == alert.name,
                MentionRow.created_at >= created - settings.window,
                MentionRow.created_at < now,
            )
        )
        shown = dict(copies[0].payload.get("spike") or {})
        spike = {
            "alert": alert.dedup_key,
            "calm": True,
            "scope": alert.scope,
            "name": shown.get("name") or alert.name,
            "observed": observed,
            "baseline": round(alert.baseline, 2),
            "window": format_duration(settings.window),
            "since": created.isoformat(),
            # The total counts from here (the window that made the spike), not
            # from the alert: the text says "started around … in all", not "since".
            "started": (created - settings.window).isoformat(),
            "total": int(total or 0),
            "escalation": False,
        }
        payload = {
            "kind": "spike",
            "title": t(language, "calm_title").format(name=spike["name"]),
            "url": "",
            "source": "",
            "brands": list(copies[0].payload.get("brands") or []),
            "terms": [],
            "rules": list(copies[0].payload.get("rules") or []),
            "severity": "info",
            "spike": spike,
        }
        key = f"calm:{alert.dedup_key}"[:200]
        # One row per target under the one key, as before: a restart or a replica
        # that finds the alert calm again queues nothing more.
        answers = _answers(session, alert)
        queued = 0
        for target in targets:
            queued += enqueue_notice(session, key, [target], answers(target, payload), now, "info")
        if queued:
            told += 1
            log.info(
                "mention spike over",
                extra=kv(scope=alert.scope, name=alert.name, observed=observed, total=total),
            )
    return told
