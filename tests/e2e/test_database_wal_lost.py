"""The ``-wal`` of the SQLite file deleted alone under the running daemon.

The main file stays where it was (its inode unchanged), but what the daemon
committed since the last checkpoint lives only in the WAL it still holds open:
killed (``kill -9``, a crash, a reboot), it leaves a main file without it. So
the daemon treats it as a deleted database file: one ERROR naming the ``-wal``,
no more writes, a copy saved through its connection on the old WAL
(:mod:`watchtower.storage.sqlite_file`). The real process, the local feed server.
"""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.daemon_process import forum_every_second, running_daemon, wait_for
from tests.e2e.test_reload import rss
from tests.servers.http import FeedServer, Resource

pytestmark = pytest.mark.timeout(90)

LOST = "database file deleted or replaced: nothing is polled or sent"
TITLE = "Acmé ouvre une agence"


def titles(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT title FROM items")]
    finally:
        connection.close()


def test_a_deleted_wal_is_refused_and_saved_before_a_kill_loses_it(
    tmp_path: Path, feeds: FeedServer, write_config: Callable[[str], Path]
) -> None:
    database = tmp_path / "wt.db"
    feeds.resources["/forum.rss"] = Resource(rss(TITLE))
    path = write_config(forum_every_second(database, feeds, 'default_notify = ["console:"]'))
    log_path = tmp_path / "daemon.log"
    # SIGKILL after: no clean close, so no checkpoint to save the WAL.
    with running_daemon(path, log_path, signal.SIGKILL):
        wait_for(log_path, lambda text: "poll round" in text, within=20)
        size = len(log_path.read_text("utf-8"))
        Path(f"{database}-wal").unlink()
        after = wait_for(log_path, lambda text: " ERROR " in text[size:], within=20)[size:]
        [error] = [line for line in after.splitlines() if LOST in line]
        assert " ERROR " in error and f"file={database}-wal" in error, after
        [copy] = sorted(tmp_path.glob("wt.db.saved-*"))
        assert f"saved={copy}" in error and f"move {copy} to {database}" in error
    # What the daemon stored is in the copy, whatever the main file kept.
    assert TITLE in titles(copy)
