"""Claimed notifications whose hand-back the database refused, handed back later.

A drain worker claims a batch of rows (``sending``, ``claimed_until`` = now plus
``delivery_lease``), and hands back the rows it did not try when it stops early:
a database outage in the middle of the batch (a full disk refuses the "sent"
mark of the first row), or a stop. When the database refuses that hand-back
too, the rows would stay ``sending`` for the whole lease (5 minutes) after the
database is back, critical ones included.

:class:`Unreleased` remembers them in memory (row id → the ``claimed_until``
of the claim that took it), at most :data:`LIMIT` rows, and hands them back at
the next drain that finds the database writing again (each drain tries, once
a round). A row is handed back only if it is still that claim (as
:mod:`~watchtower.storage.dead_claims` does at start-up): one whose lease
expired and that another worker or replica claimed since keeps its new claim.
The memory is this process's: a stop during the outage leaves the rows to
their lease, as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from watchtower.logs import kv
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow

__all__ = ["LIMIT", "Unreleased", "release_same_claims"]

log = logging.getLogger("watchtower.outbox")

#: Rows remembered at most; beyond, the oldest are left to their lease.
LIMIT = 1000
#: A stored ``claimed_until`` is the same instant as the claim's within this
#: (SQLite compares the text, which a writer may have stored with an offset).
_TICK = timedelta(microseconds=1)


def release_same_claims(session: Session, claims: Mapping[int, datetime]) -> int:
    """Hand back the rows of ``claims`` (row id → its claim's ``claimed_until``)
    still held by that claim: due as before, no attempt spent (as
    :func:`~watchtower.pipeline.outbox_rows.release`); return how many."""
    by_claim: dict[datetime, list[int]] = {}
    for row_id, until in claims.items():
        by_claim.setdefault(until, []).append(row_id)
    released = 0
    for until, row_ids in sorted(by_claim.items()):
        same = (OutboxRow.claimed_until >= until) & (OutboxRow.claimed_until < until + _TICK)
        result = session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(sorted(row_ids)), OutboxRow.status == "sending", same)
            .values(
                status="pending",
                claimed_until=None,
                attempts=case((OutboxRow.attempts > 0, OutboxRow.attempts - 1), else_=0),
            )
        )
        released += int(getattr(result, "rowcount", 0))
    return released


class Unreleased:
    """The claimed rows a worker could not hand back, until the database takes them."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._claims: dict[int, datetime] = {}  # in the order they were remembered

    def __len__(self) -> int:
        return len(self._claims)

    def remember(self, claims: Mapping[int, datetime]) -> None:
        """Rows whose hand-back failed (row id → its claim's ``claimed_until``)."""
        if not claims:
            return
        with self._lock:
            self._claims.update(claims)
            dropped = len(self._claims) - LIMIT
            for row_id in list(self._claims)[: max(dropped, 0)]:
                del self._claims[row_id]
            held = len(self._claims)
        log.info(
            "claimed notifications not handed back: again once the database writes",
            extra=kv(notifications=len(claims), held=held),
        )
        if dropped > 0:
            log.warning(
                "claimed notifications left to their lease: too many to remember",
                extra=kv(notifications=dropped),
            )

    def release_all(self) -> int:
        """Hand back the rows remembered, if still the same claim; return how many
        went back. Raises what the write raises (they stay remembered)."""
        with self._lock:
            claims = dict(self._claims)
        if not claims:
            return 0
        with self.db.writing() as session:
            released = release_same_claims(session, claims)
        with self._lock:
            for row_id, until in claims.items():
                if self._claims.get(row_id) == until:
                    del self._claims[row_id]
        log.info(
            "claimed notifications handed back: the database writes again",
            extra=kv(notifications=released, claimed_again=len(claims) - released),
        )
        return released
