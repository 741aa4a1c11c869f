"""A fetch put off because its site was busy with our other fetches: not the source's failure.

Fetches of one site share its ``per_host_concurrency`` slots, and one that
waited too long for a slot (behind hung fetches of the same site: twenty
Google Alerts feeds and one slow one, all on www.google.com) fails as
``host_busy`` without having asked the server (:mod:`watchtower.adapters._http`).
The poll records that here instead of as a failure: no consecutive failure,
no backoff, no "source down" alert; its validators and cursor are kept, so no
item is lost. The source is due again at once: the next round claims it ahead
of the sources due later (claims go by ``next_check_at``). ``status`` shows
:data:`WAITING` under it, with when it was put off (:func:`put_off_site`),
until its next fetch succeeds or fails (either replaces the note); the log
says it once per site (the fetcher's warning, then how many sources waited);
the round counts it apart
(:attr:`~watchtower.poll_outcome.PollStats.put_off`), and so does
``watchtower_polls{outcome="put_off"}``. ``run --once`` has no next round: it
tries the sources put off once more at its end (:func:`retry_put_off`), when
the fetches they waited for are done.

A site really down still alerts: the fetches that got a slot time out (or are
refused) and count against their own sources, and those put off go first at
the next round, so each source reaches the server in its turn.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import update

from watchtower import metrics
from watchtower.errors import SourceError
from watchtower.logs import kv
from watchtower.storage.queries import LEASE
from watchtower.storage.tables import SOURCES
from watchtower.workers import wait_at_most

if TYPE_CHECKING:
    from watchtower.adapters.base import SourceSettings
    from watchtower.poll import Poller
    from watchtower.poll_outcome import PollStats
    from watchtower.storage.db import Database
    from watchtower.storage.queries import Claim

__all__ = [
    "HOST_BUSY",
    "WAITING",
    "put_off_host",
    "put_off_note",
    "put_off_site",
    "record_put_off",
    "retry_put_off",
]

log = logging.getLogger("watchtower.poll")

#: The code of the fetch failure that is a deferral, not a failure.
HOST_BUSY = "host_busy"
_HEAD = "waiting for other fetches of "
_TAIL = ": put off to the next round{at}, not counted as a failure"
#: The note stored for ``status`` on a source put off (its ``last_warning``).
WAITING = _HEAD + "{host}" + _TAIL.format(at="")


def put_off_host(error: SourceError) -> str | None:
    """The site ``error`` says was busy with our other fetches; ``None`` for any
    other error (a real failure of the source)."""
    if error.code != HOST_BUSY:
        return None
    return str(error.params.get("host") or "the same site")


def put_off_site(warning: str | None) -> str | None:
    """The site a source's stored warning says its last fetch was put off for
    (:data:`WAITING`); ``None`` for any other warning."""
    if not warning or not warning.startswith(_HEAD) or not warning.endswith(_TAIL.format(at="")):
        return None
    return warning[len(_HEAD) : -len(_TAIL.format(at=""))] or None


def put_off_note(host: str, at: str | None = None) -> str:
    """:data:`WAITING`, with when the fetch was put off (``at``, already worded)."""
    return _HEAD + host + _TAIL.format(at=f" at {at}" if at else "")


def record_put_off(
    db: Database,
    claim: Claim,
    settings: SourceSettings,
    host: str,
    now: datetime,
    stats: PollStats,
) -> None:
    """Record that the fetch of ``claim`` was put off: due again at once (its lease
    released), tried ``now`` (the time ``status`` gives the note), the note; its
    failures, error and backoff untouched. Counted in ``stats`` and the metrics."""
    note = WAITING.format(host=host)
    with db.writing() as session:
        session.execute(
            update(SOURCES)
            .where(SOURCES.c.id == claim.id)
            .values(next_check_at=now, last_attempt_at=now, last_warning=note)
        )
    stats.note_put_off(claim)
    metrics.source_put_off(settings, note)
    # Debug only: the fetcher logs once per site, not once per source and round.
    log.debug("source put off: its site is busy", extra=kv(source=settings.name, host=host))


def retry_put_off(poller: Poller, stats: PollStats, stop: threading.Event | None) -> None:
    """``run --once``: fetch the sources ``stats`` counts as put off once more,
    counted in ``stats`` as what they do now (ok, failed, or put off again).

    Once every fetch of the poller has ended, the hung ones that held their
    site's slots included (the round waited for its own; a fetch of an earlier
    round may still run). A source another process claimed meanwhile (a daemon
    on the same PostgreSQL database) is its: left put off here.
    """
    claims = stats.take_put_off()
    pause = stop or threading.Event()
    while claims and poller.fetching() and not pause.is_set():
        pause.wait(0.05)  # each fetch ends within its own deadline
    if not claims or pause.is_set():
        for claim in claims:
            stats.note_put_off(claim)
        return
    now = poller.app.clock()
    ids = [c.id for c in claims]
    with poller.app.db.writing() as session:
        leased = set(
            session.execute(
                update(SOURCES)
                .where(SOURCES.c.id.in_(ids), SOURCES.c.next_check_at <= now)
                .values(next_check_at=now + LEASE, last_attempt_at=now)
                .returning(SOURCES.c.id)
            ).scalars()
        )
    for claim in claims:
        if claim.id not in leased:
            stats.note_put_off(claim)
    again = [c for c in claims if c.id in leased]
    log.info(
        "fetching again the sources put off behind other fetches of their site",
        extra=kv(sources=len(again)),
    )
    # The poller's own workers and bookkeeping (the fetch under way, the outcome
    # recorded as in the round): only the claiming differs.
    pool = poller._workers(poller.app.loaded.config.watchtower.concurrency)
    try:
        futures = [pool.submit(poller._poll_tracked, c, stats, stop, True) for c in again]
        done, _running = wait_at_most(futures, None, stop, grace=STOP_GRACE)
    finally:
        # As at the end of a round: a retry that found nothing new (a 304) is a
        # quiet success, and this run has no later round to write it.
        poller._quiet.flush(poller.app.db)
    for future in done:
        error = future.exception()
        if error is not None:  # a database error while recording: the run's error
            raise error


#: Seconds running retries get to store their result once a stop is asked (as a round's).
STOP_GRACE = 2.0
