"""The ``alert_feedback`` statements of the feedback job (:mod:`watchtower.feedback`).

A read of an alert's reactions is claimed before its Slack call, so that of
several processes on one database (replicas on PostgreSQL, a daemon and a ``run
--once`` on one SQLite file) one only makes it. The claim is one atomic
statement on the alert's row, an ``UPDATE … WHERE`` (or, for its first read, an
``INSERT … ON CONFLICT DO NOTHING``), stamping ``checked_at`` with the claim's
time: on PostgreSQL a second ``UPDATE`` of the row waits for the first and then
finds it changed; SQLite has one writer at a time. A row stamped less than the
lease ago is being read (or was just read): nobody else's to claim. No column
of its own: ``checked_at`` says when the alert was last read, or is being read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.orm import Session

from watchtower.storage.queries import insert_ignore
from watchtower.storage.tables import AlertFeedbackRow

__all__ = ["claim_read", "free_to_claim", "record_read", "release_read"]


def free_to_claim(now: datetime, lease: timedelta) -> ColumnElement[bool]:
    """Rows no process is reading: never read, or last stamped over ``lease`` ago."""
    stamped = AlertFeedbackRow.checked_at
    return or_(
        stamped.is_(None),
        stamped <= now - lease,
        stamped > now + lease,  # the wall clock stepped back: not a claim of now
    )


def claim_read(
    session: Session, outbox_id: int, checks: int, now: datetime, lease: timedelta
) -> bool:
    """Take the read that follows ``checks`` reads of the alert; False when another
    process took it. Raises ``IntegrityError`` when the alert is gone (retention
    pruned its outbox row): the transaction is then to roll back."""
    claimed = _changed(
        session,
        update(AlertFeedbackRow)
        .where(
            AlertFeedbackRow.outbox_id == outbox_id,
            AlertFeedbackRow.checks == checks,
            AlertFeedbackRow.not_relevant_at.is_(None),
            free_to_claim(now, lease),
        )
        .values(checked_at=now),
    )
    if claimed or checks:
        return bool(claimed)
    table = AlertFeedbackRow.__table__  # the first read: no row yet
    inserted = session.scalar(
        insert_ignore(session, table)
        .values(outbox_id=outbox_id, checks=0, checked_at=now)
        .on_conflict_do_nothing(index_elements=["outbox_id"])
        .returning(table.c.outbox_id)  # psycopg's rowcount is -1 for this one
    )
    return inserted is not None


def release_read(
    session: Session,
    outbox_id: int,
    checks: int,
    claimed_at: datetime,
    checked_at: datetime | None,
) -> None:
    """Give an unmade read back (Slack down, a rate limit): due again at once."""
    _changed(
        session,
        update(AlertFeedbackRow)
        .where(
            AlertFeedbackRow.outbox_id == outbox_id,
            AlertFeedbackRow.checks == checks,
            AlertFeedbackRow.checked_at == claimed_at,
        )
        .values(checked_at=checked_at),
    )


def record_read(
    session: Session,
    outbox_id: int,
    checks: tuple[int, int],
    now: datetime,
    mark: tuple[str, str] | None,
) -> bool:
    """Record a claimed read: ``checks`` (before, after) reads; True when ``mark``
    (reaction, user) newly marks the alert not relevant."""
    before, after = checks
    _changed(
        session,
        update(AlertFeedbackRow)
        .where(
            AlertFeedbackRow.outbox_id == outbox_id,
            AlertFeedbackRow.checks == before,  # unless another took over past the lease
        )
        .values(checks=after, checked_at=now),
    )
    if mark is None:
        return False
    return bool(
        _changed(
            session,
            update(AlertFeedbackRow)
            .where(
                AlertFeedbackRow.outbox_id == outbox_id,
                AlertFeedbackRow.not_relevant_at.is_(None),
            )
            .values(not_relevant_at=now, reaction=mark[0], marked_by=mark[1]),
        )
    )


def _changed(session: Session, statement: Any) -> int:
    """Rows an ``UPDATE`` changed."""
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)
