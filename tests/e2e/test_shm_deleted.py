"""The ``-shm`` of the SQLite file deleted alone under the running daemon.

By itself it loses nothing: the daemon's connections share one mapping of the
deleted index, and the ``-wal`` keeps every commit. But another process opening
the database meanwhile (``run --once``, a ``watchtower db`` command, a replica)
builds a second index in a new ``-shm``, with its own locks: the two write
over each other's WAL frames and rows vanish without an error (the first test
shows SQLite doing so with two plain processes). So the daemon treats it as a
deleted ``-wal``: one ERROR naming the ``-shm``, no more writes, a copy saved
through its own index (:mod:`watchtower.storage.sqlite_file`). The real
process, the local feed server.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.side_file_deleted import TITLE, deleted_under_the_daemon, titles
from tests.servers.http import FeedServer

pytestmark = pytest.mark.timeout(90)

# Another process: 50 rows, each its own transaction, through its own index.
OTHER = "\n".join(
    [
        "import sqlite3, sys",
        "c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)",
        "for n in range(50):",
        "    c.execute('INSERT INTO t VALUES (?, ?)', ('other', 'y' * 3000))",
        "c.close()",
    ]
)


def insert(connection: sqlite3.Connection, who: str, rows: int) -> None:
    for _ in range(rows):
        connection.execute("INSERT INTO t VALUES (?, ?)", (who, "x" * 3000))


def test_sqlite_loses_rows_when_another_process_writes_after_the_shm_went(
    tmp_path: Path,
) -> None:
    """Why the daemon stops writing: SQLite itself, no watchtower."""
    path = tmp_path / "t.db"
    daemon = sqlite3.connect(path, isolation_level=None)  # the daemon's kept connection
    try:
        daemon.execute("PRAGMA journal_mode=WAL")
        daemon.execute("CREATE TABLE t (who TEXT, pad TEXT)")
        insert(daemon, "daemon", 20)
        Path(f"{path}-shm").unlink()
        subprocess.run([sys.executable, "-c", OTHER, str(path)], check=True, timeout=30)
        insert(daemon, "daemon", 50)  # where its own index says the WAL ends
    finally:
        daemon.close()  # the last close: checkpointed from its index
    check = sqlite3.connect(path)
    try:
        counts = dict(check.execute("SELECT who, count(*) FROM t GROUP BY who").fetchall())
    finally:
        check.close()
    assert sum(counts.values()) < 120, f"{counts}: every row kept, nothing to guard against"


def test_a_deleted_shm_is_refused_and_saved(
    tmp_path: Path, feeds: FeedServer, write_config: Callable[[str], Path]
) -> None:
    copy = deleted_under_the_daemon(tmp_path, feeds, write_config, "-shm")
    # What the daemon stored is in the copy, written through its own index.
    assert TITLE in titles(copy)
