"""Migration 0010 (SQLite and PostgreSQL): ``daemons.round_put_off``, the sources
the last round put off behind other fetches of their site. Rows already there
(and rows an older replica writes without it) read 0; the way back drops only
the column; ``status`` on a 0009 schema reads the rows without it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import column, insert, inspect, select, table

from tests.unit.storage.test_migrations import migrate
from watchtower.status_report import status_report
from watchtower.storage.db import Database, current_revision
from watchtower.storage.tables import DAEMONS

NOW = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _columns(db: Database) -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns("daemons")}


#: ``daemons`` as 0009 (and an older replica) knows it: without ``round_put_off``.
OLD_DAEMONS = table(
    "daemons",
    *(
        column(c.name, c.type)
        for c in DAEMONS.columns
        if c.name
        in [
            "id",
            "mode",
            "host",
            "pid",
            "version",
            "config",
            "poll_interval_s",
            "started_at",
            "seen_at",
            "round_at",
            "round_sources",
            "round_ok",
            "round_failed",
        ]
    ),
)
ROW = {
    "id": "old",
    "mode": "daemon",
    "host": "veille",
    "pid": 1,
    "version": "0.3.0",
    "config": "",
    "poll_interval_s": 30.0,
    "started_at": NOW,
    "seen_at": NOW,
    "round_at": NOW,
    "round_sources": 3,
    "round_ok": 2,
    "round_failed": 1,
}


def test_0010_adds_round_put_off_and_goes_back(db: Database) -> None:
    migrate(db.engine, "0009")
    assert "round_put_off" not in _columns(db)
    with db.engine.begin() as conn:
        conn.execute(insert(OLD_DAEMONS).values(ROW))
    with db.session() as session:  # status on the old schema: no put-off count, no error
        report = status_report(session, None, NOW, schema=("0009", "0009"))
    [old] = report["daemon"]["instances"]
    assert (old["round_sources"], old["round_put_off"]) == (3, 0)

    migrate(db.engine, "0010")
    with db.engine.begin() as conn:
        conn.execute(insert(OLD_DAEMONS).values(ROW | {"id": "older-replica"}))
        assert conn.execute(select(DAEMONS.c.round_put_off)).scalars().all() == [0, 0]

    migrate(db.engine, "0009", down=True)
    assert "round_put_off" not in _columns(db)
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0009"
        assert sorted(conn.execute(select(OLD_DAEMONS.c.id)).scalars()) == ["old", "older-replica"]

    migrate(db.engine, "0010")  # and up again
    assert "round_put_off" in _columns(db)
