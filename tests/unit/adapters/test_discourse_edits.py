"""Discourse: an earlier post edited (not the topic's last one), on the real wire.

Discourse bumps a topic only for an edit of its last post; an earlier post's
edit shows only in the post's own ``version`` / ``updated_at``. The posts read
stay watched for a day and are re-read in one ``posts.json?post_ids[]=…``
request at most every 15 minutes (see ``_discourse_watch``).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.unit.adapters.conftest import ScriptedServer
from tests.unit.adapters.test_discourse_fixes import Forum, texts
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, FetchResult, SourceState
from watchtower.adapters.discourse import DiscourseSettings, DiscourseSource

START = datetime(2024, 3, 2, 20, 0, tzinfo=UTC)


class EditedForum(Forum):
    """``Forum`` with a clock, posts carrying ``version`` / ``updated_at``, and
    ``posts.json?post_ids[]=…`` answering those posts (``TopicView`` with
    ``post_ids``: they win over ``post_number``)."""

    def __init__(self, server: ScriptedServer) -> None:
        super().__init__(server)
        self.now = START

    def topic(self, tid: int, posts: int, bumped_at: str = "2024-03-01T10:00:00Z") -> None:
        super().topic(tid, posts, bumped_at)
        for n in range(1, posts + 1):  # as Discourse writes every post
            self.fields.setdefault((tid, n), {"version": 1, "updated_at": bumped_at})

    def edit(self, tid: int, number: int, text: str, version: int = 2) -> None:
        self.texts[(tid, number)] = text
        stamp = self.now.isoformat().replace("+00:00", "Z")
        self.fields[(tid, number)] = {"version": version, "updated_at": stamp}

    def _posts(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        ids = parse_qs(url.query).get("post_ids[]")
        if not ids:
            super()._posts(handler)
            return
        tid = int(url.path.split("/")[2])
        numbers = [int(i) - tid * 1000 for i in ids]
        posts = [{"id": tid * 1000 + n, "post_number": n, "topic_id": tid,
                  "topic_slug": f"s{tid}", "username": "u", "post_type": 1,
                  "created_at": self.created.get((tid, n), "2019-01-01T09:00:00Z"),
                  "cooked": self.texts.get((tid, n), f"post {n} of {tid}"),
                  **self.fields.get((tid, n), {})}
                 for n in numbers if 0 < n <= self.topics[tid]["highest_post_number"]]  # fmt: skip
        self._send(handler, 200, json.dumps({"post_stream": {"posts": posts}}).encode(), '"p"')

    def poll(self, max_topics: int = 1, **keys: Any) -> FetchResult:
        settings = DiscourseSettings(
            name="d", base_url=self.server.url(""), max_topics=max_topics, allow_private=True
        )
        fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
        try:
            ctx = FetchContext(fetcher, lambda: self.now, logging.getLogger("t"))
            result = DiscourseSource().fetch(settings, self.state, ctx)
        finally:
            fetcher.close()
        cursor = self.state.cursor if result.cursor is None else result.cursor
        self.state = SourceState(result.etag, result.last_modified, cursor)
        return result

    def later(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)


def test_an_earlier_post_edited_is_seen_within_the_quarter_hour(server: ScriptedServer) -> None:
    forum = EditedForum(server)
    forum.topic(5, 1)
    forum.poll()
    forum.topic(5, 3, bumped_at="2024-03-02T20:00:00.000Z")
    first = forum.poll()
    assert texts(first) == ["post 2 of 5", "post 3 of 5"]
    forum.reads()

    forum.later(5)
    forum.edit(5, 2, "post 2, et en plus ils m'ont raccroché au nez, honteux")
    assert forum.poll().items == []  # 304, and not yet time to look again
    assert forum.reads() == []

    forum.later(11)
    edited = forum.poll()
    assert [(i.guid, i.title, i.text) for i in edited.items] == [
        (
            first.items[0].guid,
            "Re: Topic 5",
            "post 2, et en plus ils m'ont raccroché au nez, honteux",
        )
    ]
    [read] = forum.reads()
    assert read.startswith("/t/5/posts.json?post_ids%5B%5D=5001&")  # the watched posts
    assert not edited.more

    forum.later(20)
    assert forum.poll().items == []  # the same edit is not reported twice
    forum.later(20)
    forum.edit(5, 2, "post 2, finalement rappelé, merci", version=3)
    assert texts(forum.poll()) == ["post 2, finalement rappelé, merci"]


def test_watched_topics_are_checked_in_turn_one_request_each_quarter_hour(
    server: ScriptedServer,
) -> None:
    forum = EditedForum(server)
    for tid in (1, 2, 3):
        forum.topic(tid, 1)
    forum.poll(max_topics=3)
    forum.reads()
    checked = []
    for _ in range(6):
        forum.later(15)
        forum.poll(max_topics=3)
        checked += [int(h.split("/")[2]) for h in forum.reads()]
    assert sorted(checked[:3]) == [1, 2, 3] and checked[3:] == checked[:3]


def test_posts_are_no_longer_watched_a_day_after_their_topic_was_read(
    server: ScriptedServer,
) -> None:
    forum = EditedForum(server)
    forum.topic(5, 2)
    forum.poll()
    forum.reads()
    forum.later(24 * 60 + 1)
    forum.edit(5, 1, "post 1, edited a day later")
    assert forum.poll().items == []
    assert forum.reads() == []  # expired: no request (the 304 poll keeps its cursor)


def test_a_watched_topic_deleted_is_dropped_with_a_warning(server: ScriptedServer) -> None:
    forum = EditedForum(server)
    forum.topic(5, 2)
    forum.poll()
    del server.routes["/t/5/posts.json"]  # deleted: 404
    forum.later(16)
    result = forum.poll()
    assert "topic 5 is no longer watched for edits" in result.warnings[0]
    forum.reads()
    forum.later(16)
    assert forum.poll().warnings == [] and forum.reads() == []
