"""What an operator sees of a full disk: ``watchtower status`` and the daemon's log.

A real full disk: the SQLite database lives on a small tmpfs, filled by a file
until the kernel says ENOSPC (root only: skipped where nothing can be mounted;
the measure itself is tested without a mount in
``tests/unit/service/test_status_disk.py``). The real daemon's poll job, the
local feed server and the fake Slack.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.scenario import targets
from tests.e2e.test_disk_full import feed
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.logs import _FIELDS as FIELDS
from watchtower.scheduler import Daemon

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of its own, unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def fill(disk: Path) -> Path:
    """Write a file until the disk refuses a byte more."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1 << 16, 1 << 12, 1 << 9, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
        with pytest.raises(OSError) as refused:
            os.write(fd, b"\0")
    finally:
        os.close(fd)
    assert refused.value.errno == errno.ENOSPC
    return filler


def status(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["status", "--config", str(path), *extra])
    return code, capsys.readouterr().out


def test_status_says_the_disk_is_full_and_exits_1_while_the_daemon_still_counts_as_running(
    small_disk: Path,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    feeds.resources["/a.rss"] = Resource(feed(0, 3), "application/rss+xml")
    source = f'[[sources]]\nname = "a"\nkind = "rss"\nurl = "{feeds.url("/a.rss")}"\n'
    source += 'every = "1s"\nallow_private = true\n'
    text = targets(f"sqlite:///{small_disk / 'watchtower.db'}", slack, smtp)
    path = write_config(text + '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n' + source)
    app = App(load_config(path))
    try:
        app.start()
        daemon = Daemon(app)
        daemon.poll_job()  # stored: the daemon's heartbeat is recent

        filler = fill(small_disk)
        feeds.resources["/a.rss"] = Resource(feed(1000, 20), "application/rss+xml")
        time.sleep(1.1)  # the source is due again
        with caplog.at_level(logging.INFO, logger="watchtower.database"):
            daemon.poll_job()  # fetched, cannot be stored
            daemon.poll_job()  # nothing due: only the heartbeat (which may not fit either)
        # (status configures the logging of this process: after the daemon's lines)
        code, out = status(path, capsys, "--json")
        report = json.loads(out)
        _, plain = status(path, capsys)
        os.unlink(filler)
        freed, after = status(path, capsys)
    finally:
        app.close()

    # The log names the cause and what to do, once: not "database unavailable".
    [line] = [r for r in caplog.records if r.module == "outage"]
    assert line.getMessage() == "database full"
    fields = getattr(line, FIELDS)
    assert fields["error"] == "database or disk is full"
    assert fields["hint"].startswith("free disk space")

    # The daemon still counts as running (a recent heartbeat): the exit status
    # and the database line are what say that nothing can be stored.
    assert report["daemon"]["seen"] is True
    database = report["database"]
    assert database["disk_full"] is True
    assert database["disk_free_bytes"] < 1 << 20
    assert database["disk_folder"] == str(small_disk)
    assert code == 1
    [shown] = [x for x in plain.splitlines() if x.startswith("Database: ")]
    assert shown.endswith(
        f" free on {small_disk} — free some space: watchtower resumes by itself"
    ), shown
    assert " · disk FULL: " in shown

    # Space freed: status is happy again.
    assert freed == 0
    assert "disk FULL" not in after
