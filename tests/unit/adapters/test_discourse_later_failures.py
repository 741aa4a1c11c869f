"""Discourse: a poll the forum stops for now after its first answer keeps what it
read, on the real wire.

A 429 (with ``Retry-After`` in seconds or as an HTTP-date, or without), a 5xx or a
timeout on a later ``/latest.json`` page or on a topic's new posts is no failure
of the poll: the posts read are items, the cursor moves as far as what was read,
nothing more is asked of the forum in that poll, and the rest is read by the
next poll after ``Retry-After`` (none before it), or the next one. A failure on
the poll's first request still fails it.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.unit.adapters.conftest import ScriptedServer
from tests.unit.adapters.test_discourse_edits import EditedForum
from tests.unit.adapters.test_discourse_fixes import texts
from watchtower.adapters._discourse_backfill import PAUSE_MAX
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, FetchResult, SourceState
from watchtower.adapters.discourse import DiscourseSettings, DiscourseSource
from watchtower.errors import TransientError

PAGE_2 = "/latest.json?page=1"


class RefusingForum(EditedForum):
    """``EditedForum`` answering ``refused[path]`` = (status, Retry-After) to those
    requests (a JSON error as Discourse writes it), and never answering those in
    ``hung`` until the test ends."""

    def __init__(self, server: ScriptedServer) -> None:
        super().__init__(server)
        self.refused: dict[str, tuple[int, str]] = {}
        self.hung: set[str] = set()
        self.released = threading.Event()

    def _refuse(self, handler: BaseHTTPRequestHandler) -> bool:
        if handler.path in self.hung:
            self.released.wait(30)
            return True
        if handler.path not in self.refused:
            return False
        status, retry_after = self.refused[handler.path]
        body = b'{"errors": ["You\'ve performed this action too many times."]}'
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        if retry_after:
            handler.send_header("Retry-After", retry_after)
        handler.end_headers()
        handler.wfile.write(body)
        return True

    def _latest(self, handler: BaseHTTPRequestHandler) -> None:
        if not self._refuse(handler):
            super()._latest(handler)

    def _posts(self, handler: BaseHTTPRequestHandler) -> None:
        if not self._refuse(handler):
            super()._posts(handler)

    def poll(self, max_topics: int = 100, **keys: Any) -> FetchResult:
        settings = DiscourseSettings(
            name="d", base_url=self.server.url(""), max_topics=max_topics, allow_private=True
        )
        fetcher = HttpFetcher(timeout=1.0, politeness_delay=0.0)
        try:
            ctx = FetchContext(fetcher, lambda: self.now, logging.getLogger("t"))
            result = DiscourseSource().fetch(settings, self.state, ctx)
        finally:
            fetcher.close()
        cursor = self.state.cursor if result.cursor is None else result.cursor
        self.state = SourceState(result.etag, result.last_modified, cursor)
        return result

    def hits(self) -> list[str]:
        """Every request since the last call."""
        hits = list(self.server.hits)
        self.server.hits.clear()
        return hits


@pytest.fixture
def forum(server: ScriptedServer) -> Iterator[RefusingForum]:
    forum = RefusingForum(server)
    yield forum
    forum.released.set()


def at(minute: int) -> str:
    return f"2024-03-02T20:{minute:02d}:00.000Z"


def busy_evening(forum: RefusingForum) -> list[str]:
    """60 topics of 18:00 read; then 45 get a reply (minutes 1 to 45: one and a
    half ``/latest.json`` pages) and an unknown 2023 thread (topic 99, 100 posts,
    on the second page) one too. The replies announced once all is read."""
    forum.topic(99, 100, bumped_at="2023-06-01T10:00:00.000Z")
    for tid in range(1, 61):
        forum.topic(tid, 1, bumped_at="2024-03-02T18:00:00.000Z")
    forum.poll()
    forum.topic(99, 101, bumped_at=at(0))
    for tid in range(1, 46):
        forum.topic(tid, 2, bumped_at=at(tid))
    forum.later(50)
    forum.hits()
    return [f"post 2 of {tid}" for tid in range(1, 46)] + ["post 101 of 99"]


# ---------------------------------------------------- a later /latest.json page
def test_a_429_on_the_second_page_keeps_the_first_and_reads_on_after_retry_after(
    forum: RefusingForum,
) -> None:
    expected = busy_evening(forum)
    forum.refused[PAGE_2] = (429, "600")
    first = forum.poll()
    assert first.items == [] and not first.more  # the forum is not asked again now
    assert forum.hits() == ["/latest.json", PAGE_2]
    [warning] = first.warnings
    assert "(429)" in warning and "after 2024-03-02 21:00 UTC" in warning
    assert "30 topics waiting" in warning and "listed from page 2 on" in warning
    pending = {task["id"] for task in forum.state.cursor["pending"]}
    assert pending == set(range(16, 46))  # the first page's topics, kept
    assert forum.state.cursor["gap"] == {
        "page": 1,
        "since": "2024-03-02T18:00:00.000Z",
        "after": at(16),  # the last topic read: page 1's last
    }

    del forum.refused[PAGE_2]
    forum.later(5)  # before Retry-After: the forum is not asked at all
    waiting = forum.poll()
    assert waiting.items == [] and forum.hits() == []
    assert "after 2024-03-02 21:00 UTC" in waiting.warnings[0]

    forum.later(6)
    second = forum.poll()
    assert sorted(texts(second)) == sorted(expected)  # nothing skipped, nothing twice
    assert [h for h in forum.hits() if h.startswith("/latest")] == ["/latest.json", PAGE_2]
    assert second.warnings == [] and "gap" not in forum.state.cursor
    assert "pause" not in forum.state.cursor
    forum.version += 1
    assert forum.poll().items == []


def test_the_pages_left_are_read_on_after_the_listing_moved(forum: RefusingForum) -> None:
    # New posts between the two polls push every topic down a place: reading on from
    # the same page finds one topic twice (read once) and skips none, and the 2023
    # thread's reply, older than the newest bump the failed poll saw, is still news.
    expected = busy_evening(forum)
    forum.refused[PAGE_2] = (503, "")
    assert forum.poll().items == []
    del forum.refused[PAGE_2]
    forum.topic(200, 1, bumped_at=at(55))  # a new topic
    forum.topic(3, 3, bumped_at=at(56))  # a topic of the second page again
    expected += ["post 1 of 200", "post 3 of 3"]
    forum.later(10)
    items = texts(forum.poll())
    assert sorted(items) == sorted(expected)
    assert Counter(items).most_common(1)[0][1] == 1


@pytest.mark.parametrize(("status", "retry_after"), [(503, ""), (429, ""), (0, "")])
def test_without_retry_after_the_pages_left_are_read_by_the_next_poll(
    forum: RefusingForum, status: int, retry_after: str
) -> None:
    expected = busy_evening(forum)
    if status:
        forum.refused[PAGE_2] = (status, retry_after)
    else:
        forum.hung.add(PAGE_2)  # a timeout
    first = forum.poll()
    assert first.items == [] and "the rest is read at the next check" in first.warnings[0]
    forum.refused.clear()
    forum.hung.clear()
    forum.later(1)
    assert sorted(texts(forum.poll())) == sorted(expected)


# --------------------------------------------------------- a topic's new posts
def test_a_429_on_a_topic_keeps_the_posts_read_before_it(forum: RefusingForum) -> None:
    forum.topic(5, 1)
    forum.topic(6, 1)
    forum.topic(7, 1)
    forum.poll()
    for tid in (5, 6, 7):
        forum.topic(tid, 3, bumped_at=at(tid))
    forum.later(10)
    forum.hits()
    until = datetime.now(UTC) + timedelta(minutes=10)  # Retry-After as an HTTP-date
    forum.refused["/t/6/posts.json?post_number=1&asc=true"] = (
        429,
        format_datetime(until, usegmt=True),
    )
    first = forum.poll()
    assert texts(first) == ["post 2 of 7", "post 3 of 7"]  # topic 7, the newest, first
    assert [h for h in forum.hits() if h.startswith("/t/")] == [
        "/t/7/posts.json?post_number=1&asc=true",
        "/t/6/posts.json?post_number=1&asc=true",  # refused: nothing after it
    ]
    assert forum.state.cursor["topics"] == {"5": 1, "6": 1, "7": 3}
    assert [t["id"] for t in forum.state.cursor["pending"]] == [6, 5]
    assert "2 topics waiting" in first.warnings[0] and not first.more
    del forum.refused["/t/6/posts.json?post_number=1&asc=true"]

    forum.later(5)
    assert forum.poll().items == [] and forum.hits() == []  # before Retry-After
    forum.later(6)
    second = forum.poll()
    assert texts(second) == ["post 2 of 6", "post 3 of 6", "post 2 of 5", "post 3 of 5"]
    assert second.warnings == [] and forum.state.cursor["pending"] == []
    forum.version += 1
    assert forum.poll().items == []


def test_a_long_retry_after_holds_the_forum_an_hour_at_most(forum: RefusingForum) -> None:
    forum.topic(5, 1)
    forum.topic(6, 1)
    forum.poll()
    forum.topic(5, 2, bumped_at=at(5))
    forum.topic(6, 2, bumped_at=at(6))
    forum.refused["/t/5/posts.json?post_number=1&asc=true"] = (429, str(7 * 24 * 3600))
    assert texts(forum.poll()) == ["post 2 of 6"]
    forum.refused.clear()
    forum.later(int(PAUSE_MAX.total_seconds() // 60) + 1)
    assert texts(forum.poll()) == ["post 2 of 5"]


# ------------------------------------------------------- the first request fails
def test_a_429_on_the_first_topic_after_a_304_still_fails_the_poll(
    forum: RefusingForum,
) -> None:
    forum.topic(5, 1)
    forum.topic(6, 1)
    forum.poll()
    forum.topic(5, 2, bumped_at=at(5))
    forum.topic(6, 2, bumped_at=at(6))
    assert texts(forum.poll(max_topics=1)) == ["post 2 of 6"]  # topic 5 waits
    saved = forum.state
    forum.refused["/t/5/posts.json?post_number=1&asc=true"] = (429, "60")
    with pytest.raises(TransientError) as caught:  # /latest.json 304: nothing was read
        forum.poll(max_topics=1)
    assert caught.value.code == "http_rate_limited" and forum.state == saved


def test_a_429_on_a_gap_page_after_a_304_still_fails_the_poll(forum: RefusingForum) -> None:
    busy_evening(forum)
    forum.refused[PAGE_2] = (503, "")
    forum.poll(max_topics=100)
    forum.later(1)
    with pytest.raises(TransientError):
        forum.poll(max_topics=100)
