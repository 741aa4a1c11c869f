"""A fetch put off because its site was busy with our other fetches: not the source's failure.

Fetches of one site share its ``per_host_concurrency`` slots, and one that
waited too long for a slot (behind hung fetches of the same site: twenty
Google Alerts feeds and one slow one, all on www.google.com) fails as
``host_busy`` without having asked the server (:mod:`watchtower.adapters._http`).
The poll records that here instead of as a failure: no consecutive failure,
no backoff, no "source down" alert; its validators and cursor are kept, so no
item is lost. The source is due again at once: the next round claims it ahead
of the sources due later (claims go by ``next_check_at``). ``status`` shows
:data:`WAITING` as its last warning until a fetch of it succeeds; the log says
it once per site (the fetcher's warning, then how many sources waited).

A site really down still alerts: the fetches that got a slot time out (or are
refused) and count against their own sources, and those put off go first at
the next round, so each source reaches the server in its turn.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import update

from watchtower.errors import SourceError
from watchtower.logs import kv
from watchtower.storage.tables import SOURCES

if TYPE_CHECKING:
    from watchtower.storage.db import Database

__all__ = ["HOST_BUSY", "WAITING", "put_off_host", "record_put_off"]

log = logging.getLogger("watchtower.poll")

#: The code of the fetch failure that is a deferral, not a failure.
HOST_BUSY = "host_busy"
#: What ``status`` shows under a source put off (its ``last_warning``).
WAITING = "waiting for other fetches of {host}: put off to the next round, not counted as a failure"


def put_off_host(error: SourceError) -> str | None:
    """The site ``error`` says was busy with our other fetches; ``None`` for any
    other error (a real failure of the source)."""
    if error.code != HOST_BUSY:
        return None
    return str(error.params.get("host") or "the same site")


def record_put_off(db: Database, source_id: int, name: str, host: str, now: datetime) -> None:
    """Record that the fetch of source ``source_id`` was put off: due again at once
    (its lease released), the note for ``status``; its failures, error and
    backoff untouched."""
    with db.writing() as session:
        session.execute(
            update(SOURCES)
            .where(SOURCES.c.id == source_id)
            .values(next_check_at=now, last_warning=WAITING.format(host=host))
        )
    # Debug only: the fetcher logs once per site, not once per source and round.
    log.debug("source put off: its site is busy", extra=kv(source=name, host=host))
