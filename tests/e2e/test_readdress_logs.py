"""What a replica logs about a row it leaves to the replica whose config names
its target (PostgreSQL: replicas share it).

* It hands the row back at each drain while that replica lives: the line
  "left for it" came at INFO every drain interval, for ever if that replica
  never takes the row. Now once per row at INFO (then DEBUG), and one WARNING
  per target once it has waited :data:`~watchtower.pipeline.readdress_left.STUCK_AFTER`.
* A send that failed on a target this config does not name, asked about again
  after the failure, is "re-addressed" or "left" for another replica: the log
  said "re-addressed" for both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, queue, rows
from tests.e2e.daemon_rows import add_legacy_replica, started
from tests.e2e.test_readdress_after_reload import rule
from tests.e2e.webhooks import NEW_SECRET, webhook_targets
from tests.servers.answering import AnsweringService
from watchtower.app import App
from watchtower.pipeline.readdress_left import STUCK_AFTER

LEFT = "notification for a target another replica's config names: left for it"
STUCK = "notification still left for the replica whose config names its target"


@pytest.fixture(autouse=True)
def _postgres(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("replicas share PostgreSQL; a SQLite file has one daemon")


def fields(record: logging.LogRecord) -> dict[str, Any]:
    return dict(getattr(record, "wt_fields", {}))


def test_a_row_left_for_another_replica_is_logged_once_and_reported_if_it_stays(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old, new = webhook_targets(old_hook, new_hook)
    a = started(app_for(rule("équipe", old)), clock)  # its copy of the file not updated
    b = started(make_app(configure(rule("équipe", old) + rule("nouvelle", new)), clock), clock)
    try:
        [row_id] = queue(b, new, 1, key="neuf", rules=["nouvelle"])
        with caplog.at_level(logging.DEBUG, logger="watchtower.reload"):
            # B lives (its heartbeat, its lock) but never drains: A hands the
            # row back at each of its drains, for 45 minutes.
            for _ in range(45):
                a.outbox.drain()
                clock.advance(minutes=1)
                b.poller.heartbeat.round_ended(b.db, clock(), 0, 0, 0)
    finally:
        b.close()

    assert old_hook.requests == [] and new_hook.requests == []
    [row] = [r for r in rows(a) if r.id == row_id]
    assert (row.status, row.target, row.attempts) == ("pending", new, 0)
    left = [r for r in caplog.records if r.getMessage() == LEFT]
    assert len(left) == 45  # handed back at each drain...
    assert [r.levelname for r in left] == ["INFO"] + ["DEBUG"] * 44  # ...said once
    assert all(fields(r)["outbox_id"] == row_id for r in left)
    stuck = [r for r in caplog.records if r.getMessage().startswith(STUCK)]
    assert [r.levelname for r in stuck] == ["WARNING"]  # once, not at each drain after
    assert fields(stuck[0])["outbox_id"] == row_id
    assert fields(stuck[0])["waiting"] == f"{int(STUCK_AFTER.total_seconds()) // 60}m"
    shown = str(fields(stuck[0])["target"])
    assert shown.startswith(f"apprise:json://127.0.0.1:{new_hook.port}/")
    assert NEW_SECRET not in shown and NEW_SECRET not in caplog.text


def test_a_failed_send_left_for_another_replica_is_not_logged_as_readdressed(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A does not name the old webhook, but a replica of 0.3.1 loaded its config
    # later: A sends the row as addressed. While it is on its way, B (whose
    # config names the old webhook) writes its row; the send fails, and asked
    # again the row is B's: handed back, not re-addressed.
    old, new = webhook_targets(old_hook, new_hook)
    a = started(app_for(rule("équipe", new)), clock)
    add_legacy_replica(a, config_loaded_at=clock() + timedelta(seconds=1))
    b = make_app(configure(rule("équipe", old)), clock)  # its lock held, its row not yet

    def b_starts_then_refused(body: dict[str, Any]) -> int:
        started(b, clock)
        return 500

    old_hook.answer = b_starts_then_refused
    try:
        [row_id] = queue(a, old, 1, key="tard", rules=["équipe"])
        with caplog.at_level(logging.INFO, logger="watchtower"):
            a.outbox.drain()
    finally:
        b.close()

    assert len(old_hook.requests) == 1 and new_hook.requests == []
    [row] = [r for r in rows(a) if r.id == row_id]
    assert (row.status, row.target) == ("pending", old)  # B's to send, not moved
    failed = [r for r in caplog.records if "no longer names failed" in r.getMessage()]
    assert [r.getMessage() for r in failed] == [
        "send to a target the config no longer names failed:"
        " left for the replica whose config names it"
    ]
    assert fields(failed[0])["outbox_id"] == row_id
