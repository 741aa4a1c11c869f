"""A forum that rate-limits the daemon in the middle of a poll: what the poll read
reaches Slack at once, the source is not failing, and the topic refused is
announced by the first check after the forum's ``Retry-After``, once.

Real parts on loopback: the forum (``tests.servers.discourse.StaffForum``), the
fake Slack, SQLite; the clock is simulated.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.test_discourse_staff import GENERAL, KEY, OLD, Run
from tests.servers.discourse import StaffForum
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack

pytestmark = pytest.mark.timeout(120)

REFUSED = "/forum/t/10/posts.json"


@pytest.fixture
def forum(feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> StaffForum:
    monkeypatch.setenv("WT_TEST_FORUM_KEY", KEY)
    forum = StaffForum(feeds)
    forum.category(GENERAL, "General")
    forum.post(1, GENERAL, OLD, "membre", "<p>Bienvenue</p>")  # history
    return forum


@pytest.fixture
def run(
    tmp_path: Path, forum: StaffForum, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Run]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    started = Run(tmp_path, forum, slack, "")
    yield started
    started.app.close()


def test_a_429_on_the_second_topic_delivers_the_first_and_reads_on_later(
    run: Run, forum: StaffForum
) -> None:
    run.check()  # the forum's history: no alert
    forum.post(10, GENERAL, run.clock.now + timedelta(minutes=1), "a", "<p>Acmé 10</p>")
    forum.post(11, GENERAL, run.clock.now + timedelta(minutes=2), "b", "<p>Acmé 11</p>")
    forum.feeds.resources[REFUSED] = Resource(
        b'{"errors": ["Slow down."], "error_type": "rate_limit"}',
        "application/json; charset=utf-8",
        429,
        {"Retry-After": "1200"},  # 20 minutes
    )
    run.check()  # asserts the source did not fail
    texts = run.slack_texts()
    assert "/forum/t/sujet-11/11/1" in texts and "sujet-10" not in texts
    assert forum.feeds.statuses(REFUSED) == [429]

    forum.publish()  # the forum answers again
    run.check()  # 11 minutes later: Retry-After holds, the forum is not asked
    assert forum.feeds.statuses(REFUSED) == [429]
    assert "sujet-10" not in run.slack_texts()
    run.check()
    sent = [str(post.get("text")) for post in run.slack.posts()]
    assert [t for t in sent if "/forum/t/sujet-10/10/1" in t] != []
    assert len([t for t in sent if "/t/sujet-10/" in t]) == 1  # once, not twice
    assert len([t for t in sent if "/t/sujet-11/" in t]) == 1
