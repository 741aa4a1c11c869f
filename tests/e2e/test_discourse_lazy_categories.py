"""A large forum loads its categories lazily (``lazy_load_categories_groups``):
``/site.json`` lists only the community manager's sidebar categories. The daemon
looks the others up by themselves, so a customer's complaint in "Support"
reaches Slack and a moderators' thread does not; a rate-limited lookup delays a
topic instead of losing it, and fails nothing.

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

SUPPORT, MODERATION = 5, 6


@pytest.fixture
def forum(feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> StaffForum:
    monkeypatch.setenv("WT_TEST_FORUM_KEY", KEY)
    forum = StaffForum(feeds)
    forum.category(GENERAL, "General")
    forum.category(SUPPORT, "Support", lazy=True)
    forum.category(MODERATION, "Moderation", restricted=True, lazy=True)
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


def test_lazily_loaded_categories_are_looked_up_not_skipped(run: Run, forum: StaffForum) -> None:
    run.check()  # the forum's history: no alert
    at = run.clock.now + timedelta(minutes=1)
    forum.post(10, SUPPORT, at, "client", "<p>Banque Acmé bloque ma carte</p>")
    forum.post(11, MODERATION, at, "modo", "<p>Acmé : on bannit le membre toto</p>")
    run.check()
    texts = run.slack_texts()
    assert "/forum/t/sujet-10/10/1" in texts
    assert "bannit" not in texts and "sujet-11" not in texts
    assert sorted(forum.lookups()) == [SUPPORT, MODERATION]


def test_a_rate_limited_lookup_delays_the_topic_without_failing(
    run: Run, forum: StaffForum
) -> None:
    run.check()
    forum.post(10, SUPPORT, run.clock.now + timedelta(minutes=1), "client", "<p>Acmé ?!</p>")
    forum.feeds.resources["/forum/c/5/show.json"] = Resource(
        b'{"errors": ["Slow down."], "error_type": "rate_limit"}',
        "application/json; charset=utf-8",
        429,
        {"Retry-After": "30"},
    )
    run.check()  # asserts the source did not fail
    assert "sujet-10" not in run.slack_texts()
    forum.publish()  # the forum answers again
    run.check()
    assert "/forum/t/sujet-10/10/1" in run.slack_texts()  # late, not lost
