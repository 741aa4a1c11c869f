"""Which code runs where: the version is written once (``watchtower.__version__``,
which the package metadata reads), and a process says it in ``--version``, its
start log line, its heartbeat row and ``/metrics``; ``watchtower status`` lists
each daemon with host, pid, version, up since and last seen, and warns when the
running replicas run different versions (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import os
import platform
import re
import socket
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import watchtower
from tests.conftest import ROOT
from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.heartbeat import Heartbeat
from watchtower.web import StatusServer

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Acm\xc3\xa9 ouvre une agence</title><link>https://e.example/1</link>
<guid>1</guid></item></channel></rss>"""


@pytest.fixture
def config_path(database_url: str, feeds: FeedServer, write_config: Callable[[str], Path]) -> Path:
    feeds.resources["/f.xml"] = Resource(FEED)
    return write_config(
        f"""
[watchtower]
database_url = "{database_url}"
default_notify = ["console:"]
backlog = "all"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/f.xml")}"
allow_private = true
"""
    )


@pytest.fixture
def app(config_path: Path) -> Iterator[App]:
    started = App(load_config(config_path), console=io.StringIO())
    started.start()
    yield started
    started.close()


def status(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["status", *args, "--config", str(path)])
    return code, capsys.readouterr().out


def replica(app: App, version: str, host: str, pid: int, *, started: timedelta) -> Heartbeat:
    """Another process's heartbeat row in the same database, as its poll round writes it."""
    now = datetime.now(UTC)
    other = Heartbeat("/etc/watchtower/watchtower.toml", timedelta(seconds=30), now - started)
    other.version, other.host, other.pid = version, host, pid
    other.round_ended(app.db, now, sources=1, ok=1, failed=0)
    return other


# ----------------------------------------------------------------------- one place
def test_the_package_metadata_reads_the_version_from_the_code() -> None:
    # Guard: pyproject.toml declares no version of its own that could drift.
    from setuptools.config.pyprojecttoml import read_configuration

    project = read_configuration(ROOT / "pyproject.toml", expand=True)["project"]
    assert project["version"] == watchtower.__version__
    assert watchtower.__version__ != "0.1.0"  # the number the package never moved from


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"watchtower {watchtower.__version__}\n"


def test_the_start_is_logged_with_the_version_before_the_config_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.toml"
    assert main(["run", "--once", "--config", str(missing)]) == 2  # still says which code
    [line] = [line for line in capsys.readouterr().err.splitlines() if " starting " in line]
    assert line.split(" ", 1)[1] == (
        f"INFO watchtower.cli starting version={watchtower.__version__} "
        f"python={platform.python_version()} host={socket.gethostname()} pid={os.getpid()}"
    )


# ------------------------------------------------------------------------- status
def test_status_lists_each_daemon_with_host_pid_version_up_since_and_last_seen(
    app: App, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app.poller.poll()
    code, out = status(config_path, capsys)
    assert code == 0
    line = out.splitlines()[1]
    assert line.startswith(
        f"  {socket.gethostname()} pid {os.getpid()} · watchtower {watchtower.__version__}"
        " · up since "
    )
    # The round and status are a moment apart: a busy host makes it a second or two.
    assert re.search(r" · last seen [0-2]s ago · ", line)
    assert "WARNING" not in out  # one version: nothing to warn about

    code, out = status(config_path, capsys, "--json")
    daemon = json.loads(out)["daemon"]
    me = f"{socket.gethostname()} pid {os.getpid()}"
    assert daemon["versions"] == {watchtower.__version__: [me]}


def test_status_warns_when_running_replicas_run_different_versions(
    app: App, config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app.poller.poll()  # this process: the current version
    replica(app, "99.0.0", "web-2", 4242, started=timedelta(minutes=5))  # upgraded first
    left = replica(app, "0.1.0", "web-3", 77, started=timedelta(days=3))
    left.stopped(app.db, datetime.now(UTC))  # stopped: its version no longer runs

    code, out = status(config_path, capsys)
    assert code == 0  # a rolling upgrade is not a failure; the warning says it
    lines = out.splitlines()
    assert lines[0].startswith("Daemon: running (2 instances, ")
    me = f"{socket.gethostname()} pid {os.getpid()}"
    assert lines[1] == (
        "  WARNING: the running daemons run 2 different versions: "
        f"{watchtower.__version__} on {me}; 99.0.0 on web-2 pid 4242. "
        "Finish the upgrade (or the rollback) on every replica."
    )
    assert any(
        line.startswith("  web-2 pid 4242 · watchtower 99.0.0 · up since ") for line in lines
    )
    assert any(line.startswith("  web-3 pid 77 · watchtower 0.1.0 · stopped ") for line in lines)

    code, out = status(config_path, capsys, "--json")
    versions = json.loads(out)["daemon"]["versions"]
    assert versions == {watchtower.__version__: [me], "99.0.0": ["web-2 pid 4242"]}


def test_the_running_version_is_on_metrics(app: App) -> None:
    server = StatusServer(app, "127.0.0.1:0", lambda: None).start()
    try:
        with urllib.request.urlopen(server.url + "/metrics", timeout=10) as response:
            body = response.read().decode()
    finally:
        server.stop()
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
    }
    key = (
        "watchtower_build_info",
        (("python", platform.python_version()), ("version", watchtower.__version__)),
    )
    assert found[key] == 1.0
