"""How a claimed outbox row changes state: sent, to retry, failed, parked, handed back;
and how a target that cannot be reached holds its waiting rows (:func:`hold_scope`).

The outbox (:mod:`watchtower.pipeline.outbox`) decides; these write, each in
the caller's transaction. A claim counts one attempt (``claim_outbox``): what
is not a delivery attempt — a hold, a deferral, a row handed back untried —
gives it back. An error text is redacted before it is written (``_stored``):
a copy of the database holds no token an error quoted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from watchtower.pipeline.delivery import Verdict
from watchtower.redact import redact_text
from watchtower.sanitise import storable
from watchtower.storage.tables import OutboxRow


def finish(
    session: Session,
    row_id: int,
    status: str,
    now: datetime,
    *,
    message_id: str | None = None,
    error: str | None = None,
    delay: float = 0.0,
    unknown: bool = False,
    spent: bool = True,
) -> None:
    """Record a send's outcome; ``spent=False``: the try does not count as an attempt."""
    row = session.get(OutboxRow, row_id)
    if row is None:  # pruned meanwhile
        return
    row.status = status
    row.claimed_until = None
    row.outcome_unknown = row.outcome_unknown or unknown
    if not spent:
        row.attempts = max(0, row.attempts - 1)
    if status == "sent":
        row.sent_at = now
        row.provider_message_id = message_id
        row.last_error = None
    else:
        row.last_error = _stored(error)
        row.next_attempt_at = now + timedelta(seconds=delay)


def mark_sent(
    session: Session, row_id: int, sent_at: datetime, message_id: str | None, attempts: int
) -> str:
    """Record late that row ``row_id`` went out at ``sent_at`` (its first mark was
    refused: :mod:`watchtower.pipeline.unrecorded`); return what was found:
    ``written``, ``sent already`` (another copy was recorded first: kept), ``gone``.

    Whatever became of the row meanwhile (claimed again, failed, skipped), it
    was sent: it is marked so, and never claimed again; its ``attempts`` are
    those of the send (a claim since only retried the write)."""
    row = session.get(OutboxRow, row_id)
    if row is None:
        return "gone"
    if row.status == "sent":
        return "sent already"
    finish(session, row_id, "sent", sent_at, message_id=message_id)
    row.attempts = attempts
    return "written"


def _stored(error: str | None) -> str | None:
    # Redacted here, the one way into ``outbox.last_error``: a copy of the database
    # (a backup sent to support, a replica) must not hold the webhook token, the
    # URL password or the SMTP server's echo of a login that an error quoted.
    # ``status`` and ops notices redact again (rows written before): idempotent.
    # A target's answer (a Slack error code, an SMTP reply) is the stranger's text:
    # a NUL or a lone surrogate in it made the write fail and the row stay claimed.
    return None if error is None else storable(redact_text(error))


def park(
    session: Session, row_id: int, verdict: Verdict, now: datetime, *, at: datetime | None = None
) -> None:
    """Apply a hold / defer / skip verdict; none of them counts as a delivery attempt.

    ``at``: when a deferred row is due (else ``verdict.delay`` from now).
    """
    row = session.get(OutboxRow, row_id)
    if row is None:
        return
    row.claimed_until = None
    row.attempts = max(0, row.attempts - 1)
    if verdict.action == "hold":
        row.status = "held"
        row.hold_reason = verdict.hold_reason
        row.group_key = verdict.group_key
        row.hold_until = verdict.until
    elif verdict.action == "skip":
        row.status = "skipped"
        row.last_error = _stored(verdict.reason)
    else:
        row.status = "pending"
        row.last_error = _stored(verdict.reason) or row.last_error
        row.next_attempt_at = at or now + timedelta(seconds=verdict.delay)


def release(session: Session, row_ids: list[int]) -> None:
    """Hand back claimed rows that were not tried (stopping): due as before, no
    attempt spent; a row claimed from a dead sender stays marked outcome unknown."""
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(row_ids), OutboxRow.status == "sending")
        .values(
            status="pending",
            claimed_until=None,
            attempts=case((OutboxRow.attempts > 0, OutboxRow.attempts - 1), else_=0),
        )
    )


def hold_scope(session: Session, scope: str, until: datetime) -> int:
    """Make the pending rows of ``scope`` due no earlier than ``until`` (its next
    probe); return how many moved. ``scope``: a kind (``slack``: every Slack
    target) or one target (``apprise:…``). Their order stays (claims go by
    severity, due time, id): they all come due at ``until``, critical first.
    Every replica sees it, so none tries them before the probe."""
    result = session.execute(
        update(OutboxRow)
        .where(_of_scope(scope), OutboxRow.status == "pending", OutboxRow.next_attempt_at < until)
        .values(next_attempt_at=until)
    )
    return int(getattr(result, "rowcount", 0))


def sent_since(session: Session, scope: str, since: datetime) -> bool:
    """Whether a row of ``scope`` was sent after ``since`` (another replica found
    the target back)."""
    query = select(OutboxRow.id).where(
        _of_scope(scope), OutboxRow.status == "sent", OutboxRow.sent_at > since
    )
    return session.scalar(query.limit(1)) is not None


def others_waiting(session: Session, scope: str, row_id: int) -> bool:
    """Whether a notification other than row ``row_id`` (and its copies for
    other readers: same ``dedup_key``) waits to be sent to ``scope``: one
    that can prove the target works, or fail as well."""
    key = select(OutboxRow.dedup_key).where(OutboxRow.id == row_id).scalar_subquery()
    query = select(OutboxRow.id).where(
        _of_scope(scope),
        OutboxRow.status.in_(("pending", "sending")),
        OutboxRow.id != row_id,
        OutboxRow.dedup_key != key,
    )
    return session.scalar(query.limit(1)) is not None


def _of_scope(scope: str) -> Any:
    if ":" in scope:  # one target
        return OutboxRow.target == scope
    return OutboxRow.target.like(f"{scope}:%") | (OutboxRow.target == scope)
