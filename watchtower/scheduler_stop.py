"""How the daemon stops (:class:`Shutdown`, a part of :class:`~watchtower.scheduler.Daemon`).

SIGTERM/SIGINT: stop claiming; running fetches get :data:`POLL_GRACE` to store
their result, outbox workers stop after the row they are sending and hand back
the rest, then :meth:`Outbox.flush` sends what was never tried — all within
:data:`STOP_DEADLINE` (Docker kills after 10 s). Work still running then is
abandoned (``abandoned``: the caller ends the process). A fetch still running
(a slow server) is part of a normal stop: its source's lease is released, so it
is due at the next start (:mod:`watchtower.storage.schedules`), and the log says
so at INFO, naming the source. Anything else left (a delivery in flight, a flush or
a job stuck on the database) is a WARNING: a notification's lease makes it
claimed again (checked first).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from watchtower.logs import kv
from watchtower.storage.schedules import release_abandoned

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from watchtower.app import App
    from watchtower.outage import DatabaseWatch

__all__ = ["POLL_GRACE", "STOP_DEADLINE", "Shutdown"]

# The daemon's logger: these lines are part of its story (and of its log filters).
log = logging.getLogger("watchtower.scheduler")

STOP_DEADLINE = 8.0  # seconds from SIGTERM to exit (Docker's default grace is 10 s)
POLL_GRACE = 2.0  # seconds running fetches get to finish when stopping


class Shutdown:
    """Stopping :class:`~watchtower.scheduler.Daemon`, which sets these attributes."""

    app: App
    stop: threading.Event
    abandoned: list[str]
    database: DatabaseWatch
    _jobs_lock: threading.Condition
    _running: set[str]

    def _shutdown(self, scheduler: BackgroundScheduler) -> None:
        """Stop within :data:`STOP_DEADLINE`; what still runs then is abandoned."""
        begun = time.monotonic()
        deadline, grace = begun + STOP_DEADLINE, begun + POLL_GRACE
        log.info("stopping: finishing current work", extra=kv(deadline=f"{STOP_DEADLINE:.0f}s"))
        self.stop.set()  # also when the loop ended otherwise (an exception)
        scheduler.shutdown(wait=False)
        jobs_done = self._wait_for_jobs(grace)
        fetches_done = self.app.poller.close(timeout=max(0.0, grace - time.monotonic()))
        slow = set() if fetches_done else self.app.poller.fetching()
        # Outbox workers stop after the row they are sending and hand back the rest.
        self.app.outbox.join(max(0.0, deadline - time.monotonic()))
        # In a thread: even its first query (a database that stopped answering)
        # must not hold the process past the deadline.
        released: list[list[str]] = []
        flusher = threading.Thread(
            target=self._flush_and_sign_off,
            args=(deadline, slow, released),
            name="flush",
            daemon=True,
        )
        flusher.start()
        flusher.join(max(0.0, deadline - time.monotonic()))
        left = [] if jobs_done else sorted(self._running)
        if not fetches_done:
            left.append("fetches")
        if flusher.is_alive():
            left.append("flush")
        left += [f"outbox {kind}" for kind in self.app.outbox.busy()]
        self.abandoned = left
        # A slow fetch abandoned, its source released, is a normal stop (the poll
        # round waits for it too): said once at INFO. Anything else warns.
        normal = ("fetches", "poll") if released else ()
        problems = [work for work in left if work not in normal]
        if released:
            log.info(
                "stopped during a slow fetch: abandoned, due at the next start",
                extra=kv(sources=",".join(released[0])),
            )
        if problems:
            log.warning(
                "stopped with work still running",
                extra=kv(
                    running=",".join(problems),
                    hint="leased sources and claimed notifications are due again "
                    "when their lease ends",
                ),
            )
        log.info("stopped", extra=kv(seconds=f"{time.monotonic() - begun:.1f}"))

    def _flush_and_sign_off(
        self, deadline: float, slow: set[int], released: list[list[str]]
    ) -> None:
        """Release the sources of the fetches abandoned (``slow``: due at the next
        start, their names appended to ``released``), flush the outbox, then record
        the clean stop, so that ``status`` says "stopped" rather than "not seen"
        (:mod:`watchtower.heartbeat`)."""
        if slow:
            try:
                with self.app.db.writing() as session:
                    released.append(release_abandoned(session, slow, self.app.clock()))
            except Exception as exc:  # a database outage: their lease ends instead
                log.warning(
                    "could not release the sources of abandoned fetches",
                    extra=kv(error=type(exc).__name__),
                )
        self.flush(deadline)
        heartbeat = self.app.poller.heartbeat
        if not heartbeat.started:
            return
        try:
            heartbeat.stopped(self.app.db, self.app.clock())
        except Exception as exc:  # a database outage: status will say "not seen"
            log.warning("could not record the stop", extra=kv(error=type(exc).__name__))

    def _wait_for_jobs(self, until: float) -> bool:
        with self._jobs_lock:
            while self._running:
                left = until - time.monotonic()
                if left <= 0:
                    return False
                self._jobs_lock.wait(left)
        return True

    def flush(self, deadline: float | None = None) -> None:
        """Send what was never tried, until ``deadline`` (``time.monotonic()``; default
        :data:`STOP_DEADLINE` from now); nothing is retried (see :meth:`Outbox.flush`)."""
        if deadline is None:
            deadline = time.monotonic() + STOP_DEADLINE
        try:
            self.app.outbox.flush(deadline)
        except Exception as exc:
            if not self.database.failed(exc, job="flush"):
                log.exception("final drain failed")
