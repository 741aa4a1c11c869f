"""A SQLite database that cannot grow (the disk is full at 3 a.m., or a quota).

Real daemon jobs, the local feed server, the fake Slack and aiosmtpd. The full
disk is SQLite's own ``PRAGMA max_page_count``, set on each of the App's
connections as it is checked out of the pool (:class:`Cap`): any write that needs
a new page fails with SQLite's ``database or disk is full`` (SQLITE_FULL), as
on a full disk, and raising the cap is space coming back.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from tests.e2e.alerting_helpers import Clock
from tests.e2e.scenario import targets
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.config import load_config
from watchtower.logs import _FIELDS as FIELDS
from watchtower.scheduler import Daemon
from watchtower.storage.queries import LEASE
from watchtower.storage.tables import ItemRow, OutboxRow, SourceRow

pytestmark = pytest.mark.timeout(90)

#: SQLite's own ceiling on max_page_count: no cap.
NO_CAP = 4294967294


class Cap:
    """``PRAGMA max_page_count`` on every connection the engine hands out."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.pages = NO_CAP
        event.listen(engine, "checkout", self._checkout)

    def _checkout(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count={self.pages}")
        cursor.close()

    def fill(self) -> None:
        """The disk is full: not one more page than the file has now."""
        with self.engine.connect() as connection:
            self.pages = int(connection.exec_driver_sql("PRAGMA page_count").scalar_one())

    def lift(self) -> None:
        self.pages = NO_CAP


def feed(first: int, count: int) -> bytes:
    """An RSS feed of ``count`` distinct posts about Acmé (no two the same story)."""
    posts = []
    for i in range(first, first + count):
        words = " ".join(f"mot{random.Random(i).randrange(10**6)}{j}" for j in range(120))
        posts.append(
            f"<item><title>Acmé, sujet {i}</title><link>https://forum.example.fr/t/{i}</link>"
            f"<guid>post-{i}</guid><description>Acmé {words}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Forum</title>'
        f"<link>https://forum.example.fr/</link>{''.join(posts)}</channel></rss>"
    ).encode()


@pytest.fixture
def daemon(
    tmp_path: Path,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Daemon]:
    """A started daemon on a SQLite file, two sources polled every poll round."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    feeds.resources["/a.rss"] = Resource(feed(0, 3), "application/rss+xml")
    feeds.resources["/b.rss"] = Resource(feed(100, 3), "application/rss+xml")
    url = f"sqlite:///{tmp_path / 'watchtower.db'}"
    sources = "".join(
        f"""
[[sources]]
name = "{name}"
kind = "rss"
url = "{feeds.url(f"/{name}.rss")}"
every = "1m"
allow_private = true
"""
        for name in ("a", "b")
    )
    text = targets(url, slack, smtp, 'ops_notify = ["email:ops@example.fr", "slack:#ops"]')
    path = write_config(text + '\n[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n' + sources)
    app = App(load_config(path), clock=Clock())
    app.start()
    try:
        yield Daemon(app)
    finally:
        app.close()


def rounds(daemon: Daemon, n: int, clock: Clock) -> None:
    """``n`` poll and drain rounds, a minute apart (every source due again)."""
    for _ in range(n):
        clock.advance(minutes=1, seconds=1)
        daemon.poll_job()
        daemon.drain_job()
        assert daemon.app.outbox.join(20)


def counts(app: App) -> dict[str, int]:
    with app.db.session() as session:
        return {
            "items": session.scalar(select(func.count()).select_from(ItemRow)) or 0,
            "outbox": session.scalar(select(func.count()).select_from(OutboxRow)) or 0,
            "failing": session.scalar(
                select(func.count()).where(SourceRow.consecutive_failures > 0)
            )
            or 0,
        }


def posts(slack: FakeSlack, channel: str = "#veille") -> list[str]:
    wanted = (channel, slack.channel_id(channel))
    return [p["text"] for p in slack.posts() if p.get("channel") in wanted]


def warnings(records: list[logging.LogRecord]) -> list[str]:
    return [f"{r.name} {r.getMessage()}" for r in records if r.levelno >= logging.WARNING]


def test_a_full_database_fails_polls_clearly_tells_ops_once_and_resumes_by_itself(
    daemon: Daemon,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = daemon.app
    clock = app.clock
    assert isinstance(clock, Clock)
    cap = Cap(app.db.engine)
    rounds(daemon, 1, clock)
    assert len(posts(slack)) == 6
    before = counts(app)

    cap.fill()
    feeds.resources["/a.rss"] = Resource(feed(1000, 20), "application/rss+xml")
    feeds.resources["/b.rss"] = Resource(feed(2000, 20), "application/rss+xml")
    fetched = len(feeds.requests)
    with caplog.at_level(logging.INFO):
        rounds(daemon, 4, clock)
    full = list(caplog.records)
    caplog.clear()

    # One line for the outage, one per ops target told; never a traceback.
    assert sorted(warnings(full)) == [
        "watchtower.database database full",
        "watchtower.database database full: ops told directly (not through the outbox)",
        "watchtower.database database full: ops told directly (not through the outbox)",
    ], warnings(full)
    assert not any(r.exc_info for r in full), "a full disk is no traceback"
    [line] = [r for r in full if r.getMessage() == "database full"]
    assert getattr(line, FIELDS)["error"] == "database or disk is full"
    # Told once, by e-mail and on Slack, straight from the notifiers: the outbox
    # cannot take a row.
    [ops_post] = posts(slack, "#ops")
    assert "base de données de watchtower est pleine" in ops_post
    [notice] = smtp.messages
    assert notice["To"] == "ops@example.fr"
    assert "base de données" in notice["Subject"] and "pleine" in notice["Subject"]
    body = notice.get_body(preferencelist=("plain",))
    assert body is not None and "Libérez de l'espace" in body.get_content()
    # Nothing stored is lost, nothing counted against the sources (the database's fault).
    assert counts(app) == before
    assert len(posts(slack)) == 6
    # Each source fetched once, then left to its claim's lease: not every round for nothing.
    assert len(feeds.requests) - fetched == 2, feeds.requests[fetched:]

    cap.lift()
    with caplog.at_level(logging.INFO):
        clock.advance(seconds=LEASE.total_seconds())
        rounds(daemon, 2, clock)
    back = list(caplog.records)

    assert warnings(back) == []
    assert "database back" in [r.getMessage() for r in back]
    # Every new post stored and sent once; ops not told again.
    after = counts(app)
    assert after["items"] == before["items"] + 40 and after["failing"] == 0
    texts = posts(slack)
    assert len(texts) == 46 and len(set(texts)) == 46
    assert len(smtp.messages) == 1 and len(posts(slack, "#ops")) == 1
    assert app.poller.full.told_at is None


def drain_full_then_back(daemon: Daemon, caplog: pytest.LogCaptureFixture) -> None:
    """Six notifications queued, drained with the disk full, then after space returns."""
    app = daemon.app
    clock = app.clock
    assert isinstance(clock, Clock)
    cap = Cap(app.db.engine)
    clock.advance(minutes=1)
    daemon.poll_job()  # queued, not sent yet
    with app.db.session() as session:
        queued = session.scalar(select(func.count()).where(OutboxRow.status == "pending"))
    assert queued == 6
    cap.fill()
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            clock.advance(seconds=10)
            daemon.drain_job()
            assert app.outbox.join(20)
        cap.lift()
        clock.advance(seconds=LEASE.total_seconds() + 60)  # a claim that could not be finished
        for _ in range(3):
            clock.advance(seconds=10)
            daemon.drain_job()
            assert app.outbox.join(20)


def test_the_outbox_delivers_what_it_holds_and_sends_nothing_twice_when_space_returns(
    daemon: Daemon, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    drain_full_then_back(daemon, caplog)
    texts = posts(slack)
    assert len(texts) == 6 and len(set(texts)) == 6, texts
    with daemon.app.db.session() as session:
        statuses = session.scalars(select(OutboxRow.status)).all()
    assert set(statuses) == {"sent"}


def test_the_outbox_on_a_full_database_logs_no_traceback(
    daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    drain_full_then_back(daemon, caplog)
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info]
    assert tracebacks == []
