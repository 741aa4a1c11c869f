"""Drain the outbox: the one place where notifications are sent and retried.

One worker thread per target kind claims due rows and hands each to the
:class:`~watchtower.pipeline.dispatch.Dispatcher`, which sends it and records
the outcome. Success records the provider's message id; a retryable
:class:`DeliveryError` reschedules the row (Retry-After if given, else capped
exponential backoff with jitter: :mod:`watchtower.pipeline.retry_policy`);
anything else — or too many attempts — marks it failed with the reason, and
ops are told once a day per target. A send whose "sent" mark the database
refuses is never sent again by this process: the mark is retried at each drain
(:mod:`watchtower.pipeline.unrecorded`). A rate limit (Retry-After) is no failed
attempt: the target waits, its remaining rows in order behind. Rows claimed by
a process that died are claimed again once their lease expires.

A target that cannot be reached (Slack or the SMTP server down) is not a failed
attempt either: the whole target waits and one row at a time probes it, with
capped backoff (:mod:`watchtower.pipeline.target_health`); a kind in that state
claims one row per probe. Another replica's delivery to it ends the wait here too.
The row whose send failed last does not probe again while another row is due: a
5xx may be the service choking on that one message, and another row's success
shows it; that row's later failures then count as its own (retried with backoff,
then failed) instead of holding the whole target.

Stopping (SIGTERM): workers stop between two rows and hand back the rows they
claimed but did not try. The final :meth:`Outbox.flush` sends only rows never
tried, to target kinds that were not failing, until its deadline; it retries
nothing and a failure there spends no attempt (the row waits for the next
start). A database outage is logged as one line (:mod:`watchtower.outage`).
Claimed rows a worker could not hand back during one (a full disk refused that
write too) are handed back by the next drain that can write
(:mod:`watchtower.pipeline.unreleased`), not left to their lease.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from watchtower.logs import kv
from watchtower.notify.base import Notifier
from watchtower.notify.registry import split_target
from watchtower.outage import watch
from watchtower.pipeline import outbox_rows
from watchtower.pipeline.delivery import Claimed, DeliveryHooks
from watchtower.pipeline.dispatch import Dispatcher, DrainStats, KindRound
from watchtower.pipeline.target_health import TargetHealth
from watchtower.pipeline.unreleased import Unreleased
from watchtower.storage.db import Database
from watchtower.storage.outbox_queries import claim_outbox, due_kinds, paused_kinds

log = logging.getLogger("watchtower.outbox")

LEASE = timedelta(minutes=5)
ROUNDS = 4  # worker rounds of one drain: rows a round queued for another kind go too


@dataclass
class Outbox:
    """Sends due notifications with the notifier of each target kind.

    Each target kind (Slack, e-mail…) is drained by its own worker thread, so a
    hung SMTP server never delays a Slack alert; rows of one kind go one after
    another, which keeps each target's order. A kind whose worker is still busy
    from an earlier round is left to it. Threads are bounded by the number of
    target kinds (a handful); SQLite's single writer is respected by writing
    through :meth:`Database.writing`.
    """

    db: Database
    notifier_for: Callable[[str], Notifier]
    clock: Callable[[], datetime]
    max_attempts: int = 12
    batch: int = 50
    lease: timedelta = LEASE
    hooks: DeliveryHooks | None = None
    #: Rate-limited targets, paused and failing kinds, shared by the workers.
    targets: TargetHealth = field(default_factory=TargetHealth)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: dict[str, threading.Thread] = field(default_factory=dict)
    _dispatcher: Dispatcher = field(init=False, repr=False)
    _unreleased: Unreleased = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._unreleased = Unreleased(self.db)
        # ``settings=self``: max_attempts and hooks are read at each use (reload).
        self._dispatcher = Dispatcher(
            self.db, self.notifier_for, self.clock, self.targets, settings=self
        )

    def drain(
        self,
        stop: threading.Event | None = None,
        *,
        wait: bool = True,
        final: bool = False,
        deadline: float | None = None,
    ) -> DrainStats:
        """Send everything due now; return what happened.

        ``wait=False`` (the daemon's periodic round) starts the workers and returns
        at once: a kind still busy with a slow server then never holds up the next
        round of the others. ``final`` and ``deadline`` (a ``time.monotonic()``
        value): see :meth:`flush`.
        """
        stats = DrainStats()
        late = self._dispatcher.late
        # A round can queue rows of another kind (an ops e-mail about Slack): look
        # again once it is over, a few times at most.
        for round_ in range(ROUNDS):
            # Sent rows whose mark the database refused: recorded first (a claim
            # would find them due), and while too many wait, nothing new goes.
            if round_ == 0 and len(late):
                late.record_all()
            if round_ == 0 and len(self._unreleased):
                self._release_unreleased()
            if late.full:
                break
            started = self._start_workers(stop, final=final)
            if not wait or not started:
                break
            for worker, work in started:
                worker.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
                if worker.is_alive():  # past the deadline: its figures are not final
                    continue
                stats.sent += work.stats.sent
                stats.retried += work.stats.retried
                stats.failed += work.stats.failed
                for target, n in work.stats.per_target.items():
                    stats.per_target[target] = stats.per_target.get(target, 0) + n
            if deadline is not None and time.monotonic() >= deadline:
                break
        return stats

    def flush(self, deadline: float) -> DrainStats:
        """The last delivery before the process stops (SIGTERM), until ``deadline``
        (a ``time.monotonic()`` value).

        Only rows never tried go, and only to target kinds that were not failing:
        the flush retries nothing. A send that fails here spends no attempt and
        its kind's other rows are left for the next start (where every waiting
        row is due at once). At the deadline the workers stop between two rows;
        a send still in flight keeps its row claimed until its lease expires, and
        the row is then checked against the provider before it is sent again.
        """
        failing = self.targets.failing_kinds()
        if failing:
            log.info(
                "not flushed, their last delivery failed: they go at the next start",
                extra=kv(kinds=",".join(failing)),
            )
        stop = threading.Event()
        try:
            return self.drain(stop, final=True, deadline=deadline)
        finally:
            stop.set()
            # Sent but not recorded: one last try, else each is logged (a restart
            # may send it again).
            self._dispatcher.late.settle()

    def settle(self) -> None:
        """Before the process ends (a clean stop, the end of ``run --once``):
        try once more to record the sends whose "sent" mark the database refused,
        and log at error level each one still unrecorded (a later run may send
        it again; :meth:`~watchtower.pipeline.unrecorded.LateMarks.settle`)."""
        self._dispatcher.late.settle()

    @property
    def unrecorded(self) -> int:
        """How many notifications went out but wait for the database to record them
        (:mod:`~watchtower.pipeline.unrecorded`)."""
        return len(self._dispatcher.late)

    def _release_unreleased(self) -> None:
        """Hand back the claimed rows a worker could not (:mod:`.unreleased`):
        before the claims, so this round claims them again, the most urgent first."""
        try:
            self._unreleased.release_all()
        except Exception as exc:  # still refused: they wait for the next drain
            if not watch(self.db.engine).failed(exc, job="outbox hand-back"):
                log.exception("claimed notifications not handed back")
        else:
            watch(self.db.engine).ok()

    def _start_workers(
        self, stop: threading.Event | None, *, final: bool = False
    ) -> list[tuple[threading.Thread, KindRound]]:
        """One worker per target kind with rows due, unless one is still running."""
        with self.db.session() as session:
            kinds = due_kinds(session, self.clock())
            if not self.targets.paused_known:
                self.targets.know_paused(paused_kinds(session))
        # A SQLite file deleted under the daemon still reads (the old file, held
        # open) but refuses every write: a read is no "database back" then.
        if self.db.file is None or self.db.file.lost is None:
            watch(self.db.engine).ok(wrote=False)
        started = []
        with self._lock:
            for kind in kinds:
                if kind in self._workers:  # still busy from an earlier round
                    continue
                if final and self.targets.is_failing(kind):
                    continue
                work = KindRound(final=final)
                worker = threading.Thread(
                    target=self._drain_kind,
                    args=(kind, stop, work),
                    name=f"drain-{kind}",
                    daemon=True,
                )
                self._workers[kind] = worker
                started.append((worker, work))
        for worker, _ in started:
            worker.start()
        return started

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the workers still running, ``timeout`` seconds at most (shutdown:
        they stop after the row they are sending); True when none is left."""
        with self._lock:
            workers = list(self._workers.values())
        deadline = None if timeout is None else time.monotonic() + timeout
        for worker in workers:
            worker.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(worker.is_alive() for worker in workers)

    def busy(self) -> list[str]:
        """The target kinds whose worker is still sending."""
        with self._lock:
            return sorted(kind for kind, worker in self._workers.items() if worker.is_alive())

    def _drain_kind(self, kind: str, stop: threading.Event | None, work: KindRound) -> None:
        untried: list[int] = []  # claimed rows not tried yet: handed back if the worker stops
        claims: dict[int, datetime] = {}  # row id -> its claimed_until, to hand back later
        try:
            self._seen_back(kind)
            while not (work.done or (stop is not None and stop.is_set())):
                # Unreachable: one row probes it; the rest wait for its answer.
                # The last failed probe goes after another row (it may be the one
                # message the service chokes on), or alone if nothing else is due;
                # one row probes, so the rest keep their order once it answers.
                behind = self.targets.last_probes(kind)
                batch = 1 if behind or self.targets.down(kind) else self.batch
                with self.db.writing() as session:
                    rows = []
                    for exclude in (behind, []) if behind else ([],):
                        rows = claim_outbox(
                            session,
                            self.clock(),
                            self.lease,
                            batch,
                            kind=kind,
                            untried=work.final,
                            exclude=exclude,
                        )
                        if rows:
                            break
                    claimed = [Claimed.of(r) for r in rows]
                    claims = {r.id: r.claimed_until for r in rows if r.claimed_until}
                watch(self.db.engine).ok(wrote=bool(claimed))
                if not claimed:
                    break
                untried = [row.id for row in reversed(claimed)]
                for row in claimed:
                    if work.done or (stop is not None and stop.is_set()):
                        break  # stopping: between two rows, never in the middle of one
                    untried.pop()
                    self._dispatcher.deliver(row, work)
                self._release(untried)
                untried = []
            self._report_failures(work)
        except Exception as exc:  # one kind's trouble (database, hook) must not kill the daemon
            if not watch(self.db.engine).failed(exc, job=f"outbox {kind}"):
                log.exception("drain round failed", extra=kv(kind=kind))
            try:
                self._release(untried)
            except Exception as again:
                # The database refuses writes: the next drain that can write hands
                # them back, rather than their lease.
                self._unreleased.remember({i: claims[i] for i in untried if i in claims})
                if not watch(self.db.engine).failed(again, job=f"outbox {kind}"):
                    log.exception("claimed notifications not released", extra=kv(kind=kind))
        finally:
            with self._lock:
                self._workers.pop(kind, None)

    def _seen_back(self, kind: str) -> None:
        """End the outages of ``kind``'s targets that another replica delivered to
        since this one last failed to reach them."""
        outages = {
            where: outage
            for where, outage in self.targets.outages().items()
            if split_target(where)[0] == kind
        }
        if not outages:
            return
        with self.db.session() as session:
            back = [
                where
                for where, outage in outages.items()
                if outbox_rows.sent_since(session, where, outage.failed_at)
            ]
        for where in back:
            self._dispatcher.back(where)

    def _release(self, row_ids: list[int]) -> None:
        """Hand back claimed rows that were not tried (stopping)."""
        if not row_ids:
            return
        with self.db.writing() as session:
            outbox_rows.release(session, row_ids)
        log.info(
            "claimed notifications handed back: stopping", extra=kv(notifications=len(row_ids))
        )

    def _report_failures(self, work: KindRound) -> None:
        """Tell ops, once the round is over (so the count covers it), what failed for good."""
        if not self.hooks:
            return
        for target, reason in work.failed.items():
            try:
                self.hooks.delivery_failed(target, reason)
            except Exception:
                log.exception("failure notice not queued", extra=kv(target=target))
