"""Discourse: a revived topic's first replies (read backwards, see
``_discourse_backfill``) when the forum fails that reading for now, on the real wire.

A 429 (or a 5xx) on one of the chunks read backwards is no failure of the poll:
what was read is delivered, the cursor keeps the chunks left (nothing lost,
nothing read twice), they are read at the next check, after ``Retry-After``
when the forum gives one, and a warning names the topic meanwhile.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from tests.unit.adapters.conftest import ScriptedServer
from tests.unit.adapters.test_discourse_edits import START, EditedForum
from tests.unit.adapters.test_discourse_fixes import texts
from watchtower.adapters._discourse_backfill import PAUSE_MAX, Pause

REPLIES = [f"post {n} of 99" for n in range(101, 401)]  # 300 replies in a 2023 thread


class BusyForum(EditedForum):
    """``EditedForum`` whose ``posts.json`` answers ``refused[path]`` = (status,
    Retry-After) for those requests, a JSON error as Discourse writes it."""

    def __init__(self, server: ScriptedServer) -> None:
        super().__init__(server)
        self.refused: dict[str, tuple[int, str]] = {}

    def _posts(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path not in self.refused:
            super()._posts(handler)
            return
        status, retry_after = self.refused[handler.path]
        body = b'{"errors": ["You\'ve performed this action too many times."]}'
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        if retry_after:
            handler.send_header("Retry-After", retry_after)
        handler.end_headers()
        handler.wfile.write(body)


def revived(server: ScriptedServer) -> BusyForum:
    """Topic 99 (100 posts of 2023, unknown to the cursor) gets 300 replies at 20:01."""
    forum = BusyForum(server)
    forum.topic(99, 100, bumped_at="2023-06-01T10:00:00.000Z")
    for tid in range(1, 31):
        forum.topic(tid, 1, bumped_at="2024-03-02T18:00:00.000Z")
    forum.poll(max_topics=100)
    forum.reads()
    forum.topic(99, 400, bumped_at="2024-03-02T20:01:00.000Z")
    forum.later(5)
    return forum


def chunk(after: int) -> str:
    return f"/t/99/posts.json?post_number={after}&asc=true"


def test_a_429_while_reading_back_keeps_what_was_read_and_waits_for_retry_after(
    server: ScriptedServer,
) -> None:
    forum = revived(server)
    forum.refused[chunk(320)] = (429, "600")
    first = forum.poll()  # no exception: the source is not failing
    assert texts(first) == [f"post {n} of 99" for n in range(341, 401)]  # oldest first
    assert forum.reads() == [chunk(380), chunk(360), chunk(340), chunk(320)]
    [warning] = first.warnings
    assert "first replies of revived topics could not all be read yet" in warning
    assert "(429)" in warning and "after 2024-03-02 20:15 UTC" in warning
    assert "(topics 99)" in warning
    assert not first.more  # not at the next round: after Retry-After
    assert [b["until"] for b in forum.state.cursor["backfill"]] == [340]

    del forum.refused[chunk(320)]
    forum.later(5)  # 20:10, before Retry-After: nothing asked, still said
    waiting = forum.poll()
    assert waiting.items == [] and forum.reads() == []
    assert waiting.warnings == [warning]

    forum.later(6)  # 20:16
    read = texts(first)
    while True:
        result = forum.poll()
        read += texts(result)
        if not result.more:
            break
    assert result.warnings == []
    assert sorted(read) == sorted(REPLIES) and len(read) == len(REPLIES)  # once each
    assert forum.state.cursor["backfill"] == [] and "backfill_pause" not in forum.state.cursor


def test_a_server_error_while_reading_back_is_read_on_at_the_next_check(
    server: ScriptedServer,
) -> None:
    forum = revived(server)
    forum.refused[chunk(360)] = (503, "")
    first = forum.poll()
    assert texts(first) == [f"post {n} of 99" for n in range(381, 401)]
    assert "(503)" in first.warnings[0] and "read at the next check" in first.warnings[0]
    assert not first.more and forum.reads() == [chunk(380), chunk(360)]
    del forum.refused[chunk(360)]
    forum.later(1)
    second = forum.poll()  # no pause without Retry-After
    assert forum.reads()[0] == chunk(360)
    assert texts(second)[-1] == "post 380 of 99" and second.warnings == []


def test_a_failing_read_back_does_not_stop_the_other_topics_news(
    server: ScriptedServer,
) -> None:
    forum = revived(server)
    forum.topic(7, 2, bumped_at="2024-03-02T20:02:00.000Z")  # an ordinary reply
    forum.refused[chunk(360)] = (429, "60")
    result = forum.poll(max_topics=10)
    assert "post 2 of 7" in texts(result)
    assert texts(result)[-20:] == [f"post {n} of 99" for n in range(381, 401)]


def test_a_pause_is_kept_only_while_it_lasts() -> None:
    now = START
    saved = Pause((now + PAUSE_MAX / 2).isoformat(), "x (429)").saved()
    assert Pause.restored(saved, now).holds(now)
    assert not Pause.restored(saved, now + PAUSE_MAX).holds(now + PAUSE_MAX)
    # A pause beyond the longest one (a clock set back, a hand-edited cursor) is dropped.
    far = Pause((now + 2 * PAUSE_MAX).isoformat(), "x").saved()
    assert Pause.restored(far, now) == Pause()
    assert Pause.restored({"until": "nonsense"}, now) == Pause()
