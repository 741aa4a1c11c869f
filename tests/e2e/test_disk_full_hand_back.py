"""A full disk in the middle of a drain batch: the claimed rows go as soon as it writes again.

Real daemon jobs, the local feed server and the fake Slack, on SQLite and
PostgreSQL. The full disk is a trigger the test puts on the outbox: a row
leaving ``sending`` (its "sent" mark, or its hand-back) fails with the
database's own words for a full disk, as both writes did in the operator's
walk; dropping the trigger is space coming back. The test clock does not move:
a row left to its lease (5 minutes) would not go in this test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.e2e.one_feed_daemon import one_feed_daemon, serve_posts
from tests.e2e.test_disk_full import posts
from tests.servers.http import FeedServer
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.scheduler import Daemon
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow

pytestmark = pytest.mark.timeout(90)

SQLITE_FULL = """
CREATE TRIGGER disk_full BEFORE UPDATE OF status ON outbox
WHEN OLD.status = 'sending' AND NEW.status IN ('sent', 'pending')
BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END
"""
POSTGRES_FULL = (
    """
CREATE FUNCTION disk_full() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'could not extend file "base/16384/16385": No space left on device'
    USING ERRCODE = '53100';
END $$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER disk_full BEFORE UPDATE OF status ON outbox FOR EACH ROW
WHEN (OLD.status = 'sending' AND NEW.status IN ('sent', 'pending'))
EXECUTE FUNCTION disk_full()
""",
)


def fill(db: Database) -> None:
    """The disk is full for every write that takes a row out of ``sending``."""
    with db.engine.begin() as connection:
        for statement in POSTGRES_FULL if db.postgres else (SQLITE_FULL,):
            connection.execute(text(statement))


def free(db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER disk_full" + (" ON outbox" if db.postgres else "")))


def statuses(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(select(OutboxRow.status, func.count()).group_by(OutboxRow.status))
        return {status: count for status, count in rows}


@pytest.fixture
def daemon(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Daemon]:
    """A started daemon with four notifications for Slack waiting in its outbox."""
    serve_posts(feeds, 0, 4)
    with one_feed_daemon(database_url, feeds, slack, smtp, write_config, monkeypatch) as daemon:
        daemon.poll_job()
        yield daemon


def test_rows_a_full_disk_kept_claimed_go_once_it_writes_again(
    daemon: Daemon, slack: FakeSlack
) -> None:
    db = daemon.app.db
    assert statuses(db) == {"pending": 4}
    fill(db)
    daemon.drain_job()
    assert daemon.app.outbox.join(20)
    # The first went out, its mark refused; the three behind it stay claimed.
    assert len(posts(slack)) == 1
    assert statuses(db) == {"sending": 4}

    free(db)
    daemon.drain_job()
    assert daemon.app.outbox.join(20)
    daemon.drain_job()  # the round that records the first's mark late, if it needs one more
    assert daemon.app.outbox.join(20)

    assert len(posts(slack)) == 4, "each one sent once, with no lease waited for"
    assert len(set(posts(slack))) == 4
    assert statuses(db) == {"sent": 4}
