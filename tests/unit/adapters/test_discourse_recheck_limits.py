"""Discourse: the edit re-check (earlier posts watched for a day, see
``_discourse_watch``) failing for now is no failure of the poll, on the real wire.

A 429 (or a 5xx, a timeout) on ``posts.json?post_ids[]=…`` keeps the round's new
posts, warns while the re-check waits, honours ``Retry-After`` and re-reads the
watched posts later. A 429 on ``/latest.json`` still fails the poll (nothing is
lost: the cursor does not move); see ``test_discourse_later_failures`` for the
later requests of a poll.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest

from tests.unit.adapters.conftest import ScriptedServer
from tests.unit.adapters.test_discourse_edits import EditedForum
from tests.unit.adapters.test_discourse_fixes import texts
from watchtower.adapters._discourse_watch import RECHECK_EVERY, WATCH_FOR
from watchtower.errors import TransientError


class BusyForum(EditedForum):
    """``EditedForum`` whose ``posts.json?post_ids[]=…`` answers ``refuse`` (a status)
    with ``Retry-After: retry_after`` while ``refuse`` is set."""

    def __init__(self, server: ScriptedServer) -> None:
        super().__init__(server)
        self.refuse = 0
        self.retry_after = ""

    def _posts(self, handler: BaseHTTPRequestHandler) -> None:
        if self.refuse and "post_ids" in handler.path:
            body = b'{"errors": ["You\'ve performed this action too many times."]}'
            handler.send_response(self.refuse)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            if self.retry_after:
                handler.send_header("Retry-After", self.retry_after)
            handler.end_headers()
            handler.wfile.write(body)
            return
        super()._posts(handler)


def watching(server: ScriptedServer) -> BusyForum:
    """A forum whose topic 5's posts 2 and 3 are watched, the re-check due."""
    forum = BusyForum(server)
    forum.topic(5, 1)
    forum.poll(max_topics=3)
    forum.topic(5, 3, bumped_at="2024-03-02T20:00:00.000Z")
    assert texts(forum.poll(max_topics=3)) == ["post 2 of 5", "post 3 of 5"]
    forum.reads()
    return forum


def rechecks(forum: BusyForum) -> list[str]:
    return [h for h in forum.reads() if "post_ids" in h]


def test_a_429_on_the_recheck_keeps_the_new_posts_and_waits_for_retry_after(
    server: ScriptedServer,
) -> None:
    forum = watching(server)
    forum.edit(5, 2, "post 2, et en plus ils m'ont raccroché au nez")
    forum.refuse, forum.retry_after = 429, "3600"
    forum.later(16)
    forum.topic(8, 1, bumped_at="2024-03-02T20:16:00.000Z")  # the round's news
    result = forum.poll(max_topics=3)
    assert texts(result) == ["post 1 of 8"]  # kept: the poll did not fail
    assert len(rechecks(forum)) == 1
    [warning] = result.warnings
    assert "edits of earlier posts could not be checked" in warning
    assert "429" in warning and "after 2024-03-02 21:16 UTC" in warning
    watched = forum.state.cursor["watch"]["topics"]
    assert {w["id"] for w in watched} == {5, 8}  # still watched

    # Until Retry-After has passed: no re-check (the 304 polls too), still said.
    forum.refuse = 0
    for _ in range(3):
        forum.later(15)
        quiet = forum.poll(max_topics=3)
        assert quiet.items == [] and rechecks(forum) == []
        assert quiet.warnings == [warning]
    forum.later(16)  # 21:17: an hour and a minute after the 429
    edited = forum.poll(max_topics=3)
    assert texts(edited) == ["post 2, et en plus ils m'ont raccroché au nez"]
    assert edited.warnings == []
    assert rechecks(forum)[0].startswith("/t/5/")  # the topic refused goes first


@pytest.mark.parametrize(("status", "retry_after"), [(503, ""), (429, "")])
def test_without_retry_after_the_recheck_comes_at_its_usual_pace(
    server: ScriptedServer, status: int, retry_after: str
) -> None:
    forum = watching(server)
    forum.refuse, forum.retry_after = status, retry_after
    forum.later(16)
    result = forum.poll(max_topics=3)
    assert result.items == [] and f"({status})" in result.warnings[0]
    assert len(rechecks(forum)) == 1
    forum.refuse = 0
    forum.later(int(RECHECK_EVERY.total_seconds() // 60) - 1)
    assert forum.poll(max_topics=3).warnings and rechecks(forum) == []
    forum.later(1)
    assert forum.poll(max_topics=3).warnings == []
    assert len(rechecks(forum)) == 1


def test_a_retry_after_beyond_the_watch_is_capped(server: ScriptedServer) -> None:
    forum = watching(server)
    forum.refuse, forum.retry_after = 429, str(10 * 24 * 3600)
    forum.later(16)
    assert "after 2024-03-03 20:16 UTC" in forum.poll(max_topics=3).warnings[0]
    assert forum.state.cursor["watch"]["held"] <= (forum.now + WATCH_FOR).isoformat()


def test_a_429_on_the_listing_still_fails_the_poll(server: ScriptedServer) -> None:
    forum = watching(server)
    forum.topic(8, 1, bumped_at="2024-03-02T20:16:00.000Z")
    server.routes["/latest.json"] = lambda h: forum._send(h, 429, b"{}", '"x"')
    forum.later(16)
    with pytest.raises(TransientError) as caught:
        forum.poll(max_topics=3)
    assert caught.value.code == "http_rate_limited"
