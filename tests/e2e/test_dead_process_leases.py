"""A daemon killed mid-poll and started again on PostgreSQL polls at once the
sources it had claimed, when no other watchtower uses the database.

Leases (a claimed source's ``next_check_at`` 10 minutes ahead) are released at
the first round on SQLite, one daemon per file. On PostgreSQL another replica
may hold them, so they expired instead: a daemon restarted after ``kill -9``
left those sources unread for 10 minutes (found by ``scripts/soak.py``). The
``daemons`` table tells: the killed process's row is of this host and its pid
is gone. A live process of another host still keeps its leases.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.config import load_config
from watchtower.scheduler import Daemon
from watchtower.storage.daemons import upsert_daemon
from watchtower.storage.queries import LEASE
from watchtower.storage.tables import ITEMS, SOURCES

pytestmark = pytest.mark.timeout(60)

FEED = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Forum</title>'
    b"<link>https://forum.example.fr/</link><item><title>Acm\xc3\xa9 ouvre une agence</title>"
    b"<link>https://forum.example.fr/t/1</link><guid>post-1</guid></item></channel></rss>"
)


def _gone_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.parametrize(
    ("other", "released"),
    [
        ("killed here", True),  # this host, its pid gone
        ("alive elsewhere", False),  # another host, heartbeat fresh
    ],
)
def test_leases_of_a_killed_daemon_are_released_when_no_other_process_runs(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    other: str,
    released: bool,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite releases them always (one daemon per file)")
    feeds.resources["/forum.rss"] = Resource(FEED, "application/rss+xml")
    path = write_config(
        f"""
[watchtower]
database_url = "{database_url}"
backlog = "all"
default_notify = ["console:#veille"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
every = "1h"
allow_private = true
"""
    )
    app = App(load_config(path), console=io.StringIO())
    app.start()
    try:
        now = app.clock()
        heartbeat = app.poller.heartbeat
        row = {
            "id": "earlier",
            "mode": "daemon",
            "host": heartbeat.host if other == "killed here" else "web-2",
            "pid": _gone_pid() if other == "killed here" else 4242,
            "version": "0.3.1",
            "config": str(path),
            "poll_interval_s": 60.0,
            "started_at": now - timedelta(hours=1),
            "seen_at": now - timedelta(seconds=5),
            "round_sources": 0,
            "round_ok": 0,
            "round_failed": 0,
            "round_put_off": 0,
            "config_loaded_at": now - timedelta(hours=1),
        }
        with app.db.writing() as session:
            upsert_daemon(session, row, row)
            # Claimed by that process a moment before it died: the lease runs 10 min.
            session.execute(
                update(SOURCES).values(
                    last_attempt_at=now - timedelta(seconds=5),
                    next_check_at=now - timedelta(seconds=5) + LEASE,
                )
            )

        Daemon(app).poll_job()

        with app.db.session() as session:
            titles = session.execute(select(ITEMS.c.title)).scalars().all()
        assert titles == (["Acmé ouvre une agence"] if released else [])
    finally:
        app.close()
