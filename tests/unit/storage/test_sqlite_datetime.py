"""UtcDateTime's text on SQLite is SQLAlchemy's, written faster (storage/sqlite_datetime.py)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.type_api import TypeDecorator

from watchtower.storage.sqlite_datetime import sqlite_utc_text
from watchtower.storage.tables import UtcDateTime


def _sqlalchemy_text(value: datetime | None) -> str | None:
    """What SQLAlchemy itself sends: process_bind_param, then DATETIME's format."""
    dialect = sqlite.dialect()
    column_type = UtcDateTime().dialect_impl(dialect)
    process = TypeDecorator.bind_processor(column_type, dialect)
    assert process is not None
    result: str | None = process(value)
    return result


def _values() -> list[datetime]:
    rng = random.Random(21)
    zones = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-9, minutes=-30))]
    out = [
        datetime(2026, 11, 26, 12, 0, tzinfo=UTC),
        datetime(1, 1, 2, 0, 0, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, 0, 5, tzinfo=zones[1]),
    ]
    for _ in range(2000):
        out.append(
            datetime(
                rng.choice([5, 99, 1970, 2026, 9998]),
                rng.randint(1, 12),
                rng.randint(1, 28),
                rng.randint(0, 23),
                rng.randint(0, 59),
                rng.randint(0, 59),
                rng.choice([0, 7, rng.randint(0, 999_999)]),
                tzinfo=rng.choice(zones),
            )
        )
    return out


def test_sqlite_bind_processor_is_the_fast_one() -> None:
    dialect = sqlite.dialect()
    assert UtcDateTime().dialect_impl(dialect).bind_processor(dialect) is sqlite_utc_text


def test_same_text_as_sqlalchemy() -> None:
    for value in _values():
        assert sqlite_utc_text(value) == _sqlalchemy_text(value), value
    assert sqlite_utc_text(None) is None


def test_naive_datetime_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        sqlite_utc_text(datetime(2026, 11, 26, 12, 0))


def test_postgresql_keeps_sqlalchemy_processing() -> None:
    dialect = postgresql.dialect()
    assert UtcDateTime().dialect_impl(dialect).bind_processor(dialect) is not sqlite_utc_text


def test_round_trip_through_sqlite() -> None:
    table = Table(
        "t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime)
    )
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    value = datetime(2026, 11, 26, 13, 4, 5, 60, tzinfo=timezone(timedelta(hours=1)))
    with engine.begin() as connection:
        connection.execute(insert(table), [{"at": value}, {"at": None}])
        stored = connection.execute(text("SELECT at FROM t ORDER BY id")).scalars().all()
        read = connection.execute(select(table.c.at).order_by(table.c.id)).scalars().all()
    assert stored == ["2026-11-26 12:04:05.000060", None]
    assert read == [value, None]
    assert read[0] is not None and read[0].tzinfo == UTC
