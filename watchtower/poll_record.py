"""What the *poll* job writes after a fetch: a success (its items through the
pipeline, the source's schedule and state) or a failure (counted, backed off,
told to ops), for :class:`~watchtower.poll.Poller`."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from watchtower import metrics, source_alerts
from watchtower.adapters.base import FetchResult, SourceSettings
from watchtower.durations import format_duration
from watchtower.errors import SourceError
from watchtower.logs import kv
from watchtower.pipeline.runner import BatchStats, RunContext, run_batch
from watchtower.poll_deferral import put_off_site
from watchtower.poll_outcome import (
    SUCCESS,
    SUCCESS_WITH_NEWS,
    PollStats,
    QuietSuccesses,
    success_outcome,
)
from watchtower.poll_timing import backlog_cutoff, backlog_of, next_check
from watchtower.redact import redact_text
from watchtower.storage.one_of import execute
from watchtower.storage.queries import Claim
from watchtower.storage.tables import SourceRow

if TYPE_CHECKING:
    from watchtower.app import App

__all__ = ["OutcomeRecording"]

log = logging.getLogger("watchtower.poll")


class OutcomeRecording:
    """The outcome recording of :class:`~watchtower.poll.Poller`: one
    transaction a fetch, its counts added to the round's under the poller's lock."""

    app: App
    _lock: threading.Lock
    _quiet: QuietSuccesses

    def _record_success(
        self,
        claim: Claim,
        settings: SourceSettings,
        result: FetchResult,
        stats: PollStats,
        first: bool = True,
    ) -> None:
        app = self.app
        now = app.clock()
        outcome = success_outcome(claim, settings, result, now)
        batch = BatchStats()
        if not result.items and claim.alert_reason is None:
            self._quiet.note(outcome, app.db)
        else:
            with app.db.writing() as session:
                if result.items:
                    ctx = RunContext(
                        app.loaded.config,
                        app.matcher,
                        app.stories,
                        session,
                        now,
                        notify_after=backlog_cutoff(app.loaded.config, settings, claim, now),
                    )
                    batch = run_batch(ctx, claim.id, settings.name, result.items)
                # On the connection: a Core statement needs none of the session's
                # ORM handling, which cost more than the UPDATE; compiled once on
                # SQLite (one_of.execute).
                if batch.new_items:
                    execute(
                        session.connection(),
                        SUCCESS_WITH_NEWS,
                        {**outcome, "b_new": batch.new_items},
                    )
                else:
                    execute(session.connection(), SUCCESS, outcome)
                if claim.alert_reason is not None:
                    row = session.get(SourceRow, claim.id)
                    if row is not None:
                        source_alerts.after_success(
                            session, app.loaded.config, row, batch.new_items, now
                        )
        with self._lock:
            stats.ok += first  # a source read again by `run --once` is one source
            stats.not_modified += result.not_modified
            stats.items += len(result.items)
            stats.add(batch)
        metrics.source_ok(settings, len(result.items), batch.new_items, batch.mentions)
        for warning in result.warnings:
            log.warning("source warning", extra=kv(source=settings.name, warning=warning))
        # Only what changed at INFO: a round of 300 sources is one "poll round" line.
        log.log(
            logging.INFO if batch.new_items else logging.DEBUG,
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
        if batch.backlog:
            log.info(
                "first poll: older items recorded without notification",
                extra=kv(
                    source=settings.name,
                    items=batch.backlog,
                    older_than=format_duration(backlog_of(app.loaded.config, settings)),
                ),
            )

    def _record_failure(
        self,
        source_id: int,
        settings: SourceSettings,
        message: str,
        retry_after: float | None,
        stats: PollStats,
        error: SourceError | None = None,
    ) -> None:
        """Count a failed fetch; ``error`` lets the ops alert say it in the configured language."""
        app = self.app
        now = app.clock()
        message = redact_text(message)  # stored, shown by status, sent to ops
        with app.db.writing() as session:
            row = session.get(SourceRow, source_id)
            if row is None:
                return
            if not row.consecutive_failures:  # the first failure of a run: it starts now
                row.failing_since = now
            row.consecutive_failures += 1
            row.last_error = message
            if put_off_site(row.last_warning) is not None:  # how the fetch before went
                row.last_warning = None
            row.last_error_at = now
            row.next_check_at = next_check(
                settings.every, now, failures=row.consecutive_failures, retry_after=retry_after
            )
            failures, when = row.consecutive_failures, row.next_check_at
            source_alerts.after_failure(session, app.loaded.config, row, now, error)
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
