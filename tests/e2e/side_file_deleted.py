"""The walk of tests/e2e/test_database_wal_lost.py and test_shm_deleted.py: the
real daemon polling one feed on a SQLite file, then its ``-wal`` or ``-shm``
deleted under it: one ERROR naming that file, and a copy saved holding what
the daemon stored."""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Callable
from pathlib import Path

from tests.e2e.daemon_process import forum_every_second, running_daemon, wait_for
from tests.e2e.test_reload import rss
from tests.servers.http import FeedServer, Resource

__all__ = ["LOST", "TITLE", "deleted_under_the_daemon", "titles"]

LOST = "database file deleted or replaced: nothing is polled or sent"
TITLE = "Acmé ouvre une agence"


def titles(path: Path) -> list[str]:
    """The titles of the items stored in the SQLite file at ``path``."""
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT title FROM items")]
    finally:
        connection.close()


def deleted_under_the_daemon(
    tmp_path: Path, feeds: FeedServer, write_config: Callable[[str], Path], suffix: str
) -> Path:
    """Delete the ``suffix`` file (``-wal``, ``-shm``) of the running daemon's
    database once it polled: its one ERROR names that file and the copy it
    saved, which is returned. The daemon is then killed (SIGKILL): no clean
    close, so no checkpoint to save what the deleted file held."""
    database = tmp_path / "wt.db"
    feeds.resources["/forum.rss"] = Resource(rss(TITLE))
    path = write_config(forum_every_second(database, feeds, 'default_notify = ["console:"]'))
    log_path = tmp_path / "daemon.log"
    with running_daemon(path, log_path, signal.SIGKILL):
        wait_for(log_path, lambda text: "poll round" in text, within=20)
        size = len(log_path.read_text("utf-8"))
        Path(f"{database}{suffix}").unlink()
        after = wait_for(log_path, lambda text: " ERROR " in text[size:], within=20)[size:]
        [error] = [line for line in after.splitlines() if LOST in line]
        assert " ERROR " in error and f"file={database}{suffix}" in error, after
        [copy] = sorted(tmp_path.glob("wt.db.saved-*"))
        assert f"saved={copy}" in error and f"move {copy} to {database}" in error
    return copy
