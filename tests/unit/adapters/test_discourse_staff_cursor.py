"""What the cursor holds from earlier polls is screened too: a topic moved to a staff
category while it waited in the backlog, and an older cursor's entries (saved
before categories were screened, so without one) are not read with a staff key.
On the real wire: ``tests.servers.discourse.StaffForum`` on the feed server."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.servers.discourse import StaffForum, stamp
from tests.servers.http import FeedServer
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, FetchResult, SourceState
from watchtower.adapters.discourse import DiscourseSettings, DiscourseSource

NOW = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
PUBLIC, STAFF = 1, 2


class Reader:
    """The Discourse source polling ``forum`` with a moderator's key, on a set clock."""

    def __init__(self, forum: StaffForum, **keys: Any) -> None:
        self.settings = DiscourseSettings(
            name="communaute",
            base_url=forum.url,
            allow_private=True,
            api_key_env="WT_TEST_FORUM_KEY",
            **keys,
        )
        self.state = SourceState()
        self.now = NOW

    def poll(self) -> FetchResult:
        fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
        try:
            ctx = FetchContext(fetcher, lambda: self.now, logging.getLogger("t"))
            result = DiscourseSource().fetch(self.settings, self.state, ctx)
        finally:
            fetcher.close()
        cursor = self.state.cursor if result.cursor is None else result.cursor
        self.state = SourceState(result.etag, result.last_modified, cursor)
        return result


@pytest.fixture
def forum(feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> StaffForum:
    monkeypatch.setenv("WT_TEST_FORUM_KEY", "m0d-key")
    forum = StaffForum(feeds)
    forum.category(PUBLIC, "General")
    forum.category(STAFF, "Staff", restricted=True)
    return forum


def topic_reads(feeds: FeedServer, tid: int) -> list[str]:
    return [path for path, _, _ in feeds.requests if f"/t/{tid}/" in path]


def test_a_topic_moved_to_staff_while_in_the_backlog_is_not_read(
    forum: StaffForum, feeds: FeedServer
) -> None:
    reader = Reader(forum, max_topics=1)
    for tid in (1, 2, 3):
        forum.post(tid, PUBLIC, NOW - timedelta(days=30), "membre", "<p>Bonjour</p>")
    reader.poll()
    for tid in (1, 2, 3):  # three replies; one topic read a check, two wait
        forum.post(tid, PUBLIC, NOW + timedelta(minutes=tid), "client", f"<p>Acmé {tid}</p>")
    reader.now += timedelta(minutes=10)
    first = reader.poll()
    assert [i.text for i in first.items] == ["Acmé 3"] and first.more
    # A moderator moves topic 2 to the staff category: "à traiter en interne".
    forum.topics[2]["category_id"] = STAFF
    forum.post(2, STAFF, NOW + timedelta(minutes=5), "modo", "<p>Acmé : on gère en interne</p>")
    reads = len(topic_reads(feeds, 2))
    reader.now += timedelta(seconds=30)
    texts = [i.text for r in (reader.poll(), reader.poll()) for i in r.items]
    assert texts == ["Acmé 1"]
    assert len(topic_reads(feeds, 2)) == reads  # not read at all
    assert reader.state.cursor["pending"] == []


def test_an_older_cursors_entries_are_not_read_until_known_public(
    forum: StaffForum, feeds: FeedServer
) -> None:
    forum.post(11, STAFF, NOW - timedelta(hours=2), "modo", "<p>Acmé : avertir toto</p>")
    forum.post(11, STAFF, NOW - timedelta(hours=1), "modo2", "<p>Acmé : fait</p>")
    # As an earlier version left it, reading with the staff key and no screening:
    # topic 11 waits in the backlog and its posts are watched for edits.
    watched = {"id": 11, "slug": "sujet-11", "title": "Sujet 11", "posts": {"1101": "1|x"},
               "until": (NOW + timedelta(hours=20)).isoformat(), "checked": ""}  # fmt: skip
    waiting = {"id": 11, "slug": "sujet-11", "title": "Sujet 11", "highest": 2,
               "bumped_at": stamp(NOW - timedelta(hours=1)), "created_at": "",
               "edited": False, "since": ""}  # fmt: skip
    reader = Reader(forum)
    # And /latest.json has not changed since (304): only the cursor says what to read.
    etag = feeds.resources["/forum/latest.json"].etag
    reader.state = SourceState(
        etag,
        None,
        {
            "topics": {"11": 1},
            "bumped": {},
            "since": stamp(NOW - timedelta(hours=1)),
            "pending": [waiting],
            "backfill": [],
            "watch": {"last": (NOW - timedelta(hours=1)).isoformat(), "topics": [watched]},
        },
    )
    result = reader.poll()
    assert result.items == []
    assert topic_reads(feeds, 11) == []
    assert reader.state.cursor["pending"] == [] and reader.state.cursor["watch"]["topics"] == []
    assert feeds.statuses("/forum/latest.json") == [304]
    # No category saved: not known to be public, so not read (and said so).
    assert any("(topics 11)" in w for w in result.warnings), result.warnings


def test_topics_skipped_at_the_first_check_stay_history(
    forum: StaffForum, feeds: FeedServer
) -> None:
    for tid in (1, 2):
        forum.post(tid, PUBLIC, NOW - timedelta(days=30), "membre", f"<p>Acmé, vieux {tid}</p>")
    forum.site_status = 500
    forum.publish()
    reader = Reader(forum)
    first = reader.poll()  # the categories cannot be read: nothing is decided
    assert first.items == [] and any("(topics 1, 2)" in w for w in first.warnings)
    forum.site_status = 200
    forum.post(1, PUBLIC, NOW + timedelta(minutes=5), "client", "<p>Acmé, nouveau</p>")
    reader.now += timedelta(minutes=10)
    # Known public now: the new reply is news, the thread's history is not.
    assert [i.text for i in reader.poll().items] == ["Acmé, nouveau"]
