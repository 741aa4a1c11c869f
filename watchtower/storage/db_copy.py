"""Copy every row of one watchtower database into another, empty one (``watchtower
db copy``): moving a SQLite instance to PostgreSQL without announcing anything again.

Both databases are at this version's schema (the caller checks the source and
migrates the target). Tables are copied in foreign-key order, taken from the
table definitions (:data:`~watchtower.storage.tables.Base` ``.metadata``), so a
table added later is copied without anyone updating a list; rows are streamed in
batches (a multi-gigabyte file is never held in memory), read from one snapshot
of the source and written in one transaction on the target: all or nothing. The
rows go through the same column types the daemon uses, so datetimes stay
timezone-aware UTC, JSON stays JSON and bytes stay bytes on either backend.

On PostgreSQL, each serial sequence is then moved past the copied ids, and on
SQLite each ``AUTOINCREMENT`` counter past the source's: the next row gets a
fresh id, never one a copied or pruned row (or a Slack thread naming it) had.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy.exc
from sqlalchemy import Connection, Engine, Table, func, inspect, select, text

from watchtower.storage.db import MIGRATION_LOCK
from watchtower.storage.tables import Base

__all__ = [
    "BATCH",
    "NOT_COPIED",
    "CopyFailed",
    "CopyRefused",
    "TableCopy",
    "copied_tables",
    "copy_rows",
    "rows_in",
]

#: Rows read and written at a time: bounds memory whatever the database's size.
BATCH = 1000

#: Tables left behind, and why. ``daemons`` holds the heartbeats of the processes
#: that ran on the source: copied, they would make ``status`` (and ``db`` commands,
#: which refuse while a daemon runs) see those processes running on the target.
#: ``alembic_version`` is not in the metadata: migrating the target wrote its own.
NOT_COPIED = {"daemons": "heartbeats of the processes that ran on the source"}


class CopyRefused(Exception):
    """The copy was not started: the target holds rows already (nothing written)."""


class CopyFailed(Exception):
    """The copy failed part-way: its transaction was rolled back, the target is empty."""


@dataclass(frozen=True)
class TableCopy:
    """One table's rows counted on both sides, in the same transactions as the copy."""

    table: str
    source: int
    target: int


def copied_tables() -> list[Table]:
    """The tables to copy, parents before the tables whose foreign keys name them."""
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_COPIED]


def rows_in(connection: Connection) -> dict[str, int]:
    """Rows per copied table that exists there (an older schema may lack some)."""
    present = set(inspect(connection).get_table_names())
    return {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in copied_tables()
        if table.name in present
    }


def copy_rows(
    source: Engine,
    target: Engine,
    *,
    batch: int = BATCH,
    copied: Callable[[TableCopy], None] | None = None,
) -> list[TableCopy]:
    """Copy every row of :func:`copied_tables` from ``source`` into ``target``,
    telling ``copied`` of each table once written (not committed yet).

    Raises :class:`CopyRefused` when the target holds a row already, and
    :class:`CopyFailed` (the target rolled back) when a row is refused (a value
    PostgreSQL finds too long, a row pointing nowhere) or the counts differ.
    """
    with _snapshot(source) as reading, _one_transaction(target) as writing:
        found = {name: count for name, count in rows_in(writing).items() if count}
        if found:
            raise CopyRefused(
                "the target database is not empty ("
                + ", ".join(f"{name} {count}" for name, count in found.items())
                + ")"
            )
        copies = []
        for table in copied_tables():
            copies.append(_copy_table(table, reading, writing, batch))
            if copied is not None:
                copied(copies[-1])
        if writing.dialect.name == "postgresql":
            for table in copied_tables():
                _move_sequence(table, reading, writing)
        else:
            for table in copied_tables():
                _move_sqlite_counter(table, reading, writing)
        differ = [c for c in copies if c.source != c.target]
        if differ:
            raise CopyFailed(
                "rows differ after the copy ("
                + ", ".join(f"{c.table}: {c.source} read, {c.target} written" for c in differ)
                + ")"
            )
    return copies


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that reads the source as it was at one moment (a daemon
    writing meanwhile changes nothing the copy reads)."""
    with engine.connect() as connection:  # closing it rolls the reading back
        if connection.dialect.name == "sqlite":
            # Python's sqlite3 opens no transaction for a SELECT: each would read
            # its own moment. An explicit one holds a single WAL snapshot.
            connection.exec_driver_sql("BEGIN")
        else:
            connection.execution_options(isolation_level="REPEATABLE READ")
        yield connection


@contextmanager
def _one_transaction(engine: Engine) -> Iterator[Connection]:
    """The target's one transaction; on PostgreSQL it holds the migration lock,
    so a replica starting meanwhile waits for the copy instead of adding its
    sources to a half-copied database."""
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "sqlite":  # the write lock first, as migrations
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
        yield connection


def _copy_table(table: Table, reading: Connection, writing: Connection, batch: int) -> TableCopy:
    """Stream ``table`` from ``reading`` into ``writing``, ``batch`` rows at a time."""
    counted = int(reading.execute(select(func.count()).select_from(table)).scalar_one())
    rows = reading.execution_options(yield_per=batch).execute(
        select(table).order_by(*table.primary_key.columns)
    )
    try:
        for part in rows.partitions():
            writing.execute(table.insert(), [dict(row._mapping) for row in part])
    except sqlalchemy.exc.DBAPIError as exc:
        lines = str(exc.orig or exc).strip().splitlines()
        raise CopyFailed(
            f"table {table.name}: {lines[0] if lines else type(exc).__name__}"
        ) from exc
    written = int(writing.execute(select(func.count()).select_from(table)).scalar_one())
    return TableCopy(table.name, counted, written)


def _move_sequence(table: Table, reading: Connection, writing: Connection) -> None:
    """Set the target's sequence of ``table`` past every id the source gave out."""
    column = table.autoincrement_column
    if column is None:
        return
    sequence = writing.execute(
        text("SELECT pg_get_serial_sequence(:table, :column)"),
        {"table": table.name, "column": column.name},
    ).scalar_one()
    if sequence is None:
        return
    highest = max(
        int(reading.execute(select(func.max(column))).scalar_one() or 0),
        _source_counter(table, reading),
    )
    # setval(seq, 0) is out of range: an empty table starts its sequence at 1.
    writing.execute(
        text("SELECT setval(:sequence, :value, :called)"),
        {"sequence": sequence, "value": max(highest, 1), "called": highest > 0},
    )


def _move_sqlite_counter(table: Table, reading: Connection, writing: Connection) -> None:
    """Set the target's ``AUTOINCREMENT`` counter of ``table`` past every id the
    source gave out: the copy moved it to the highest id copied only, and a
    pruned higher id (a Slack message's metadata may name it) must not come back."""
    column = table.autoincrement_column
    if column is None or not table.dialect_options["sqlite"]["autoincrement"]:
        return  # a plain INTEGER PRIMARY KEY keeps no counter
    highest = _source_counter(table, reading)
    if highest == 0:
        return
    moved = writing.execute(
        text("UPDATE sqlite_sequence SET seq = max(seq, :seq) WHERE name = :name"),
        {"seq": highest, "name": table.name},
    ).rowcount
    if not moved:  # nothing copied into it: no counter yet
        writing.execute(
            text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"),
            {"seq": highest, "name": table.name},
        )


def _source_counter(table: Table, reading: Connection) -> int:
    """The highest id the source's own counter gave out, which may exceed the
    highest id left (pruned rows): 0 when it keeps none (SQLite without
    ``AUTOINCREMENT`` reuses a pruned highest id itself, as before migration 0012)."""
    column = table.autoincrement_column
    assert column is not None
    if reading.dialect.name == "postgresql":
        sequence = reading.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column.name},
        ).scalar_one()
        if sequence is None:
            return 0
        last, called = reading.execute(
            text(f"SELECT last_value, is_called FROM {sequence}")  # a name PostgreSQL gave
        ).one()
        return int(last) if called else 0
    # Not through inspect(): SQLAlchemy leaves SQLite's own sqlite_* tables out.
    counters = reading.execute(
        text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
    ).scalar_one()
    if not counters:  # no AUTOINCREMENT table yet
        return 0
    seq = reading.execute(
        text("SELECT seq FROM sqlite_sequence WHERE name = :name"), {"name": table.name}
    ).scalar()
    return int(seq or 0)
