"""A process starting alone releases what a dead process left claimed, and only
that: never a claim a process started a few milliseconds later took meanwhile.

Two replicas started by one deploy (PostgreSQL): A judged itself alone, then B
started, took its liveness lock and claimed sources and notifications; A then
made B's fresh claims due again (B's sources fetched twice, a notification B
was sending claimed by A and sent twice: e-mail and Apprise have no check). A
now releases only the claims it read before judging
(:mod:`watchtower.storage.dead_claims`). The race is made deterministic by
ordering the calls: B starts and claims between A's verdict and A's release.

A process whose first poll failed to write its ``daemons`` row still held its
claims (its drain, its next round) with no row, and a process starting then
took it for absent: its claims are now taken only once its row exists.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, select, update

from tests.e2e.alerting_helpers import queue
from tests.e2e.forum_and_blog import BLOG, FORUM, Hanging, forum_and_blog_config
from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.config import load_config
from watchtower.notify.base import Message, Receipt
from watchtower.scheduler import Daemon
from watchtower.storage.outbox_queries import claim_outbox
from watchtower.storage.queries import LEASE, claim_due_sources
from watchtower.storage.tables import SOURCES, OutboxRow

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def config(database_url: str, feeds: FeedServer, write_config: Callable[[str], Path]) -> Path:
    return write_config(forum_and_blog_config(database_url, feeds))


def fetched(feeds: FeedServer) -> set[str]:
    return {path for path, _, _ in feeds.requests}


def test_claims_a_replica_takes_while_this_one_starts_are_kept(
    database_url: str, config: Path, feeds: FeedServer
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL: replicas share the database")
    feeds.resources["/forum.rss"] = Resource(FORUM, "application/rss+xml")
    feeds.resources["/blog.rss"] = Resource(BLOG, "application/rss+xml")
    apps = [App(load_config(config), console=io.StringIO()) for _ in range(3)]
    dead, a, b = apps
    try:
        # A process killed mid-poll and mid-send: its lock is gone, it left no row.
        dead.start()
        now = dead.clock()
        with dead.db.writing() as session:
            session.execute(
                update(SOURCES)
                .where(SOURCES.c.name == "blog")
                .values(last_attempt_at=now, next_check_at=now + LEASE)
            )
        left, queued = queue(dead, "console:#veille", 2)
        with dead.db.writing() as session:
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == left)
                .values(status="sending", attempts=1, claimed_until=now + timedelta(minutes=5))
            )
        dead.close()

        heartbeat = a.poller.heartbeat
        b_claimed: list[str] = []

        def then_b_starts(judge: Callable[..., Any]) -> Callable[..., Any]:
            def judged(*args: Any, **kwargs: Any) -> Any:
                verdict = judge(*args, **kwargs)
                if not b_claimed:
                    # A has judged whether it is alone; B starts now (its lock,
                    # its row) and claims what is due: a source and a notification.
                    b.poller.heartbeat.start(b.db, b.clock())
                    with b.db.writing() as session:
                        b_claimed.extend(
                            c.name for c in claim_due_sources(session, b.clock(), LEASE, 10)
                        )
                        b_claimed.extend(
                            str(r.id) for r in claim_outbox(session, b.clock(), b.outbox.lease, 10)
                        )
                return verdict

            return judged

        for name in ("alone", "live_others"):  # the verdict, whichever is asked first
            if hasattr(heartbeat, name):
                setattr(heartbeat, name, then_b_starts(getattr(heartbeat, name)))
        a.start()
        a.poller.poll()
        assert b_claimed == ["forum", str(queued)]

        assert "/forum.rss" not in fetched(feeds), "B's source fetched twice"
        a.outbox.drain()
        with a.db.session() as session:
            statuses = dict(session.execute(select(OutboxRow.id, OutboxRow.status)).all())
        assert statuses[queued] == "sending", "the notification B is sending sent twice"
        # What the dead process held was released: fetched (its post queued), and sent.
        assert "/blog.rss" in fetched(feeds)
        assert statuses[left] == "sent"
        assert set(statuses.values()) == {"sent", "sending"}
    finally:
        for app in apps:
            app.close()


class RowRefused:
    """The next write of this process's ``daemons`` row fails as a database
    restart makes it fail: the server ends the connection making it."""

    def __init__(self, app: App, database_url: str) -> None:
        self.url = database_url.split("?", 1)[0]  # psycopg wants it without the schema
        self.armed = True
        event.listen(app.db.engine, "before_cursor_execute", self._before)

    def _before(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not self.armed or not statement.lstrip().upper().startswith("INSERT INTO DAEMONS"):
            return
        self.armed = False
        pid = conn.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(self.url, autocommit=True) as killer:
            killer.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_process_whose_first_round_could_not_record_it_keeps_what_it_sends(
    database_url: str, config: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL: replicas share the database")
    other_console = io.StringIO()
    b = App(load_config(config), console=other_console)
    console = io.StringIO()
    a = App(load_config(config), console=console)
    try:
        a.start()
        notifier = a.notifier_for("console")
        send = notifier.send
        b_started: list[bool] = []

        def b_starts_while_a_sends(message: Message) -> Receipt:
            if not b_started:
                b_started.append(True)
                b.start()
                b.outbox.drain()
            return send(message)

        notifier.send = b_starts_while_a_sends  # type: ignore[method-assign]
        RowRefused(a, database_url)
        daemon = Daemon(a)
        daemon.poll_job()  # its first round: the row's write refused, the round fails
        [row_id] = queue(a, "console:#veille")
        daemon.drain_job()  # the first drain, an interval later
        a.outbox.join(30)

        assert b_started
        assert other_console.getvalue() == "", "sent a second time by the process starting"
        assert console.getvalue().count("Article item 0") == 1
        with a.db.session() as session:
            row = session.get(OutboxRow, row_id)
            assert row is not None and row.status == "sent" and row.attempts == 1
    finally:
        b.close()
        a.close()


def test_a_process_whose_first_round_could_not_record_it_keeps_its_next_round_s_claims(
    database_url: str, config: Path, feeds: FeedServer
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL: replicas share the database")
    hanging = Hanging()
    feeds.handlers["/forum.rss"] = hanging
    feeds.resources["/blog.rss"] = Resource(BLOG, "application/rss+xml")
    a = App(load_config(config), console=io.StringIO())
    b = App(load_config(config), console=io.StringIO())
    rounds: list[threading.Thread] = []
    try:
        a.start()
        RowRefused(a, database_url)
        daemon = Daemon(a)
        daemon.poll_job()  # its first round: the row's write refused, the round fails
        assert fetched(feeds) == set()
        rounds.append(threading.Thread(target=daemon.poll_job))  # the next round
        rounds[0].start()
        assert hanging.asked.wait(30), "the next round never fetched the forum"

        b.start()  # while A fetches the forum
        b.poller.poll()
        assert hanging.requests == 1, "the forum A is fetching fetched again by B"
    finally:
        hanging.release.set()
        for thread in rounds:
            thread.join(30)
        b.close()
        a.close()
