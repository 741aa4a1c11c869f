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
  :data:`FEEDBACK_EVERY`, in the daemon's own ``feedback`` job): reads for
  about 1,900 alerts a day. Beyond, reads wait; once the oldest due read is
  :data:`LATE` late, rounds make up to :data:`BUSY_FACTOR` times as many calls
  (60 per 5 minutes, 12 a minute: a quarter of what Slack allows
  ``reactions.get``, its tier 3), for about 5,700 alerts a day, until they
  catch up. Still more than an hour late after that, the log says once that
  reads fall behind (later marks, alerts past 48 hours never read), and again
  when they caught up;
- a 429 ends the round, and no round calls Slack before its Retry-After; an
  outage (Slack unreachable, a 5xx) ends the round without spending the
  alert's read, as the escalation check waits for Slack
  (:mod:`watchtower.escalation`); a refusal of that one message (deleted, a
  channel gone) spends the read; a refusal of every read (the token, the
  ``reactions:read`` scope) ends the round and pauses the job for
  :data:`REFUSED_PAUSE`, said once in the log.

Each read is claimed before its call, across replicas and processes (a daemon
and a ``run --once`` on one SQLite file; :mod:`watchtower.storage.feedback_queries`),
stamped with the claim's time: a read claimed less than :data:`CLAIM_LEASE` ago
is nobody else's, so two replicas never spend their budgets (nor Slack's rate
limit) on the same alert. The outcome is recorded after the call; an outage or
a rate limit gives the claim back, and a read left by a process that died
mid-call is the others' once the lease is over.

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

from watchtower.durations import format_duration
from watchtower.errors import DeliveryError, RateLimited, TargetDisabled
from watchtower.logs import kv
from watchtower.notify.base import Notifier
from watchtower.notify.registry import split_target
from watchtower.storage.db import Database
from watchtower.storage.feedback_queries import (
    claim_read,
    free_to_claim,
    record_read,
    release_read,
)
from watchtower.storage.tables import AlertFeedbackRow, OutboxRow, StoryMessageRow

if TYPE_CHECKING:  # slack_sdk is a few MiB a daemon without Slack never loads
    from watchtower.notify.slack_api import SlackApi

__all__ = [
    "BEHIND",
    "BUSY_FACTOR",
    "CHECK_AGES",
    "CLAIM_LEASE",
    "FEEDBACK_EVERY",
    "LAST_CHECK",
    "LATE",
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
#: A due read waiting this long means the base budget does not keep up (or
#: Slack was down a while): rounds may make BUSY_FACTOR times more calls.
LATE = timedelta(minutes=30)
BUSY_FACTOR = 3
#: Reads still this late with the larger budget: said in the log (once).
BEHIND = timedelta(hours=1)
#: Alerts considered per round: more than a busy round's calls, for those sharing one message.
CANDIDATES = 2 * BUSY_FACTOR * MAX_CALLS
#: A read claimed this long ago and not recorded was left by a process that died
#: mid-read: another may claim it. Far above one call's time (Slack's timeout).
CLAIM_LEASE = timedelta(minutes=5)
#: Refusals that concern every read, not one message.
EVERY_READ_REFUSED = frozenset({"missing_scope", "not_allowed_token_type"})


@dataclass
class FeedbackRound:
    """What one round did (for the log line and the tests)."""

    read: int = 0  # alerts whose reactions were read
    marked: int = 0  # alerts newly marked not relevant
    calls: int = 0  # Slack calls made
    taken: int = 0  # alerts due here whose read another process claimed first
    budget: int = 0  # the calls it could make (more when reads are late)
    late: timedelta = timedelta(0)  # how late the most overdue read due was
    stopped: str = ""  # why the round ended early ("" when it did not)


@dataclass(frozen=True)
class _Alert:
    outbox_id: int
    channel: str  # a channel id, the ``#name`` posted to, "" for the default channel
    ts: str
    sent_at: datetime
    checks: int  # reads recorded when the alert was found due
    checked_at: datetime | None  # when it was last read (or claimed)

    @property
    def due_at(self) -> datetime:
        """When its next read came due."""
        return self.sent_at + CHECK_AGES[min(self.checks, len(CHECK_AGES) - 1)]


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
        self._behind = False  # reads fell behind (warned once, until they catch up)

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
            self._say_if_behind(result)
            return result
        slack = self._slack()
        if slack is None:
            result.stopped = "no Slack"
            return result
        api, default_channel = slack
        result.late = max(now - alert.due_at for alert in alerts)
        result.budget = self.max_calls * (BUSY_FACTOR if result.late >= LATE else 1)
        channel_ids: dict[str, str] = {}
        seen: dict[tuple[str, str], tuple[str, str] | None] = {}
        for alert in alerts:
            if stop is not None and stop.is_set():
                result.stopped = "stopping"
                break
            if result.calls >= result.budget:  # the rest waits for the next round
                result.stopped = "call budget spent"
                break
            # Stamped with the time of the claim, not of the round: a slow round's
            # last claims keep their whole lease.
            claimed_at = self._claim(alert, self.clock())
            if claimed_at is None:  # another replica read it, or is reading it
                result.taken += 1
                continue
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
                self._release(alert, claimed_at)
                self.resume_at = now + timedelta(seconds=exc.retry_after)
                result.stopped = "rate limited"
                log.info(
                    "Slack rate-limits reading reactions: round ended",
                    extra=kv(retry_after=exc.retry_after, read=result.read),
                )
                break
            except DeliveryError as exc:
                if exc.retryable:  # an outage: the alert's read is not spent
                    self._release(alert, claimed_at)
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
                    self._release(alert, claimed_at)
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
            late = format_duration(result.late)
            log.info("feedback round", extra=kv(**(vars(result) | {"late": late})))
        self._say_if_behind(result)
        return result

    def _say_if_behind(self, result: FeedbackRound) -> None:
        """Warn once when a busy round leaves reads due for over :data:`BEHIND`; say
        when they caught up."""
        if result.stopped == "call budget spent" and result.late >= BEHIND:
            if not self._behind:
                log.warning(
                    "reading Slack reactions falls behind: marks come late, and alerts "
                    "older than 48 hours are never read",
                    extra=kv(
                        late=format_duration(result.late),
                        calls=result.calls,
                        every=format_duration(FEEDBACK_EVERY),
                    ),
                )
            self._behind = True
        elif self._behind and not result.stopped:
            log.info("reading Slack reactions caught up", extra=kv(read=result.read))
            self._behind = False

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

    def _claim(self, alert: _Alert, now: datetime) -> datetime | None:
        """Take the alert's next read for this process (:func:`claim_read`): the
        claim's time, ``None`` when another process took it."""
        try:
            with self.db.writing() as session:
                claimed = claim_read(session, alert.outbox_id, alert.checks, now, CLAIM_LEASE)
        except IntegrityError:  # the alert is gone (retention pruned its outbox row)
            return None
        return now if claimed else None

    def _release(self, alert: _Alert, claimed_at: datetime) -> None:
        """Give a claimed read back, unspent (Slack down or rate-limiting): due again now."""
        with self.db.writing() as session:
            release_read(session, alert.outbox_id, alert.checks, claimed_at, alert.checked_at)

    def _record(self, alert: _Alert, mark: tuple[str, str] | None, now: datetime) -> bool:
        """Store one claimed read; True when it newly marks the alert not relevant."""
        checks = (alert.checks, max(alert.checks + 1, checks_passed(now - alert.sent_at)))
        with self.db.writing() as session:
            if not record_read(session, alert.outbox_id, checks, now, mark) or mark is None:
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
            checks,
            AlertFeedbackRow.checked_at,
        )
        .outerjoin(AlertFeedbackRow, AlertFeedbackRow.outbox_id == OutboxRow.id)
        # The target too: a thread row of a story kept longer than its first
        # alert may name an outbox id SQLite has since given another row.
        .outerjoin(
            StoryMessageRow,
            (StoryMessageRow.outbox_id == OutboxRow.id)
            & (StoryMessageRow.target == OutboxRow.target),
        )
        .where(
            OutboxRow.status == "sent",
            OutboxRow.item_id.is_not(None),  # a mention's alert, not a summary or a notice
            or_(OutboxRow.target == "slack", OutboxRow.target.like("slack:%")),
            OutboxRow.provider_message_id.is_not(None),
            OutboxRow.sent_at > now - LAST_CHECK,
            AlertFeedbackRow.not_relevant_at.is_(None),
            due,
            free_to_claim(now, CLAIM_LEASE),  # not being read by another process
        )
        .order_by(OutboxRow.sent_at, OutboxRow.id)
        .limit(CANDIDATES)
    ).all()
    alerts: dict[int, _Alert] = {}
    for outbox_id, target, ts, sent_at, story_channel, done, checked_at in rows:
        # A story's parent recorded its channel id; "" for a bare ``slack`` target.
        channel = story_channel or split_target(target)[1]
        if ts and sent_at is not None and outbox_id not in alerts:
            alerts[outbox_id] = _Alert(outbox_id, channel, str(ts), sent_at, done, checked_at)
    return list(alerts.values())
