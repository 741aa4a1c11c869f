"""Two replicas delivering one story's sightings at the same moment.

The thread keeps ``[dedup] max_thread_replies`` replies: sightings are queued
under the story lock, so their outbox ids follow the order they were committed
in, and a sighting replies only while fewer than the cap of the rows queued
before it replied or may still reply (rows another replica is sending count).

What the review found: beyond the cap, the newest sighting due at a minute
boundary updates the story's counter and the older ones are skipped — unless
an older one was looked at by another replica just after the newest went out
but before its count was recorded: then it updated the counter a second time,
with its lower count ("Vu sur 3 sites" after "Vu sur 4 sites").
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock, rows
from tests.e2e.test_reload import wait_for
from tests.e2e.test_thread_cap import cap, counter, queue_parent, queue_sighting, updates
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow, StoryMessageRow


def status(app: App, key: str) -> str:
    return next(r.status for r in rows(app) if r.dedup_key == key)


def replicas(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share PostgreSQL; one SQLite file has one daemon")


def test_two_replicas_sending_at_once_keep_the_cap(
    database_url: str, app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    replicas(database_url)
    first, second = app_for(cap(2)), app_for(cap(2))
    queue_parent(first)
    first.outbox.drain()
    for n in range(2, 10):  # 8 other sites
        queue_sighting(first, n)

    # Each replica takes one row at a time, and Slack holds every request: both
    # replicas decide on a sighting while the other's is on its way.
    first.outbox.batch = second.outbox.batch = 1
    slack.block = threading.Event()
    drains = [threading.Thread(target=app.outbox.drain) for app in (first, second)]
    for drain in drains:
        drain.start()
    sending = lambda: sum(r.status == "sending" for r in rows(first))  # noqa: E731
    wait_for(lambda: sending() == 2, "a sighting on its way from each replica")
    slack.block.set()
    for drain in drains:
        drain.join()
    clock.advance(minutes=1)
    for app in (first, second, first):
        app.outbox.drain()

    [top] = slack.posts()
    assert len(slack.replies(top["ts"])) == 2
    assert counter(slack) == 9
    sightings = [r for r in rows(first) if r.dedup_key.startswith("story:7:item:")]
    assert Counter(r.status for r in sightings) == {"sent": 3, "skipped": 5}


def test_an_older_sighting_never_lowers_the_counter_a_newer_one_set(
    database_url: str, app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    replicas(database_url)
    first, second = app_for(cap(1)), app_for(cap(1))
    queue_parent(first)
    queue_sighting(first, 2)
    first.outbox.drain()  # the story's message and its one reply: "Vu sur 2 sites"
    clock.advance(seconds=10)
    queue_sighting(first, 3)
    queue_sighting(first, 4)
    first.outbox.drain()  # beyond the cap: both wait for the next minute boundary
    clock.advance(minutes=1)
    older, newer = "story:7:item:103:0", "story:7:item:104:0"

    # The interleaving, held open with row locks: the second replica sends the
    # newer sighting's update while the older row is taken elsewhere, and is
    # then slow to record the count it showed; the first replica looks at the
    # older row in between.
    db = Database(database_url)
    try:
        with db.engine.connect() as taken, db.engine.connect() as recording:
            taken.execute(
                select(OutboxRow.id).where(OutboxRow.dedup_key == older).with_for_update()
            )
            recording.execute(select(StoryMessageRow.story_id).with_for_update())
            later = threading.Thread(target=second.outbox.drain)
            later.start()
            wait_for(lambda: status(first, newer) == "sent", "the newer sighting's update")
            taken.rollback()
            earlier = threading.Thread(target=first.outbox.drain)
            earlier.start()
            wait_for(lambda: status(first, older) != "pending", "the older sighting's turn")
            recording.rollback()
            for drain in (later, earlier):
                drain.join()
    finally:
        db.dispose()

    assert counter(slack) == 4
    assert status(first, older) == "skipped"
    assert updates(slack) == 2  # the reply's, then the newest sighting's
