"""A fixed set of daemon worker threads for the poll round.

``concurrent.futures.ThreadPoolExecutor`` joins its threads when the
interpreter exits, so a fetch stuck on a server that trickles its answer
would keep a stopping daemon alive until systemd or Docker kills it. These
threads are daemon threads: :meth:`Workers.shutdown` waits a bounded time,
and what is still stuck is abandoned (the daemon's stop releases its source's
lease, so it is due at the next start; an uncommitted transaction is rolled
back by the database).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class Workers:
    """``size`` daemon threads running submitted calls in order of submission."""

    def __init__(self, size: int, name: str) -> None:
        self.size = size
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True) for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((future, fn, args))
        return future

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, fn, args = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # handed to whoever waits on the future
                future.set_exception(exc)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Cancel what has not started, let running calls finish for up to
        ``timeout`` seconds (``None``: as long as they take); ``True`` when all did."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[0].cancel()
        for _ in self._threads:
            self._jobs.put(None)
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)


def wait_at_most(
    futures: list[Future[T]],
    patience: float | None,
    stop: threading.Event | None,
    *,
    grace: float,
) -> tuple[set[Future[T]], set[Future[T]]]:
    """``(done, running)`` after ``patience`` seconds (``None``: until all are done),
    or ``grace`` seconds after ``stop`` is set (SIGTERM during ``run --once``)."""
    deadline = None if patience is None else time.monotonic() + patience
    pending: set[Future[T]] = set(futures)
    done: set[Future[T]] = set()
    while pending:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            break
        if stop is not None and stop.is_set():
            finished, pending = wait(pending, timeout=grace)
            done |= finished
            break
        step = 1.0 if left is None else min(left, 1.0)
        finished, pending = wait(pending, timeout=step)
        done |= finished
    return done, pending
