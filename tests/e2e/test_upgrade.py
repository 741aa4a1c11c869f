"""End to end, as an operator upgrades (SQLite, and PostgreSQL when configured): a
database left by an older watchtower, with real rows, is upgraded with
``watchtower db upgrade`` and the daemon runs: nothing is lost, no old item is
announced again, what was waiting (including a notification left mid-send) is
delivered once, and what failed stays failed.

The older database is made the documented way back: the real daemon fills it at
the latest schema, then ``watchtower db downgrade REVISION`` (what an operator
runs before installing an older release); the rows then wait at that schema,
as an older release would have left them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.servers.http import FeedServer
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import utcnow
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.heartbeat import Heartbeat
from watchtower.storage.db import Database, current_revision, head_revision
from watchtower.storage.engines import make_engine

pytestmark = pytest.mark.timeout(120)

#: The columns ``outbox`` has had since 0001.
OUTBOX_0001 = (
    "item_id, dedup_key, target, status, severity, reason, payload, attempts, "
    "next_attempt_at, claimed_until, last_error, provider_message_id, created_at, sent_at"
)


@pytest.fixture
def engine(setup: Path) -> Iterator[Engine]:
    engine = make_engine(load_config(setup).database_url)
    yield engine
    engine.dispose()


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("sources", "items", "mentions", "outbox")
        }


def _statuses(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT dedup_key, status FROM outbox")).all()
    return {key: status for key, status in rows}


def _outbox_ids(slack: FakeSlack) -> list[int]:
    return [int(m["metadata"]["event_payload"]["outbox_id"]) for m in slack.messages]


def _copy(engine: Engine, source_key: str, key: str, status: str, **values: object) -> int:
    """A new outbox row for the same item and target as ``source_key``'s, in ``status``,
    with only the columns every schema has."""
    sets = {
        "status": status,
        "dedup_key": key,
        "attempts": 0,
        "sent_at": None,
        "provider_message_id": None,
        "last_error": None,
        "claimed_until": None,
        **values,
    }
    columns = [c.strip() for c in OUTBOX_0001.split(",")]
    chosen = ", ".join(f":{c}" if c in sets else c for c in columns)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO outbox ({OUTBOX_0001}) "
                f"SELECT {chosen} FROM outbox WHERE dedup_key = :src"
            ),
            {**sets, "src": source_key},
        )
        return int(
            conn.execute(
                text("SELECT id FROM outbox WHERE dedup_key = :k"), {"k": key}
            ).scalar_one()
        )


@pytest.mark.parametrize("revision", ["0001", "0003", "0005", "0006"])
def test_an_older_database_upgraded_loses_nothing_and_sends_nothing_twice(
    setup: Path,
    engine: Engine,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    revision: str,
) -> None:
    config = ["--config", str(setup)]
    assert main(["run", "--once", *config]) == 0
    announced, mails = list(slack.messages), len(smtp.messages)
    before = _counts(engine)
    assert before["items"] and before["mentions"] and before["outbox"]
    assert set(_statuses(engine).values()) == {"sent"}

    # The way back to the older release, as the README says.
    assert main(["db", "downgrade", revision, *config]) == 0
    assert f"downgraded from schema {head_revision()} to {revision}" in capsys.readouterr().out

    # What that release leaves waiting: a notification not sent yet, one a process
    # was sending when it died (SQLite: the claim still runs; PostgreSQL: a replica
    # gone for good, its lease over), and one given up for good.
    now = datetime.now(UTC)
    with engine.connect() as conn:
        key = (
            conn.execute(
                text("SELECT dedup_key FROM outbox WHERE target LIKE 'slack%' ORDER BY id")
            )
            .scalars()
            .first()
        )
    assert key is not None
    pending = _copy(engine, key, "waiting-1", "pending", next_attempt_at=now - timedelta(hours=1))
    claim = (
        now + timedelta(minutes=5)
        if engine.dialect.name == "sqlite"
        else now - timedelta(minutes=5)
    )
    sending = _copy(engine, key, "sending-1", "sending", attempts=1, claimed_until=claim)
    _copy(engine, key, "failed-1", "failed", attempts=8, last_error="channel_not_found")
    waiting = _counts(engine)

    assert main(["db", "upgrade", *config]) == 0
    assert capsys.readouterr().out.strip() == (
        f"database upgraded from schema {revision} to {head_revision()}"
    )
    assert _counts(engine) == waiting  # the migrations lost no row

    code = main(["run", "--once", *config])

    # Only the two waiting notifications went out, once each; no item already
    # announced was announced again, nothing failed was retried.
    new = slack.messages[len(announced) :]
    assert slack.messages[: len(announced)] == announced
    assert sorted(_outbox_ids(slack)[len(announced) :]) == sorted([pending, sending])
    assert len(smtp.messages) == mails
    assert feeds.statuses("/forum.rss")[-1] in (200, 304)  # polled again after the upgrade
    assert _counts(engine) == waiting
    statuses = _statuses(engine)
    assert statuses.pop("failed-1") == "failed"
    assert set(statuses.values()) == {"sent"}
    assert code == 0
    assert len(new) == 2

    # And the next run has nothing more to say.
    main(["run", "--once", *config])
    assert len(slack.messages) == len(announced) + 2
    assert len(smtp.messages) == mails


def test_a_downgrade_under_a_running_daemon_is_refused(
    setup: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """Step 1 of the way back is "stop every watchtower": a replica forgotten on
    another host would keep writing columns the downgrade drops. Its heartbeat
    says it runs: the downgrade refuses, names it, and changes nothing; once it
    stopped (or with --force for one killed without a word) it proceeds."""
    config = ["--config", str(setup)]
    assert main(["db", "upgrade", *config]) == 0
    database = Database(load_config(setup).database_url)
    replica = Heartbeat(str(setup), timedelta(seconds=60), utcnow())
    try:
        replica.start(database, utcnow())
        capsys.readouterr()

        assert main(["db", "downgrade", "0006", *config]) == 1
        refused = capsys.readouterr().err
        assert refused.startswith("1 watchtower daemon(s) still run on this database (")
        assert re.search(rf"pid {replica.pid}, last heartbeat [0-2]s ago", refused), refused
        assert "stop every one first (systemctl stop watchtower)" in refused
        assert "--force" in refused
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()

        replica.stopped(database, utcnow())  # systemctl stop: the heartbeat says so
        assert main(["db", "downgrade", "0006", *config]) == 0
        assert main(["db", "upgrade", *config]) == 0

        replica.start(database, utcnow())  # killed -9 just now: still looks alive
        assert main(["db", "downgrade", "0006", *config]) == 1
        assert main(["db", "downgrade", "0006", "--force", *config]) == 0
        with engine.connect() as conn:
            assert current_revision(conn) == "0006"
    finally:
        database.dispose()
