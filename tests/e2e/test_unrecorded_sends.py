"""A notification that went out is never sent again because its "sent" mark could
not be written (:mod:`watchtower.pipeline.unrecorded`).

Real parts: a SQLite file or PostgreSQL, aiosmtpd, the fake Slack, a local
Apprise ``json://`` endpoint. The "sent" write fails the way it really does,
right when it is made: on PostgreSQL the server terminates the App's
connection (``pg_terminate_backend``: a restart, a failover, a dropped
connection); on SQLite another connection holds the write lock past the busy
timeout (shortened here from 30 s): ``database is locked``. Before, the row
stayed claimed and was sent again once its lease expired (the e-mail twice,
once per lease period while the write kept failing).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, select

from tests.e2e.alerting_helpers import Clock, naming, queue
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from tests.servers.webhook import Webhook
from watchtower.app import App
from watchtower.logs import _FIELDS as FIELDS
from watchtower.scheduler import Daemon
from watchtower.storage.tables import OutboxRow, StoryMessageRow

pytestmark = pytest.mark.timeout(120)

SECRET = "s3cr3t-t0ken"


class Refusal:
    """While ``down``, the database refuses each write that marks a row ``sent``
    (everything else works: the claims, the reads)."""

    def __init__(self, app: App, database_url: str) -> None:
        self.url = database_url
        self.sqlite = database_url.startswith("sqlite")
        self.down = False
        self.refused = 0
        self._holder: sqlite3.Connection | None = None
        engine = app.db.engine
        event.listen(engine, "before_cursor_execute", self._before)
        if self.sqlite:
            event.listen(engine, "checkout", self._short_busy_timeout)
            event.listen(engine, "handle_error", self._release)
        else:
            # The App's own URL carries the test schema; psycopg wants the plain one.
            self.url = database_url.split("?", 1)[0]

    def _short_busy_timeout(self, dbapi_connection: Any, *_: Any) -> None:
        # 30 s in production; the lock below outlasts 0.2 s just the same.
        dbapi_connection.execute("PRAGMA busy_timeout=200")

    def _before(self, conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if not self.down or not statement.lstrip().upper().startswith("UPDATE OUTBOX"):
            return
        values = params.values() if isinstance(params, dict) else params or ()
        if "sent" not in list(values):
            return
        self.refused += 1
        if self.sqlite:
            # Another program (a backup, a sqlite3 shell) holds the write lock.
            path = self.url.split("///", 1)[1]
            self._holder = sqlite3.connect(path, timeout=5, check_same_thread=False)
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


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    server = Webhook().start()
    yield server
    server.stop()


def build(app_for: Callable[[str], App], database_url: str, extra: str = "") -> tuple[App, Refusal]:
    app = app_for(extra)
    app.outbox.lease = timedelta(minutes=5)
    return app, Refusal(app, database_url)


def drain_after_lease(app: App, clock: Clock) -> None:
    """A drain once the lease of every claim made so far has expired."""
    clock.advance(seconds=app.outbox.lease.total_seconds() + 1)
    app.outbox.drain()


def row(app: App, row_id: int) -> OutboxRow:
    with app.db.session() as session:
        found = session.get(OutboxRow, row_id)
        assert found is not None
        session.expunge(found)
        return found


def messages(records: list[logging.LogRecord], text: str) -> list[logging.LogRecord]:
    return [r for r in records if r.getMessage() == text]


def test_an_email_whose_sent_mark_failed_is_not_sent_again_and_is_recorded_late(
    app_for: Callable[[str], App],
    database_url: str,
    smtp: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, refusal = build(app_for, database_url)
    [row_id] = queue(app, "email:ops@example.fr")
    sent_at = clock()

    refusal.down = True
    with caplog.at_level(logging.INFO):
        app.outbox.drain()
        assert len(smtp.messages) == 1 and refusal.refused == 1
        assert row(app, row_id).status == "sending"

        # The write keeps failing for three lease periods: claimed again each
        # time (the database takes claims), never sent again.
        for _ in range(3):
            drain_after_lease(app, clock)
        assert len(smtp.messages) == 1, f"sent {len(smtp.messages)} times: its mark was refused"
        assert app.outbox.unrecorded == 1

        refusal.down = False
        clock.advance(seconds=5)
        app.outbox.drain()
    assert len(smtp.messages) == 1
    recorded = row(app, row_id)
    assert recorded.status == "sent" and recorded.claimed_until is None
    assert recorded.provider_message_id == smtp.messages[0]["Message-ID"]
    assert recorded.sent_at is not None
    assert recorded.sent_at.replace(tzinfo=sent_at.tzinfo) == sent_at  # when it went out
    assert recorded.attempts == 1  # the claims since only retried the write
    assert app.outbox.unrecorded == 0
    [late] = messages(caplog.records, "sent, recorded late")
    assert getattr(late, FIELDS)["outbox_id"] == row_id
    [told] = messages(
        caplog.records,
        "notification sent but not recorded: it is not sent again, the record is retried",
    )
    assert told.levelno == logging.WARNING

    drain_after_lease(app, clock)
    assert len(smtp.messages) == 1


def test_a_write_that_fails_once_costs_no_duplicate_after_the_lease(
    app_for: Callable[[str], App],
    database_url: str,
    smtp: SmtpServer,
    clock: Clock,
) -> None:
    app, refusal = build(app_for, database_url)
    ids = queue(app, "email:ops@example.fr", 2)

    refusal.down = True
    app.outbox.drain()
    refusal.down = False
    # The worker stopped at the refused write; the next drain records it first.
    drain_after_lease(app, clock)
    drain_after_lease(app, clock)

    assert sorted(m["Subject"] for m in smtp.messages) == sorted(
        {m["Subject"] for m in smtp.messages}
    ), "one notification sent twice"
    assert len(smtp.messages) == 2
    assert {row(app, i).status for i in ids} == {"sent"}


def test_a_slack_message_whose_mark_failed_is_not_looked_for_nor_posted_again(
    app_for: Callable[[str], App],
    database_url: str,
    slack: FakeSlack,
    clock: Clock,
) -> None:
    """Slack already looks a row up in the channel's history before sending it
    again (a row claimed from a dead sender); the row remembered needs not even that."""
    app, refusal = build(app_for, database_url)
    [row_id] = queue(app, "slack:#veille")

    refusal.down = True
    app.outbox.drain()
    [posted] = slack.posts()
    drain_after_lease(app, clock)
    refusal.down = False
    drain_after_lease(app, clock)

    assert len(slack.posts()) == 1
    assert "conversations.history" not in [c.method for c in slack.calls]
    assert row(app, row_id).provider_message_id == posted["ts"]


def test_a_clean_stop_with_the_database_still_refusing_logs_each_unrecorded_row(
    app_for: Callable[[str], App],
    database_url: str,
    webhook: Webhook,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = f"apprise:json://user:{SECRET}@127.0.0.1:{webhook.port}/hook"
    app, refusal = build(app_for, database_url, naming(target))
    [row_id] = queue(app, target)

    refusal.down = True
    app.outbox.drain()
    assert len(webhook.posts) == 1
    with caplog.at_level(logging.INFO):
        Daemon(app).flush(time.monotonic() + 10)

    [line] = messages(
        caplog.records, "notification sent but never recorded: a restart may send it again"
    )
    assert line.levelno == logging.ERROR
    fields = getattr(line, FIELDS)
    assert fields["outbox_id"] == row_id
    assert fields["target"].startswith("apprise:json://")
    assert SECRET not in caplog.text
    assert len(webhook.posts) == 1
    assert row(app, row_id).status == "sending"


def test_a_clean_stop_records_the_marks_the_database_takes_again(
    app_for: Callable[[str], App],
    database_url: str,
    smtp: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, refusal = build(app_for, database_url)
    [row_id] = queue(app, "email:ops@example.fr")
    refusal.down = True
    app.outbox.drain()
    refusal.down = False

    with caplog.at_level(logging.INFO):
        Daemon(app).flush(time.monotonic() + 10)

    assert row(app, row_id).status == "sent"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(smtp.messages) == 1


def test_the_after_send_hooks_run_when_the_late_mark_is_written(
    app_for: Callable[[str], App],
    database_url: str,
    slack: FakeSlack,
    clock: Clock,
) -> None:
    """A story's first Slack message is its thread's parent: recorded with the late
    mark, so that later sightings reply under it."""
    app, refusal = build(app_for, database_url)
    [row_id] = queue(app, "slack:#veille", story={"id": 42, "first": True})

    def parents() -> list[StoryMessageRow]:
        with app.db.session() as session:
            return list(session.scalars(select(StoryMessageRow)))

    refusal.down = True
    app.outbox.drain()
    [posted] = slack.posts()
    assert parents() == []  # not before its row is recorded
    refusal.down = False
    clock.advance(seconds=5)
    app.outbox.drain()

    [parent] = parents()
    assert (parent.story_id, parent.outbox_id, parent.ts) == (42, row_id, posted["ts"])
    assert len(slack.posts()) == 1


def test_at_its_limit_the_memory_stops_new_sends_until_the_database_takes_the_marks(
    app_for: Callable[[str], App],
    database_url: str,
    smtp: SmtpServer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("watchtower.pipeline.unrecorded.LIMIT", 2)
    app, refusal = build(app_for, database_url)
    ids = queue(app, "email:ops@example.fr", 4)

    refusal.down = True
    with caplog.at_level(logging.INFO):
        for _ in range(4):  # each worker stops at its first refused mark
            clock.advance(seconds=5)
            app.outbox.drain()
    assert len(smtp.messages) == 2 and app.outbox.unrecorded == 2
    [full] = [r for r in caplog.records if "nothing new is sent meanwhile" in r.getMessage()]
    assert getattr(full, FIELDS)["unrecorded"] == 2

    refusal.down = False
    for _ in range(3):
        clock.advance(seconds=5)
        app.outbox.drain()
    assert len(smtp.messages) == 4 and app.outbox.unrecorded == 0
    assert {row(app, i).status for i in ids} == {"sent"}
