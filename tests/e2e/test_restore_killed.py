"""``watchtower db restore`` right after the daemon was killed with ``kill -9`` (an
OOM kill, a crash: the likeliest moment to restore): its heartbeat row says
"running" for minutes, but its process, of this host, is gone, so the restore
goes ahead without ``--force`` and says why. The real daemon process, killed
for real, then the real command."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.daemon_process import forum_every_second, running_daemon, wait_for
from tests.e2e.test_reload import rss
from tests.servers.http import FeedServer, Resource
from watchtower.cli import main

pytestmark = pytest.mark.timeout(90)


def test_a_restore_after_a_kill_is_not_refused_for_the_dead_daemon(
    tmp_path: Path,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = tmp_path / "wt.db"
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    config = write_config(forum_every_second(database, feeds, 'default_notify = ["console:"]'))
    backup = tmp_path / "before.db"
    log_path = tmp_path / "daemon.log"
    with running_daemon(config, log_path, signal.SIGKILL) as daemon:
        wait_for(log_path, lambda text: "poll round" in text, within=20)
        assert main(["db", "backup", str(backup), "-c", str(config)]) == 0
        capsys.readouterr()
        # While it runs, the restore is refused: it would write to the replaced file.
        assert main(["db", "restore", str(backup), "-c", str(config)]) == 1
        assert f"pid {daemon.pid}, last heartbeat " in capsys.readouterr().err
    # Killed and reaped, as its supervisor would: its heartbeat is seconds old.

    assert main(["db", "restore", str(backup), "-c", str(config)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(
        f"process {daemon.pid} of this host is not running (killed?); not counted\n"
        f"database restored from {backup}: {database} ("
    ), out
    assert "still run" not in err
