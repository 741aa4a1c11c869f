"""Discourse: an old topic revived by many replies between two polls (an incident
thread), on the real wire (see ``Forum``). Every new reply is read, the first
ones too, each once, a bounded number of requests a poll; none of the topic's
history is news."""

from __future__ import annotations

from tests.unit.adapters.conftest import ScriptedServer
from tests.unit.adapters.test_discourse_fixes import Forum, texts
from watchtower.adapters.base import FetchResult

READS = 5  # chunks read backwards a poll (_discourse_backfill.READS, checked below)


def old_forum(server: ScriptedServer) -> Forum:
    """Topic 99, 100 posts from 2023, beyond the first ``/latest.json`` page, and
    30 topics of the evening: the first poll knows nothing of topic 99."""
    forum = Forum(server)
    forum.topic(99, 100, bumped_at="2023-06-01T10:00:00.000Z")
    for tid in range(1, 31):
        forum.topic(tid, 1, bumped_at="2024-03-02T18:00:00.000Z")
    forum.poll(max_topics=100)
    forum.reads()
    return forum


def poll_until_done(forum: Forum, polls: int = 30) -> list[FetchResult]:
    results = []
    for _ in range(polls):
        results.append(forum.poll())
        if not results[-1].more:
            break
    return results


def test_forty_five_replies_in_a_revived_topic_are_all_read_the_first_ones_too(
    server: ScriptedServer,
) -> None:
    forum = old_forum(server)
    forum.topic(99, 145, bumped_at="2024-03-02T20:01:00.000Z")  # 45 replies
    result = forum.poll()
    assert texts(result) == [f"post {n} of 99" for n in range(101, 146)]  # oldest first
    assert not result.more
    assert forum.reads() == [
        "/t/99/posts.json?post_number=125&asc=true",
        "/t/99/posts.json?post_number=105&asc=true",
        "/t/99/posts.json?post_number=85&asc=true",
    ]
    forum.topic(99, 146, bumped_at="2024-03-02T20:05:00.000Z")  # later: one reply, one read
    assert texts(forum.poll()) == ["post 146 of 99"]
    assert forum.reads() == ["/t/99/posts.json?post_number=145&asc=true"]


def test_three_hundred_replies_in_a_revived_topic_are_read_over_the_next_rounds(
    server: ScriptedServer,
) -> None:
    forum = old_forum(server)
    forum.topic(99, 400, bumped_at="2024-03-02T20:01:00.000Z")  # 300 replies
    results, requests = [], []
    while not results or results[-1].more:
        results.append(forum.poll())
        requests.append(len(forum.reads()))
    read = [text for result in results for text in texts(result)]
    assert sorted(read) == sorted(f"post {n} of 99" for n in range(101, 401))
    assert len(read) == 300  # each once, none of the 2023 history
    # Bounded: the last chunk and READS chunks backwards, then READS chunks a poll.
    from watchtower.adapters._discourse_backfill import READS as read_back_chunks

    assert read_back_chunks == READS
    assert requests == [1 + READS, READS, 5] and len(results) == 3


def test_replies_during_the_backfill_are_read_once_too(server: ScriptedServer) -> None:
    forum = old_forum(server)
    forum.topic(99, 400, bumped_at="2024-03-02T20:01:00.000Z")
    read = texts(forum.poll())
    forum.topic(99, 410, bumped_at="2024-03-02T20:10:00.000Z")  # the thread goes on
    read += [text for result in poll_until_done(forum) for text in texts(result)]
    assert sorted(read) == sorted(f"post {n} of 99" for n in range(101, 411))
    assert len(read) == 310


def test_a_revived_topic_deleted_during_its_backfill_is_skipped_with_a_warning(
    server: ScriptedServer,
) -> None:
    forum = old_forum(server)
    forum.topic(99, 400, bumped_at="2024-03-02T20:01:00.000Z")
    assert forum.poll().more
    del server.routes["/t/99/posts.json"]  # deleted: 404
    skipped = forum.poll()
    assert skipped.items == [] and "topic 99 was skipped" in skipped.warnings[0]
    assert not skipped.more and forum.state.cursor["backfill"] == []


def test_a_revived_topic_with_few_replies_reads_one_chunk(server: ScriptedServer) -> None:
    """Guard: three replies are one request, as before."""
    forum = old_forum(server)
    forum.topic(99, 103, bumped_at="2024-03-02T20:01:00.000Z")
    assert texts(forum.poll()) == [f"post {n} of 99" for n in (101, 102, 103)]
    assert forum.reads() == ["/t/99/posts.json?post_number=83&asc=true"]
