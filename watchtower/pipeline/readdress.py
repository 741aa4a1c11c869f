"""After a reload, send what waited for a target the config no longer names
to where its rule or brand routes now.

A corrected webhook URL (an Apprise service that refused the old one), a
renamed Slack channel or a fixed e-mail address is a new target: the
notifications already queued name the old one. Each waiting row (``pending``
or ``held``: not sent, not failed for good, not claimed by a sender) of an
item, for a target no part of the config names any more, is queued again for
the targets :func:`~watchtower.pipeline.route.targets_now` gives for the rules
and brands it records, and the old row is ``skipped`` with where it went.

* Never twice: the copy keeps the row's ``dedup_key``, and a target that has
  that key already (the story queued there since, or a rule sending to both)
  is not given another; the old row is skipped all the same.
* Threads follow by themselves: a story's first message moves with its
  replies, which wait for it on the new target as they did on the old one; a
  reply whose first message went out on the old target finds no parent on the
  new one and goes out as a full message (the alerting hooks' lost parent), a
  counter-only sighting is skipped there.
* A row whose rule (or brand) is gone from the config is left as it is.
* One transaction; rows locked (``FOR UPDATE`` on PostgreSQL): replicas that
  reload the same file re-address each row once, the later ones find nothing.
* Summaries, spike alerts and ops notices are not re-addressed (they record no
  rule to route by).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchtower.config import Config
from watchtower.logs import kv
from watchtower.pipeline.route import configured_targets, targets_now
from watchtower.redact import redact_target
from watchtower.storage.outbox_queries import READDRESSED
from watchtower.storage.queries import insert_ignore
from watchtower.storage.tables import OutboxRow

__all__ = ["Readdressed", "readdress"]

log = logging.getLogger("watchtower.reload")

WAITING = ("pending", "held")


@dataclass
class Readdressed:
    """What went from one old target to new ones."""

    old: str
    new: list[str] = field(default_factory=list)
    moved: int = 0  # notifications now queued for a new target
    already: int = 0  # copies not made: the new target had that notification already

    def describe(self) -> str:
        """``3 notifications from apprise:… to apprise:…`` (URLs redacted)."""
        to = ", ".join(redact_target(t) for t in self.new)
        text = f"{self.moved} notification{'s' if self.moved != 1 else ''} from "
        text += f"{redact_target(self.old)} to {to}"
        if self.already:
            text += f" ({self.already} already queued there)"
        return text


def readdress(session: Session, config: Config, now: datetime) -> list[Readdressed]:
    """Re-address the waiting notifications of targets ``config`` no longer names;
    return what moved, by old target (see the module docstring)."""
    known = configured_targets(config)
    query = (
        select(OutboxRow)
        .where(OutboxRow.status.in_(WAITING), OutboxRow.target.not_in(sorted(known)))
        .order_by(OutboxRow.id)  # copies keep the queue's order among equals
    )
    if session.get_bind().dialect.name == "postgresql":
        # Wait for another replica doing the same: its committed change takes
        # the row out of this query (the target no longer matches).
        query = query.with_for_update(of=OutboxRow)
    out: dict[str, Readdressed] = {}
    for row in session.scalars(query).all():
        payload: dict[str, Any] = dict(row.payload or {})
        if payload.get("kind") not in (None, "item"):
            continue  # a summary, a spike alert, an ops notice: no rule to route by
        new = targets_now(
            config,
            [str(r) for r in payload.get("rules") or []],
            [str(b) for b in payload.get("brands") or []],
        )
        if not new:
            continue  # its rule is gone: as before, left where it is
        done = out.setdefault(row.target, Readdressed(row.target))
        copied = [t for t in new if _copy(session, row, t, payload, now)]
        done.moved += bool(copied)
        done.already += not copied
        done.new.extend(t for t in new if t not in done.new)
        row.status = "skipped"
        row.claimed_until = None
        where = ", ".join(redact_target(t) for t in new)
        row.last_error = (
            f"re-addressed to {where} {READDRESSED}"
            if copied
            else f"already queued for {where} {READDRESSED}"
        )
    for done in out.values():
        log.info(f"re-addressed {done.describe()}", extra=kv(target=redact_target(done.old)))
    return list(out.values())


def _copy(
    session: Session, row: OutboxRow, target: str, payload: dict[str, Any], now: datetime
) -> bool:
    """Queue ``row`` again for ``target``, untried and due now (the new target's own
    quiet hours, digest and grouping apply); ``False``: it has this notification."""
    inserted = session.scalar(
        insert_ignore(session, OutboxRow)
        .values(
            item_id=row.item_id,
            dedup_key=row.dedup_key,
            target=target,
            status="pending",
            severity=row.severity,
            reason=f"{row.reason}; re-addressed from {redact_target(row.target)}",
            payload=payload,
            attempts=0,
            next_attempt_at=now,
            created_at=row.created_at,
            outcome_unknown=False,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key", "target"])
        .returning(OutboxRow.id)
    )
    return inserted is not None
