"""Log lines: key=value, secrets hidden, and no warning for a poll round that is
simply longer than ``poll_interval``."""

from __future__ import annotations

import io
import logging
import threading
import time

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from watchtower.logs import configure, kv


@pytest.fixture
def stderr(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    configure("INFO")
    return stream


def test_key_value_lines_hide_url_passwords(stderr: io.StringIO) -> None:
    logging.getLogger("watchtower.poll").warning(
        "source failed", extra=kv(source="prive", error="GET https://u:pw123@a.fr/x: 401")
    )
    line = stderr.getvalue().strip()
    assert line.endswith('WARNING watchtower.poll source failed source=prive error="GET '
                         'https://u:***@a.fr/x: 401"')  # fmt: skip


def test_a_long_poll_round_is_not_a_warning(stderr: io.StringIO) -> None:
    release = threading.Event()
    scheduler = BackgroundScheduler(job_defaults={"max_instances": 1, "coalesce": True})
    scheduler.add_job(release.wait, "interval", seconds=0.2, kwargs={"timeout": 5})
    scheduler.start()
    try:
        time.sleep(1.0)  # the job is still running at four of its starts
    finally:
        release.set()
        scheduler.shutdown(wait=True)
    assert "maximum number of running instances" not in stderr.getvalue()
