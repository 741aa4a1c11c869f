"""A critical notification goes before the ordinary ones already waiting."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.alerting_helpers import Clock, queue
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.storage.tables import OutboxRow


def test_a_critical_row_queued_after_40_info_rows_is_posted_first(
    app_for: Callable[[str], App], slack: FakeSlack
) -> None:
    app = app_for("")
    queue(app, "slack:#veille", 40, key="info")
    queue(app, "slack:#veille", 1, key="warn", severity="warning", title="Avertissement")
    queue(app, "slack:#veille", 1, key="crit", severity="critical", title="Crise Acmé")

    app.outbox.drain()

    posts = slack.posts()
    assert len(posts) == 42
    assert "Crise Acmé" in posts[0]["text"]
    assert "Avertissement" in posts[1]["text"]
    assert [p["text"] for p in posts[2:]] == [
        p["text"] for p in posts[2:] if "Article info" in p["text"]
    ]


def test_a_critical_reply_never_goes_before_its_info_parent(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("")
    [parent_id] = queue(
        app, "slack:#veille", key="parent", story={"id": 7, "first": True, "sightings": 1}
    )
    with app.db.session() as session:
        parent = session.get(OutboxRow, parent_id)
        assert parent is not None
        parent.dedup_key = "story:7"
    queue(
        app,
        "slack:#veille",
        key="story:7:item:9",
        severity="critical",
        story={"id": 7, "first": False, "sightings": 2, "edited": False},
        url="https://other.example/acme",
    )

    app.outbox.drain()
    clock.advance(seconds=6)
    app.outbox.drain()

    [top] = slack.posts()
    assert "Article parent 0" in top["text"]
    assert len(slack.replies(top["ts"])) == 1
