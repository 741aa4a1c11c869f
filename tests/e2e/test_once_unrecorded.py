"""``run --once`` says, at error level, which notification went out but could
not be recorded as sent, as a daemon's clean stop does
(:meth:`~watchtower.pipeline.outbox.Outbox.settle`).

The "sent" write fails the way it really does (see test_unrecorded_sends.py):
on PostgreSQL the server terminates the connection making it; on SQLite
another connection holds the write lock past the busy timeout. Before, the
run ended with the row still claimed and only the warning of the moment it was
refused: nothing at its end said that the next run may send it again.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from sqlalchemy import event

from tests.e2e.alerting_helpers import naming, queue
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.logs import _FIELDS as FIELDS
from watchtower.scheduler import ONCE_INCOMPLETE, Daemon

pytestmark = pytest.mark.timeout(120)

NEVER_RECORDED = "notification sent but never recorded: a restart may send it again"


class Refusal:
    """The database refuses each write that marks a row ``sent``; everything else works."""

    def __init__(self, app: App, database_url: str) -> None:
        self.url = database_url
        self.sqlite = database_url.startswith("sqlite")
        self.refused = 0
        self._holder: sqlite3.Connection | None = None
        engine = app.db.engine
        event.listen(engine, "before_cursor_execute", self._before)
        if self.sqlite:
            event.listen(engine, "checkout", self._short_busy_timeout)
            event.listen(engine, "handle_error", self._release)
        else:
            self.url = database_url.split("?", 1)[0]  # psycopg wants it without the schema

    def _short_busy_timeout(self, dbapi_connection: Any, *_: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=200")

    def _before(self, conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if not statement.lstrip().upper().startswith("UPDATE OUTBOX"):
            return
        values = params.values() if isinstance(params, dict) else params or ()
        if "sent" not in list(values):
            return
        self.refused += 1
        if self.sqlite:
            # Another program (a backup, a sqlite3 shell) holds the write lock.
            self._holder = sqlite3.connect(self.url.split("///", 1)[1], check_same_thread=False)
            self._holder.execute("BEGIN IMMEDIATE")
        else:
            pid = conn.connection.dbapi_connection.info.backend_pid
            with psycopg.connect(self.url, autocommit=True) as killer:
                killer.execute("SELECT pg_terminate_backend(%s)", (pid,))

    def _release(self, _context: Any) -> None:
        if self._holder is not None:
            self._holder.rollback()
            self._holder.close()
            self._holder = None


def test_run_once_logs_each_notification_it_sent_but_could_not_record(
    app_for: Callable[[str], App],
    database_url: str,
    smtp: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = app_for(naming("email:ops@example.fr"))
    [row_id] = queue(app, "email:ops@example.fr")
    refusal = Refusal(app, database_url)

    with caplog.at_level(logging.INFO):
        code = Daemon(app).run_once(max_wait=0)

    assert len(smtp.messages) == 1 and refusal.refused >= 1
    assert code == ONCE_INCOMPLETE
    [error] = [r for r in caplog.records if r.getMessage() == NEVER_RECORDED]
    assert error.levelno == logging.ERROR
    assert getattr(error, FIELDS)["outbox_id"] == row_id
    # Said before the run's summary: the last lines a cron mail shows.
    messages = [r.getMessage() for r in caplog.records]
    assert messages.index(NEVER_RECORDED) < messages.index("run finished")
