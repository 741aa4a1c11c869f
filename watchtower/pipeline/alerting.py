"""The outbox's alerting hooks: story threads, quiet hours, digests, grouping, pauses.

Order of :meth:`Alerting.before_send` for a claimed row, first match wins:

1. summaries, spike alerts, ops notices and rows already released from a hold
   are sent as they are;
2. a later sighting of a story on Slack replies in its parent's thread, waiting
   (deferred, not failed) while the parent is still on its way, held with it
   (same summary) while it is held, skipped if it went out inside a summary;
   beyond ``[dedup] max_thread_replies`` sightings it posts no reply: on Slack
   it waits for the next minute boundary, then the newest one updates the
   parent's counter and the others are skipped; on the console it is skipped.
   A sighting that is no news (``count_only``) takes that counter path at
   once, on Slack only, and is never held;
3. a rule with ``digest`` holds it until the digest time;
4. a target in ``[[digests]]`` holds it until its digest time (``critical``
   bypasses it); before quiet hours, so that a mention of the night reaches a
   digest target in its digest, not alone when the night ends;
5. quiet hours of the target hold it (``critical`` bypasses them);
6. a rule with ``group_wait`` holds it until its group flushes.

:meth:`Alerting.tick` (scheduler, every drain interval) releases due holds as
summaries, sends the ``[[digests]]`` digests due with nothing held (a day of
critical alerts only, an empty day), checks spikes (at most once per poll
interval) and escalations.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from watchtower import digest, escalation, spikes
from watchtower.config import RuleConfig
from watchtower.logs import kv
from watchtower.models import Severity
from watchtower.notify.base import Message, Receipt
from watchtower.notify.registry import split_target
from watchtower.pipeline import grouping, threads
from watchtower.pipeline.delivery import SEND, Claimed, Verdict
from watchtower.pipeline.ops_notices import AppLike, OpsNotices
from watchtower.timewindows import parse_window, quiet_until

log = logging.getLogger("watchtower.alerting")

UNGATED_KINDS = frozenset({"summary", "spike", "ops"})
BEYOND_CAP = "beyond max_thread_replies: no thread reply"
COALESCED = "counted in a later sighting's update of the story's counter"
COUNT_ONLY = "a repost at a place new to the story: no reply, no counter here"


class Alerting(OpsNotices):
    """Implements :class:`~watchtower.pipeline.delivery.DeliveryHooks` for an app
    (its ops notices: :class:`~watchtower.pipeline.ops_notices.OpsNotices`)."""

    def __init__(self, app: AppLike) -> None:
        super().__init__(app)
        self._last_spike_check: datetime | None = None
        #: Digest key -> the digest time already decided (grouping.release_scheduled).
        self._digests_settled: dict[str, datetime] = {}

    # ------------------------------------------------------------ config views
    @property
    def _zone(self) -> str:
        return self.app.loaded.config.watchtower.timezone

    def _rules(self, row: Claimed) -> list[RuleConfig]:
        by_name = {r.name: r for r in self.app.loaded.config.rules}
        return [by_name[n] for n in row.payload.get("rules") or [] if n in by_name]

    def quiet_until(self, target: str, now: datetime) -> datetime | None:
        """When ``target``'s current quiet period ends (``None``: not quiet now)."""
        ends = []
        for quiet in self.app.loaded.config.quiet_hours:
            if target in quiet.targets:
                windows = [parse_window(w) for w in quiet.windows]
                end = quiet_until(windows, now, quiet.timezone or self._zone)
                if end is not None:
                    ends.append(end)
        return max(ends) if ends else None

    # ------------------------------------------------------------------ hooks
    def before_send(self, row: Claimed) -> Verdict:
        if row.kind in UNGATED_KINDS:
            return SEND
        now = self.app.clock()
        kind, _ = split_target(row.target)
        story = row.story
        reply = story is not None and not story.get("first", True)
        threaded: Verdict | None = None
        if reply and story is not None:
            story_id, edited = int(story["id"]), bool(story.get("edited"))
            if story.get("count_only"):
                # Only the parent's counter changes (chat.update, no sound): nothing
                # for quiet hours or a summary to hold, nothing for the console.
                if kind != "slack":
                    return Verdict("skip", reason=COUNT_ONLY)
                counted = self._counter(row, story_id, int(story.get("sightings") or 0), now)
                if counted.action == "hold" and counted.until is not None:
                    # The story's message is held (a digest, the night): no summary
                    # must count this row as a mention; look again once it is out.
                    wait = max((counted.until - now).total_seconds(), threads.WAIT_FOR_PARENT)
                    return Verdict("defer", delay=wait, reason="waiting for the story's message")
                return counted
            # An edit is no new site: never capped, the parent's counter stays as it is.
            beyond = not edited and self._beyond_cap(row, story_id)
            if kind == "slack":
                sightings = -1 if edited else int(story.get("sightings") or 0)
                if beyond:
                    threaded = self._counter(row, story_id, sightings, now)
                else:
                    threaded = self._thread(row, story_id, sightings)
            elif beyond:  # the console has no counter to update: nothing to print
                return Verdict("skip", reason=BEYOND_CAP)
            else:  # a follow-up line (console): after its story
                threaded = self._after_parent(row, story_id)
        # A digest holds before quiet hours do: released at the end of the night,
        # the row would go out alone, when the target asked for one summary a day.
        if not reply and not row.hold_reason and (digested := self._digest(row, now)):
            return digested
        if not row.hold_reason and (quiet := self._quiet(row, now)):
            return quiet
        if threaded is not None:
            return threaded
        if reply or row.hold_reason:  # released from a hold: not held again
            return SEND
        for rule in self._rules(row):
            if rule.group_wait > timedelta(0):
                key = f"{rule.name}|{row.target}"
                with self.app.db.session() as session:
                    until = grouping.open_window(
                        session, key, now, rule.group_wait, rule.group_interval
                    )
                return Verdict("hold", hold_reason="group", group_key=key, until=until)
        return SEND

    def _digest(self, row: Claimed, now: datetime) -> Verdict | None:
        """Hold for the rule's digest, else the target's (which a crisis skips)."""
        for rule in self._rules(row):
            if rule.digest:
                until = digest.next_digest(rule.digest, now, self._zone)
                return Verdict(
                    "hold",
                    hold_reason="digest",
                    until=until,
                    group_key=digest.digest_key(rule.name, row.target),
                )
        # A target's own digest (a director's morning e-mail) still gets a crisis at once.
        entry = digest.for_target(self.app.loaded.config, row.target)
        if entry is not None and Severity[row.severity] < Severity.critical:
            return Verdict(
                "hold",
                hold_reason="digest",
                until=digest.next_digest(entry.digest, now, entry.timezone or self._zone),
                group_key=digest.digest_key(digest.ALL_RULES, row.target),
            )
        return None

    def _quiet(self, row: Claimed, now: datetime) -> Verdict | None:
        if Severity[row.severity] >= Severity.critical:
            return None
        until = self.quiet_until(row.target, now)
        if until is None:
            return None
        return Verdict("hold", hold_reason="quiet", group_key=row.target, until=until)

    def _after_parent(self, row: Claimed, story_id: int) -> Verdict | None:
        """Follow the story's first message to this target while it is not out.

        Unsent: wait for it. Held (a digest, a grouping window, quiet hours): held
        with it, so the sighting is folded into the same summary. Gone out inside
        a summary: the story is told there, so no top-level message of its own.
        """
        with self.app.db.session() as session:
            parent = threads.parent_row(session, story_id, row.target)
        if parent is None:
            return None
        if parent.status == "held":
            return Verdict(
                "hold",
                hold_reason=parent.hold_reason,
                group_key=parent.group_key,
                until=parent.hold_until,
            )
        if parent.status == "grouped":
            return Verdict("skip", reason="its story went out in a summary")
        if parent.status in ("pending", "sending"):
            return Verdict(
                "defer",
                delay=threads.WAIT_FOR_PARENT,
                reason="waiting for the story's first message",
            )
        return None

    def _thread(self, row: Claimed, story_id: int, sightings: int) -> Verdict:
        with self.app.db.session() as session:
            parent = threads.parent_of(session, story_id, row.target)
        if parent is None:
            # Still on its way: wait. Else none will ever exist (it failed, or went
            # out inside a summary): a top-level message.
            return self._after_parent(row, story_id) or SEND
        thread = {
            "channel": parent.channel,
            "ts": parent.ts,
            "text": parent.text,
            "blocks": parent.blocks,
            # The story's own count (distinct sites) when the detector gives it,
            # the parent's for an edit (-1); never lower the parent's.
            "sightings": max(sightings or parent.sightings + 1, parent.sightings),
        }
        return Verdict("send", extra={"thread": thread})

    def _beyond_cap(self, row: Claimed, story_id: int) -> bool:
        """Whether the story already has its ``max_thread_replies`` replies to this target."""
        cap = self.app.loaded.config.dedup.max_thread_replies
        with self.app.db.session() as session:
            return threads.replies_before(session, story_id, row.target, row.id) >= cap

    def _counter(self, row: Claimed, story_id: int, sightings: int, now: datetime) -> Verdict:
        """A sighting beyond the cap: no reply, the parent's counter only, coalesced.

        It waits for the minute boundary after it was queued; then, if a later
        sighting due by the same boundary will update the counter, it is skipped,
        else it updates the counter (if the parent does not say as much already).
        """
        slot = threads.counter_slot(row.created_at)
        if now < slot:
            return Verdict(
                "defer",
                delay=(slot - now).total_seconds(),
                reason="beyond max_thread_replies: the story's counter is updated once a minute",
            )
        with self.app.db.session() as session:
            parent = threads.parent_of(session, story_id, row.target)
            newer = threads.newer_sighting_due(session, story_id, row.target, row.id, now)
        if parent is None:
            # Still on its way: wait. Else no message will ever show a counter.
            return self._after_parent(row, story_id) or Verdict(
                "skip", reason="beyond max_thread_replies: the story has no message to count on"
            )
        if newer:
            return Verdict("skip", reason=COALESCED)
        if sightings <= parent.sightings:
            return Verdict("skip", reason="the story's counter says as much already")
        thread = {
            "channel": parent.channel,
            "ts": parent.ts,
            "text": parent.text,
            "blocks": parent.blocks,
            "sightings": sightings,
            "counter_only": True,
        }
        return Verdict("send", extra={"thread": thread})

    def after_send(self, row: Claimed, message: Message, receipt: Receipt) -> None:
        channel, ts = receipt.extra.get("channel"), receipt.extra.get("ts")
        if not (channel and ts) or split_target(row.target)[0] != "slack":
            return
        now = self.app.clock()
        story = row.story
        with self.app.db.session() as session:
            thread = message.extra.get("thread")
            lost = bool(thread) and bool(receipt.extra.get("thread_lost"))
            if thread and story is not None and not lost:
                threads.count_sighting(
                    session, int(story["id"]), row.target, int(thread.get("sightings") or 2)
                )
            elif story is not None and (lost or story.get("first", True)):
                # A lost thread's sighting went out as its full ("standalone") message.
                shown = (message.extra.get("standalone") or {}) if lost else {}
                threads.record_parent(
                    session,
                    story_id=int(story["id"]),
                    target=row.target,
                    outbox_id=row.id,
                    channel=str(channel),
                    ts=str(ts),
                    text=str(shown.get("text") or message.text),
                    blocks=list(shown.get("blocks") or ([] if lost else message.blocks or [])),
                    now=now,
                    replace=lost,
                )
            if row.kind == "spike":
                escalation.record_sent(session, row.payload, str(channel), str(ts), now)

    # ------------------------------------------------------------------- jobs
    def tick(self, *, groups_now: bool = False) -> None:
        """Release due holds, check spikes (once per poll interval) and escalations.

        ``groups_now``: release grouping windows without waiting (``run --once``).
        """
        now = self.app.clock()
        config = self.app.loaded.config
        with self.app.db.session() as session:
            released = grouping.release_due(
                session,
                now,
                chart=digest.chart_png,
                periods=digest.periods(config),
                groups_now=groups_now,
                since=digest.period_starts(config, now),
                language=config.watchtower.language,
            )
            # A [[digests]] digest with nothing held (only critical alerts, or an
            # empty day) still goes at its time, once.
            settled = dict(self._digests_settled)
            scheduled = grouping.release_scheduled(
                session, now, digest.due_digests(config, now), settled
            )
        self._digests_settled = settled  # once committed: a failed tick decided nothing
        if released:
            log.info("held notifications released", extra=kv(rows=released))
        if scheduled:
            log.info(
                "digests sent at their time with no held notification", extra=kv(digests=scheduled)
            )
        every = config.watchtower.poll_interval
        if self._last_spike_check is None or now - self._last_spike_check >= every:
            self._last_spike_check = now
            spikes.check(self.app.db, config, now)
        escalation.check_escalations(
            self.app.db, self.app.notifier_for, now, config.watchtower.language
        )
