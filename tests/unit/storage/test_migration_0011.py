"""Migration 0011 (SQLite and PostgreSQL): ``daemons.config_targets``, the digests
of the targets each daemon's running config names. Rows already there (and rows
a replica of 0.3.1 writes without it) read NULL, judged by their load time; the
way back drops only the column; ``status`` on a 0010 schema reads the rows
without it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import column, insert, inspect, select, table

from tests.unit.storage.test_migrations import migrate
from watchtower.heartbeat_others import target_digest
from watchtower.status_report import status_report
from watchtower.storage.db import Database, current_revision
from watchtower.storage.tables import DAEMONS

NOW = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def _columns(db: Database) -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns("daemons")}


#: ``daemons`` as 0010 (and a replica of 0.3.1) knows it: without ``config_targets``.
OLD_DAEMONS = table(
    "daemons", *(column(c.name, c.type) for c in DAEMONS.columns if c.name != "config_targets")
)
ROW = {
    "id": "old",
    "mode": "daemon",
    "host": "veille",
    "pid": 1,
    "version": "0.3.1",
    "config": "",
    "poll_interval_s": 30.0,
    "started_at": NOW,
    "seen_at": NOW,
    "round_sources": 3,
    "round_ok": 2,
    "round_failed": 1,
    "round_put_off": 0,
    "config_loaded_at": NOW,
}


def test_0011_adds_config_targets_and_goes_back(db: Database) -> None:
    migrate(db.engine, "0010")
    assert "config_targets" not in _columns(db)
    with db.engine.begin() as conn:
        conn.execute(insert(OLD_DAEMONS).values(ROW))
    with db.session() as session:  # status on the old schema: no error
        report = status_report(session, None, NOW, schema=("0010", "0010"))
    [old] = report["daemon"]["instances"]
    assert old["round_sources"] == 3

    migrate(db.engine, "0011")
    digests = [target_digest("slack:#veille")]
    with db.engine.begin() as conn:
        conn.execute(insert(OLD_DAEMONS).values(ROW | {"id": "older-replica"}))
        conn.execute(insert(DAEMONS).values(ROW | {"id": "new", "config_targets": digests}))
        stored = dict(conn.execute(select(DAEMONS.c.id, DAEMONS.c.config_targets)).all())
    assert stored == {"old": None, "older-replica": None, "new": digests}
    assert "slack" not in digests[0]  # a digest, never the target

    migrate(db.engine, "0010", down=True)
    assert "config_targets" not in _columns(db)
    with db.engine.connect() as conn:
        assert current_revision(conn) == "0010"
        assert sorted(conn.execute(select(OLD_DAEMONS.c.id)).scalars()) == [
            "new",
            "old",
            "older-replica",
        ]

    migrate(db.engine, "0011")  # and up again
    assert "config_targets" in _columns(db)
