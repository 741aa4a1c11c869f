"""Database outages are one log line, not a traceback each second; bugs keep theirs.

The line is worded after the cause (full, read-only, locked, unreachable), with
what to do when the error does not say it, and reminded once a minute at most.
"""

from __future__ import annotations

import io
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy
from sqlalchemy.exc import IntegrityError, InternalError, OperationalError, ProgrammingError

from watchtower.errors import DatabaseUnavailable
from watchtower.logs import _FIELDS as FIELDS
from watchtower.logs import configure
from watchtower.outage import REMIND, DatabaseWatch, outage_cause, outage_reason


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
    # A disk I/O error: neither full, nor locked, nor the connection.
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
    assert lines == [("WARNING", "database read-only"), ("INFO", "database back")]


def test_after_a_lost_connection_a_read_is_enough(caplog: pytest.LogCaptureFixture) -> None:
    watch = DatabaseWatch()
    with caplog.at_level(logging.INFO, logger="watchtower.database"):
        watch.failed(_wrapped(sqlite3.OperationalError("unable to open database file")), job="x")
        watch.ok(wrote=False)
    assert watch.down_since is None
    assert [r.getMessage() for r in caplog.records][-1] == "database back"


# ------------------------------------------------------------ worded by cause
def _real_sqlite_error(tmp_path: Path, how: str) -> sqlalchemy.exc.DBAPIError:
    """SQLite's own error, raised through SQLAlchemy as in the daemon."""
    path = tmp_path / "wt.db"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE IF NOT EXISTS t (x BLOB)")
    setup.close()
    url = {
        "read-only": f"sqlite:///file:{path}?mode=ro&uri=true",
        "missing": f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}",
    }.get(how, f"sqlite:///{path}")
    engine = sqlalchemy.create_engine(url, connect_args={"timeout": 0})
    holder = sqlite3.connect(path)
    try:
        if how == "locked":  # another program in a write transaction
            holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlalchemy.exc.DBAPIError) as raised, engine.begin() as connection:
            if how == "full":
                pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
                connection.exec_driver_sql(f"PRAGMA max_page_count={pages}")
            connection.exec_driver_sql("INSERT INTO t VALUES (randomblob(100000))")
        return raised.value
    finally:
        holder.close()
        engine.dispose()


def _postgresql(name: str, message: str) -> Callable[[], Exception]:
    def make() -> Exception:
        errors = pytest.importorskip("psycopg.errors")
        return OperationalError("INSERT INTO items …", {}, getattr(errors, name)(message))

    return make


@pytest.mark.parametrize(
    ("error", "cause", "line", "hint"),
    [
        ("full", "full", "database full", "free disk space"),
        ("locked", "locked", "database locked", "another program keeps a lock"),
        ("read-only", "read-only", "database read-only", "a read-only file system"),
        ("missing", "unreachable", "database unreachable", None),
        (
            _postgresql("DiskFull", 'could not extend file "base/1/2": No space left on device'),
            "full",
            "database full",
            "free disk space",
        ),
        (
            _postgresql("LockNotAvailable", "canceling statement due to lock timeout"),
            "locked",
            "database locked",
            "another program keeps a lock",
        ),
        (
            _postgresql("OperationalError", "connection failed: Connection refused"),
            "unreachable",
            "database unreachable",
            None,
        ),
        (
            _postgresql("AdminShutdown", "terminating connection due to administrator command"),
            "unreachable",
            "database unreachable",
            None,
        ),
        (
            _postgresql("QueryCanceled", "canceling statement due to statement timeout"),
            "unavailable",
            "database unavailable",
            None,
        ),
        (
            lambda: DatabaseUnavailable("cannot create the folder of /x/wt.db: denied"),
            "unreachable",
            "database unreachable",
            None,
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and " " not in v else None,
)
def test_the_line_names_the_cause_and_what_to_do(
    error: str | Callable[[], Exception],
    cause: str,
    line: str,
    hint: str | None,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    exc = _real_sqlite_error(tmp_path, error) if isinstance(error, str) else error()
    assert outage_cause(exc) == cause
    watch = DatabaseWatch()
    with caplog.at_level(logging.INFO, logger="watchtower.database"):
        assert watch.failed(exc, job="poll") is True
    [record] = caplog.records
    assert record.getMessage() == line
    fields = getattr(record, FIELDS)
    assert fields["error"] == outage_reason(exc)
    if hint is None:
        assert "hint" not in fields
    else:
        assert fields["hint"].startswith(hint)
    assert watch.cause == cause


def test_not_an_outage_has_no_cause() -> None:
    assert outage_cause(_wrapped(sqlite3.OperationalError("no such table: outbox"))) is None
    assert outage_cause(ValueError("a bug")) is None


class Ticks:
    """Monotonic seconds the test moves on."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_full_disk_all_night_is_one_line_then_one_reminder_a_minute(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    full = _real_sqlite_error(tmp_path, "full")
    ticks = Ticks()
    watch = DatabaseWatch(clock=ticks)
    with caplog.at_level(logging.INFO, logger="watchtower.database"):
        for _ in range(3 * 60 // 5 + 1):  # every job, every 5 s, for 3 minutes
            for job in ("poll", "drain", "clock"):
                assert watch.failed(full, job=job) is True
            ticks.now += 5
        watch.ok()
    lines = [(r.getMessage(), getattr(r, FIELDS)) for r in caplog.records]
    assert [message for message, _ in lines] == [
        "database full",
        "database still full",
        "database still full",
        "database still full",
        "database back",
    ]
    first, *reminders, back = (fields for _, fields in lines)
    assert first["hint"].startswith("free disk space") and "down_for" not in first
    assert [r["down_for"] for r in reminders] == ["60s", "120s", "180s"]
    assert not any("hint" in r for r in reminders)  # said once is enough
    assert back["down_for"] == "185s"


def test_a_new_cause_gets_its_own_line_but_not_more_than_one_a_minute(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    locked = _real_sqlite_error(tmp_path, "locked")
    full = _real_sqlite_error(tmp_path, "full")
    ticks = Ticks()
    watch = DatabaseWatch(clock=ticks)
    with caplog.at_level(logging.INFO, logger="watchtower.database"):
        watch.failed(locked, job="poll")
        for _ in range(12):  # flapping every 5 s: locked, full, locked, full…
            ticks.now += 5
            watch.failed(full, job="poll")
            watch.failed(locked, job="drain")
            watch.failed(full, job="poll")
    lines = [(r.getMessage(), getattr(r, FIELDS)) for r in caplog.records]
    assert [message for message, _ in lines] == ["database locked", "database full"]
    assert lines[1][1]["down_for"] == f"{REMIND:.0f}s"
    assert lines[1][1]["hint"].startswith("free disk space")
