"""Which database errors say the database cannot grow (:func:`full_reason`).

SQLite's SQLITE_FULL is produced for real, by ``PRAGMA max_page_count`` on the
connection; PostgreSQL's disk-full error (SQLSTATE 53100) cannot be without
filling the server's disk, so it is psycopg's own exception class, wrapped by
SQLAlchemy as the driver raises it.
"""

from __future__ import annotations

from pathlib import Path

import psycopg.errors
import pytest
import sqlalchemy.exc
from sqlalchemy import create_engine, text

from watchtower.database_full import full_reason
from watchtower.errors import DatabaseUnavailable


def sqlite_error(tmp_path: Path, statement: str) -> sqlalchemy.exc.DBAPIError:
    engine = create_engine(f"sqlite:///{tmp_path / 'capped.db'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x BLOB)"))
        with engine.begin() as connection:
            pages = connection.execute(text("PRAGMA page_count")).scalar_one()
            connection.execute(text(f"PRAGMA max_page_count={pages}"))
            with pytest.raises(sqlalchemy.exc.DBAPIError) as raised:
                connection.execute(text(statement))
        return raised.value
    finally:
        engine.dispose()


def test_sqlite_full_is_a_full_database(tmp_path: Path) -> None:
    error = sqlite_error(tmp_path, "INSERT INTO t VALUES (randomblob(100000))")
    assert full_reason(error) == "database or disk is full"


def test_a_sqlite_bug_is_not(tmp_path: Path) -> None:
    assert full_reason(sqlite_error(tmp_path, "INSERT INTO missing VALUES (1)")) is None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            psycopg.errors.DiskFull(
                'could not extend file "base/16384/16397": No space left on device\n'
                "HINT:  Check free disk space."
            ),
            'could not extend file "base/16384/16397": No space left on device',
        ),
        (psycopg.errors.DiskFull("could not write to file: Disk quota exceeded"), True),
        (psycopg.errors.OperationalError("connection refused"), None),
        (psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT"), None),
    ],
)
def test_postgresql_errors(error: Exception, expected: str | bool | None) -> None:
    wrapped = sqlalchemy.exc.OperationalError("INSERT INTO items", {}, error)
    found = full_reason(wrapped)
    if expected is True:
        assert found is not None
    else:
        assert found == expected


def test_an_unavailable_database_is_not_full() -> None:
    assert full_reason(DatabaseUnavailable("cannot create the folder of /x: denied")) is None
