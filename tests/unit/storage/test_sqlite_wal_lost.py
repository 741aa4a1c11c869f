"""The ``-wal`` of a SQLite file deleted alone under a process that writes it
(:mod:`watchtower.storage.sqlite_file`): the main file's inode does not change,
but what was committed into the WAL since the last checkpoint exists only in the
deleted file, lost if the process is killed. Refused and saved as a deleted
main file is."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from watchtower.storage.db import Database
from watchtower.storage.sqlite_file import DatabaseFileLost, saved_copies


def written(path: Path) -> Database:
    db = Database(f"sqlite:///{path}")
    with db.writing() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    with db.writing() as session:  # after the first write: the keeper holds the -wal
        session.execute(text("INSERT INTO t VALUES (1), (2)"))
    return db


def rows(path: str | Path) -> list[tuple[int, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT x FROM t ORDER BY x").fetchall()
    finally:
        connection.close()


def test_a_deleted_wal_refuses_writes_and_saves_what_only_it_held(tmp_path: Path) -> None:
    path = tmp_path / "wt.db"
    db = written(path)
    Path(f"{path}-wal").unlink()
    for _ in range(2):
        with pytest.raises(DatabaseFileLost) as lost, db.writing() as session:
            session.execute(text("INSERT INTO t VALUES (3)"))
    [copy] = saved_copies(str(path))
    assert lost.value.saved == copy and lost.value.file == f"{path}-wal"
    assert f"{path}-wal" in str(lost.value) and f"move {copy} to {path}" in lost.value.hint
    # The copy read the deleted WAL through the keeper's descriptor: both rows.
    assert rows(copy) == [(1,), (2,)]
    assert db.file is not None and db.file.gone() is lost.value  # /readyz says so too
    db.dispose()


def test_a_wal_replaced_by_another_is_lost_too(tmp_path: Path) -> None:
    path = tmp_path / "wt.db"
    db = written(path)
    wal = Path(f"{path}-wal")
    other = tmp_path / "other"
    other.write_bytes(wal.read_bytes())
    other.replace(wal)  # the same bytes, another file: not the one the process writes
    with pytest.raises(DatabaseFileLost) as lost, db.writing():
        pass
    assert lost.value.file == str(wal) and lost.value.saved is not None
    db.dispose()


def test_the_wal_checkpointed_and_emptied_is_still_the_same_file(tmp_path: Path) -> None:
    """A checkpoint truncates the WAL in place: no loss, writes go on."""
    path = tmp_path / "wt.db"
    db = written(path)
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert Path(f"{path}-wal").stat().st_size == 0
    with db.writing() as session:
        session.execute(text("INSERT INTO t VALUES (3)"))
    assert db.file is not None and db.file.lost is None and db.file.gone() is None
    assert saved_copies(str(path)) == []
    db.dispose()
    assert rows(path) == [(1,), (2,), (3,)]


def test_a_database_closed_and_opened_again_takes_the_new_wal(tmp_path: Path) -> None:
    """The last connection's close deletes the -wal; the next open makes a new one:
    not a loss."""
    path = tmp_path / "wt.db"
    db = written(path)
    db.dispose()
    assert not Path(f"{path}-wal").exists()
    with db.writing() as session:
        session.execute(text("INSERT INTO t VALUES (3)"))
    with db.writing() as session:
        session.execute(text("INSERT INTO t VALUES (4)"))
    assert db.file is not None and db.file.lost is None
    db.dispose()
    assert rows(path) == [(1,), (2,), (3,), (4,)]
