"""Statements run on SQLite's DB-API cursor, below SQLAlchemy's execution.

:meth:`Connection.exec_driver_sql` builds an execution context, a
``CursorResult`` and a ``Row`` per row around every statement: about 110,000
instructions each, more than SQLite's own work for the statements a poll runs
per batch (known GUIDs, catch-up, story lookup, story and item inserts). Their
text and parameters are already SQLite's (:mod:`watchtower.storage.one_of`,
:mod:`watchtower.storage.values_insert`), so they go to the cursor directly:
6% of a first poll's recording instructions (session 12, docs/polling.md).

What SQLAlchemy does around a statement that the application or its tests rely
on is kept: errors go through SQLAlchemy's handling (wrapped in
``sqlalchemy.exc``, seen by ``handle_error`` listeners such as the watch of
refused writes in :mod:`watchtower.outage`, a lost connection invalidated), and
an engine with cursor listeners, logging of SQL (``echo``) or a connection
with no transaction begun yet runs the statement through SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

__all__ = ["sqlite_rows"]


def _same(value: Any) -> Any:
    return value


# sqlite3 binds int, float, str and bytearray as they are, and looks any other
# value up in its adapters: with none found, it asks its protocol type for
# ``__adapt__``, an AttributeError formatted and cleared each time, about 3,000
# instructions a value. A first poll's batch binds some fifty None and binary
# values (NULL columns; fingerprints, which SQLAlchemy's LargeBinary hands over
# as ``sqlite3.Binary``, a memoryview): 1.7% of its recording. Registered as
# themselves, they are found at once and bound as before (NULL, a BLOB), on
# every connection of the process (docs/polling.md, "Session 21").
for _kind in (type(None), bytes, memoryview):
    sqlite3.register_adapter(_kind, _same)


def sqlite_rows(connection: Connection, text: str, params: tuple[Any, ...]) -> Sequence[Any]:
    """``connection.exec_driver_sql(text, params).all()`` on SQLite, as tuples
    (none for a statement that returns no rows).

    ``text`` and ``params`` are the driver's (``?`` placeholders, values already
    converted by the columns' bind processors).
    """
    # The engine's listeners (tests listen there), not the connection's: a new
    # connection's joined dispatch costs more to read than the statement saves.
    listening = connection.engine.dispatch
    if (
        not connection.in_transaction()  # SQLAlchemy begins it (and checks it is usable)
        or listening.before_cursor_execute
        or listening.after_cursor_execute
        or connection._echo
    ):
        result = connection.exec_driver_sql(text, params)
        return result.all() if result.returns_rows else []
    cursor = connection.connection.cursor()
    try:
        cursor.execute(text, params)
        rows: Sequence[Any] = cursor.fetchall()
    except BaseException as exc:  # as SQLAlchemy catches them (an interrupt invalidates)
        connection._handle_dbapi_exception(exc, text, params, cursor, None)
    finally:
        cursor.close()
    return rows
