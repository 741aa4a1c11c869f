"""Database outages are one log line, not a traceback each second; bugs keep theirs."""

from __future__ import annotations

import io
import logging
import sqlite3

import pytest
import sqlalchemy
from sqlalchemy.exc import IntegrityError, InternalError, OperationalError, ProgrammingError

from watchtower.errors import DatabaseUnavailable
from watchtower.logs import configure
from watchtower.outage import DatabaseWatch, outage_reason


def _wrapped(orig: Exception) -> OperationalError:
    return OperationalError("SELECT 1", {}, orig)


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            _wrapped(sqlite3.OperationalError("database or disk is full")),
            "database or disk is full",
        ),
        (_wrapped(sqlite3.OperationalError("database is locked")), "database is locked"),
        (_wrapped(sqlite3.OperationalError("no such table: outbox")), None),  # a bug
        (_wrapped(sqlite3.OperationalError('near "SELEC": syntax error')), None),
        (DatabaseUnavailable("cannot create the folder of /x/wt.db"), "cannot create the folder"),
        (IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")), None),
        (ProgrammingError("SELECT", {}, sqlite3.ProgrammingError("closed")), None),
        (ValueError("a bug"), None),
    ],
)
def test_what_counts_as_an_outage(error: Exception, reason: str | None) -> None:
    found = outage_reason(error)
    assert (found is None) == (reason is None)
    if reason is not None:
        assert found is not None and found.startswith(reason)


def test_a_lost_postgresql_connection_is_an_outage_without_its_password() -> None:
    psycopg = pytest.importorskip("psycopg")
    orig = psycopg.OperationalError(
        "connection failed: postgresql://watch:s3cret@db:5432/w refused\n\tIs the server running?"
    )
    reason = outage_reason(_wrapped(orig))
    assert reason == "connection failed: postgresql://watch:***@db:5432/w refused"


def test_a_real_sqlite_error_is_classified_from_the_driver() -> None:
    engine = sqlalchemy.create_engine("sqlite://")
    with pytest.raises(OperationalError) as missing, engine.connect() as connection:
        connection.execute(sqlalchemy.text("SELECT * FROM nowhere"))
    assert outage_reason(missing.value) is None  # no such table: a bug, with traceback


def test_one_warning_per_outage_and_one_line_when_it_is_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = DatabaseWatch()
    down = _wrapped(sqlite3.OperationalError("disk I/O error"))
    with caplog.at_level(logging.INFO, logger="watchtower.database"):
        assert watch.failed(down, job="poll") is True
        assert watch.failed(down, job="drain") is True  # within REMIND: silent
        assert watch.failed(ValueError("bug"), job="poll") is False  # the caller logs it
        watch.ok()
        watch.ok()
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [("WARNING", "database unavailable"), ("INFO", "database back")]


def test_the_formatters_show_an_outage_as_its_first_line(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    configure("INFO")
    log = logging.getLogger("watchtower.poll")
    for error in (_wrapped(sqlite3.OperationalError("database or disk is full")), KeyError("x")):
        try:
            raise error
        except Exception:
            log.exception("processing failed")
    outage, bug = stream.getvalue().split("\n", 1)
    assert outage.endswith('processing failed error="database or disk is full"')
    assert "Traceback" in bug and "KeyError" in bug


def _read_only() -> InternalError:
    psycopg = pytest.importorskip("psycopg")
    orig = psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction")
    return InternalError("INSERT INTO items …", {}, orig)


def test_a_read_only_postgresql_is_an_outage_not_a_bug() -> None:
    # SQLSTATE 25006 is an InternalError for psycopg, not an OperationalError.
    assert outage_reason(_read_only()) == "cannot execute INSERT in a read-only transaction"


def test_a_refused_write_ends_with_a_write_not_with_a_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = DatabaseWatch()
    with caplog.at_level(logging.INFO, logger="watchtower.database"):
        assert watch.failed(_read_only(), job="poll") is True
        watch.ok(wrote=False)  # a read-only database still answers reads
        assert watch.down_since is not None
        watch.ok()
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [("WARNING", "database unavailable"), ("INFO", "database back")]


def test_after_a_lost_connection_a_read_is_enough(caplog: pytest.LogCaptureFixture) -> None:
    watch = DatabaseWatch()
    with caplog.at_level(logging.INFO, logger="watchtower.database"):
        watch.failed(_wrapped(sqlite3.OperationalError("unable to open database file")), job="x")
        watch.ok(wrote=False)
    assert watch.down_since is None
    assert [r.getMessage() for r in caplog.records][-1] == "database back"
