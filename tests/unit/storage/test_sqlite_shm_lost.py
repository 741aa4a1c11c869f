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

import pytest
from sqlalchemy import text

from tests.unit.storage.test_sqlite_wal_lost import rows, written
from watchtower.storage.sqlite_file import DatabaseFileLost, saved_copies

# Another process reading the database, then closing: the last close of its own.
READER = (
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], uri=True);"
    " c.execute('SELECT * FROM t').fetchall(); c.close()"
)


def test_a_deleted_shm_refuses_writes_and_saves_the_database(tmp_path: Path) -> None:
    path = tmp_path / "wt.db"
    db = written(path)
    Path(f"{path}-shm").unlink()
    for _ in range(2):
        with pytest.raises(DatabaseFileLost) as lost, db.writing() as session:
            session.execute(text("INSERT INTO t VALUES (3)"))
    [copy] = saved_copies(str(path))
    assert lost.value.saved == copy and lost.value.file == f"{path}-shm"
    assert f"{path}-shm" in str(lost.value) and f"move {copy} to {path}" in lost.value.hint
    assert rows(copy) == [(1,), (2,)]
    assert db.file is not None and db.file.gone() is lost.value  # /readyz says so too
    db.dispose()


def test_checkpoints_and_other_processes_reading_leave_the_shm_alone(tmp_path: Path) -> None:
    """No false alarm: SQLite keeps the one ``-shm`` while a connection has it."""
    path = tmp_path / "wt.db"
    db = written(path)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    for uri in (f"file:{path}", f"file:{path}?mode=ro"):  # status reads with mode=ro
        subprocess.run([sys.executable, "-c", READER, uri], check=True, timeout=30)
    with db.writing() as session:
        session.execute(text("INSERT INTO t VALUES (3)"))
    assert db.file is not None and db.file.lost is None and db.file.gone() is None
    assert saved_copies(str(path)) == []
    db.dispose()
    assert rows(path) == [(1,), (2,), (3,)]


def test_a_database_closed_and_opened_again_takes_the_new_shm(tmp_path: Path) -> None:
    path = tmp_path / "wt.db"
    db = written(path)
    db.dispose()
    assert not Path(f"{path}-shm").exists()
    other = sqlite3.connect(path)  # another process's turn: a new -shm, then gone
    other.execute("SELECT * FROM t").fetchall()
    other.close()
    for value in (3, 4):
        with db.writing() as session:
            session.execute(text(f"INSERT INTO t VALUES ({value})"))
    assert db.file is not None and db.file.lost is None
    db.dispose()
    assert rows(path) == [(1,), (2,), (3,), (4,)]
