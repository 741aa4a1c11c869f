"""The hot statements of a poll on SQLite's DB-API cursor (``sqlite_cursor``) do
what SQLAlchemy's execution did: the same rows, the same errors (seen by
``handle_error`` listeners), and cursor listeners still see every statement."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import IntegrityError

from tests.unit.storage.conftest import add_sources
from tests.unit.storage.test_insert_many import item_row
from watchtower.poll_outcome import SUCCESS, SUCCESS_WITH_NEWS
from watchtower.storage.db import Database
from watchtower.storage.insert_returning import insert_ignoring_many
from watchtower.storage.one_of import execute, fetch_all, one_of
from watchtower.storage.sqlite_cursor import sqlite_rows
from watchtower.storage.tables import ITEMS, SOURCES

NOW = datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=UTC)
NAMES = ["a", "b", "c", "d"]


@pytest.fixture
def db(migrated: Database) -> Database:
    add_sources(migrated, *NAMES, now=NOW)
    return migrated


@pytest.fixture
def sqlite_db(db: Database) -> Database:
    if db.postgres:
        pytest.skip("the DB-API cursor path is SQLite's")
    return db


def ids(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {name: id_ for id_, name in session.execute(select(SOURCES.c.id, SOURCES.c.name))}


def outcome(source_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "b_id": source_id,
        "b_etag": '"v1"',
        "b_last_modified": "Thu, 26 Nov 2026 09:00:00 GMT",
        "b_cursor": {"page": 2, "seen": ["é"]},
        "b_now": NOW,
        "b_next": NOW + timedelta(minutes=7, microseconds=5),
        "b_warning": "une alerte « précise »",
        **changes,
    }


def source_state(db: Database, source_id: int) -> tuple[Any, ...]:
    with db.session() as session:
        row = session.execute(select(SOURCES).where(SOURCES.c.id == source_id)).one()
    return tuple(v for k, v in row._mapping.items() if k not in ("id", "name", "url"))


@pytest.mark.parametrize(
    ("statement", "extra"),
    [(SUCCESS, {}), (SUCCESS_WITH_NEWS, {"b_new": 3})],
    ids=["quiet", "news"],
)
def test_execute_writes_what_connection_execute_writes(
    db: Database, statement: Any, extra: dict[str, Any]
) -> None:
    source = ids(db)
    with db.session() as session:  # a failing source, so every column changes
        session.execute(
            SOURCES.update().values(
                consecutive_failures=4, failing_since=NOW, last_error="HTTP 503", items_total=5
            )
        )
    with db.session() as session:
        connection = session.connection()
        connection.execute(statement, outcome(source["a"], **extra))
        for name in ("b", "c"):  # the second time from the kept plan
            execute(connection, statement, outcome(source[name], **extra))
    assert source_state(db, source["b"]) == source_state(db, source["a"])
    assert source_state(db, source["c"]) == source_state(db, source["a"])
    assert source_state(db, source["d"]) != source_state(db, source["a"])


def test_a_driver_error_is_sqlalchemys_and_handle_error_sees_it(sqlite_db: Database) -> None:
    """The watch of refused writes (``outage``) listens to ``handle_error``."""
    seen: list[tuple[str, type[BaseException]]] = []

    def handle_error(context: ExceptionContext) -> None:
        seen.append((context.statement or "", type(context.original_exception)))

    event.listen(sqlite_db.engine, "handle_error", handle_error)
    try:
        with pytest.raises(IntegrityError) as raised, sqlite_db.session() as session:
            # No such source: the foreign key refuses the row.
            insert_ignoring_many(
                session.connection(), ITEMS, [item_row(999, "g1")], ("source_id", "guid"), ()
            )
    finally:
        event.remove(sqlite_db.engine, "handle_error", handle_error)
    assert isinstance(raised.value.orig, sqlite3.IntegrityError)
    assert "FOREIGN KEY" in str(raised.value.orig)
    assert [(s.split(" (")[0], kind) for s, kind in seen] == [
        ("INSERT INTO items", sqlite3.IntegrityError)
    ]


@pytest.fixture
def statements(sqlite_db: Database) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(sqlite_db.engine, "before_cursor_execute", record)
    yield sent
    event.remove(sqlite_db.engine, "before_cursor_execute", record)


def test_cursor_listeners_still_see_every_statement(
    sqlite_db: Database, statements: list[str]
) -> None:
    source = ids(sqlite_db)
    del statements[:]
    by_name = select(SOURCES.c.id).where(one_of(SOURCES.c.name, "names"))
    with sqlite_db.session() as session:
        connection = session.connection()
        found = fetch_all(connection, by_name, {"names": ["a", "b"]})
        execute(connection, SUCCESS, outcome(source["a"]))
        insert_ignoring_many(
            connection, ITEMS, [item_row(source["a"], "g1")], ("source_id", "guid"), ()
        )
    assert sorted(id_ for (id_,) in found) == sorted([source["a"], source["b"]])
    assert [s.split()[0] for s in statements] == ["SELECT", "UPDATE", "INSERT"]


def test_a_connection_without_a_transaction_begins_one(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as connection:
        rows = sqlite_rows(connection, "SELECT name FROM sources WHERE name = ?", ("c",))
        assert connection.in_transaction()
    assert [tuple(row) for row in rows] == [("c",)]
