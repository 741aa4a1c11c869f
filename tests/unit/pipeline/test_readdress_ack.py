"""A spike alert's "taken by …" reply (:func:`watchtower.spike_taken.taken`)
answers one Slack message in its thread. A reload that moves the alert's rule
to other targets re-addresses the rows still waiting; that reply must stay
where it was queued, never reach the rule's new targets (an e-mail "Pris en
charge par @U0CM" about nothing) nor ops."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from watchtower.config import Config, load_config
from watchtower.pipeline.readdress_routes import destination
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
OLD, NEW, OPS = "console:#ancien", "console:#nouveau", "console:#ops"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def config(write_config: Callable[[str], Path], tmp_path: Path) -> Config:
    path = write_config(
        f"""
[watchtower]
database_url = "sqlite:///{tmp_path / "w.db"}"
ops_notify = ["{OPS}"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[rules]]
name = "crise"
brands = ["Acmé"]
spikes = true
notify = ["{NEW}"]
"""
    )
    return load_config(path).config


def spike_payload(**spike: Any) -> dict[str, Any]:
    return {
        "kind": "spike",
        "title": "Pic",
        "brands": ["Acmé"],
        "rules": ["crise"],
        "spike": {"alert": "spike:rule:crise:1", "scope": "rule", "escalation": False, **spike},
    }


def where(db: Database, config: Config, payload: dict[str, Any]) -> Any:
    with db.session() as session:
        row = OutboxRow(
            dedup_key="spike:rule:crise:1:x",
            target=OLD,
            status="pending",
            severity="info",
            reason="test",
            payload=payload,
            attempts=0,
            next_attempt_at=NOW,
            created_at=NOW,
        )
        session.add(row)
        session.flush()
        return destination(session, config, row, payload)


def test_the_taken_by_reply_stays_where_it_was_queued(db: Database, config: Config) -> None:
    taken = spike_payload(
        ack={"user": "U0CM", "via": "reply", "at": NOW.isoformat()},
        thread={"channel": "C1", "ts": "1.2"},
    )
    assert where(db, config, taken) is None


def test_the_alert_itself_follows_its_rule(db: Database, config: Config) -> None:
    # The guard's counterpart: the same alert without "ack" goes to the rule's targets now.
    assert where(db, config, spike_payload()) == ([NEW], False)
