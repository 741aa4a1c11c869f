"""None and bytes bound through registered adapters bind as before (storage/sqlite_cursor.py)."""

from __future__ import annotations

import sqlite3

import watchtower.storage.sqlite_cursor  # noqa: F401  (registers the adapters)


def test_none_and_bytes_have_an_adapter() -> None:
    # Without one, sqlite3 formats and clears an AttributeError for each value.
    for kind in (type(None), bytes, memoryview):
        assert (kind, sqlite3.PrepareProtocol) in sqlite3.adapters


def test_bound_as_null_and_blob() -> None:
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("CREATE TABLE t (a, b, c)")
        values = (None, b"\x00\x01fp", sqlite3.Binary(b"\x02fp"))
        connection.execute("INSERT INTO t VALUES (?, ?, ?)", values)
        row = connection.execute("SELECT a, typeof(a), b, typeof(b), c, typeof(c) FROM t")
        stored = row.fetchone()
    finally:
        connection.close()
    assert stored == (None, "null", b"\x00\x01fp", "blob", b"\x02fp", "blob")
