"""The ``daemons`` rows by which replicas on one database judge each other: a
started replica's own (its first heartbeat) and a live replica of 0.3.1's, as
the re-addressing tests write them (tests/e2e/test_readdress_logs.py,
tests/e2e/test_readdress_replicas.py).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from tests.e2e.alerting_helpers import Clock
from watchtower.app import App
from watchtower.storage.daemons import upsert_daemon


def started(app: App, clock: Clock) -> App:
    """Its first poll round's heartbeat: its row and what its config names."""
    app.poller.heartbeat.start(app.db, clock())
    return app


def add_legacy_replica(app: App, config_loaded_at: datetime) -> None:
    """A live replica of 0.3.1 on ``app``'s database and host, seen now: it has
    no liveness lock and records no ``config_targets``, so it is judged by its
    host and pid (this test's parent process, alive) and by ``config_loaded_at``."""
    now = app.clock()
    row = {
        "id": "0123456789abcdef0123456789abcdef",
        "mode": "daemon",
        "host": app.poller.heartbeat.host,
        "pid": os.getppid(),
        "version": "0.3.1",
        "config": "",
        "poll_interval_s": 60.0,
        "started_at": now - timedelta(hours=1),
        "seen_at": now,
        "round_sources": 0,
        "round_ok": 0,
        "round_failed": 0,
        "round_put_off": 0,
        "config_loaded_at": config_loaded_at,
    }
    with app.db.writing() as session:
        upsert_daemon(session, row, row)
