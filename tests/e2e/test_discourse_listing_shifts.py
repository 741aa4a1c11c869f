"""A forum that rate-limits a busy evening's third listing page, and a moderator
who deletes a topic of the first page before the next check: the topic that
moved up from the page not read onto the one before it reaches Slack, once.

Before, the next check read on from the page number that failed: the topic now
ending the page before it was skipped until someone replied to it again.

Real parts on loopback: the forum (``tests.servers.discourse.StaffForum``, 30
topics a page), the fake Slack, the database (SQLite; PostgreSQL when
configured); the clock is simulated.
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

pytestmark = pytest.mark.timeout(180)

REFUSED = "/forum/latest.json?page=2"


RATE = Resource(
    b'{"errors": ["Slow down."], "error_type": "rate_limit"}',
    "application/json; charset=utf-8",
    429,
    {"Retry-After": "600"},
)


@pytest.fixture
def forum(feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> StaffForum:
    monkeypatch.setenv("WT_TEST_FORUM_KEY", KEY)
    forum = StaffForum(feeds)
    forum.category(GENERAL, "General")
    forum.post(1, GENERAL, OLD, "membre", "<p>Bienvenue</p>")  # history
    return forum


@pytest.fixture
def run(
    tmp_path: Path,
    forum: StaffForum,
    slack: FakeSlack,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Run]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    started = Run(tmp_path, forum, slack, "max_topics = 100", database_url)
    yield started
    started.app.close()


def test_a_topic_deleted_between_checks_skips_no_topic_of_the_page_not_read(
    run: Run, forum: StaffForum
) -> None:
    run.check()  # the forum's history: no alert
    start = run.clock.now
    # 79 topics, 30 a page: 80..51, 50..21, then 20..2 and the history.
    for tid in range(2, 81):
        words = "Banque Acmé bloque ma carte" if tid == 20 else f"Question {tid}"
        forum.post(tid, GENERAL, start + timedelta(seconds=tid), "client", f"<p>{words}</p>")
    forum.feeds.resources[REFUSED] = RATE
    run.check()  # pages 1 and 2 read, the third refused: nothing announced yet
    assert forum.feeds.statuses(REFUSED) == [429]
    assert "sujet-20" not in run.slack_texts()

    forum.delete(60)  # a moderator deletes a topic of the first page; page 3 answers again
    run.check()
    sent = [str(post.get("text")) for post in run.slack.posts()]
    assert len([t for t in sent if "/forum/t/sujet-20/20/1" in t]) == 1
    run.check()  # nothing more, nothing twice
    assert len([str(p.get("text")) for p in run.slack.posts()]) == len(sent)


def test_the_page_before_the_gap_refused_once_skips_no_topic(run: Run, forum: StaffForum) -> None:
    # As above, and the check reading page 2 again (where topic 20 moved) is
    # refused there too: the next one reads it again. Before, it read on from
    # page 3 at once and topic 20 never reached Slack.
    run.check()
    start = run.clock.now
    for tid in range(2, 81):
        words = "Banque Acmé bloque ma carte" if tid == 20 else f"Question {tid}"
        forum.post(tid, GENERAL, start + timedelta(seconds=tid), "client", f"<p>{words}</p>")
    forum.feeds.resources[REFUSED] = RATE
    run.check()
    forum.delete(60)
    forum.feeds.resources["/forum/latest.json?page=1"] = RATE
    run.check()
    assert forum.feeds.statuses("/forum/latest.json?page=1")[-1] == 429
    forum.publish()  # the forum answers again
    run.check()
    run.check()
    sent = [str(post.get("text")) for post in run.slack.posts()]
    assert len([t for t in sent if "/forum/t/sujet-20/20/1" in t]) == 1
