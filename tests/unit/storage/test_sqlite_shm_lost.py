"""The ``-shm`` of a SQLite file deleted alone under a process that writes it
(:mod:`watchtower.storage.sqlite_file`): nothing is lost yet, but another
process opening the file would build a second index and write over this one's
WAL frames (tests/e2e/test_shm_deleted.py shows SQLite doing it). Refused and
saved as a deleted ``-wal`` is; what SQLite does to the ``-shm`` in normal use
(checkpoints, other processes reading, a close and a new open) is no loss."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.unit.storage.side_files import deleted_is_refused_and_saved, writes_go_on, written

# Another process reading the database, then closing: the last close of its own.
READER = (
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], uri=True);"
    " c.execute('SELECT * FROM t').fetchall(); c.close()"
)


def test_a_deleted_shm_refuses_writes_and_saves_the_database(tmp_path: Path) -> None:
    deleted_is_refused_and_saved(tmp_path, "-shm")


def test_checkpoints_and_other_processes_reading_leave_the_shm_alone(tmp_path: Path) -> None:
    """No false alarm: SQLite keeps the one ``-shm`` while a connection has it."""
    path, db = written(tmp_path)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    for uri in (f"file:{path}", f"file:{path}?mode=ro"):  # status reads with mode=ro
        subprocess.run([sys.executable, "-c", READER, uri], check=True, timeout=30)
    writes_go_on(path, db, 3)


def test_a_database_closed_and_opened_again_takes_the_new_shm(tmp_path: Path) -> None:
    path, db = written(tmp_path)
    db.dispose()
    assert not Path(f"{path}-shm").exists()
    other = sqlite3.connect(path)  # another process's turn: a new -shm, then gone
    other.execute("SELECT * FROM t").fetchall()
    other.close()
    writes_go_on(path, db, 3, 4)
