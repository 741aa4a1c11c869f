"""A widely syndicated story: a few thread replies, then only the parent's counter.

The same dispatch on dozens of sites must not hold the channel for minutes with
"Aussi vu sur" lines: beyond ``[dedup] max_thread_replies`` a sighting posts no
reply, and the parent's "Vu sur N sites" is updated at most once a minute.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable

from tests.e2e.alerting_helpers import Clock, naming, queue, rows
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.storage.tables import OutboxRow

CHANNEL = "slack:#veille"


def cap(n: int) -> str:
    return f"\n[dedup]\nmax_thread_replies = {n}\n"


def story(sightings: int, *, first: bool = False, edited: bool = False) -> dict[str, object]:
    return {"id": 7, "first": first, "sightings": sightings, "edited": edited}


def queue_parent(app: App, target: str = CHANNEL) -> None:
    [parent_id] = queue(app, target, key="parent", story=story(1, first=True))
    with app.db.session() as session:
        parent = session.get(OutboxRow, parent_id)
        assert parent is not None
        parent.dedup_key = "story:7"


def queue_sighting(app: App, n: int, target: str = CHANNEL) -> None:
    """The story's ``n``-th source (``n`` ≥ 2), queued as the runner does."""
    queue(
        app,
        target,
        key=f"story:7:item:{100 + n}",
        story=story(n),
        source=f"site-{n}",
        url=f"https://site-{n}.example/afp/acme",
    )


def updates(slack: FakeSlack) -> int:
    return sum(call.method == "chat.update" for call in slack.calls)


def counter(slack: FakeSlack) -> int:
    [top] = slack.posts()
    found = re.findall(r"Vu sur (\d+) sites", str(top["blocks"]))
    return int(found[-1]) if found else 1


def test_thirty_sightings_give_five_replies_and_one_counter(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for(cap(5))
    queue_parent(app)
    for n in range(2, 32):  # 30 other sites
        queue_sighting(app, n)

    app.outbox.drain()
    [top] = slack.posts()
    assert len(slack.replies(top["ts"])) == 5
    assert counter(slack) == 6  # each reply counts; the rest wait for the next minute

    clock.advance(minutes=1)
    app.outbox.drain()
    assert len(slack.replies(top["ts"])) == 5
    assert counter(slack) == 31
    assert updates(slack) <= 6  # one per reply, then one for the 25 others
    sightings = [r for r in rows(app) if r.dedup_key.startswith("story:7:item:")]
    assert Counter(r.status for r in sightings) == {"sent": 6, "skipped": 24}
    assert {r.last_error for r in sightings if r.status == "skipped"} == {
        "counted in a later sighting's update of the story's counter"
    }
    assert all(r.attempts == 0 for r in sightings if r.status == "skipped")

    # Nothing new: nothing more to send or update.
    clock.advance(minutes=5)
    app.outbox.drain()
    assert updates(slack) <= 6 and len(slack.messages) == 6


def test_zero_replies_only_the_counter(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for(cap(0))
    queue_parent(app)
    for n in range(2, 12):
        queue_sighting(app, n)

    app.outbox.drain()
    clock.advance(minutes=1)
    app.outbox.drain()

    assert slack.replies() == []
    assert counter(slack) == 11 and updates(slack) == 1


def test_the_counter_is_updated_at_most_once_a_minute(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for(cap(1))
    queue_parent(app)
    app.outbox.drain()
    # A sighting every 10 seconds for 3 minutes, the outbox drained after each.
    for n in range(2, 20):
        queue_sighting(app, n)
        app.outbox.drain()
        clock.advance(seconds=10)
    clock.advance(minutes=1)
    app.outbox.drain()

    assert len(slack.replies()) == 1
    assert counter(slack) == 19
    # 1 with the reply, then one per minute boundary the sightings spanned (3), at most.
    assert updates(slack) <= 5


def test_edits_are_not_sightings_and_still_reply(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for(cap(1))
    queue_parent(app)
    queue_sighting(app, 2)
    app.outbox.drain()
    queue(
        app,
        CHANNEL,
        key="story:7:edit:102:abc",
        story=story(2, edited=True),
        title="MISE À JOUR : Article",
    )
    app.outbox.drain()

    [top] = slack.posts()
    assert len(slack.replies(top["ts"])) == 2
    assert counter(slack) == 2


def test_the_console_prints_nothing_beyond_the_cap(
    app_for: Callable[[str], App], clock: Clock
) -> None:
    app = app_for(cap(2) + naming("console:"))
    app.console = out = io.StringIO()
    queue_parent(app, "console:")
    for n in range(2, 8):
        queue_sighting(app, n, "console:")

    app.outbox.drain()
    clock.advance(minutes=1)
    app.outbox.drain()

    text = out.getvalue()
    assert text.count("↳") == 2
    sightings = [r for r in rows(app) if r.dedup_key.startswith("story:7:item:")]
    assert Counter(r.status for r in sightings) == {"sent": 2, "skipped": 4}
