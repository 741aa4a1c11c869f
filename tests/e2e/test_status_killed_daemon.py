"""``watchtower status`` after the daemon was killed with ``kill -9`` (an OOM kill,
a crash): its heartbeat row stays, and said "running" for three poll intervals
and two minutes. A row of this host whose process is gone is "not running" at once
(never worded as a clean stop)
(:mod:`watchtower.local_process`). The real daemon process, killed for real,
then the real command; SQLite and PostgreSQL (where its liveness lock is gone
with its connection)."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.daemon_process import running_daemon, wait_for
from tests.e2e.test_reload import rss
from tests.servers.http import FeedServer, Resource
from watchtower.cli import main

pytestmark = pytest.mark.timeout(120)


def status(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str], dict[str, Any]]:
    capsys.readouterr()
    code = main(["status", "--config", str(config)])
    text = capsys.readouterr().out.splitlines()
    main(["status", "--json", "--config", str(config)])
    return code, text, json.loads(capsys.readouterr().out)


def test_a_daemon_killed_is_stopped_at_once_not_running(
    database_url: str,
    tmp_path: Path,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    config = write_config(f"""
[watchtower]
database_url = "{database_url}"
poll_interval = "1m"
timezone = "UTC"
default_notify = ["console:"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
allow_private = true
""")
    log_path = tmp_path / "daemon.log"
    with running_daemon(config, log_path, signal.SIGKILL) as daemon:
        wait_for(log_path, lambda text: "poll round" in text)
        code, text, report = status(config, capsys)
        [running] = report["daemon"]["instances"]
        assert (running["pid"], running["state"]) == (daemon.pid, "running"), text
        assert code == 0 and text[0].startswith("Daemon: running (1 instance"), text
    # Killed and reaped, as its supervisor would.

    # On PostgreSQL the server drops the lock once it sees the socket closed.
    deadline = time.monotonic() + 10
    while True:
        code, text, report = status(config, capsys)
        [gone] = report["daemon"]["instances"]
        if gone["state"] == "gone" or time.monotonic() > deadline:
            break
        time.sleep(0.2)

    reason = f"process {daemon.pid} is not running (killed?)"
    assert (gone["state"], gone["gone"]) == ("gone", reason), text
    assert report["daemon"]["seen"] is False
    assert text[0].startswith(f"Daemon: NOT RUNNING: {reason} (last heartbeat "), text
    [line] = [line for line in text if f"pid {daemon.pid} " in line]
    assert f" · ended without a clean stop: {reason} · last heartbeat " in line, text
    assert code == 1, "nobody polls: status fails, as for a daemon not seen"
