"""The queries of the ``daemons`` table: each watchtower process's heartbeat row.

Written by the process it describes (:mod:`watchtower.heartbeat`), read by
``watchtower status`` and by the other processes (which of them still run:
:meth:`~watchtower.heartbeat.Heartbeat.live_others`). One upsert per event, so
a heartbeat costs one statement.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, defer

from watchtower.storage.tables import DAEMONS, DaemonRow

__all__ = ["daemon_rows", "forget_daemons", "upsert_daemon"]


def upsert_daemon(session: Session, row: Mapping[str, Any], changes: Mapping[str, Any]) -> None:
    """Insert ``row`` (every column a new row needs), or apply ``changes`` to the
    existing row with its id: ``INSERT … ON CONFLICT (id) DO UPDATE``."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(DAEMONS).values(dict(row))
    session.execute(
        statement.on_conflict_do_update(index_elements=[DAEMONS.c.id], set_=dict(changes))
    )


def forget_daemons(session: Session, seen_before: datetime, keep: str) -> int:
    """Delete the rows of processes last seen before ``seen_before`` (they died or
    stopped long ago), never the row ``keep``; return how many went."""
    result = session.execute(
        delete(DaemonRow).where(DaemonRow.seen_at < seen_before, DaemonRow.id != keep)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def daemon_rows(
    session: Session, *, put_off: bool = True, targets: bool = False
) -> list[DaemonRow]:
    """Every recorded process, the most recently seen first; without ``put_off``
    (a schema before 0010), ``round_put_off`` is not read (do not touch it).
    ``config_targets`` (0011) is read only with ``targets``: the running daemons
    ask it (their schema is the latest); ``status`` and ``db`` commands, which
    may look at an older schema, never need it."""
    query = select(DaemonRow).order_by(DaemonRow.seen_at.desc())
    if not put_off:
        query = query.options(defer(DaemonRow.round_put_off, raiseload=True))
    if not targets:
        query = query.options(defer(DaemonRow.config_targets, raiseload=True))
    return list(session.scalars(query))
