"""Discourse: topics beyond ``max_topics`` are read by the next polls, edits of a
topic's last post are seen, a first poll's leftovers stay history."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.unit.adapters.conftest import ScriptedServer
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, FetchResult, SourceState
from watchtower.adapters.discourse import DiscourseSettings, DiscourseSource


class Forum:
    """A fake Discourse, on the real wire: ``/latest.json`` with an ETag (304 when
    unchanged), 30 topics a page (``?page=N``, ``more_topics_url``), and
    ``/t/{id}/posts.json``: its first ``chunk`` posts with no query, the ``chunk``
    posts after N with ``post_number=N&asc=true``, the posts before N (newest
    first) with ``post_number=N`` alone (``TopicView#filter_posts_by_post_number``)."""

    PAGE = 30

    def __init__(self, server: ScriptedServer, chunk: int = 20) -> None:
        self.server = server
        self.chunk = chunk
        self.topics: dict[int, dict[str, Any]] = {}
        self.texts: dict[tuple[int, int], str] = {}
        self.fields: dict[tuple[int, int], dict[str, Any]] = {}  # a post's other keys
        self.created: dict[tuple[int, int], str] = {}  # a post's created_at
        self.version = 0
        server.routes["/latest.json"] = self._latest
        # One public category: what an API key's account is told of (see test_discourse_staff).
        public = {"id": 1, "name": "General", "slug": "general", "read_restricted": False}
        site = json.dumps({"categories": [public]}).encode()
        server.routes["/site.json"] = lambda h: self._send(h, 200, site, '"s"')
        self.state = SourceState()

    def topic(self, tid: int, posts: int, bumped_at: str = "2024-03-01T10:00:00Z") -> None:
        """Create topic ``tid`` or give it ``posts`` posts; new posts are made at ``bumped_at``."""
        before = self.topics.get(tid, {"highest_post_number": 0, "created_at": bumped_at})
        for n in range(before["highest_post_number"] + 1, posts + 1):
            self.created.setdefault((tid, n), bumped_at)
        self.topics[tid] = {"id": tid, "slug": f"s{tid}", "title": f"Topic {tid}",
                            "highest_post_number": posts, "bumped_at": bumped_at,
                            "created_at": before["created_at"], "category_id": 1}  # fmt: skip
        self.server.routes[f"/t/{tid}/posts.json"] = self._posts
        self.version += 1

    def _send(self, handler: BaseHTTPRequestHandler, status: int, body: bytes, etag: str) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("ETag", etag)
        handler.end_headers()
        handler.wfile.write(body)

    def _latest(self, handler: BaseHTTPRequestHandler) -> None:
        etag = f'"v{self.version}"'
        if handler.headers.get("If-None-Match") == etag:
            self._send(handler, 304, b"", etag)
            return
        topics = sorted(self.topics.values(), key=lambda t: str(t["bumped_at"]), reverse=True)
        page = int(parse_qs(urlsplit(handler.path).query).get("page", ["0"])[0])
        shown = topics[page * self.PAGE : (page + 1) * self.PAGE]
        listing: dict[str, Any] = {"topics": shown}
        if len(topics) > (page + 1) * self.PAGE:
            listing["more_topics_url"] = f"/latest?page={page + 1}"
        self._send(handler, 200, json.dumps({"topic_list": listing}).encode(), etag)

    def _posts(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        tid = int(url.path.split("/")[2])
        query = parse_qs(url.query)
        highest = self.topics[tid]["highest_post_number"]
        if "post_number" not in query:
            numbers: list[int] = list(range(1, min(self.chunk, highest) + 1))
        elif query.get("asc") == ["true"]:
            after = int(query["post_number"][0])
            numbers = list(range(after + 1, min(after + self.chunk, highest) + 1))
        else:
            before = int(query["post_number"][0])
            numbers = list(range(before - 1, max(before - 1 - self.chunk, 0), -1))
        posts = [{"id": tid * 1000 + n, "post_number": n, "topic_id": tid,
                  "topic_slug": f"s{tid}", "username": "u",
                  "created_at": self.created.get((tid, n), "2019-01-01T09:00:00Z"),
                  "post_type": 1,
                  "cooked": self.texts.get((tid, n), f"post {n} of {tid}"),
                  **self.fields.get((tid, n), {})}
                 for n in numbers]  # fmt: skip
        self._send(handler, 200, json.dumps({"post_stream": {"posts": posts}}).encode(), '"p"')

    def poll(self, max_topics: int = 1, **keys: Any) -> FetchResult:
        settings = DiscourseSettings(
            name="d",
            base_url=self.server.url(""),
            max_topics=max_topics,
            allow_private=True,
            **keys,
        )
        fetcher = HttpFetcher(timeout=5.0, politeness_delay=0.0)
        try:
            ctx = FetchContext(fetcher, lambda: datetime.now(UTC), logging.getLogger("t"))
            result = DiscourseSource().fetch(settings, self.state, ctx)
        finally:
            fetcher.close()
        cursor = self.state.cursor if result.cursor is None else result.cursor  # as poll.py does
        self.state = SourceState(result.etag, result.last_modified, cursor)
        return result

    def reads(self) -> list[str]:
        """Topic requests since the last call."""
        hits = [h for h in self.server.hits if h.startswith("/t/")]
        self.server.hits.clear()
        return hits


def texts(result: FetchResult) -> list[str]:
    return [item.text for item in result.items]


def test_topics_beyond_max_topics_are_read_by_the_next_polls_even_on_304(
    server: ScriptedServer,
) -> None:
    forum = Forum(server)
    for tid in (21, 22, 23):
        forum.topic(tid, 1)
    forum.poll()  # first poll
    forum.reads()
    for tid in (21, 22, 23):
        forum.topic(tid, 2, bumped_at=f"2024-03-02T10:00:{tid}Z")
    # Three topics moved, one is read per poll; latest.json is unchanged (304) after the first.
    assert texts(forum.poll()) == ["post 2 of 23"]
    assert texts(forum.poll()) == ["post 2 of 22"]
    assert texts(forum.poll()) == ["post 2 of 21"]
    assert forum.reads() == [f"/t/{tid}/posts.json?post_number=1&asc=true" for tid in (23, 22, 21)]
    assert forum.poll().items == [] and forum.reads() == []
    assert forum.state.cursor["pending"] == []


def test_the_backlog_is_read_before_topics_that_moved_later(server: ScriptedServer) -> None:
    forum = Forum(server)
    for tid in (21, 22):
        forum.topic(tid, 1)
    forum.poll(max_topics=2)
    forum.topic(21, 2, bumped_at="2024-03-02T10:00:00Z")
    forum.topic(22, 2, bumped_at="2024-03-02T10:00:01Z")
    assert texts(forum.poll()) == ["post 2 of 22"]
    forum.topic(30, 1, bumped_at="2024-03-03T10:00:00Z")  # a new topic, listed first
    assert texts(forum.poll()) == ["post 2 of 21"]
    assert texts(forum.poll()) == ["post 1 of 30"]


def test_a_first_polls_leftover_topics_are_history_not_news(server: ScriptedServer) -> None:
    forum = Forum(server)
    for tid in (21, 22, 23):
        forum.topic(tid, 1, bumped_at=f"2019-01-0{tid - 20}T09:00:00Z")
    assert len(forum.poll().items) == 1  # the first poll's backlog: max_topics topics
    assert forum.poll().items == []  # 304
    forum.version += 1  # latest.json changes (a view counter), nothing was posted
    assert forum.poll().items == []
    assert forum.reads() == ["/t/23/posts.json"]
    forum.topic(21, 2, bumped_at="2024-03-02T10:00:00Z")  # a real reply: only it is news
    assert texts(forum.poll()) == ["post 2 of 21"]


def test_a_long_topic_is_read_one_chunk_per_poll_even_on_304(server: ScriptedServer) -> None:
    forum = Forum(server, chunk=20)
    forum.topic(21, 1)
    forum.poll()
    forum.topic(21, 45, bumped_at="2024-03-02T10:00:00Z")
    assert len(forum.poll().items) == 20
    assert len(forum.poll().items) == 20  # latest.json: 304
    assert len(forum.poll().items) == 4
    assert forum.poll().items == []
    assert forum.reads() == [
        "/t/21/posts.json",
        "/t/21/posts.json?post_number=1&asc=true",
        "/t/21/posts.json?post_number=21&asc=true",
        "/t/21/posts.json?post_number=41&asc=true",
    ]


def test_a_queued_topic_that_disappeared_is_skipped_with_a_warning(
    server: ScriptedServer,
) -> None:
    forum = Forum(server)
    for tid in (21, 22):
        forum.topic(tid, 1)
    forum.poll(max_topics=2)
    forum.topic(21, 2, bumped_at="2024-03-02T10:00:00Z")
    forum.topic(22, 2, bumped_at="2024-03-02T10:00:01Z")
    assert texts(forum.poll()) == ["post 2 of 22"]
    del server.routes["/t/21/posts.json"]  # deleted: 404
    skipped = forum.poll()
    assert skipped.items == [] and "topic 21 was skipped" in skipped.warnings[0]
    assert forum.poll().items == [] and forum.state.cursor["pending"] == []


def test_an_edit_of_the_last_post_is_read_again(server: ScriptedServer) -> None:
    forum = Forum(server)
    forum.topic(11, 2)
    first = forum.poll()
    forum.version += 1  # listed again, not bumped: nothing to read
    assert forum.poll().items == []
    forum.reads()
    forum.texts[(11, 2)] = "post 2, edited: escroquerie"
    forum.topic(11, 2, bumped_at="2024-03-01T11:00:00Z")
    edited = forum.poll()
    assert [(i.guid, i.text) for i in edited.items] == [
        (first.items[1].guid, "post 2, edited: escroquerie")
    ]
    assert forum.reads() == ["/t/11/posts.json?post_number=1&asc=true"]
    assert forum.poll().items == []  # read once
