"""The claims left in the database when a process starts, for releasing a dead one's.

A process starting alone on the database (:meth:`~watchtower.app.App.start`)
makes due at once the sources left leased and the notifications left mid-send:
their claimer died. "Alone" is judged at one moment; a process started a few
milliseconds later (two replicas of one deploy) may claim sources and
notifications right after, and those claims are live. So the claims are read
*before* the judgement (:func:`left_claims`), and only those are released, each
only if it is still the same claim (its claim time for a source, its
``claimed_until`` for a notification): a row claimed again since keeps its new
claim. No clock is compared: a process whose claims were there before the
judgement had its ``daemons`` row (and its liveness lock) before them, so the
judgement saw it, whatever the hosts' clocks say.

A source is leased by the one rule of :mod:`watchtower.storage.queries`
(``leased``: its ``next_check_at`` exactly its claim time plus the lease),
which the claim query writes and every recorded outcome moves away from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from watchtower.storage.queries import leased
from watchtower.storage.tables import OutboxRow, SourceRow

__all__ = ["LeftClaims", "left_claims"]


@dataclass(frozen=True, slots=True)
class LeftClaims:
    """Claims held at one moment: source id → its claim time (``last_attempt_at``),
    and notification id → its ``claimed_until``."""

    sources: dict[int, datetime] = field(default_factory=dict)
    notifications: dict[int, datetime] = field(default_factory=dict)


def left_claims(session: Session, now: datetime) -> LeftClaims:
    """The sources leased and the notifications being sent, as of ``now``."""
    scheduled = session.scalars(
        select(SourceRow)
        .options(load_only(SourceRow.id, SourceRow.next_check_at, SourceRow.last_attempt_at))
        .where(
            SourceRow.enabled.is_(True),
            SourceRow.last_attempt_at.is_not(None),
            SourceRow.next_check_at > now,
        )
    )
    sources = {
        row.id: row.last_attempt_at
        for row in scheduled
        if leased(row) and row.last_attempt_at is not None
    }
    notifications = {
        row_id: until
        for row_id, until in session.execute(
            select(OutboxRow.id, OutboxRow.claimed_until).where(
                OutboxRow.status == "sending", OutboxRow.claimed_until >= now
            )
        )
        if until is not None
    }
    return LeftClaims(sources, notifications)
