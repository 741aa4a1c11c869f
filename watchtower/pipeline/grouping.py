"""Held notifications and the summaries that replace them.

Three reasons hold a row (status ``held``, ``hold_reason``, ``group_key``,
``hold_until``):

- ``group``: Alertmanager-style grouping per (rule, target). The first row of
  a new group waits ``group_wait``; once a group message went out, the next
  one waits until ``group_interval`` after it. A burst of 40 becomes one
  message listing the first few and "and N more".
- ``quiet``: the target is in quiet hours; everything held comes out as one
  summary when the window ends.
- ``digest``: the rule has ``digest = "daily 08:30"`` / ``"weekly mon 08:30"`` /
  ``"hourly"``, or the target is in ``[[digests]]``.

:func:`release_due` turns each due group into one new ``summary`` outbox row
and marks the held rows ``grouped`` with ``parent_id`` pointing at it — so every
notification stays accounted for. A lone row is simply released as itself.
"""

from __future__ import annotations

import base64
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import exists, func, or_, select, true
from sqlalchemy.orm import Session

from watchtower import digest
from watchtower.models import Severity
from watchtower.notify import digest_text
from watchtower.storage.queries import insert_ignore
from watchtower.storage.tables import NotifyGroupRow, OutboxRow

ITEMS_KEPT = 200  # items copied into a summary payload (the rest are counted)


def open_window(
    session: Session, key: str, now: datetime, wait: timedelta, interval: timedelta
) -> datetime:
    """When the group ``key`` flushes, opening a window if none is open."""
    session.execute(
        insert_ignore(session, NotifyGroupRow)
        .values(key=key, flush_at=None, last_sent_at=None)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    query = select(NotifyGroupRow).where(NotifyGroupRow.key == key)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # two workers opening the same window agree on it
    group = session.scalars(query).one()
    if group.flush_at is None:
        flush = now + wait
        if group.last_sent_at is not None:
            flush = max(flush, group.last_sent_at + interval)
        group.flush_at = flush
    return group.flush_at


def _item(payload: dict[str, Any]) -> dict[str, Any]:
    item = {k: payload.get(k) for k in ("title", "url", "source", "severity", "brands")}
    story = payload.get("story")
    if isinstance(story, dict) and isinstance(story.get("id"), int):
        item["story"] = story["id"]  # a digest shows each story once, with its reach
    if isinstance(story, dict) and isinstance(story.get("site"), str) and story["site"]:
        # Where a Google News link is (its publisher): the digest counts sites by it.
        item["site"] = story["site"]
    if payload.get("rating") is not None:
        item["rating"] = payload["rating"]  # a review's stars
        item.update(digest.review_fields(payload))  # who wrote it, and what
    return item


def summary_payload(
    reason: str, what: str, rows: list[OutboxRow], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The payload of a summary row standing for ``rows``."""
    severity = max((Severity[r.severity] for r in rows), default=Severity.info)
    by_brand: dict[str, Counter[str]] = defaultdict(Counter)
    brands: list[str] = []
    rules: list[str] = []
    for row in rows:
        for brand in row.payload.get("brands") or ["—"]:
            by_brand[brand][row.severity] += 1
            if brand not in brands:
                brands.append(brand)
        rules += [r for r in row.payload.get("rules") or [] if r not in rules]
    ordered = sorted(rows, key=lambda r: (-Severity[r.severity], r.id))
    summary = {
        "reason": reason,
        "what": what,
        "count": len(rows),
        "items": [_item(r.payload) for r in ordered[:ITEMS_KEPT]],
        "by_brand": {b: dict(c) for b, c in sorted(by_brand.items(), key=lambda x: -x[1].total())},
    }
    if rows:  # a digest sent at its time with no held row has neither
        summary["first"] = min(r.created_at for r in rows).isoformat()
        summary["last"] = max(r.created_at for r in rows).isoformat()
    summary.update(extra or {})
    return {
        "kind": "summary",
        "title": what,
        "url": "",
        "source": "",
        "brands": brands,
        "terms": [],
        "rules": rules,
        "severity": severity.name,
        "summary": summary,
    }


class ChartMaker(Protocol):
    """Draws a digest's chart (:func:`watchtower.digest.chart_png`): per brand,
    or for a weekly digest given its ``days``, per day."""

    def __call__(
        self,
        by_brand: dict[str, dict[str, int]],
        title: str,
        *,
        days: list[dict[str, Any]] | None = None,
        language: str = "fr",
    ) -> bytes: ...


#: How far back a digest looks for the critical alerts its target got at once.
PERIOD_SPAN = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(days=7),
}


def _sent_apart(
    session: Session,
    target: str,
    now: datetime,
    period: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Critical mentions sent to ``target`` at once during the digest's period
    (from ``since``, the previous digest time, when known: 23 or 25 hours on the
    day summer time changes).

    A digest skips what a crisis sent at once; without this count, the evening
    digest of a crisis day says "2 mentions" to a manager who got thirteen
    alerts that morning, and reads as if the day was quiet. ``until``: the end
    of the period, when the digest counts none sent after its time.
    """
    late = OutboxRow.created_at <= until if until is not None else true()
    return int(
        session.scalar(
            select(func.count()).where(
                OutboxRow.target == target,
                OutboxRow.status == "sent",
                OutboxRow.severity == Severity.critical.name,
                # Mentions and spike alerts; not ops notices nor other summaries.
                OutboxRow.dedup_key.not_like("ops:%"),
                OutboxRow.dedup_key.not_like("summary:%"),
                OutboxRow.created_at
                > (since or (until or now) - PERIOD_SPAN.get(period, timedelta(days=1))),
                late,
            )
        )
        or 0
    )


def release_due(
    session: Session,
    now: datetime,
    *,
    chart: ChartMaker | None = None,
    periods: dict[str, str] | None = None,
    groups_now: bool = False,
    since: dict[str, datetime] | None = None,
    language: str = "fr",
) -> int:
    """Release every held group whose time has come; return how many rows it covered.

    ``periods`` maps a digest ``group_key`` to ``"hourly"``/``"daily"``/``"weekly"`` (the title);
    ``chart`` draws the PNG of a digest, its words in ``language``: per brand, or
    for a weekly digest its days (the summary's ``chart`` says which, ``"brands"``
    or ``"days"``). ``groups_now`` releases grouping
    windows before their time (``run --once`` has nothing more to wait for); quiet
    hours and digests keep theirs. ``since`` maps a digest ``group_key`` to the start
    of its period (the previous digest time).
    """
    due = OutboxRow.hold_until <= now
    if groups_now:
        due = or_(due, OutboxRow.hold_reason == "group")
    query = (
        select(OutboxRow).where(OutboxRow.status == "held", due).order_by(OutboxRow.id).limit(5000)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    groups: dict[tuple[str, str, str], list[OutboxRow]] = defaultdict(list)
    for row in session.scalars(query):
        groups[(row.hold_reason or "group", row.group_key or "", row.target)].append(row)
    released = 0
    for (reason, key, target), rows in groups.items():
        released += len(rows)
        if reason == "group":
            group = session.get(NotifyGroupRow, key)
            if group is not None:
                group.flush_at, group.last_sent_at = None, now
        if len(rows) == 1 and reason != "digest":
            row = rows[0]
            row.status, row.next_attempt_at = "pending", now  # hold_reason stays: not held again
            continue
        extra: dict[str, Any] = {}
        what = key.split("|", 1)[0]
        # A digest's period ends at its own time (the time its rows were held
        # for), not at its release: released late (the daemon was down at 08:30
        # and starts at 09:10), a critical alert at 08:50 is the next digest's.
        at = max((r.hold_until for r in rows if r.hold_until is not None), default=now)
        if reason == "digest":
            extra["period"] = (periods or {}).get(key, "daily")
            extra["sent_apart"] = _sent_apart(
                session, target, now, extra["period"], (since or {}).get(key), at
            )
        payload = summary_payload(reason, what, rows, extra)
        if reason == "digest":
            cutoff = (since or {}).get(key) or at - PERIOD_SPAN.get(extra["period"], timedelta(1))
            digest.enrich(session, payload["summary"], target, cutoff, at)
        if reason == "digest" and chart is not None:
            summary = payload["summary"]
            days = summary.get("days")  # a weekly digest's: the week's shape, not its brands
            png = chart(summary["by_brand"], what, days=days, language=language)
            payload["chart"] = base64.b64encode(png).decode("ascii")
            # Which chart it is: the e-mail names and describes the one it shows.
            summary["chart"] = "days" if digest_text.shown_days(days, language) else "brands"
        summary_id = session.scalar(
            insert_ignore(session, OutboxRow)
            .values(
                item_id=None,
                dedup_key=f"summary:{reason}:{key}:{rows[0].id}"[:200],
                target=target,
                status="pending",
                severity=payload["severity"],
                reason=f"{reason} summary of {len(rows)} notifications",
                payload=payload,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                hold_reason=reason,
                # Which digest this is: release_scheduled sends no second one.
                group_key=key if reason == "digest" else None,
                outcome_unknown=False,
            )
            .on_conflict_do_nothing(index_elements=["dedup_key", "target"])
            .returning(OutboxRow.id)
        )
        for row in rows:
            row.status, row.parent_id = "grouped", summary_id
    return released


def release_scheduled(
    session: Session,
    now: datetime,
    due: list[digest.Due],
    settled: dict[str, datetime] | None = None,
) -> int:
    """Send each ``[[digests]]`` digest whose time has come and no held row made.

    A critical alert skips its target's digest, so on a day of crisis alerts only,
    or a day with no mention at all, nothing is held and :func:`release_due` sends
    nothing. The digest still goes at its time: it says how many critical alerts
    went out at once during its period and lists them, or, on an empty day (unless
    ``when_empty = "skip"``), that there is nothing to report, with the health of
    the sources. Once per period: its outbox key is the digest time (replicas
    insert the same row once), and none goes when its period's digest went out of
    held rows already, or when held rows of that digest are due (another
    replica is releasing them). Not for a digest time before the first watchtower
    process on record started: nobody watched that period. Returns how many
    digests it queued.

    ``settled`` (the caller's, kept between ticks): digest key -> the digest time
    already decided (sent, or nothing to send); those are not looked at again.
    """
    settled = {} if settled is None else settled
    due = [d for d in due if settled.get(d.key) != d.due]
    if not due:
        return 0
    started = digest.watched_since(session)
    queued = 0
    for entry in due:
        if started is None:
            continue  # no process on record yet: look again at the next tick
        if started > entry.due:
            settled[entry.key] = entry.due
            continue
        done = session.scalar(
            select(
                exists().where(
                    OutboxRow.target == entry.target,
                    OutboxRow.hold_reason == "digest",
                    OutboxRow.item_id.is_(None),
                    OutboxRow.created_at >= entry.due,
                    or_(
                        OutboxRow.group_key == entry.key,
                        # summaries queued before group_key was set on them
                        OutboxRow.dedup_key.startswith(
                            f"summary:digest:{entry.key}:"[:200], autoescape=True
                        ),
                    ),
                )
            )
        )
        held = session.scalar(
            select(
                exists().where(
                    OutboxRow.status == "held",
                    OutboxRow.hold_reason == "digest",
                    OutboxRow.group_key == entry.key,
                    OutboxRow.target == entry.target,
                    OutboxRow.hold_until <= now,
                )
            )
        )
        if held:  # their digest is on its way: look again at the next tick
            continue
        settled[entry.key] = entry.due
        if done:
            continue
        # Its period ends at its time: a crisis after it is the next digest's, and
        # does not send this one late (when it was skipped as empty).
        apart = _sent_apart(session, entry.target, now, entry.period, entry.since, entry.due)
        if not apart and entry.when_empty == "skip":
            continue
        extra: dict[str, Any] = {
            "period": entry.period,
            "sent_apart": apart,
            "health": digest.health(session),
        }
        payload = summary_payload("digest", "", [], extra)
        digest.enrich(session, payload["summary"], entry.target, entry.since, entry.due)
        reason = "digest at its time, no held notification"
        inserted = session.scalar(
            insert_ignore(session, OutboxRow)
            .values(
                item_id=None,
                # The digest time, before the key: a long target cut at 200 keeps it.
                dedup_key=f"summary:digest:{entry.due.isoformat()}:{entry.key}"[:200],
                target=entry.target,
                status="pending",
                severity=payload["severity"],
                reason=reason,
                payload=payload,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                hold_reason="digest",
                group_key=entry.key,
                outcome_unknown=False,
            )
            .on_conflict_do_nothing(index_elements=["dedup_key", "target"])
            .returning(OutboxRow.id)
        )
        queued += inserted is not None
    return queued
