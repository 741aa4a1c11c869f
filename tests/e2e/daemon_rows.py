"""The ``daemons`` rows by which replicas on one database judge each other: a
started replica's own (its first heartbeat) and a live replica of 0.3.1's, as
the re-addressing tests write them (tests/e2e/test_readdress_logs.py,
tests/e2e/test_readdress_replicas.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.e2e.alerting_helpers import Clock
from watchtower.app import App
from watchtower.storage.daemons import upsert_daemon


def started(app: App, clock: Clock) -> App:
    """Its first poll round's heartbeat: its row and what its config names."""
    app.poller.heartbeat.start(app.db, clock())
    return app


def add_legacy_replica(app: App, config_loaded_at: datetime) -> None:
    """A live replica of 0.3.1 on ``app``'s database, of another host, seen now:
    it has no liveness lock and records no ``config_targets``, so it is judged by
    its heartbeat (this host cannot see its process) and by ``config_loaded_at``.

    Not of this host: a pid of this host would be judged by its process's start,
    which the real clock tells, against ``seen_at``, which the simulated clock
    (in the past) wrote: any process would look started after it, so dead."""
    now = app.clock()
    row = {
        "id": "0123456789abcdef0123456789abcdef",
        "mode": "daemon",
        "host": "replica-0-3-1.example",
        "pid": 4242,
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
