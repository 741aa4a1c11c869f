"""The *poll* job: claim due sources, fetch them with bounded concurrency, record the outcome.

The database is the schedule (as in Miniflux): each source row carries
``next_check_at``, computed here from ``every`` with jitter, pushed back by
Retry-After and by capped exponential backoff after failures. A failing source
is recorded and logged and never stops the others. A database that refuses the
round's writes is an outage, not the sources' failure; a full one keeps the
claims' leases and tells ops once, without the outbox
(:mod:`watchtower.database_full`).
"""

from __future__ import annotations

import functools
import logging
import threading
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import update

from watchtower import metrics
from watchtower.adapters.base import FetchContext, FetchResult, SourceState
from watchtower.adapters.registry import REGISTRY
from watchtower.database_full import FullDatabase, full_reason
from watchtower.durations import format_duration
from watchtower.errors import SourceError, TransientError
from watchtower.heartbeat import Heartbeat
from watchtower.logs import kv
from watchtower.outage import outage_reason
from watchtower.pipeline.route import configured_targets
from watchtower.poll_deferral import put_off_host, record_put_off, retry_put_off
from watchtower.poll_outcome import PollStats, QuietSuccesses
from watchtower.poll_placeholders import PlaceholderSkips
from watchtower.poll_record import OutcomeRecording
from watchtower.storage.dead_claims import LeftClaims, left_claims
from watchtower.storage.queries import LEASE, Claim, claim_due_sources, release_leases
from watchtower.storage.tables import SOURCES
from watchtower.workers import Workers, wait_at_most

if TYPE_CHECKING:
    from watchtower.app import App

log = logging.getLogger("watchtower.poll")


#: Seconds running fetches get to store their result once a stop is asked.
STOP_GRACE = 2.0
#: ``run --once`` reads a source that says more waits (``FetchResult.more``: a
#: mailbox catching up) again at once, up to this many reads in all, each
#: recorded on its own. The daemon reads one per round instead (the source is
#: due again at the next round): a round waits at most ``poll_interval`` for its
#: sources, and a source reading on would hold its worker from the others.
ONCE_MAX_READS = 20


class Poller(OutcomeRecording):
    """Runs one poll round for an :class:`~watchtower.app.App`.

    The worker threads live as long as the poller (starting a hundred threads
    each round cost more CPU than the round's 304s). A round of the daemon
    waits at most ``poll_interval`` for its sources: one that hangs (a mail
    server trickling its answer) finishes in the background, keeps its worker
    and its lease, and the next round polls the other due sources. Quiet
    successes are written together (:class:`~watchtower.poll_outcome.QuietSuccesses`).
    """

    def __init__(self, app: App) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._pool: Workers | None = None
        self._in_flight = 0  # sources submitted and not finished, all rounds together
        self._fetching: dict[int, datetime] = {}  # source id -> when its fetch started
        self._quiet = QuietSuccesses()
        self._leases_checked = False
        self._placeholders = PlaceholderSkips()  # never claimed (watchtower.placeholders)
        #: This process's row in ``daemons``, for ``watchtower status``.
        self.heartbeat = Heartbeat(
            str(app.loaded.path),
            app.loaded.config.watchtower.poll_interval,
            app.clock(),
            targets=configured_targets(app.loaded.config),
        )
        #: A database that cannot grow: ops told once, without the outbox.
        self.full = FullDatabase(app)

    def _workers(self, size: int) -> Workers:
        old = None
        with self._lock:
            if self._pool is None or self._pool.size != size:
                old, self._pool = self._pool, Workers(size, "poll")
            pool = self._pool
        if old is not None:
            # Outside the lock: cancelling runs the futures' callbacks, which take it.
            old.shutdown(timeout=0)  # its running fetches still finish
        return pool

    def close(self, timeout: float | None = None) -> bool:
        """Stop the worker threads, waiting up to ``timeout`` seconds for running
        fetches (``None``: until they end); ``True`` when none was left behind."""
        with self._lock:
            pool, self._pool = self._pool, None
        return pool is None or pool.shutdown(timeout)

    def poll(self, *, all_sources: bool = False, stop: threading.Event | None = None) -> PollStats:
        """Claim due sources (every enabled one with ``all_sources``) and fetch them.

        With ``all_sources`` (``run --once``) the round waits for every source;
        otherwise for ``poll_interval`` at most (see the class docstring). The
        first round records this process in ``daemons``, each round that ends
        records the heartbeat (:mod:`watchtower.heartbeat`): one upsert each.
        """
        db = self.app.db
        try:
            if not self.heartbeat.started:
                self.heartbeat.start(db, self.app.clock(), once=all_sources)
            stats = self._round(all_sources, stop)
            if all_sources:  # run --once has no next round for the sources put off
                retry_put_off(self, stats, stop)
            self.heartbeat.round_ended(
                db, self.app.clock(), stats.sources, stats.ok, stats.failed, stats.put_off
            )
        except Exception as exc:
            self.full.failed(exc)  # the caller logs it (one line per outage)
            raise
        if stats.new_items:  # a new row stored: the database grows again
            self.full.stored()
        return stats

    def _round(self, all_sources: bool, stop: threading.Event | None) -> PollStats:
        app = self.app
        stats = PollStats()
        config = app.loaded.config
        if not self._leases_checked:
            self.release_dead_leases()
        # First: new workers after a reload changed `concurrency` free (and make
        # due) the sources queued in the old ones, which this round then claims.
        pool = self._workers(config.watchtower.concurrency)
        with self._lock:
            # Claims stay within what the workers can start soon: a source queued
            # behind hung fetches for longer than its lease would be claimed twice.
            room = max(config.watchtower.concurrency * 4 - self._in_flight, 0)
        limit = room if not all_sources else 1_000_000
        if not limit:
            return stats
        skip = self._placeholders.names(app.loaded.sources)
        with app.db.writing() as session:
            claimed = claim_due_sources(
                session, app.clock(), LEASE, limit, all_sources=all_sources, skip=skip
            )
        claimed = self._not_already_fetching(claimed)
        if not claimed:
            return stats
        stats.sources = len(claimed)
        try:
            with self._lock:
                self._in_flight += len(claimed)
            futures = [
                pool.submit(self._poll_tracked, c, stats, stop, all_sources) for c in claimed
            ]
            for claim, future in zip(claimed, futures, strict=True):
                future.add_done_callback(functools.partial(self._one_less, claim))
            patience = None if all_sources else config.watchtower.poll_interval.total_seconds()
            done, running = wait_at_most(futures, patience, stop, grace=STOP_GRACE)
            stats.running = len(running)
            _raise_first(done)
        finally:
            self._quiet.flush(self.app.db)
        return stats

    def release_dead_leases(
        self, alone: bool | None = None, left: LeftClaims | None = None
    ) -> None:
        """Leases still held at start were left by a process that died mid-poll:
        those sources are due now, not in 10 minutes. On SQLite (one daemon per
        file) always; on PostgreSQL when no other process is live
        (:meth:`Heartbeat.alone`: the others stopped, went stale, or were killed —
        their liveness lock is free), else another replica may hold them: they
        expire. ``alone`` and ``left``: the verdict :meth:`App.start` judged once
        for the leases and the outbox, and the claims it read before judging;
        without them (a poller never started), both are taken here. Only the
        leases read before the verdict go (:mod:`~watchtower.storage.dead_claims`):
        a process started meanwhile may have claimed since."""
        self._leases_checked = True
        db = self.app.db
        if left is None:
            with db.session() as session:
                left = left_claims(session, self.app.clock())
        if alone is None:
            alone = not db.postgres or self.heartbeat.alone(db, self.app.clock())
        if not alone or not left.sources:
            return
        with db.writing() as session:
            released = release_leases(session, self.app.clock(), only=left.sources)
        if released:
            log.info("sources left leased by a stopped process are due", extra=kv(sources=released))

    def fetching(self) -> set[int]:
        """The ids of the sources being fetched now (a hung one stays here)."""
        with self._lock:
            return set(self._fetching)

    def _not_already_fetching(self, claimed: list[Claim]) -> list[Claim]:
        """``claimed`` without the sources whose fetch from an earlier round still
        runs (its lease expired): a second fetch would hang the same way and hold
        one more worker. The claim just extended their lease; the running fetch
        records the outcome."""
        now = self.app.clock()
        with self._lock:
            stuck = {c.id: self._fetching[c.id] for c in claimed if c.id in self._fetching}
        for claim in claimed:
            if claim.id in stuck:
                log.warning(
                    "source still being fetched",
                    extra=kv(source=claim.name, running_for=format_duration(now - stuck[claim.id])),
                )
        return [c for c in claimed if c.id not in stuck]

    def _poll_tracked(
        self, claim: Claim, stats: PollStats, stop: threading.Event | None, drain: bool = False
    ) -> None:
        with self._lock:
            self._fetching[claim.id] = self.app.clock()
        try:
            self._poll_one(claim, stats, stop, drain)
        finally:
            with self._lock:
                self._fetching.pop(claim.id, None)

    def _one_less(self, claim: Claim, future: Future[None]) -> None:
        """A source's place in the round is free; one cancelled before its fetch
        started (workers replaced at a reload, a stop) is due again at once."""
        with self._lock:
            self._in_flight -= 1
        if future.cancelled():
            try:
                self._release(claim.id)
            except Exception:  # a database outage: its lease ends in 10 minutes anyway
                log.warning("could not release a source not fetched", extra=kv(source=claim.name))

    def _poll_one(
        self, claim: Claim, stats: PollStats, stop: threading.Event | None, drain: bool = False
    ) -> None:
        """Fetch one source and record the outcome; with ``drain`` (``run --once``),
        again while it says more waits, :data:`ONCE_MAX_READS` reads at most."""
        for read in range(1, ONCE_MAX_READS + 1):
            result = self._read_one(claim, stats, stop, first=read == 1)
            more = result is not None and result.more and result.cursor not in (None, claim.cursor)
            if not (drain and more) or (stop is not None and stop.is_set()):
                return
            assert result is not None and result.cursor is not None
            claim = replace(
                claim,
                etag=result.etag,
                last_modified=result.last_modified,
                cursor=dict(result.cursor),
                alert_reason=None,  # the first success recorded the recovery
                first_poll=False,
            )
        log.warning(
            "run --once stopped catching up a source; the next run reads on",
            extra=kv(source=claim.name, reads=ONCE_MAX_READS),
        )

    def _read_one(
        self, claim: Claim, stats: PollStats, stop: threading.Event | None, first: bool
    ) -> FetchResult | None:
        """One fetch of ``claim`` and its outcome recorded; the result when it succeeded."""
        app = self.app
        settings = app.source_settings(claim.name)
        if settings is None or (stop is not None and stop.is_set()):
            self._release(claim.id)
            return None
        ctx = FetchContext(
            http=app.http, now=app.clock, log=log, timezone=app.loaded.config.watchtower.timezone
        )
        state = SourceState(claim.etag, claim.last_modified, dict(claim.cursor))
        metrics.poll_started()
        try:
            result = REGISTRY[settings.kind].fetch(settings, state, ctx)
        except SourceError as exc:
            host = put_off_host(exc)
            if host is not None:  # queued behind our fetches of its site: not its failure
                record_put_off(app.db, claim, settings, host, app.clock(), stats)
                return None
            self._record_failure(claim.id, settings, exc.message, exc.retry_after, stats, exc)
            return None
        except Exception as exc:  # a bug in one adapter must not stop the others
            log.exception("adapter crashed", extra=kv(source=claim.name))
            crash = internal_error("adapter_crashed", exc)
            self._record_failure(claim.id, settings, crash.message, None, stats, crash)
            return None
        try:
            self._record_success(claim, settings, result, stats, first)
        except Exception as exc:  # nothing stored: the items are fetched again next time
            app.stories.forget_batch()  # it may have indexed items that were rolled back
            if outage_reason(exc) is not None:
                # The database, not the source: the round's error is logged once as
                # "database unavailable", and no failure is counted against the source
                # (a restart would tell ops every source is down, with SQL as the reason).
                # A full database keeps the claim's lease: made due at once, the source
                # would be fetched again every round, for nothing, until space returns.
                if full_reason(exc) is None:
                    self._release_after_outage(claim)
                raise
            log.exception("processing failed", extra=kv(source=claim.name))
            crash = internal_error("processing_failed", exc)
            self._record_failure(claim.id, settings, crash.message, None, stats, crash)
            return None
        return result

    def _release_after_outage(self, claim: Claim) -> None:
        """Due again at once if the database is back (a connection lost, not the
        server); else the lease ends in 10 minutes, as for a crashed process."""
        try:
            self._release(claim.id)
        except Exception:
            log.debug("could not release a source after an outage", extra=kv(source=claim.name))

    def _release(self, source_id: int) -> None:
        with self.app.db.writing() as session:
            session.execute(
                update(SOURCES)
                .where(SOURCES.c.id == source_id)
                .values(next_check_at=self.app.clock())
            )


def internal_error(code: str, exc: Exception) -> SourceError:
    """A bug (an adapter crashed, processing failed) as a source error with a code,
    so that the ops alert says it in the configured language."""
    return TransientError(code=code, params={"error": f"{type(exc).__name__}: {exc}"})


def _raise_first(done: set[Future[None]]) -> None:
    """Re-raise the first error of a finished fetch (``_poll_one`` catches the
    adapters' own; what escapes is a database error while recording)."""
    for future in done:
        error = future.exception()
        if error is not None:
            raise error
