"""The SQLite file a process opened, watched for its path
(:mod:`watchtower.storage.sqlite_file`)."""

from __future__ import annotations

import os
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
        session.execute(text("INSERT INTO t VALUES (1), (2)"))
    with db.writing():  # a write after the first connection: the watch keeps the file
        pass
    return db


def test_writes_go_on_while_the_path_names_the_file(tmp_path: Path) -> None:
    db = written(tmp_path / "wt.db")
    with db.writing() as session:
        session.execute(text("INSERT INTO t VALUES (3)"))
    assert db.file is not None and db.file.lost is None
    assert saved_copies(str(tmp_path / "wt.db")) == []
    db.dispose()


def test_a_deleted_file_refuses_every_write_and_is_saved_as_last_written(tmp_path: Path) -> None:
    path = tmp_path / "wt.db"
    db = written(path)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for _ in range(2):
        with pytest.raises(DatabaseFileLost) as lost, db.writing():
            pass
    [copy] = saved_copies(str(path))
    assert lost.value.saved == copy and str(path) in str(lost.value)
    connection = sqlite3.connect(copy)
    assert connection.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (2,)]
    connection.close()
    assert not path.exists(), "no empty database created in its place"
    db.dispose()


def test_the_copy_needs_no_pooled_connection_left_on_the_old_file(tmp_path: Path) -> None:
    """Every pooled connection busy or closed when the loss is seen: the copy comes
    from the connection the watch keeps, its WAL included."""
    path = tmp_path / "wt.db"
    db = written(path)
    db.engine.dispose()  # the pool holds nothing: a new connection would open another file
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with pytest.raises(DatabaseFileLost) as lost, db.writing():
        pass
    assert lost.value.saved is not None
    connection = sqlite3.connect(lost.value.saved)
    assert connection.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (2,)]
    connection.close()
    db.dispose()


def test_a_file_moved_over_it_is_a_new_connection_refused(tmp_path: Path) -> None:
    path = tmp_path / "wt.db"
    db = written(path)
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()
    os.replace(other, path)
    db.engine.dispose()  # no pooled connection left: the next one opens the new file
    with pytest.raises(DatabaseFileLost), db.engine.connect():
        pass
    with pytest.raises(DatabaseFileLost) as lost, db.writing():
        pass
    assert lost.value.saved is not None and "move" in lost.value.hint
    connection = sqlite3.connect(path)  # the file moved in is not written
    assert connection.execute("SELECT count(*) FROM sqlite_master").fetchall() == [(0,)]
    connection.close()
    db.dispose()


def test_lost_before_any_write_the_hint_is_a_restore(tmp_path: Path) -> None:
    path = tmp_path / "wt.db"
    db = Database(f"sqlite:///{path}")
    with db.session() as session:  # the first connection: a read, no write yet
        session.execute(text("SELECT 1"))
    db.engine.dispose()
    path.unlink()
    with pytest.raises(DatabaseFileLost) as lost, db.writing():
        pass
    assert lost.value.saved is None, "no connection on the old file left to copy it from"
    assert "restore" in lost.value.hint
    db.dispose()


def test_a_memory_database_is_not_watched() -> None:
    assert Database("sqlite://").file is None
    assert Database("sqlite:///:memory:").file is None
