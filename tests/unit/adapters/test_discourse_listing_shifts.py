"""Discourse: a poll resuming the ``/latest.json`` pages an earlier poll could not
read, after the listing shifted, on the real wire.

The listing is paged by position (``?page=N``: 30 topics from ``N * 30``), and
positions move between two polls. A topic deleted (or unlisted, or moved to a
hidden category) above the gap moves every topic below it up a place: the first
topic left unread ends the page before the gap, and reading on from the gap's
page number skipped it until it was bumped again. A topic bumped or created
moves them down a place: the last topic read is found again at the top of the
gap's page, and is not announced twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

import pytest

from tests.unit.adapters.conftest import ScriptedServer
from tests.unit.adapters.test_discourse_edits import START
from tests.unit.adapters.test_discourse_fixes import texts
from tests.unit.adapters.test_discourse_later_failures import RefusingForum
from watchtower.adapters._discourse_listing import Gap

OLD = "2024-03-01T10:00:00.000Z"


@pytest.fixture
def forum(server: ScriptedServer) -> Iterator[RefusingForum]:
    forum = RefusingForum(server)
    yield forum
    forum.released.set()


def bump(minute: int) -> str:
    return (START + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def page(number: int) -> str:
    return f"/latest.json?page={number}"


def busy_evening(forum: RefusingForum, topics: int) -> list[str]:
    """One old topic read; then ``topics`` new topics, topic N made at minute N
    (30 a page, the newest first). Their first posts are the news."""
    forum.topic(1000, 1, bumped_at=OLD)
    forum.poll()
    for tid in range(1, topics + 1):
        forum.topic(tid, 1, bumped_at=bump(tid))
    forum.later(topics + 1)
    forum.hits()
    return [f"post 1 of {tid}" for tid in range(1, topics + 1)]


def delete(forum: RefusingForum, *tids: int) -> None:
    """Topics gone from the listing (deleted: their posts answer 404)."""
    for tid in tids:
        del forum.topics[tid]
        del forum.server.routes[f"/t/{tid}/posts.json"]
    forum.version += 1


def listing_hits(forum: RefusingForum) -> list[str]:
    return [h for h in forum.hits() if h.startswith("/latest")]


def test_a_topic_deleted_above_the_gap_skips_no_topic_left_unread(
    forum: RefusingForum,
) -> None:
    # Pages: 80..51, 50..21, 20..1 and the old topic. The third page is refused.
    expected = busy_evening(forum, 80)
    forum.refused[page(2)] = (429, "600")
    assert forum.poll().items == []
    gap = forum.state.cursor["gap"]
    del forum.refused[page(2)]
    delete(forum, 60)  # page 1 now ends with topic 20, the first one not read
    forum.later(11)
    forum.hits()
    result = forum.poll()
    items = texts(result)
    assert "post 1 of 20" in items  # before: skipped until topic 20 was bumped again
    assert sorted(items) == sorted(t for t in expected if t != "post 1 of 60")
    assert Counter(items).most_common(1)[0][1] == 1
    # The page before the gap is read again (the overlap), no more.
    assert listing_hits(forum) == ["/latest.json", page(1), page(2)]
    assert gap == {"page": 2, "since": OLD, "after": bump(21)}  # topic 21: read last
    assert "gap" not in forum.state.cursor
    assert [w for w in result.warnings if "topic 60 was skipped" in w] != []


def test_more_topics_deleted_than_a_page_holds_are_looked_behind(
    forum: RefusingForum,
) -> None:
    # Pages: 110..81, 80..51, 50..21, 20..1. The fourth page is refused; then 31
    # topics of the first page go: topic 20 ends the second page.
    expected = busy_evening(forum, 110)
    forum.refused[page(3)] = (429, "600")
    assert forum.poll().items == []
    del forum.refused[page(3)]
    gone = list(range(80, 111))
    delete(forum, *gone)
    forum.later(11)
    forum.hits()
    first = forum.poll()
    asked = listing_hits(forum)
    forum.later(1)
    items = texts(first) + texts(forum.poll())  # 100 topics a poll: two polls
    assert "post 1 of 20" in items
    assert sorted(items) == sorted(t for t in expected if int(t.split()[-1]) not in gone)
    assert Counter(items).most_common(1)[0][1] == 1
    # The page before the gap starts below the last topic read: the one before too.
    assert asked == ["/latest.json", page(2), page(1)]


def test_topics_bumped_above_the_gap_are_read_once(forum: RefusingForum) -> None:
    # A new topic and a reply to a topic not read yet push the last topic read
    # (21) to the top of the gap's page: it is listed twice, read once.
    expected = busy_evening(forum, 80)
    forum.refused[page(2)] = (503, "")
    assert forum.poll().items == []
    del forum.refused[page(2)]
    forum.topic(200, 1, bumped_at=bump(90))  # a new topic
    forum.topic(10, 2, bumped_at=bump(91))  # a topic of the pages not read
    forum.topic(70, 2, bumped_at=bump(92))  # a topic of the pages read (waiting)
    forum.later(11)
    forum.hits()
    items = texts(forum.poll())
    expected += ["post 1 of 200", "post 2 of 10", "post 2 of 70"]
    assert sorted(items) == sorted(expected)
    assert Counter(items).most_common(1)[0][1] == 1
    forum.version += 1
    assert forum.poll().items == []  # nothing left, nothing announced again


def test_the_page_read_again_refused_once_is_read_again_next_poll(
    forum: RefusingForum,
) -> None:
    # The third page refused (a gap at page 2); topic 60 deleted moves topic 20
    # onto page 1, and the poll reading page 1 again is refused there. The next
    # poll reads page 1 again: before, it read on from page 2 and skipped 20.
    expected = busy_evening(forum, 80)
    forum.refused[page(2)] = (429, "600")
    forum.poll()
    del forum.refused[page(2)]
    delete(forum, 60)
    forum.refused[page(1)] = (429, "600")
    forum.later(11)
    forum.hits()
    assert forum.poll().items == []
    assert forum.state.cursor["gap"] == {"page": 2, "since": OLD, "after": bump(21), "refused": 1}
    del forum.refused[page(1)]
    forum.later(11)
    forum.hits()
    items = texts(forum.poll())
    assert "post 1 of 20" in items
    assert sorted(items) == sorted(t for t in expected if t != "post 1 of 60")
    assert Counter(items).most_common(1)[0][1] == 1
    assert listing_hits(forum) == ["/latest.json", page(1), page(2)]
    assert "gap" not in forum.state.cursor


def test_the_page_read_again_refused_twice_in_a_row_is_skipped_once(
    forum: RefusingForum,
) -> None:
    busy_evening(forum, 80)
    forum.refused[page(2)] = (429, "600")
    forum.poll()
    del forum.refused[page(2)]
    forum.refused[page(1)] = (503, "")
    for refused in (1, 2):
        forum.later(11)
        forum.version += 1  # /latest.json answers (after a 304 the poll fails)
        forum.hits()
        forum.poll()
        assert listing_hits(forum)[-1] == page(1)
        assert forum.state.cursor["gap"]["refused"] == refused
    forum.later(11)
    forum.version += 1
    forum.hits()
    forum.poll()  # page 1 still refused: read on from the gap without it
    assert listing_hits(forum) == ["/latest.json", page(2)]
    assert "gap" not in forum.state.cursor


@pytest.mark.parametrize(
    ("saved", "refused"),
    [
        ({"page": 2, "since": OLD, "after": ""}, 0),  # saved before the count
        ({"page": 2, "since": OLD, "after": "", "again": True}, 0),
        ({"page": 2, "since": OLD, "after": "", "refused": 3}, 3),
        ({"page": 2, "since": OLD, "after": "", "refused": True}, 0),
        ({"page": 2, "since": OLD, "after": "", "refused": -1}, 0),
    ],
)
def test_a_saved_gap_loads_with_its_refusals(saved: dict[str, object], refused: int) -> None:
    gap = Gap.restored(saved)
    assert gap == Gap(2, OLD, "", refused)
    assert Gap.restored(gap.saved()) == gap


class ThirdRefused(RefusingForum):
    """Refuses the third ``/latest.json`` request of every poll (a 429 without
    ``Retry-After``)."""

    def __init__(self, server: ScriptedServer) -> None:
        super().__init__(server)
        self.asked = 0

    def _latest(self, handler: BaseHTTPRequestHandler) -> None:
        self.asked += 1
        if self.asked == 3:
            self.refused[handler.path] = (429, "")
        try:
            super()._latest(handler)
        finally:
            self.refused.clear()


@pytest.mark.parametrize("deleted", [False, True])
def test_a_forum_refusing_every_polls_third_listing_request_is_read_past_it(
    server: ScriptedServer, deleted: bool
) -> None:
    # Pages: 100..71, 70..41, 40..11, 10..1. Reading the page before the gap again
    # takes a request: a poll stopped right after it reads on without it next time.
    forum = ThirdRefused(server)
    try:
        expected = busy_evening(forum, 100)
        items: list[str] = []
        for _ in range(8):
            if deleted:
                delete(forum, max(forum.topics))  # a topic of the first page goes
            forum.asked = 0
            items += texts(forum.poll())
            forum.later(1)
            if "gap" not in forum.state.cursor and forum.state.cursor["pending"] == []:
                break
        assert "gap" not in forum.state.cursor and forum.state.cursor["pending"] == []
        if not deleted:
            assert sorted(items) == sorted(expected)
        assert Counter(items).most_common(1)[0][1] == 1
    finally:
        forum.released.set()
