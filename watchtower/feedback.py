"""The *not relevant* feedback loop: reactions people put on the Slack alerts.

A 🚫 (``no_entry_sign``), ❌ (``x``) or 👎 (``-1``, ``thumbsdown``) reaction on a
mention's Slack alert marks that mention *not relevant*; ``watchtower noise``
(:mod:`watchtower.noise`) sums the marks per brand and rule and suggests what to
exclude.

The daemon only calls out (no Events API endpoint), so this job reads the
reactions of the alerts it posted with ``reactions.get``, through
:class:`~watchtower.notify.slack_api.SlackApi` (its error mapping: 429 →
:class:`~watchtower.errors.RateLimited`, an outage → a retryable error), within
bounds:

- an alert is read at most :data:`CHECK_AGES` times, when it is 30 minutes,
  6 hours and 24 hours old (people react in the first hours); never after
  :data:`LAST_CHECK`, never once marked. A read late (Slack was down) counts for
  every age it passed, so a late alert is not read three times in a row;
- at most :data:`MAX_CALLS` Slack calls per round (one round every
  :data:`FEEDBACK_EVERY`, in the daemon's own ``feedback`` job);
- a 429 ends the round, and no round calls Slack before its Retry-After; an
  outage (Slack unreachable, a 5xx) ends the round without spending the
  alert's read, as the escalation check waits for Slack
  (:mod:`watchtower.escalation`); a refusal of that one message (deleted, a
  channel gone) spends the read; a refusal of every read (the token, the
  ``reactions:read`` scope) ends the round and pauses the job for
  :data:`REFUSED_PAUSE`, said once in the log.

The job never sleeps on a Retry-After and shares nothing with the outbox
workers but the Slack client: a rate limit or an outage here never holds a
delivery back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watchtower.errors import DeliveryError, RateLimited, TargetDisabled
from watchtower.logs import kv
from watchtower.notify.base import Notifier
from watchtower.notify.registry import split_target
from watchtower.storage.db import Database
from watchtower.storage.tables import AlertFeedbackRow, OutboxRow, StoryMessageRow

if TYPE_CHECKING:  # slack_sdk is a few MiB a daemon without Slack never loads
    from watchtower.notify.slack_api import SlackApi

__all__ = [
    "CHECK_AGES",
    "FEEDBACK_EVERY",
    "LAST_CHECK",
    "MAX_CALLS",
    "NOT_RELEVANT_REACTIONS",
    "FeedbackReader",
    "FeedbackRound",
]

log = logging.getLogger("watchtower.feedback")

#: Reactions that mean "not relevant" (Slack's names; skin tones are ignored).
NOT_RELEVANT_REACTIONS = frozenset({"no_entry_sign", "x", "-1", "thumbsdown"})
#: The ages at which an alert's reactions are read: at most once each.
CHECK_AGES = (timedelta(minutes=30), timedelta(hours=6), timedelta(hours=24))
#: Alerts older than this are never read again.
LAST_CHECK = timedelta(hours=48)
#: Slack calls per round, at most (``reactions.get``, and a channel lookup now and then).
MAX_CALLS = 20
#: How often the daemon runs a round.
FEEDBACK_EVERY = timedelta(minutes=5)
#: Every read refused (the token, a missing scope): wait this long before trying again.
REFUSED_PAUSE = timedelta(hours=1)
#: Alerts considered per round: more than MAX_CALLS, for those sharing one message.
CANDIDATES = 4 * MAX_CALLS
#: Refusals that concern every read, not one message.
EVERY_READ_REFUSED = frozenset({"missing_scope", "not_allowed_token_type"})


@dataclass
class FeedbackRound:
    """What one round did (for the log line and the tests)."""

    read: int = 0  # alerts whose reactions were read
    marked: int = 0  # alerts newly marked not relevant
    calls: int = 0  # Slack calls made
    stopped: str = ""  # why the round ended early ("" when it did not)


@dataclass(frozen=True)
class _Alert:
    outbox_id: int
    channel: str  # a channel id, the ``#name`` posted to, "" for the default channel
    ts: str
    sent_at: datetime


def not_relevant(reactions: list[dict[str, Any]]) -> tuple[str, str] | None:
    """``(reaction, user)`` of the first *not relevant* reaction, if any."""
    for reaction in reactions:
        name = str(reaction.get("name") or "").split("::", 1)[0]  # "-1::skin-tone-3"
        if name in NOT_RELEVANT_REACTIONS:
            users = reaction.get("users") or [""]
            return name, str(users[0])
    return None


def checks_passed(age: timedelta) -> int:
    """How many of :data:`CHECK_AGES` an alert of ``age`` has passed."""
    return sum(1 for check in CHECK_AGES if age >= check)


class FeedbackReader:
    """Reads the reactions of recent Slack alerts, a bounded number per round."""

    def __init__(
        self,
        db: Database,
        notifier_for: Callable[[str], Notifier],
        clock: Callable[[], datetime],
        *,
        max_calls: int = MAX_CALLS,
    ) -> None:
        self.db = db
        self.notifier_for = notifier_for
        self.clock = clock
        self.max_calls = max_calls
        #: No Slack call before this time (a Retry-After, a refusal of every read).
        self.resume_at: datetime | None = None
        self._unavailable = False  # the last round found Slack down (warned once)

    def run(self, stop: threading.Event | None = None) -> FeedbackRound:
        """One round: read the reactions of the alerts due, record the marks."""
        result = FeedbackRound()
        now = self.clock()
        if self.resume_at is not None and self.resume_at - now > REFUSED_PAUSE:
            self.resume_at = None  # the wall clock stepped back: do not wait for the step
        if self.resume_at is not None and now < self.resume_at:
            result.stopped = "waiting"
            return result
        with self.db.session() as session:
            alerts = _due(session, now)
        if not alerts:
            return result
        slack = self._slack()
        if slack is None:
            result.stopped = "no Slack"
            return result
        api, default_channel = slack
        channel_ids: dict[str, str] = {}
        seen: dict[tuple[str, str], tuple[str, str] | None] = {}
        for alert in alerts:
            if stop is not None and stop.is_set():
                result.stopped = "stopping"
                break
            if result.calls >= self.max_calls:  # the rest waits for the next round
                result.stopped = "call budget spent"
                break
            name = alert.channel or default_channel
            try:
                channel = channel_ids.get(name)
                if channel is None:
                    # Reads need the id: known from the posts in a running daemon,
                    # else one ``conversations.list`` (counted as a call).
                    result.calls += 1 if name.startswith("#") else 0
                    channel = channel_ids[name] = api.channel_id(name)
                key = (channel, alert.ts)
                if key not in seen:  # a story's counter updates share the parent's message
                    result.calls += 1
                    seen[key] = _read(api, channel, alert.ts)
                mark = seen[key]
            except RateLimited as exc:
                self.resume_at = now + timedelta(seconds=exc.retry_after)
                result.stopped = "rate limited"
                log.info(
                    "Slack rate-limits reading reactions: round ended",
                    extra=kv(retry_after=exc.retry_after, read=result.read),
                )
                break
            except DeliveryError as exc:
                if exc.retryable:  # an outage: the alert's read is not spent
                    result.stopped = "Slack unavailable"
                    log.log(
                        logging.INFO if self._unavailable else logging.WARNING,
                        "cannot read Slack reactions; will retry",
                        extra=kv(error=exc.reason, read=result.read),
                    )
                    self._unavailable = True
                    break
                code = str(getattr(exc, "code", "") or "")  # Slack's error (SlackRefused)
                if isinstance(exc, TargetDisabled) or code in EVERY_READ_REFUSED:
                    self.resume_at = now + REFUSED_PAUSE
                    result.stopped = "refused"
                    log.warning(
                        "cannot read Slack reactions: feedback paused",
                        extra=kv(error=exc.reason, retry_in=str(REFUSED_PAUSE)),
                    )
                    break
                log.warning(  # this message only (deleted, channel gone): read spent
                    "cannot read this alert's reactions",
                    extra=kv(outbox_id=alert.outbox_id, error=exc.reason),
                )
                mark = None
            self._unavailable = False
            result.read += 1
            if self._record(alert, mark, now):
                result.marked += 1
        if result.read or result.stopped:
            log.info("feedback round", extra=kv(**vars(result)))
        return result

    def _slack(self) -> tuple[SlackApi, str] | None:
        """The Slack API and the default channel; ``None`` when Slack cannot be read."""
        try:
            notifier = self.notifier_for("slack")
        except DeliveryError as exc:
            log.warning("cannot read Slack reactions", extra=kv(error=exc.reason))
            return None
        api: SlackApi | None = getattr(notifier, "api", None)
        if api is None:  # no token: alerts were printed, nobody reacts
            return None
        return api, str(getattr(notifier, "default_channel", "") or "")

    def _record(self, alert: _Alert, mark: tuple[str, str] | None, now: datetime) -> bool:
        """Store one read; True when it newly marks the alert not relevant."""
        try:
            with self.db.writing() as session:
                row = session.get(AlertFeedbackRow, alert.outbox_id)
                if row is None:
                    row = AlertFeedbackRow(outbox_id=alert.outbox_id, checks=0)
                    session.add(row)
                row.checks = max(row.checks + 1, checks_passed(now - alert.sent_at))
                row.checked_at = now
                if mark is None or row.not_relevant_at is not None:
                    return False
                row.not_relevant_at = now
                row.reaction, row.marked_by = mark
        except IntegrityError:  # another replica recorded it first
            return False
        log.info(
            "alert marked not relevant",
            extra=kv(outbox_id=alert.outbox_id, reaction=mark[0], user=mark[1]),
        )
        return True


def _read(api: SlackApi, channel: str, ts: str) -> tuple[str, str] | None:
    """The *not relevant* reaction on one message, if any (one ``reactions.get``)."""
    data = api.call("reactions.get", channel=channel, timestamp=ts)
    return not_relevant((data.get("message") or {}).get("reactions") or [])


def _due(session: Session, now: datetime) -> list[_Alert]:
    """The Slack alerts of mentions whose next read is due, oldest first."""
    checks = func.coalesce(AlertFeedbackRow.checks, 0)
    due = or_(
        *(
            and_(checks == index, OutboxRow.sent_at <= now - age)
            for index, age in enumerate(CHECK_AGES)
        )
    )
    rows = session.execute(
        select(
            OutboxRow.id,
            OutboxRow.target,
            OutboxRow.provider_message_id,
            OutboxRow.sent_at,
            StoryMessageRow.channel,
        )
        .outerjoin(AlertFeedbackRow, AlertFeedbackRow.outbox_id == OutboxRow.id)
        .outerjoin(StoryMessageRow, StoryMessageRow.outbox_id == OutboxRow.id)
        .where(
            OutboxRow.status == "sent",
            OutboxRow.item_id.is_not(None),  # a mention's alert, not a summary or a notice
            or_(OutboxRow.target == "slack", OutboxRow.target.like("slack:%")),
            OutboxRow.provider_message_id.is_not(None),
            OutboxRow.sent_at > now - LAST_CHECK,
            AlertFeedbackRow.not_relevant_at.is_(None),
            due,
        )
        .order_by(OutboxRow.sent_at, OutboxRow.id)
        .limit(CANDIDATES)
    ).all()
    alerts: dict[int, _Alert] = {}
    for outbox_id, target, ts, sent_at, story_channel in rows:
        # A story's parent recorded its channel id; "" for a bare ``slack`` target.
        channel = story_channel or split_target(target)[1]
        if ts and sent_at is not None and outbox_id not in alerts:
            alerts[outbox_id] = _Alert(outbox_id, channel, str(ts), sent_at)
    return list(alerts.values())
