"""The real ``watchtower run`` process on a SQLite file, polling one forum feed
of the local feed server every second: its config, its start and stop, and its
log read as it grows. The set-up of the operator's walks where the file or its
``-wal`` is removed under the running process, or the process is killed
(tests/e2e/test_database_file_lost.py, test_database_wal_lost.py,
test_status_killed_daemon.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import ROOT
from tests.servers.http import FeedServer


def forum_every_second(database: Path, feeds: FeedServer, watchtower: str = "") -> str:
    """The config watching Acmé on ``/forum.rss`` every second, its rounds and
    drains every second, on the SQLite file ``database``; ``watchtower`` adds
    TOML lines to its ``[watchtower]`` section."""
    return f"""
[watchtower]
database_url = "sqlite:///{database}"
poll_interval = "1s"
drain_interval = "1s"
backlog = "all"
{watchtower}
[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
every = "1s"
allow_private = true
"""


@contextmanager
def running_daemon(
    config: Path, log_path: Path, stop: signal.Signals = signal.SIGTERM
) -> Iterator[subprocess.Popen[bytes]]:
    """``watchtower run`` on ``config``, its output written to ``log_path``;
    ``stop`` sent to it afterwards (SIGKILL: a crash, with no clean close)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "watchtower", "run", "--config", str(config)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.send_signal(stop)
        process.wait(timeout=30)


def wait_for(log_path: Path, seen: Callable[[str], bool], within: float = 30) -> str:
    """The daemon's log once ``seen`` says so (a failed test after ``within`` seconds)."""
    deadline = time.monotonic() + within
    text = log_path.read_text("utf-8")
    while not seen(text):
        assert time.monotonic() < deadline, text
        time.sleep(0.2)
        text = log_path.read_text("utf-8")
    return text
