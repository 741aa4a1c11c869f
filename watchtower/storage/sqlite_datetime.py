"""The text SQLite stores for a UTC datetime, written without SQLAlchemy's formatting.

SQLAlchemy's SQLite ``DATETIME`` writes ``YYYY-MM-DD HH:MM:SS.ffffff`` with
``%``-formatting from a dict of seven fields, after
:class:`~watchtower.storage.tables.UtcDateTime` converted the value to UTC: about
19,000 instructions per value, 3% of a first poll's recording (every item's
dates, the stories', the mentions', the source's schedule). The same text is
built here from two-digit pieces in one f-string, for a third of that
(docs/polling.md, "Session 21").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import sqlite

__all__ = ["sqlite_utc_text", "utc_text_processor"]

#: The storage format written here: SQLAlchemy's default for SQLite. A
#: private attribute; should a release rename it or change the default, every
#: column falls back to SQLAlchemy's own processing.
_FORMAT = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"
_TWO = tuple(f"{n:02d}" for n in range(100))


def sqlite_utc_text(value: datetime | None) -> str | None:
    """What ``UtcDateTime`` sends SQLite for ``value``: the UTC time as
    ``YYYY-MM-DD HH:MM:SS.ffffff``; ``ValueError`` for a naive datetime."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    year, micro = value.year, value.microsecond
    return (
        f"{_TWO[year // 100]}{_TWO[year % 100]}-{_TWO[value.month]}-{_TWO[value.day]}"
        f" {_TWO[value.hour]}:{_TWO[value.minute]}:{_TWO[value.second]}"
        f".{_TWO[micro // 10000]}{_TWO[micro // 100 % 100]}{_TWO[micro % 100]}"
    )


def utc_text_processor(impl: Any) -> Callable[[datetime | None], str | None] | None:
    """:func:`sqlite_utc_text` when ``impl`` (the column's type on this dialect) is
    SQLite's ``DATETIME`` with its default format; else ``None`` (SQLAlchemy's own)."""
    if type(impl) is sqlite.DATETIME and getattr(impl, "_storage_format", None) == _FORMAT:
        return sqlite_utc_text
    return None
