"""A member edits their earlier post on the community forum: the real daemon, the
forum served on the real wire (``Community``, see ``test_discourse_cm``) with
``posts.json?post_ids[]=…`` answering the watched posts, a fake Slack, SQLite,
a simulated clock.

Discourse does not bump a topic for an edit of a post that is not its last, so
``/latest.json`` says nothing; the adapter re-reads the posts it read in the
last day, one topic every 15 minutes. The edit reaches the thread of the
post's Slack message ("Modifié"), once.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_discourse_cm import OLD, Community, chunk, config, json_resource, stamp
from tests.servers.http import FeedServer
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.config import load_config

pytestmark = pytest.mark.timeout(120)

FIRST = "<p>Banque Acmé a bloqué ma carte, le conseiller ne rappelle pas.</p>"
ADDED = "<p>Et en plus ils m'ont raccroché au nez, honteux.</p>"


def serve_watched(forum: Community, tid: int) -> None:
    """``posts.json?post_ids[]=…`` for the topic's posts, as the adapter asks it."""
    posts = forum.posts[tid]
    query = urlencode([("post_ids[]", str(p["id"])) for p in posts])
    forum.feeds.resources[f"/community/t/{tid}/posts.json?{query}"] = json_resource(
        chunk(tid, posts)
    )


def test_an_earlier_post_edited_is_told_in_its_thread(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    forum = Community(feeds)
    forum.post(7, OLD, "membre", "<p>Question sur les virements</p>")  # history: no alert
    path = tmp_path / "watchtower.toml"
    path.write_text(config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack.api_url), "utf-8")
    clock = Clock(now=datetime(2026, 3, 4, 20, 0, tzinfo=UTC))
    app = App(load_config(path), clock=clock, console=io.StringIO())
    try:
        app.start()
        app.poller.poll()
        clock.advance(minutes=1)
        forum.post(7, clock.now, "karim", FIRST)  # post 2: the complaint
        forum.post(7, clock.now + timedelta(seconds=30), "julie", "<p>Pareil pour moi.</p>")
        clock.advance(minutes=10)
        app.poller.poll()
        app.outbox.drain()
        [post] = [p for p in slack.posts() if "karim" in json.dumps(p)]

        # Karim adds a sentence to his post, which is no longer the topic's last.
        edited = forum.posts[7][1]
        edited.update(cooked=FIRST + ADDED, version=2, updated_at=stamp(clock.now))
        forum.publish()
        serve_watched(forum, 7)
        for _ in range(3):  # the next checks, 10 minutes apart
            clock.advance(minutes=10)
            app.poller.poll()
        app.outbox.drain()

        [reply] = slack.replies(post["ts"])
        assert reply["text"].startswith("Modifié sur ")
        assert len(slack.replies()) == 1  # told once, and nothing else
    finally:
        app.close()
