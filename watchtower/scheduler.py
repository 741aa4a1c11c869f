"""The daemon: a few APScheduler interval jobs over the database schedule.

*poll* claims due sources, *drain* delivers the outbox, *cleanup* prunes old
rows (:data:`CLEANUP_FIRST` after start, then hourly; ``run --once`` at its end)
— no job per source (each source's ``next_check_at`` is its schedule) — and
*feedback* reads the reactions on recent Slack alerts every 5 minutes
(:mod:`watchtower.feedback`; ``run --once`` at its end). Jobs
use ``coalesce=True, max_instances=1`` so a slow round is never doubled.

SIGTERM/SIGINT stop the daemon within a deadline, abandoning what still runs
then (:mod:`watchtower.scheduler_stop`).

Liveness (``last_tick``, for ``/livez``) is the poller's progress on the
monotonic clock: the end of the last poll round, or the start of a fetch still
running if older. The main loop also watches the wall clock: a jump (an NTP
step, a VM restored) reschedules the jobs, and a backward one moves the
database schedule back by as much (:mod:`watchtower.storage.schedules`), so
polling never freezes for the jump's length.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from watchtower import escalation
from watchtower.app import App
from watchtower.feedback import FEEDBACK_EVERY, FeedbackReader
from watchtower.logs import kv
from watchtower.nothing_fetched import nothing_fetched
from watchtower.outage import watch
from watchtower.scheduler_stop import Shutdown
from watchtower.storage import outbox_queries
from watchtower.storage.schedules import shift_schedules

log = logging.getLogger("watchtower.scheduler")

CLEANUP_EVERY = timedelta(hours=1)
#: The first prune after a start. Not only hourly: a daemon restarted more often
#: than that (a deploy a day is fine, a crash loop is not) would never prune, and
#: the database would grow for ever. Soon, but after the first rounds' writes.
CLEANUP_FIRST = timedelta(seconds=30)
CLOCK_JUMP = 5.0  # seconds of disagreement between wall and monotonic clocks that is a jump
ONCE_MAX_WAIT = 120.0  # seconds `run --once` waits for retries before giving up
#: ``run --once`` exit code when a source failed or a notification was not delivered.
ONCE_INCOMPLETE = 1
#: ``run --once`` exit code when every enabled source is a placeholder (the
#: config must be edited: the CLI's ``EXIT_CONFIG``, an invalid config's status).
ONCE_CONFIG_TO_EDIT = 2


class Daemon(Shutdown):
    """Runs an :class:`App` until told to stop (stopping: :class:`Shutdown`)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.stop = threading.Event()
        #: Work still running when the stop deadline passed (the process should end anyway).
        self.abandoned: list[str] = []
        self.database = watch(app.db.engine)
        self._jobs_lock = threading.Condition()
        self._running: set[str] = set()
        self._round_ended: float | None = None  # time.monotonic() at the end of a poll round
        self._fetches: dict[int, float] = {}  # source id → first seen fetching (monotonic)
        self._clocks = (time.time(), time.monotonic())
        #: Reactions on Slack alerts (🚫: not relevant), its own job: never holds a delivery.
        self.feedback = FeedbackReader(app.db, app.notifier_for, app.clock)

    # ------------------------------------------------------------- liveness
    @property
    def last_tick(self) -> datetime | None:
        """When the poller last showed progress (None: no round ended, no fetch seen yet).

        The end of the last poll round, or the start of the oldest fetch still
        running when older (a round no longer waits for a hung source). Measured
        on the monotonic clock and shown as a wall-clock time: a jump of the
        wall clock neither hides nor fakes a stall.
        """
        marks = list(self._fetches.values())
        if self._round_ended is not None:
            marks.append(self._round_ended)
        if not marks:
            return None
        return datetime.now(UTC) - timedelta(seconds=time.monotonic() - min(marks))

    def _watch_fetches(self, now: float) -> None:
        """Note since when each fetch still running has been seen (the poller keeps
        a hung one running in the background while its rounds go on)."""
        running = self.app.poller.fetching()
        self._fetches = {source: self._fetches.get(source, now) for source in running}

    @contextlib.contextmanager
    def _job(self, name: str) -> Iterator[None]:
        """Track a running job (shutdown waits for them, a bounded time)."""
        with self._jobs_lock:
            self._running.add(name)
        try:
            yield
        finally:
            with self._jobs_lock:
                self._running.discard(name)
                self._jobs_lock.notify_all()

    # ------------------------------------------------------------------ jobs
    def poll_job(self) -> None:
        with self._job("poll"):
            if self.stop.is_set():
                return
            try:
                stats = self.app.poller.poll(stop=self.stop)
            except Exception as exc:
                if self.stop.is_set():  # cut short by the shutdown: its sources stay leased
                    log.info("poll round interrupted: stopping", extra=kv(error=type(exc).__name__))
                elif not self.database.failed(exc, job="poll"):
                    log.exception("poll round failed")
            else:
                if stats.sources:
                    self.database.ok()
                    log.info("poll round", extra=kv(**stats.summary()))
            finally:
                self._round_ended = time.monotonic()

    def drain_job(self) -> None:
        with self._job("drain"):
            self.alerting_tick()
            try:
                heartbeat = self.app.poller.heartbeat
                if not heartbeat.started:  # no claim before this process's row exists
                    heartbeat.start(self.app.db, self.app.clock())
                # Not waiting: a kind busy with a slow server keeps its worker, and
                # the next round still drains the other kinds.
                self.app.outbox.drain(self.stop, wait=False)
            except Exception as exc:
                if not self.database.failed(exc, job="drain"):
                    log.exception("drain round failed")

    def alerting_tick(self, *, groups_now: bool = False) -> None:
        """Release held notifications whose window ended; check spikes and escalations."""
        try:
            self.app.alerting.tick(groups_now=groups_now)
        except Exception as exc:
            if not self.database.failed(exc, job="alerting"):
                log.exception("alerting round failed")

    def feedback_job(self) -> None:
        """Read the reactions of recent Slack alerts (:mod:`watchtower.feedback`)."""
        with self._job("feedback"):
            try:
                self.feedback.run(self.stop)
            except Exception as exc:
                if not self.database.failed(exc, job="feedback"):
                    log.exception("feedback round failed")

    def cleanup_job(self, *, silence: bool = True) -> None:
        """Prune what ``retention`` lets go; with ``silence``, also flag silent sources.

        Silence is not judged in the first minutes after a start: until the first
        rounds have fetched them, sources look silent for as long as the daemon
        was down.
        """
        with self._job("cleanup"):
            try:
                self.app.cleanup()
                if silence:
                    self.app.check_silence()
            except Exception as exc:
                if not self.database.failed(exc, job="cleanup"):
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
        scheduler.add_job(
            self.feedback_job, "interval", id="feedback", seconds=FEEDBACK_EVERY.total_seconds()
        )
        scheduler.add_job(
            self.cleanup_job,
            "date",
            id="first-cleanup",
            run_date=now + CLEANUP_FIRST,
            kwargs={"silence": False},
        )
        scheduler.start()
        log.info(
            "daemon started",
            extra=kv(
                poll_every=section.poll_interval.total_seconds(),
                drain_every=section.drain_interval.total_seconds(),
            ),
        )
        self._clocks = (time.time(), time.monotonic())
        try:
            while not self.stop.wait(1.0):
                self._tick(scheduler)
        finally:
            self._shutdown(scheduler)
        return 0

    def _tick(self, scheduler: BackgroundScheduler) -> None:
        """Once a second: note running fetches, and catch a jump of the wall clock."""
        wall, mono = time.time(), time.monotonic()
        self._watch_fetches(mono)
        last_wall, last_mono = self._clocks
        self._clocks = (wall, mono)
        jump = (wall - last_wall) - (mono - last_mono)
        if abs(jump) >= CLOCK_JUMP:
            try:
                self._clock_jumped(scheduler, jump)
            except Exception as exc:
                if not self.database.failed(exc, job="clock"):
                    log.exception("could not reschedule after the clock jump")

    def _clock_jumped(self, scheduler: BackgroundScheduler, jump: float) -> None:
        """The wall clock moved by ``jump`` seconds more than time passed.

        APScheduler's interval triggers count from the previous run's wall-clock
        time, and ``next_check_at`` is wall clock too: after a step back of an
        hour nothing would run for an hour. Jobs run now and count from here;
        a step back moves every future check and retry back by as much.
        """
        now = datetime.now(UTC)
        shifted = (0, 0)
        with self.app.db.writing() as session:
            if jump < 0:
                shifted = shift_schedules(session, now, timedelta(seconds=-jump))
            # Both ways: an escalation's deadline is a duration after its Slack post.
            deadlines = escalation.shift_deadlines(session, now, timedelta(seconds=jump))
        for job_id in ("poll", "drain"):
            scheduler.modify_job(job_id, next_run_time=now)
        scheduler.reschedule_job(
            "cleanup", trigger="interval", seconds=CLEANUP_EVERY.total_seconds()
        )
        log.warning(
            "wall clock jumped: jobs rescheduled",
            extra=kv(
                jump=f"{jump:+.0f}s",
                sources_moved=shifted[0],
                notifications_moved=shifted[1],
                escalations_moved=deadlines,
            ),
        )

    def run_once(self, max_wait: float = ONCE_MAX_WAIT) -> int:
        """Poll every source once, deliver everything due, return the exit code.

        Grouping windows are released at once (the run has nothing more to
        wait for); quiet hours and digests keep their notifications held until
        their window ends. Notifications waiting for a retry are awaited up to
        ``max_wait`` seconds. The exit code is 0 when every source was fetched
        and nothing was left undelivered, else :data:`ONCE_INCOMPLETE` (cron and
        systemd timers then report the run); the log line says what failed. A
        source put off behind other fetches of its site is fetched again at the
        end of the poll (:func:`~watchtower.poll_deferral.retry_put_off`); one
        still put off then was not fetched: the run is incomplete. A config whose
        every enabled source is a placeholder exits :data:`ONCE_CONFIG_TO_EDIT`
        (:mod:`watchtower.nothing_fetched`); one with no enabled source says so.
        The last line logged, ``run finished``, gives the code returned.
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
        # Sent but not recorded (a full or locked database): one last try, else
        # each is logged, as at a daemon's stop (the next run may send it again).
        self.app.outbox.settle()
        with self.app.db.session() as session:
            after = outbox_queries.outbox_counts(session)
        # A cron job may be all there is: it prunes too, or the database grows for
        # ever (after counting: pruned rows are not this run's).
        if not self.stop.is_set():
            self.feedback_job()  # a cron job may be all there is: reactions too
            self.cleanup_job(silence=False)
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
        code = ONCE_INCOMPLETE if stats.failed or stats.put_off or failed or waiting else 0
        why = nothing_fetched(self.app.loaded.sources, str(self.app.loaded.path))
        if why is not None and why.config_to_edit:
            code = ONCE_CONFIG_TO_EDIT  # nothing fetched, nor will be until it is edited
        elif why is not None:  # the operator's choice: a note, before the last line
            log.warning(why.message)
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
