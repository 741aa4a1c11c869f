"""``INSERT … ON CONFLICT DO NOTHING RETURNING id``: the ids of the rows added.

One row (:func:`insert_returning_id`, every new item) or many at once
(:func:`insert_ignoring_many`); a row that conflicts with one stored adds
nothing and comes back as nothing. Each statement is built once per table and
dialect, and the rows go as parameters.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, cast, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from watchtower.storage.values_insert import values_insert

__all__ = ["insert_ignoring", "insert_ignoring_many", "insert_returning_id"]


@functools.cache
def insert_ignoring(
    dialect: str, table: Table, conflict: tuple[str, ...], also: tuple[str, ...] = ()
) -> Any:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING RETURNING id, *also``, built once."""
    module = postgresql if dialect == "postgresql" else sqlite
    return (
        module.insert(table)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(table.c.id, *(table.c[name] for name in also))
    )


def insert_ignoring_many(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    conflict: tuple[str, ...],
    also: tuple[str, ...],
) -> list[Any]:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id, *also`` for many rows at once.

    Only inserted rows come back, so ``also`` names the columns that tell which
    row each id belongs to. Every row has the same keys.

    On PostgreSQL the rows go as one array per column, unnested by the server.
    The statement text is then the same whatever the number of rows. psycopg
    caches its conversion and, after a few runs, prepares it on the server.
    On SQLite, one multi-row ``VALUES`` as SQLAlchemy's "insertmanyvalues"
    would send it, from a text written once (:mod:`watchtower.storage.values_insert`).
    """
    if not rows:
        return []
    columns = tuple(rows[0])
    dialect = connection.dialect
    if dialect.name == "postgresql":
        arrays = {f"u_{name}": [row[name] for row in rows] for name in columns}
        return list(connection.execute(_unnest_insert(table, columns, conflict, also), arrays))
    plan = (
        values_insert(dialect, table, columns, conflict, also) if dialect.name == "sqlite" else None
    )
    if plan is None:
        statement = insert_ignoring(dialect.name, table, conflict, also)
        return list(connection.execute(statement, list(rows)))
    return plan.run(connection, rows)


@functools.cache
def _unnest_insert(
    table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], also: tuple[str, ...]
) -> Any:
    # Several unnest() in one select list run in step (PostgreSQL 10+): row i of
    # the result takes element i of every array.
    unnested = select(
        *(
            func.unnest(cast(bindparam(f"u_{name}"), postgresql.ARRAY(table.c[name].type)))
            for name in columns
        )
    )
    return (
        postgresql.insert(table)
        .from_select(list(columns), unnested)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(table.c.id, *(table.c[name] for name in also))
    )


def insert_returning_id(
    session: Session, table: Any, conflict: tuple[str, ...], values: dict[str, Any]
) -> int | None:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING RETURNING id``; ``None`` on conflict.

    The statement is built once per table and dialect and the row goes as
    parameters: building an ORM ``insert().values(...)`` per row costs more
    than running it (hot path: every new item). On SQLite, as a one-row
    :func:`insert_ignoring_many`.
    """
    connection = session.connection()
    dialect = connection.dialect
    plan = (
        values_insert(dialect, table.__table__, tuple(values), conflict, ())
        if dialect.name == "sqlite"
        else None
    )
    if plan is not None:
        found = plan.run(connection, [values])
        return int(found[0][0]) if found else None
    statement = insert_ignoring(dialect.name, table.__table__, conflict)
    row_id: int | None = connection.execute(statement, values).scalar()
    return row_id
