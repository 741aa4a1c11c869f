"""The *poll* job: claim due sources, fetch them with bounded concurrency, record the outcome.

The database is the schedule (as in Miniflux): each source row carries
``next_check_at``, computed here from ``every`` with jitter, pushed back by
Retry-After and by capped exponential backoff after failures. A failing source
is recorded and logged and never stops the others.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from watchtower import metrics, source_alerts
from watchtower.adapters.base import FetchContext, FetchResult, SourceSettings, SourceState
from watchtower.adapters.registry import REGISTRY
from watchtower.errors import SourceError
from watchtower.logs import kv
from watchtower.pipeline.runner import BatchStats, RunContext, run_batch
from watchtower.storage.queries import claim_due_sources
from watchtower.storage.tables import SourceRow

if TYPE_CHECKING:
    from watchtower.app import App

log = logging.getLogger("watchtower.poll")

LEASE = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=6)
MAX_RETRY_AFTER = timedelta(hours=24)


def next_check(
    every: timedelta,
    now: datetime,
    *,
    failures: int = 0,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> datetime:
    """When to check a source next: ``every`` ±10%, doubled per failure up to a cap,
    and never sooner than Retry-After."""
    rng = rng or random.Random()
    delay = every
    if failures:
        delay = min(every * 2 ** min(failures - 1, 16), max(every, MAX_BACKOFF))
    delay *= 0.9 + 0.2 * rng.random()
    if retry_after is not None:
        delay = max(delay, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return now + delay


@dataclass
class PollStats:
    sources: int = 0
    ok: int = 0
    failed: int = 0
    not_modified: int = 0
    items: int = 0
    new_items: int = 0
    mentions: int = 0
    queued: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, batch: BatchStats) -> None:
        self.new_items += batch.new_items
        self.mentions += batch.mentions
        self.queued += batch.queued

    def summary(self) -> dict[str, int]:
        """The figures a log line reports for a round."""
        return {
            "sources": self.sources,
            "ok": self.ok,
            "failed": self.failed,
            "new": self.new_items,
            "mentions": self.mentions,
            "queued": self.queued,
        }


class Poller:
    """Runs one poll round for an :class:`~watchtower.app.App`."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._lock = threading.Lock()

    def poll(self, *, all_sources: bool = False, stop: threading.Event | None = None) -> PollStats:
        """Claim due sources (every enabled one with ``all_sources``) and fetch them."""
        app = self.app
        stats = PollStats()
        config = app.loaded.config
        limit = max(config.watchtower.concurrency * 4, 1) if not all_sources else 1_000_000
        with app.db.writing() as session:
            rows = claim_due_sources(session, app.clock(), LEASE, limit, all_sources=all_sources)
            # The fetch state is read with the claim: the lease keeps other
            # workers off these rows until their outcome is recorded.
            claimed = [
                (r.id, r.name, SourceState(r.etag, r.last_modified, dict(r.cursor or {})))
                for r in rows
            ]
        if not claimed:
            return stats
        stats.sources = len(claimed)
        with ThreadPoolExecutor(config.watchtower.concurrency, "poll") as pool:
            for _ in pool.map(lambda c: self._poll_one(c[0], c[1], c[2], stats, stop), claimed):
                pass
        return stats

    def _poll_one(
        self,
        source_id: int,
        name: str,
        state: SourceState,
        stats: PollStats,
        stop: threading.Event | None,
    ) -> None:
        app = self.app
        settings = app.source_settings(name)
        if settings is None or (stop is not None and stop.is_set()):
            self._release(source_id)
            return
        ctx = FetchContext(http=app.http, now=app.clock, log=log)
        metrics.poll_started()
        try:
            result = REGISTRY[settings.kind].fetch(settings, state, ctx)
        except SourceError as exc:
            self._record_failure(source_id, settings, exc.message, exc.retry_after, stats)
            return
        except Exception as exc:  # a bug in one adapter must not stop the others
            log.exception("adapter crashed", extra=kv(source=name))
            self._record_failure(
                source_id, settings, f"internal error: {type(exc).__name__}: {exc}", None, stats
            )
            return
        try:
            self._record_success(source_id, settings, result, stats)
        except Exception as exc:  # nothing stored: the items are fetched again next time
            log.exception("processing failed", extra=kv(source=name))
            app.stories.forget_batch()  # it may have indexed items that were rolled back
            self._record_failure(
                source_id,
                settings,
                f"internal error while processing items: {type(exc).__name__}: {exc}",
                None,
                stats,
            )

    def _release(self, source_id: int) -> None:
        with self.app.db.writing() as session:
            row = session.get(SourceRow, source_id)
            if row is not None:
                row.next_check_at = self.app.clock()

    def _record_success(
        self, source_id: int, settings: SourceSettings, result: FetchResult, stats: PollStats
    ) -> None:
        app = self.app
        now = app.clock()
        with app.db.writing() as session:
            row = session.get(SourceRow, source_id)
            if row is None:
                return
            batch = BatchStats()
            if result.items:
                ctx = RunContext(app.loaded.config, app.matcher, app.stories, session, now)
                batch = run_batch(ctx, source_id, settings.name, result.items)
            row.etag, row.last_modified = result.etag, result.last_modified
            if result.cursor is not None:
                row.cursor = result.cursor
            row.last_success_at = now
            if batch.new_items:
                row.last_item_at = now
                row.items_total += batch.new_items
            row.consecutive_failures = 0
            row.last_error = None
            row.next_check_at = next_check(settings.every, now)
            source_alerts.after_success(session, app.loaded.config, row, batch.new_items, now)
        with self._lock:
            stats.ok += 1
            stats.not_modified += result.not_modified
            stats.items += len(result.items)
            stats.add(batch)
        metrics.source_ok(settings, len(result.items), batch.new_items, batch.mentions)
        for warning in result.warnings:
            log.warning("source warning", extra=kv(source=settings.name, warning=warning))
        log.info(
            "source fetched",
            extra=kv(
                source=settings.name,
                not_modified=result.not_modified,
                items=len(result.items),
                new=batch.new_items,
                mentions=batch.mentions,
                queued=batch.queued,
            ),
        )

    def _record_failure(
        self,
        source_id: int,
        settings: SourceSettings,
        message: str,
        retry_after: float | None,
        stats: PollStats,
    ) -> None:
        app = self.app
        now = app.clock()
        with app.db.writing() as session:
            row = session.get(SourceRow, source_id)
            if row is None:
                return
            row.consecutive_failures += 1
            row.last_error = message
            row.last_error_at = now
            row.next_check_at = next_check(
                settings.every, now, failures=row.consecutive_failures, retry_after=retry_after
            )
            failures, when = row.consecutive_failures, row.next_check_at
            source_alerts.after_failure(session, app.loaded.config, row, now)
        with self._lock:
            stats.failed += 1
            stats.errors[settings.name] = message
        metrics.source_failed(settings, message)
        log.warning(
            "source failed",
            extra=kv(
                source=settings.name,
                error=message,
                failures=failures,
                next_check=when.isoformat(timespec="seconds"),
            ),
        )
