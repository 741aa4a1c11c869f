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

An acknowledgement is looked for before the deadline too, once per
:data:`ACK_POLL` per alert (a ``reactions.get``, and a ``conversations.replies``
when there is no ✅, per Slack copy; a ``users.info`` once an ack is found, for
the person's name: :mod:`watchtower.notify.slack_names`): whoever takes the
alert gets a reply in its thread, « ✅ Pris en charge par @… à 12:02 : pas
d'escalade. », so colleagues see it is taken, and ``acked_at`` is when it was
(the reply's time; a reaction's, which Slack does not give, within
``ACK_POLL``). The alert's e-mail readers are told too, in its e-mail's thread
(:mod:`watchtower.spike_taken`).

Each drain round reads only the open alerts that can act now
(:func:`_may_act`): those with escalation targets, on Slack (read for an ack
once per ``ACK_POLL``) or past their deadline. An alert without
``escalate_notify`` stays open until retention and is never read here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal
from weakref import WeakKeyDictionary

from sqlalchemy import ColumnElement, Text, and_, cast, or_, select
from sqlalchemy.orm import Session

from watchtower.errors import DeliveryError
from watchtower.logs import kv
from watchtower.notify.base import Notifier
from watchtower.notify.registry import split_target
from watchtower.redact import redact_target
from watchtower.spike_taken import Found, aware, taken
from watchtower.storage.db import Database
from watchtower.storage.outbox_queries import enqueue_notice
from watchtower.storage.tables import OutboxRow, SpikeAlertRow

log = logging.getLogger("watchtower.escalation")

# Slack unreadable (an outage) this long past the ack deadline: escalate without knowing.
ACK_CHECK_GRACE = timedelta(minutes=5)
#: How often an open alert's Slack copies are read for an ack before its deadline.
#: Two Web API calls per copy (``conversations.replies`` is rate-limited hard for
#: apps outside the Slack Marketplace): once a minute, not every drain round.
ACK_POLL = timedelta(minutes=1)

# When each open alert was last read before its deadline, per database (the App's;
# a test's): in memory, so a restart or another replica reads it again, which
# costs a few calls, never a second "taken by" reply (its outbox dedup key).
_POLLED: WeakKeyDictionary[Database, dict[str, datetime]] = WeakKeyDictionary()


def record_sent(
    session: Session, payload: dict[str, Any], channel: str, ts: str, now: datetime
) -> None:
    """Remember where the first Slack copy of an alert went, to look for its ✅ later."""
    spike = payload.get("spike") or {}
    if spike.get("escalation") or spike.get("calm") or spike.get("ack"):
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
    open_alerts = session.scalars(select(SpikeAlertRow).where(*_escalates()))
    for alert in open_alerts:
        if alert.escalate_notify:
            whole = now + timedelta(seconds=alert.ack_timeout_s)
            alert.escalate_at = min(deadline(alert) + jump, whole)
            moved += 1
    return moved


def check_escalations(
    db: Database, notifier_for: Callable[[str], Notifier], now: datetime, language: str = "fr"
) -> int:
    """Escalate alerts nobody acknowledged within their ``ack_timeout``; return how many.

    The time to react starts when the alert reached Slack (a delayed post still
    gives people the whole ``ack_timeout``), and a ✅ or "ack" on *any* Slack copy
    of the alert counts. When Slack cannot be read, the alert is escalated anyway
    (at once for a lasting refusal, after ``ACK_CHECK_GRACE`` for an outage):
    doubt costs one extra message, never a silenced crisis. The escalation says
    where and when the alert went and links to its Slack message.

    Before the deadline, each alert on Slack is read once per :data:`ACK_POLL`:
    an ack found then is recorded and told in the alert's thread at once
    (:func:`watchtower.spike_taken.taken`), not at the deadline. ``language``:
    the queued rows' titles.
    """
    escalated = 0
    polled = _POLLED.setdefault(db, {})
    with db.session() as session:
        open_alerts = session.scalars(select(SpikeAlertRow).where(*_may_act(now))).all()
        for alert in open_alerts:
            if not alert.escalate_notify:
                continue
            due = deadline(alert)
            early = now < due
            if early and not _poll_now(alert, polled, now):
                continue
            slack = _slack(notifier_for, quiet=early) if alert.channel and alert.ts else None
            if slack is not None:
                verdict, found = _acknowledgement(session, alert, slack, now - due)
                if verdict == "acked" and found is not None:
                    taken(session, alert, found, now, language)
                    continue
                if verdict == "wait":
                    continue
            if early:
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
        still_open = {alert.dedup_key for alert in open_alerts}
        for key in [key for key in polled if key not in still_open]:
            del polled[key]
    return escalated


def _escalates() -> tuple[ColumnElement[bool], ...]:
    """Open alerts (neither acknowledged nor escalated) with escalation targets.

    ``escalate_notify`` is a JSON list, written by ``json.dumps``: an empty one
    is the text ``[]``. Compared as text because PostgreSQL's ``json`` type has
    no equality (and ``json_array_length`` would fail on a row holding another
    JSON value): a row that is not ``[]`` is read, and Python decides.
    """
    return (
        SpikeAlertRow.acked_at.is_(None),
        SpikeAlertRow.escalated_at.is_(None),
        cast(SpikeAlertRow.escalate_notify, Text) != "[]",
    )


def _may_act(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The alerts :func:`check_escalations` may act on at ``now``: open, with
    escalation targets, and on Slack (an ack to read) or past their deadline.

    A deadline not stored yet (``escalate_at`` NULL: not on Slack, or a row of an
    older replica) is computed in Python (:func:`deadline`): intervals are not
    written alike on SQLite and PostgreSQL.
    """
    on_slack = and_(SpikeAlertRow.channel.is_not(None), SpikeAlertRow.ts.is_not(None))
    due = or_(SpikeAlertRow.escalate_at.is_(None), SpikeAlertRow.escalate_at <= aware(now))
    return (*_escalates(), or_(on_slack, due))


def _poll_now(alert: SpikeAlertRow, polled: dict[str, datetime], now: datetime) -> bool:
    """Whether to read an alert's acks before its deadline now (then remembered as read)."""
    if not (alert.channel and alert.ts):
        return False  # not on Slack yet: nothing to react to
    last = polled.get(alert.dedup_key)
    # A clock stepped back (last > now) reads again rather than waiting the step out.
    if last is not None and last <= now < last + ACK_POLL:
        return False
    polled[alert.dedup_key] = now
    return True


def _slack(notifier_for: Callable[[str], Notifier], *, quiet: bool = False) -> Notifier | None:
    """The Slack notifier, or ``None`` when Slack cannot be used now (no token).

    ``quiet``: a read before the deadline, logged at DEBUG (the deadline's says it).
    """
    try:
        return notifier_for("slack")
    except DeliveryError as exc:
        level = logging.DEBUG if quiet else logging.WARNING
        log.log(level, "cannot read Slack to check acknowledgements", extra=kv(error=exc.reason))
        return None


def _slack_copies(
    session: Session, alert: SpikeAlertRow, slack: Notifier
) -> list[tuple[str, str, str]]:
    """``(target, channel, ts)`` of every Slack copy of ``alert`` that went out, the
    recorded one first."""
    assert alert.channel and alert.ts
    rows = session.execute(
        select(OutboxRow.target, OutboxRow.provider_message_id)
        .where(
            OutboxRow.dedup_key == alert.dedup_key,
            OutboxRow.status == "sent",
            OutboxRow.target.like("slack:%"),
        )
        .order_by(OutboxRow.id)
    ).all()
    recorded = next((str(target) for target, ts in rows if ts == alert.ts), "slack:")
    copies = [(recorded, alert.channel, alert.ts)]
    default = str(getattr(slack, "default_channel", "") or "")
    for target, ts in rows:
        channel = split_target(target)[1] or default
        if ts and channel and ts != alert.ts:
            copies.append((str(target), channel, str(ts)))
    return copies


def _acknowledgement(
    session: Session, alert: SpikeAlertRow, slack: Notifier, late: timedelta
) -> tuple[Literal["acked", "wait", "escalate"], Found | None]:
    """``acked`` (and where), ``wait`` (Slack unreadable for now) or ``escalate``;
    ``late``: time past the deadline, negative before it (then failures log at DEBUG:
    the read is tried again in ``ACK_POLL``, and the deadline's read says it)."""
    acknowledged = getattr(slack, "acknowledged", None)
    if acknowledged is None:  # Slack printed on the console: nobody can react
        return "escalate", None
    early = late < timedelta(0)
    transient: DeliveryError | None = None
    for target, channel, ts in _slack_copies(session, alert, slack):
        try:
            ack = acknowledged(channel, ts)
        except DeliveryError as exc:
            if exc.retryable:
                transient = exc
            else:  # a missing scope, a deleted message: this copy cannot say "yes"
                log.log(
                    logging.DEBUG if early else logging.WARNING,
                    "cannot check acknowledgement on this copy",
                    extra=kv(alert=alert.dedup_key, channel=channel, error=exc.reason),
                )
            continue
        if ack:
            return "acked", Found(target, channel, ts, ack)
    if transient is not None and late < ACK_CHECK_GRACE:
        log.log(
            logging.DEBUG if early else logging.WARNING,
            "cannot check acknowledgement; will retry",
            extra=kv(alert=alert.dedup_key, error=transient.reason),
        )
        return "wait", None
    return "escalate", None


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
