"""What :func:`watchtower.escalation.check_escalations` reads each drain round.

It ran every 10 s over every open alert (neither acknowledged nor escalated)
and skipped in Python those without ``escalate_notify``; such alerts stay open
until retention, so the read grew with the weeks. Now the database returns
only the alerts that can act: with escalation targets, and on Slack (an ack to
read) or past their deadline. Counted with the ORM's ``load`` event: each
alert row the query returned.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from watchtower import escalation
from watchtower.notify.base import Notifier
from watchtower.storage.db import Database
from watchtower.storage.tables import SpikeAlertRow

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.upgrade()
    yield database
    database.dispose()


def alert(name: str, escalate: list[str], **fields: Any) -> SpikeAlertRow:
    values: dict[str, Any] = {
        "dedup_key": f"spike:brand:{name}:1",
        "scope": "brand",
        "name": name,
        "escalate_notify": escalate,
        "ack_timeout_s": 900.0,
        "created_at": NOW - timedelta(minutes=5),
    }
    return SpikeAlertRow(**(values | fields))


def no_slack(kind: str) -> Notifier:
    raise AssertionError(f"no alert here is on Slack, asked for {kind}")


def read_by_check(db: Database) -> list[str]:
    """The alerts one ``check_escalations`` round read from the database."""
    loaded: list[str] = []

    def on_load(target: SpikeAlertRow, context: object) -> None:
        loaded.append(target.name)

    event.listen(SpikeAlertRow, "load", on_load)
    try:
        escalation.check_escalations(db, no_slack, NOW)
    finally:
        event.remove(SpikeAlertRow, "load", on_load)
    return sorted(loaded)


def test_only_alerts_that_can_act_are_read(db: Database) -> None:
    on_slack = {"channel": "C0CRISE", "ts": "1.0", "sent_at": NOW - timedelta(minutes=5)}
    with db.session() as session:
        session.add_all(
            [
                # No escalation targets: open until retention, nothing to do, ever.
                alert("quiet", [], **on_slack),
                alert("quiet-late", [], escalate_at=NOW - timedelta(hours=3)),
                # Escalates, but not on Slack and its (moved) deadline not reached.
                alert("waiting", ["slack:#direction"], escalate_at=NOW + timedelta(minutes=5)),
                # Past its deadline (no outbox row to escalate: read, nothing sent).
                alert("due", ["slack:#direction"], escalate_at=NOW - timedelta(minutes=1)),
                # No stored deadline: decided in Python from its creation.
                alert("unknown", ["email:direction@example.fr"]),
                # Taken or escalated already.
                alert("acked", ["slack:#direction"], acked_at=NOW - timedelta(minutes=1)),
                alert("escalated", ["slack:#direction"], escalated_at=NOW),
            ]
        )
    assert read_by_check(db) == ["due", "unknown"]
