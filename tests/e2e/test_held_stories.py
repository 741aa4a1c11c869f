"""A later sighting of a story whose first message is held goes where it goes:
into the same digest or group summary, never as a top-level message of its own."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.alerting_helpers import Clock, queue, rows
from tests.french import nb, readable
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.storage.tables import OutboxRow

DIGEST = """
[[rules]]
name = "resume"
notify = ["slack:#resume"]
digest = "hourly"
"""


def _story(app: App, target: str, rule: str) -> tuple[int, int]:
    first = {"id": 7, "first": True, "sightings": 1, "edited": False}
    later = {"id": 7, "first": False, "sightings": 2, "edited": False}
    [parent] = queue(app, target, key="story", rules=[rule], story=first)
    with app.db.session() as session:
        row = session.get(OutboxRow, parent)
        assert row is not None
        row.dedup_key = "story:7"  # as the pipeline keys a story's first message
    [reply] = queue(app, target, key="reply", rules=[rule], story=later, source="blog")
    return parent, reply


def test_a_later_sighting_joins_its_story_in_the_digest(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for(DIGEST)
    parent, reply = _story(app, "slack:#resume", "resume")

    app.outbox.drain()
    clock.advance(seconds=10)
    app.outbox.drain()

    by_id = {r.id: r for r in rows(app)}
    assert by_id[parent].status == "held"
    assert by_id[reply].status == "held"  # with its story, not "pending" for an hour
    assert by_id[reply].group_key == by_id[parent].group_key
    assert slack.posts() == []

    clock.advance(hours=1)
    for _ in range(3):
        app.alerting.tick()
        app.outbox.drain()
        clock.advance(seconds=10)

    [post] = slack.posts()  # the digest only: no top-level message for the blog
    assert nb("Résumé horaire : 2 mentions") in readable(post["blocks"])
    by_id = {r.id: r for r in rows(app)}
    assert by_id[parent].status == by_id[reply].status == "grouped"
    assert by_id[parent].parent_id == by_id[reply].parent_id


def test_a_sighting_after_the_digest_went_out_is_not_a_top_level_message(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for(DIGEST)
    [parent] = queue(
        app,
        "slack:#resume",
        key="story",
        rules=["resume"],
        story={"id": 7, "first": True, "sightings": 1, "edited": False},
    )
    with app.db.session() as session:
        row = session.get(OutboxRow, parent)
        assert row is not None
        row.dedup_key = "story:7"
    app.outbox.drain()
    clock.advance(hours=1)
    app.alerting.tick()
    app.outbox.drain()
    assert len(slack.posts()) == 1  # the digest

    clock.advance(minutes=5)
    later = {"id": 7, "first": False, "sightings": 2, "edited": False}
    [reply] = queue(app, "slack:#resume", key="reply", rules=["resume"], story=later)
    app.outbox.drain()

    assert len(slack.posts()) == 1
    assert {r.id: r.status for r in rows(app)}[reply] == "skipped"
