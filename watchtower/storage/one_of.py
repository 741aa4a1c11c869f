"""``column IN (:values)`` whose statement text does not depend on the number of values.

SQLAlchemy's expanding ``IN`` renders one placeholder per value, so on PostgreSQL
every list length is a new statement: psycopg converts each text again and
prepares none of them on the server (it prepares a text after five runs, and
keeps a hundred). A feed of 10 entries, one of 25 and one of 50 are three
statements each for the known-GUID and story lookups. On PostgreSQL,
:func:`one_of` renders ``column = ANY(:values)`` with the list sent as one array
instead; elsewhere it is the plain expanding ``IN``.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType
from sqlalchemy.types import Boolean, String

from watchtower.storage.sqlite_cursor import sqlite_rows

__all__ = ["execute", "fetch_all", "one_of"]


class OneOf(ColumnElement[bool]):
    """``column`` is one of the values bound to ``name`` (a list)."""

    type = Boolean()
    # A comparison, not a boolean column: SQLite must not get ``IN (…) = 1``,
    # which no index serves.
    _is_implicitly_boolean = True
    inherit_cache = True
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012 (SQLAlchemy's own form)
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.name = name


def one_of(column: ColumnElement[Any], name: str) -> ColumnElement[bool]:
    """``column IN (:name)``; on PostgreSQL ``column = ANY(:name)`` (one array parameter)."""
    return OneOf(column, name)


@compiles(OneOf)
def _expanding_in(element: OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    text: str = compiler.process(element.column.in_(bindparam(element.name, expanding=True)), **kw)
    return text


@compiles(OneOf, "postgresql")
def _any_array(element: OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    kind = element.column.type
    # No length: a cast to VARCHAR(n)[] would cut a longer value, which could
    # then match a stored one.
    array = bindparam(
        element.name, type_=postgresql.ARRAY(String() if isinstance(kind, String) else kind)
    )
    text: str = compiler.process(element.column == any_(array), **kw)
    return text


def fetch_all(connection: Connection, statement: Any, params: Mapping[str, Any]) -> Sequence[Any]:
    """``connection.execute(statement, params).all()``, cheaper on SQLite.

    There SQLAlchemy renders an expanding ``IN`` anew on every run (the cached
    compiled form still has to be post-processed for the list's length), which
    cost more than the lookup. The statement is compiled once instead, its text
    kept per list length, and the parameters and results go through the same
    type processors SQLAlchemy applies; it runs on the DB-API cursor
    (:mod:`watchtower.storage.sqlite_cursor`). Rows are tuples there.
    """
    plan = _plan(connection, statement)
    if plan is None:
        return connection.execute(statement, params).all()
    return plan.run(connection, params)


def execute(connection: Connection, statement: Any, params: Mapping[str, Any]) -> None:
    """``connection.execute(statement, params)`` of a statement that returns no rows
    (an ``UPDATE``), cheaper on SQLite as :func:`fetch_all` is.

    Through SQLAlchemy, a Core statement's cache key is computed on every run:
    with the execution around it, that cost more than SQLite's update of a
    source after each poll (1.5% of a first poll's recording, session 12).
    """
    plan = _plan(connection, statement)
    if plan is None:
        connection.execute(statement, params)
    else:
        plan.run(connection, params)


def _plan(connection: Connection, statement: Any) -> _SqlitePlan | None:
    """The statement's plan on SQLite, made on its first run; ``None`` elsewhere."""
    if connection.dialect.name != "sqlite":
        return None
    plans = _PLANS.get(connection.dialect)
    if plans is None:
        plans = _PLANS[connection.dialect] = {}
    if statement not in plans:
        plans[statement] = _SqlitePlan.of(connection.dialect, statement)
    return plans[statement]


#: Statement texts kept per plan: one per combination of list lengths up to this.
_KEPT_TEXTS = 256
# By dialect (one per engine, which may configure its types), then statement (module
# constants, built once).
_PLANS: weakref.WeakKeyDictionary[Dialect, dict[Any, _SqlitePlan | None]] = (
    weakref.WeakKeyDictionary()
)


class _SqlitePlan:
    """A statement compiled once for SQLite, run on the DB-API cursor."""

    @classmethod
    def of(cls, dialect: Dialect, statement: Any) -> _SqlitePlan | None:
        """The plan, or ``None`` for what it does not reproduce (SQLAlchemy then runs it)."""
        compiled = statement.compile(dialect=dialect)
        binds = {name: compiled.binds[name] for name in compiled.positiontup or []}
        if (
            dialect.paramstyle != "qmark"
            or any(bind.literal_execute or bind.callable for bind in binds.values())
            or compiled.string.count("__[POSTCOMPILE_")
            != sum(bind.expanding for bind in binds.values())
            # Defaults SQLAlchemy computes at execution (a column's Python onupdate).
            or compiled.insert_prefetch
            or compiled.update_prefetch
        ):
            return None
        return cls(dialect, statement, compiled)

    def __init__(self, dialect: Dialect, statement: Any, compiled: Any) -> None:
        self.statement = statement
        text: str = compiled.string
        self.names: list[str] = list(compiled.positiontup or [])
        binds = {name: compiled.binds[name] for name in self.names}
        self.expanding = frozenset(name for name, bind in binds.items() if bind.expanding)
        self.defaults = {name: bind.value for name, bind in binds.items() if not bind.required}
        self.binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in binds.items()
        }
        # The text between the expanding lists, in the order of ``names``.
        self.pieces: list[str] = []
        for name in self.names:
            if name in self.expanding:
                marker = f"__[POSTCOMPILE_{name}]"
                before, _, text = text.partition(marker)
                self.pieces.append(before)
        self.pieces.append(text)
        results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.exported_columns
        ]
        self.results = results if any(p is not None for p in results) else None
        self.texts: dict[tuple[int, ...], str] = {}

    def run(self, connection: Connection, params: Mapping[str, Any]) -> Sequence[Any]:
        values: list[Any] = []
        lengths: list[int] = []
        for name in self.names:
            value = (
                params[name] if name in params or name not in self.defaults else self.defaults[name]
            )
            bind = self.binds[name]
            if name in self.expanding:
                if not value:  # SQLAlchemy renders an empty IN specially
                    return connection.execute(self.statement, params).all()
                lengths.append(len(value))
                values.extend(value if bind is None else map(bind, value))
            else:
                values.append(value if bind is None else bind(value))
        key = tuple(lengths)
        text = self.texts.get(key)
        if text is None:
            marks = [", ".join("?" * n) for n in lengths]
            text = "".join(p + m for p, m in zip(self.pieces, [*marks, ""], strict=True))
            if len(self.texts) < _KEPT_TEXTS:
                self.texts[key] = text
        rows = sqlite_rows(connection, text, tuple(values))
        if self.results is None:
            return rows
        processors = self.results
        return [
            tuple(v if p is None else p(v) for v, p in zip(row, processors, strict=True))
            for row in rows
        ]
