"""The last line ``run --once`` logs, ``run finished … exit_code=N``, gives the
status the process exits with: a cron job's log read alone must not say 0 for a
run that exits 2 (every enabled source a placeholder, :mod:`watchtower.nothing_fetched`).
The real command in its own process, its log read as cron would keep it.
Placeholders are never fetched: nothing leaves this machine."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.servers.http import FeedServer, Resource
from watchtower import scheduler
from watchtower.cli import EXIT_CONFIG

pytestmark = pytest.mark.timeout(120)

LOG_LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ [A-Z]+ ")


def run_once(cwd: Path, database_url: str, *args: str) -> tuple[int, list[str], list[str]]:
    """The exit status, the log lines and the other lines of stderr."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), WATCHTOWER_DATABASE_URL=database_url)
    done = subprocess.run(
        [sys.executable, "-m", "watchtower", "run", "--once", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    lines = done.stderr.splitlines()
    logged = [line for line in lines if LOG_LINE.match(line)]
    return done.returncode, logged, [line for line in lines if not LOG_LINE.match(line)]


def test_the_untouched_example_logs_the_exit_status_it_exits_with(
    database_url: str, tmp_path: Path
) -> None:
    subprocess.run(
        [sys.executable, "-m", "watchtower", "init"],
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        check=True,
        capture_output=True,
    )
    code, logged, said = run_once(tmp_path, database_url)
    assert code == 2
    assert " run finished " in logged[-1] and logged[-1].endswith(" exit_code=2"), logged[-3:]
    assert " WARNING watchtower.scheduler " in logged[-1]
    # Then the reason, the last line a cron mail shows.
    assert said[-1].startswith("watchtower run --once: no source fetched: 7 sources "), said


def test_a_config_with_every_source_paused_says_so_before_its_last_line(
    database_url: str,
    tmp_path: Path,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
) -> None:
    feeds.resources["/a.rss"] = Resource(b"<rss/>")
    path = write_config(f"""
[watchtower]
database_url = "{database_url}"
default_notify = ["console:"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "a"
kind = "rss"
url = "{feeds.url("/a.rss")}"
allow_private = true
enabled = false
""")
    code, logged, _ = run_once(tmp_path, database_url, "--config", str(path))
    assert code == 0
    assert "no source fetched: the source of " in logged[-2], logged[-3:]
    assert " run finished " in logged[-1] and logged[-1].endswith(" exit_code=0")


def test_the_cli_and_the_run_agree_on_the_code() -> None:
    assert getattr(scheduler, "ONCE_CONFIG_TO_EDIT", None) == EXIT_CONFIG
