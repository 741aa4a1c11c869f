"""The daemon: a few APScheduler interval jobs over the database schedule.

*poll* claims due sources, *drain* delivers the outbox, *cleanup* prunes old
rows — no job per source (each source's ``next_check_at`` is its schedule). Jobs
use ``coalesce=True, max_instances=1`` so a slow round is never doubled.
SIGTERM/SIGINT: stop claiming, let running jobs finish, flush the outbox, exit 0.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from watchtower.app import App
from watchtower.logs import kv
from watchtower.storage import outbox_queries

log = logging.getLogger("watchtower.scheduler")

CLEANUP_EVERY = timedelta(hours=1)
FLUSH_WAIT = 60.0  # seconds shutdown waits for a drain worker still sending
ONCE_MAX_WAIT = 120.0  # seconds `run --once` waits for retries before giving up
#: ``run --once`` exit code when a source failed or a notification was not delivered.
ONCE_INCOMPLETE = 1


class Daemon:
    """Runs an :class:`App` until told to stop."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.stop = threading.Event()
        self.last_tick: datetime | None = None

    # ------------------------------------------------------------------ jobs
    def poll_job(self) -> None:
        self.last_tick = datetime.now(UTC)
        if self.stop.is_set():
            return
        try:
            stats = self.app.poller.poll(stop=self.stop)
            if stats.sources:
                log.info("poll round", extra=kv(**stats.summary()))
        except Exception:
            log.exception("poll round failed")

    def drain_job(self) -> None:
        self.last_tick = datetime.now(UTC)
        self.alerting_tick()
        try:
            # Not waiting: a kind busy with a slow server keeps its worker, and
            # the next round still drains the other kinds.
            self.app.outbox.drain(self.stop, wait=False)
        except Exception:
            log.exception("drain round failed")

    def alerting_tick(self, *, groups_now: bool = False) -> None:
        """Release held notifications whose window ended; check spikes and escalations."""
        try:
            self.app.alerting.tick(groups_now=groups_now)
        except Exception:
            log.exception("alerting round failed")

    def cleanup_job(self) -> None:
        try:
            self.app.cleanup()
            self.app.check_silence()
        except Exception:
            log.exception("cleanup failed")

    # --------------------------------------------------------------- running
    def run_forever(self) -> int:
        """Run until SIGTERM/SIGINT; return the process exit code."""
        section = self.app.loaded.config.watchtower
        self._install_signals()
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
            timezone=UTC,
        )
        now = datetime.now(UTC)
        scheduler.add_job(
            self.poll_job,
            "interval",
            id="poll",
            next_run_time=now,
            seconds=section.poll_interval.total_seconds(),
        )
        # The first drain waits one interval: the first poll has usually queued
        # something by then, and a restart does not race the previous process.
        scheduler.add_job(
            self.drain_job, "interval", id="drain", seconds=section.drain_interval.total_seconds()
        )
        scheduler.add_job(
            self.cleanup_job, "interval", id="cleanup", seconds=CLEANUP_EVERY.total_seconds()
        )
        scheduler.start()
        log.info(
            "daemon started",
            extra=kv(
                poll_every=section.poll_interval.total_seconds(),
                drain_every=section.drain_interval.total_seconds(),
            ),
        )
        try:
            while not self.stop.wait(1.0):
                pass
        finally:
            log.info("stopping: finishing current work")
            scheduler.shutdown(wait=True)
            self.flush()
            log.info("stopped")
        return 0

    def flush(self) -> None:
        """Deliver what is due now (used on shutdown); retries wait for the next start."""
        try:
            self.app.outbox.join(FLUSH_WAIT)  # workers of the last periodic round
            self.app.outbox.drain()
        except Exception:
            log.exception("final drain failed")

    def run_once(self, max_wait: float = ONCE_MAX_WAIT) -> int:
        """Poll every source once, deliver everything due, return the exit code.

        Grouping windows are released at once (the run has nothing more to
        wait for); quiet hours and digests keep their notifications held until
        their window ends. Notifications waiting for a retry are awaited up to
        ``max_wait`` seconds. The exit code is 0 when every source was fetched
        and nothing was left undelivered, else :data:`ONCE_INCOMPLETE` (cron and
        systemd timers then report the run); the log line says what failed.
        """
        self._install_signals()
        with self.app.db.session() as session:
            before = outbox_queries.outbox_counts(session)
        stats = self.app.poller.poll(all_sources=True, stop=self.stop)
        deadline = time.monotonic() + max_wait
        while not self.stop.is_set():
            # Send what is due (new rows may be held for a group), release the
            # groups and every hold whose window ended, and send those.
            self.app.outbox.drain(self.stop)
            self.alerting_tick(groups_now=True)
            self.app.outbox.drain(self.stop)
            with self.app.db.session() as session:
                due = outbox_queries.next_outbox_attempt(session)
            if due is None:
                break
            wait = (due - self.app.clock()).total_seconds()
            if time.monotonic() + max(wait, 0) > deadline:
                log.warning(
                    "some notifications are still waiting for a retry; "
                    "they will be sent by the next run",
                    extra=kv(next_attempt=due.isoformat(timespec="seconds")),
                )
                break
            if wait > 0:
                self.stop.wait(min(wait, 5.0))
        with self.app.db.session() as session:
            after = outbox_queries.outbox_counts(session)
        # This run's deliveries, not the table's totals: a run that sent nothing says 0.
        sent, failed = (after.get(k, 0) - before.get(k, 0) for k in ("sent", "failed"))
        held = after.get("held", 0)
        if held:
            log.info(
                "notifications held for quiet hours or a digest; they go out when "
                "their window ends (from the daemon, or a later run)",
                extra=kv(held=held),
            )
        waiting = after.get("pending", 0) + after.get("sending", 0)
        code = ONCE_INCOMPLETE if stats.failed or failed or waiting else 0
        log.log(
            logging.WARNING if code else logging.INFO,
            "run finished",
            extra=kv(
                **stats.summary(),
                sent=sent,
                failed_notifications=failed,
                held=held,
                waiting=waiting,
                exit_code=code,
            ),
        )
        return code

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("signal received", extra=kv(signal=signal.Signals(signum).name))
            self.stop.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
