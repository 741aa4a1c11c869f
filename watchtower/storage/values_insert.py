"""SQLite's multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING``, written once.

What SQLAlchemy's "insertmanyvalues" sends to SQLite for
:func:`watchtower.storage.insert_returning.insert_ignoring_many`, without compiling and
post-processing the statement on every call: for a batch of ten items that
cost more than SQLite's own insert. It runs on the DB-API cursor
(:mod:`watchtower.storage.sqlite_cursor`). The same text, the same parameters
converted by the columns' own bind processors, the same page size; anything
SQLAlchemy would add of its own (a Python-side or SQL default of a column left
out) makes :func:`values_insert` return ``None`` and the caller use SQLAlchemy.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.schema import ColumnDefault

from watchtower.storage.sqlite_cursor import sqlite_rows

__all__ = ["ValuesInsert", "values_insert"]

_NONE = object()  # no value seen yet

#: Statement texts kept per plan: one per batch size up to this (a feed's page).
_KEPT_TEXTS = 128


class ValuesInsert:
    """What SQLAlchemy's "insertmanyvalues" sends to SQLite, written once.

    The same multi-row ``VALUES`` text, the same parameters converted by the
    columns' own bind processors, the same page size; without compiling and
    post-processing the statement on every call, which cost more than
    SQLite's own insert of a batch of ten items.
    """

    def __init__(
        self,
        dialect: Any,
        table: Table,
        columns: tuple[str, ...],
        conflict: tuple[str, ...],
        also: tuple[str, ...],
        constants: dict[str, Any],
    ) -> None:
        quote = dialect.identifier_preparer.quote
        returned = (table.c.id, *(table.c[name] for name in also))
        named = (*columns, *constants)
        self.head = f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, named))}) VALUES "
        self.row = f"({', '.join('?' * len(named))})"
        self.tail = (
            f" ON CONFLICT ({', '.join(map(quote, conflict))}) DO NOTHING"
            f" RETURNING {', '.join(quote(c.name) for c in returned)}"
        )
        # A row's values are read at once, in C; SQLAlchemy calls a column's
        # processor on every value, None included: ``bound`` lists those
        # columns (position, processor), the only ones a Python loop visits.
        self.values: Callable[[dict[str, Any]], tuple[Any, ...]] = (
            itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
        )
        processors = (
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        )
        self.bound = tuple((at, p) for at, p in enumerate(processors) if p is not None)
        # The scalar defaults of the columns left out, as SQLAlchemy sends them.
        self.constants = tuple(
            value
            if (bind := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is None
            else bind(value)
            for name, value in constants.items()
        )
        self.results = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in returned
        )
        self.page = max(
            1,
            min(
                dialect.insertmanyvalues_page_size,
                dialect.insertmanyvalues_max_parameters // len(named),
            ),
        )
        self.texts: dict[int, str] = {}

    def run(self, connection: Connection, rows: Sequence[dict[str, Any]]) -> list[Any]:
        read, bound = self.values, self.bound
        out: list[Any] = []
        for start in range(0, len(rows), self.page):
            chunk = rows[start : start + self.page]
            params: list[Any] = []
            # A batch's rows share values (``now`` in every row's dates): a value
            # that is the previous row's object is converted once.
            last: list[Any] = [_NONE] * len(bound)
            done: list[Any] = [None] * len(bound)
            for row in chunk:
                values = read(row)
                base = len(params)
                params.extend(values)
                for k, (at, bind) in enumerate(bound):
                    value = values[at]
                    if value is not last[k]:
                        last[k], done[k] = value, bind(value)
                    params[base + at] = done[k]
                params.extend(self.constants)
            text = self.texts.get(len(chunk))
            if text is None:
                text = self.head + ", ".join([self.row] * len(chunk)) + self.tail
                if len(chunk) <= _KEPT_TEXTS:
                    self.texts[len(chunk)] = text
            found: Sequence[Any] = sqlite_rows(connection, text, tuple(params))
            if any(p is not None for p in self.results):
                found = [
                    tuple(v if p is None else p(v) for v, p in zip(r, self.results, strict=True))
                    for r in found
                ]
            out.extend(found)
        return out


# By dialect (one per engine, which may configure its types, e.g. JSON), then by
# table and columns.
_INSERT_PLANS: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], ValuesInsert | None]] = (
    weakref.WeakKeyDictionary()
)


def values_insert(
    dialect: Any,
    table: Table,
    columns: tuple[str, ...],
    conflict: tuple[str, ...],
    also: tuple[str, ...],
) -> ValuesInsert | None:
    """The plan of :func:`insert_ignoring_many` on SQLite, or ``None`` where SQLAlchemy
    would add something of its own (a Python-side default of a column left out)."""
    plans = _INSERT_PLANS.get(dialect)
    if plans is None:
        plans = _INSERT_PLANS[dialect] = {}
    key = (table, columns, conflict, also)
    if key not in plans:
        plans[key] = _new_values_insert(dialect, table, columns, conflict, also)
    return plans[key]


def _new_values_insert(
    dialect: Any,
    table: Table,
    columns: tuple[str, ...],
    conflict: tuple[str, ...],
    also: tuple[str, ...],
) -> ValuesInsert | None:
    given = set(columns)
    if dialect.paramstyle != "qmark" or not given <= set(table.c.keys()):
        return None
    constants: dict[str, Any] = {}
    for column in table.c:
        default = column.default
        if column.name in given or default is None:
            continue
        if not (isinstance(default, ColumnDefault) and default.is_scalar):
            return None  # a callable or SQL default: SQLAlchemy's to run
        constants[column.name] = default.arg
    return ValuesInsert(dialect, table, columns, conflict, also, constants)
