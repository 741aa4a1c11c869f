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

from typing import Any

from sqlalchemy import any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType
from sqlalchemy.types import Boolean, String

__all__ = ["one_of"]


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
