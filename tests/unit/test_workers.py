"""The poll workers: results and errors come back through futures; shutdown is bounded,
cancels what has not started, and a stuck call is left behind (daemon thread)."""

from __future__ import annotations

import threading

import pytest

from watchtower.workers import Workers, wait_at_most


def test_results_and_errors_come_back_through_futures() -> None:
    workers = Workers(2, "test")
    try:
        assert workers.submit(pow, 2, 10).result(timeout=5) == 1024
        with pytest.raises(ZeroDivisionError):
            workers.submit(divmod, 1, 0).result(timeout=5)
    finally:
        assert workers.shutdown(timeout=5)


def test_shutdown_waits_a_bounded_time_and_cancels_what_has_not_started() -> None:
    release, started = threading.Event(), threading.Event()

    def stuck() -> str:
        started.set()
        release.wait(30)
        return "late"

    workers = Workers(1, "test")
    hung = workers.submit(stuck)
    assert started.wait(5)
    queued = workers.submit(str, "never")

    assert workers.shutdown(timeout=0.2) is False  # the stuck call is left behind
    assert queued.cancelled()
    assert threading.current_thread().daemon is False
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("test-"))
    release.set()
    assert hung.result(timeout=5) == "late"


def test_waiting_ends_with_patience_or_a_stop_and_says_what_still_runs() -> None:
    release = threading.Event()
    workers = Workers(2, "test")
    quick, stuck = workers.submit(str, "ok"), workers.submit(release.wait, 30)
    try:
        done, running = wait_at_most([quick, stuck], 0.2, None, grace=0)
        assert done == {quick} and running == {stuck}
        stop = threading.Event()
        stop.set()
        done, running = wait_at_most([quick, stuck], None, stop, grace=0.1)
        assert done == {quick} and running == {stuck}
        release.set()
        done, running = wait_at_most([quick, stuck], None, None, grace=0)
        assert done == {quick, stuck} and not running
    finally:
        release.set()
        assert workers.shutdown(timeout=5)
