"""Two processes reading the reactions of the same Slack alerts at the same time.

Replicas on one PostgreSQL database, or a daemon and a ``run --once`` cron job
on one SQLite file, each run the feedback job (:mod:`watchtower.feedback`) on
their own schedule. Each read is claimed before its ``reactions.get``, so an
alert is read once per age whoever reads it: no replica spends its call budget
on an alert another is reading, and Slack sees no duplicate call.

Real parts: the fake Slack Web API (holding every request until the test lets
them go, so that both rounds are under way at once), the feed server, the
pipeline, and the database shared by two :class:`~watchtower.app.App`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_noise_feedback import NOISE, RELEVANT, config, reads, rss, ts_of
from tests.e2e.test_reload import wait_for
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.config import load_config
from watchtower.feedback import FeedbackRound
from watchtower.scheduler import Daemon
from watchtower.storage.tables import AlertFeedbackRow, OutboxRow


class Gate(threading.Event):
    """The fake Slack's ``block``: counts the requests it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.held = 0
        self._count = threading.Lock()

    def wait(self, timeout: float | None = None) -> bool:
        with self._count:
            self.held += 1
        return super().wait(timeout)


@pytest.fixture
def two(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Daemon, Daemon]]:
    """Six alerts posted to #conso, three marked 🚫; two processes on one database."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    feeds.resources["/presse.rss"] = Resource(rss(NOISE + RELEVANT), "application/rss+xml")
    path = write_config(config(database_url, feeds, slack, smtp))
    apps: list[App] = []
    try:
        for _ in range(2):
            apps.append(App(load_config(path), clock=clock))
            apps[-1].start()
        apps[0].poller.poll(all_sources=True)
        apps[0].outbox.drain()
        assert len(slack.posts()) == 6
        for title, _ in NOISE:
            slack.react(ts_of(slack, title), "no_entry_sign")
        yield Daemon(apps[0]), Daemon(apps[1])
    finally:
        for app in apps:
            app.close()


def at_once(slack: FakeSlack, *daemons: Daemon) -> list[FeedbackRound]:
    """Both feedback rounds under way together: each holds a Slack call before any answer."""
    gate = slack.block = Gate()
    rounds: list[FeedbackRound] = []
    threads = [
        threading.Thread(target=lambda d=d: rounds.append(d.feedback.run())) for d in daemons
    ]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: gate.held >= len(daemons), "a Slack call from each process")
    finally:
        gate.set()
        for thread in threads:
            thread.join(30)
        slack.block = None
    assert len(rounds) == len(daemons)
    return rounds


def feedback_rows(daemon: Daemon) -> dict[str, tuple[int, bool]]:
    """Per alert title: the reads recorded, and whether it is marked not relevant."""
    with daemon.app.db.session() as session:
        rows = session.execute(
            select(OutboxRow.payload, AlertFeedbackRow.checks, AlertFeedbackRow.not_relevant_at)
            .join(AlertFeedbackRow, AlertFeedbackRow.outbox_id == OutboxRow.id)
            .order_by(OutboxRow.id)
        ).all()
    return {str(p["title"]): (checks, marked is not None) for p, checks, marked in rows}


def test_two_processes_reading_at_once_read_each_alert_once_per_age(
    two: tuple[Daemon, Daemon], slack: FakeSlack, clock: Clock
) -> None:
    first, second = two
    clock.advance(minutes=35)
    rounds = at_once(slack, first, second)
    assert reads(slack) == 6  # not 12: one read per alert, whichever process made it
    assert sum(r.read for r in rounds) == 6
    assert sum(r.marked for r in rounds) == 3
    assert all(r.read for r in rounds)  # both took a share of the work
    rows = feedback_rows(first)
    assert {title: checks for title, (checks, _) in rows.items()} == dict.fromkeys(rows, 1)
    assert sorted(title for title, (_, marked) in rows.items() if marked) == sorted(
        title for title, _ in NOISE
    )

    # At 6 hours only the three not marked are read, once each again.
    clock.advance(hours=6)
    rounds = at_once(slack, second, first)
    assert reads(slack) == 9
    assert sum(r.read for r in rounds) == 3 and sum(r.marked for r in rounds) == 0
    # A round right after reads nothing: every read of this age is spent.
    assert (first.feedback.run().read, second.feedback.run().read) == (0, 0)
    assert reads(slack) == 9


def test_a_read_left_mid_way_by_a_process_that_died_is_read_once_its_lease_is_over(
    two: tuple[Daemon, Daemon], slack: FakeSlack, clock: Clock
) -> None:
    from watchtower.feedback import CLAIM_LEASE

    first, second = two
    clock.advance(minutes=35)
    # A process claimed the first alert's read (its row stamped now) and was killed
    # before Slack answered: nothing recorded the read.
    with first.app.db.session() as session:
        outbox_id = session.scalars(select(OutboxRow.id).order_by(OutboxRow.id)).first()
        assert outbox_id is not None
        session.add(AlertFeedbackRow(outbox_id=outbox_id, checks=0, checked_at=clock()))

    assert second.feedback.run().read == 5  # the claimed one is someone else's, for now
    assert reads(slack) == 5
    clock.advance(minutes=2)
    assert first.feedback.run().read == 0
    clock.advance(seconds=(CLAIM_LEASE - timedelta(minutes=2)).total_seconds())
    assert first.feedback.run().read == 1  # the lease is over: read, once
    assert reads(slack) == 6
    assert second.feedback.run().read == 0
    assert feedback_rows(first)[NOISE[0][0]] == (1, True)


def test_a_read_slack_could_not_answer_is_given_back_to_every_process_at_once(
    two: tuple[Daemon, Daemon], slack: FakeSlack, clock: Clock
) -> None:
    first, second = two
    clock.advance(minutes=35, microseconds=123_457)  # a real clock's microseconds
    slack.refuse["reactions.get"] = 503
    assert first.feedback.run().stopped == "Slack unavailable"
    assert reads(slack) == 1
    del slack.refuse["reactions.get"]
    # Not a minute later, the other replica reads every alert, that one included.
    clock.advance(seconds=20)
    assert second.feedback.run().read == 6
    assert reads(slack) == 7
    assert {checks for checks, _ in feedback_rows(first).values()} == {1}
