"""What the tests of a SQLite ``-wal`` or ``-shm`` deleted under a process that
writes it share (test_sqlite_wal_lost.py, test_sqlite_shm_lost.py): a database
written twice, its rows read by another connection, the check that such a
deletion refuses writes and saves a copy, and the one that writes go on when
SQLite itself replaced the file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from watchtower.storage.db import Database
from watchtower.storage.sqlite_file import DatabaseFileLost, saved_copies

__all__ = ["deleted_is_refused_and_saved", "rows", "writes_go_on", "written"]


def written(tmp_path: Path) -> tuple[Path, Database]:
    """``wt.db`` in ``tmp_path``, its table ``t`` holding 1 and 2, and its
    :class:`Database`, still open."""
    path = tmp_path / "wt.db"
    db = Database(f"sqlite:///{path}")
    with db.writing() as session:
        session.execute(text("CREATE TABLE t (x INTEGER)"))
    with db.writing() as session:  # after the first write: the keeper holds the -wal
        session.execute(text("INSERT INTO t VALUES (1), (2)"))
    return path, db


def rows(path: str | Path) -> list[tuple[int, ...]]:
    """The rows of ``t`` in the file at ``path``, read by a connection of its own."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT x FROM t ORDER BY x").fetchall()
    finally:
        connection.close()


def deleted_is_refused_and_saved(tmp_path: Path, suffix: str) -> None:
    """Delete the ``suffix`` file (``-wal``, ``-shm``) of a database written to:
    each write after is refused, naming it, with a copy saved holding both rows
    (read through the deleted file, which the process still holds)."""
    path, db = written(tmp_path)
    Path(f"{path}{suffix}").unlink()
    for _ in range(2):
        with pytest.raises(DatabaseFileLost) as lost, db.writing() as session:
            session.execute(text("INSERT INTO t VALUES (3)"))
    [copy] = saved_copies(str(path))
    assert lost.value.saved == copy and lost.value.file == f"{path}{suffix}"
    assert f"{path}{suffix}" in str(lost.value) and f"move {copy} to {path}" in lost.value.hint
    assert rows(copy) == [(1,), (2,)]
    assert db.file is not None and db.file.gone() is lost.value  # /readyz says so too
    db.dispose()


def writes_go_on(path: Path, db: Database, *values: int) -> None:
    """Write ``values`` to ``db``, one transaction each: nothing is lost, nothing
    saved, and once closed the file holds them after 1 and 2."""
    for value in values:
        with db.writing() as session:
            session.execute(text("INSERT INTO t VALUES (:value)"), {"value": value})
    assert db.file is not None and db.file.lost is None and db.file.gone() is None
    assert saved_copies(str(path)) == []
    db.dispose()
    assert rows(path) == [(1,), (2,), *[(value,) for value in values]]
