"""A daemon killed mid-poll and started again polls at once the sources it had
claimed, and sends at once what it was sending, when no other watchtower uses
the database — on PostgreSQL too, whatever the host and pid of the new process.

Leases (a claimed source's ``next_check_at`` 10 minutes ahead, a notification's
``claimed_until``) are released at start on SQLite, one daemon per file. On
PostgreSQL another replica may hold them, so a restart waited for them: the
killed process's row could be told dead only on the same host with its pid
gone. A container restarted keeps pid 1, a rescheduled one has another host:
its sources went unread for 10 minutes after each restart (found by the soak).
Each process now holds a liveness lock PostgreSQL drops when its socket closes
(:mod:`watchtower.storage.liveness`). A live replica still keeps its claims.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from tests.conftest import ROOT
from tests.e2e.forum_and_blog import BLOG, Hanging, forum_and_blog_config
from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.config import load_config
from watchtower.scheduler import Daemon
from watchtower.storage.daemons import upsert_daemon
from watchtower.storage.engines import make_engine
from watchtower.storage.tables import DAEMONS, ITEMS, SOURCES, OutboxRow

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def forum(feeds: FeedServer) -> Iterator[Hanging]:
    hanging = Hanging()
    feeds.handlers["/forum.rss"] = hanging
    feeds.resources["/blog.rss"] = Resource(BLOG, "application/rss+xml")
    yield hanging
    hanging.release.set()


@pytest.fixture
def config(database_url: str, feeds: FeedServer, write_config: Callable[[str], Path]) -> Path:
    # An hour between rounds and drains: the first daemon is killed inside its first round.
    return write_config(forum_and_blog_config(database_url, feeds, 'backlog = "all"'))


def start_daemon(config: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "watchtower", "run", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_mid_poll(database_url: str, forum: Hanging, process: subprocess.Popen[bytes]) -> None:
    """Until the daemon fetches the forum (claimed, its lease held) and queued the blog's post."""
    engine = make_engine(database_url)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            assert process.poll() is None, "the daemon exited"
            if forum.asked.is_set():
                with engine.connect() as connection:
                    if connection.scalar(select(func.count()).select_from(OutboxRow)):
                        return
            time.sleep(0.1)
    finally:
        engine.dispose()
    raise AssertionError("the daemon never got to fetch the forum")


def kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def forum_items(app: App) -> list[str]:
    with app.db.session() as session:
        titles = session.execute(select(ITEMS.c.title)).scalars().all()
    return [t for t in titles if "agence" in t]


@pytest.mark.parametrize("restart", ["as it was", "another host", "same pid"])
def test_a_killed_daemon_s_claims_are_released_at_the_first_round_of_the_next(
    database_url: str,
    config: Path,
    forum: Hanging,
    feeds: FeedServer,
    restart: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if database_url.startswith("sqlite") and restart != "same pid":
        pytest.skip("SQLite releases them always (one daemon per file)")
    process = start_daemon(config)
    try:
        wait_mid_poll(database_url, forum, process)
    finally:
        kill(process)

    app = App(load_config(config), console=io.StringIO())
    try:
        with app.db.writing() as session:
            # Its row as a restarted container or a rescheduled pod finds it.
            if restart == "another host":
                session.execute(update(DAEMONS).values(host="web-2", pid=4242))
            elif restart == "same pid":
                session.execute(update(DAEMONS).values(pid=os.getpid()))
            # The blog's post was being sent when it was killed.
            session.execute(
                update(OutboxRow).values(
                    status="sending",
                    attempts=1,
                    claimed_until=app.clock() + timedelta(minutes=5),
                )
            )
            leased = session.execute(
                select(SOURCES.c.next_check_at).where(SOURCES.c.name == "forum")
            ).scalar_one()
        assert leased > app.clock() + timedelta(minutes=9)  # the killed daemon's lease

        with caplog.at_level(logging.INFO):
            app.start()
            Daemon(app).poll_job()
        assert forum_items(app) == ["Acmé ouvre une agence"]
        messages = [r.getMessage() for r in caplog.records]
        assert "sources left leased by a stopped process are due" in messages
        assert "notifications left mid-send by a stopped process are due" in messages
        # The blog's post left mid-send, and the forum's just found: both due now.
        assert app.outbox.drain().sent == 2
    finally:
        app.close()


def test_a_live_replica_keeps_its_claims(
    database_url: str, config: Path, forum: Hanging, feeds: FeedServer
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("one daemon per SQLite file")
    process = start_daemon(config)
    app = App(load_config(config), console=io.StringIO())
    try:
        wait_mid_poll(database_url, forum, process)
        with app.db.writing() as session:
            # Whatever its host and pid say, its lock says it lives.
            session.execute(update(DAEMONS).values(pid=os.getpid()))
            session.execute(
                update(OutboxRow).values(
                    status="sending", claimed_until=app.clock() + timedelta(minutes=5)
                )
            )
        app.start()
        Daemon(app).poll_job()
        assert [path for path, _, _ in feeds.requests if path == "/forum.rss"] == []
        assert app.outbox.drain().sent == 0
        assert forum_items(app) == []
    finally:
        kill(process)
        app.close()


def test_the_liveness_lock_is_taken_again_after_its_connection_is_cut(
    database_url: str,
    config: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite tells a dead process by its pid")
    from watchtower.storage import liveness

    monkeypatch.setattr(liveness, "KEEP_EVERY", 0.1)
    app = App(load_config(config), console=io.StringIO())
    other = App(load_config(config), console=io.StringIO())  # another replica
    try:
        app.start()
        other.start()
        heartbeat = app.poller.heartbeat
        heartbeat.start(app.db, app.clock())

        def live() -> list[str]:
            return [r.id for r in other.poller.heartbeat.live_others(other.db, other.clock())]

        assert live() == [heartbeat.id]
        with caplog.at_level(logging.INFO), app.db.session() as session:
            # The backend holding the lock, terminated as by an operator or a failover.
            [backend] = session.execute(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
                    " AND classid = :space AND objid = :key AND database ="
                    " (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {
                    "space": liveness.lock_space(session.scalar(text("SELECT current_schema()"))),
                    "key": liveness.lock_key(heartbeat.id),
                },
            ).scalars()
            assert session.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            deadline = time.monotonic() + 20
            while "liveness lock taken again" not in [r.getMessage() for r in caplog.records]:
                assert time.monotonic() < deadline, "the lock was not taken again"
                time.sleep(0.05)
        assert live() == [heartbeat.id]
        messages = [r.getMessage() for r in caplog.records]
        assert "liveness lock lost with its database connection: taking it again" in messages
    finally:
        other.close()
        app.close()


@pytest.mark.parametrize(("pid", "live"), [("gone", False), ("alive", True)])
def test_a_process_of_0_3_1_holds_no_lock_and_is_judged_by_its_pid(
    database_url: str, config: Path, pid: str, live: bool
) -> None:
    # A rolling upgrade: the replicas still on 0.3.1 (ids of 32 hex digits) took
    # no liveness lock, so a free lock does not make them dead.
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite judges every row by its pid")
    app = App(load_config(config), console=io.StringIO())
    try:
        app.start()
        heartbeat = app.poller.heartbeat
        now = app.clock()
        row = {
            "id": "0123456789abcdef0123456789abcdef",
            "mode": "daemon",
            "host": heartbeat.host,
            "pid": _gone_pid() if pid == "gone" else os.getppid(),
            "version": "0.3.1",
            "config": str(config),
            "poll_interval_s": 60.0,
            "started_at": now - timedelta(hours=1),
            "seen_at": now - timedelta(seconds=5),
            "round_sources": 0,
            "round_ok": 0,
            "round_failed": 0,
            "round_put_off": 0,
            "config_loaded_at": now,
        }
        with app.db.writing() as session:
            upsert_daemon(session, row, row)
        assert heartbeat.alone(app.db, now) is not live
        assert heartbeat.config_behind(app.db, now) is live
    finally:
        app.close()


def _gone_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
