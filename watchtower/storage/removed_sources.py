"""Forgetting the sources the config no longer names, once nothing needs them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from watchtower.storage.queries import FINISHED
from watchtower.storage.tables import OUTBOX_STATUSES, ItemRow, OutboxRow, SourceRow

__all__ = ["NAMES_SHOWN", "forget_removed_sources", "shown_names"]

_CHUNK = 500  # ids per DELETE: well under any backend's bound-parameter limit
#: Names a log line lists at most: a config change may have removed hundreds.
NAMES_SHOWN = 10

# Sources an unsent notification still needs an item of. From the few unsent rows
# (ix_outbox_due) to their items, not from each item to the outbox.
_BUSY = (
    select(ItemRow.source_id)
    .join(OutboxRow, OutboxRow.item_id == ItemRow.id)
    .where(OutboxRow.status.in_([s for s in OUTBOX_STATUSES if s not in FINISHED]))
)


def forget_removed_sources(
    session: Session, before: datetime, configured: Collection[str]
) -> list[str]:
    """Delete the sources ``configured`` does not name that were last polled (or
    added) before ``before``, with their items; return their names (sorted: the
    cleanup's log line says which went).

    :func:`~watchtower.storage.queries.sync_sources` only disables a removed
    source, and retention keeps the items of its last listing (it keeps what a
    source still lists, and a disabled source's last listing stays its latest):
    without this, ``status`` listed every source ever removed. Its items were
    kept so that a poll would not take them for news; a removed source is never
    polled again, and if it comes back, its new row's first poll is a new
    source's (``backlog``). A rename is matched when the config changes
    (:func:`~watchtower.storage.queries.sync_sources`), long before.

    Replicas do not record which sources their config names, so a source goes
    ``retention`` after its last poll, never sooner: a replica whose config
    still names it enables it again at its start or reload and polls it (its
    row is then recent); one not reloaded since does not poll a disabled row
    either, and its next sync adds the source back as a new one. Kept while a
    notification not sent yet refers to one of its items.
    """
    last_polled = func.coalesce(
        SourceRow.last_attempt_at, SourceRow.last_success_at, SourceRow.next_check_at
    )
    gone_now = (SourceRow.enabled.is_(False), last_polled < before, SourceRow.id.not_in(_BUSY))
    candidates = session.execute(select(SourceRow.id, SourceRow.name).where(*gone_now)).all()
    # Filtered here, not by a NOT IN of every configured name (there may be thousands).
    names = set(configured)
    gone = [source_id for source_id, name in candidates if name not in names]
    deleted: list[str] = []
    for at in range(0, len(gone), _CHUNK):
        # The conditions again, as another replica may have enabled it since the
        # select. Its items and their mentions go with it (ON DELETE CASCADE).
        # RETURNING: the names of those that really went, not of the candidates.
        result = session.execute(
            delete(SourceRow)
            .where(SourceRow.id.in_(gone[at : at + _CHUNK]), *gone_now)
            .returning(SourceRow.name),
            execution_options={"synchronize_session": False},
        )
        deleted.extend(result.scalars())
    return sorted(deleted)


def shown_names(names: list[str], limit: int = NAMES_SHOWN) -> str:
    """``names`` for a log line, the first ``limit`` of them: ``"a, b (+3 more)"``."""
    shown = ", ".join(names[:limit])
    return f"{shown} (+{len(names) - limit} more)" if len(names) > limit else shown
