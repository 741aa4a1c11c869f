"""Discourse on a busy evening, on the real wire (see ``Forum``): replies read after
the last post seen, every topic that moved read even when they fill several
``/latest.json`` pages, a backlog read on at the next poll round, and nothing the
public does not see (whispers, private messages, withdrawn posts)."""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.unit.adapters.conftest import ScriptedServer, reply
from tests.unit.adapters.test_discourse_fixes import Forum, texts
from watchtower.adapters.discourse import DiscourseSettings, parse_posts
from watchtower.errors import PermanentError

JSON = "application/json"

CORPUS = Path(__file__).parents[2] / "corpus" / "forums"


def moved(forum: Forum, tid: int, posts: int, minute: int) -> None:
    forum.topic(tid, posts, bumped_at=f"2024-03-02T20:{minute:02d}:00.000Z")


# ------------------------------------------------------------------- the wire
def test_the_real_posts_json_answers_the_posts_before_post_number() -> None:
    # The corpus' real answer to /t/2144/posts.json?post_number=5: posts 4 to 1.
    # Asking for "post_number = last seen + 1" without asc=true reads old posts.
    payload = json.loads(
        (CORPUS / "discourse_topic_posts_criticalfallibilism_2144.json").read_text()
    )
    numbers = [p["post_number"] for p in payload["post_stream"]["posts"]]
    assert numbers == [4, 3, 2, 1]
    assert parse_posts(payload, "https://discuss.criticalfallibilism.com", after=4) == []


def test_new_replies_are_announced_once(server: ScriptedServer) -> None:
    forum = Forum(server)
    forum.topic(5, 3)
    assert texts(forum.poll()) == ["post 1 of 5", "post 2 of 5", "post 3 of 5"]
    moved(forum, 5, 6, 1)
    assert texts(forum.poll()) == ["post 4 of 5", "post 5 of 5", "post 6 of 5"]
    forum.version += 1  # listed again, nothing new
    assert forum.poll().items == []
    assert forum.reads() == ["/t/5/posts.json", "/t/5/posts.json?post_number=3&asc=true"]


def test_a_new_topic_is_read_from_its_first_post(server: ScriptedServer) -> None:
    forum = Forum(server)
    forum.topic(5, 1)
    forum.poll()
    moved(forum, 6, 2, 1)
    items = forum.poll().items
    assert [(i.title, i.text) for i in items] == [
        ("Topic 6", "post 1 of 6"),
        ("Re: Topic 6", "post 2 of 6"),
    ]


# ---------------------------------------------------------------- busy evening
def test_topics_beyond_the_first_latest_page_are_read(server: ScriptedServer) -> None:
    forum = Forum(server)
    for tid in range(1, 51):
        forum.topic(tid, 1, bumped_at="2024-03-02T18:00:00.000Z")
    forum.poll(max_topics=100)
    forum.reads()
    for tid in range(1, 46):  # 45 topics get a reply: one and a half pages
        moved(forum, tid, 2, tid)
    result = forum.poll(max_topics=100)
    assert sorted(texts(result)) == sorted(f"post 2 of {tid}" for tid in range(1, 46))
    assert not result.more and result.warnings == []
    lists = [h for h in server.hits if h.startswith("/latest.json")]
    assert lists[-2:] == ["/latest.json", "/latest.json?page=1"]  # not page 2: all older
    assert forum.poll(max_topics=100).items == []


def test_an_old_topic_revived_by_a_reply_is_one_alert_not_its_history(
    server: ScriptedServer,
) -> None:
    forum = Forum(server)
    forum.topic(99, 100, bumped_at="2023-06-01T10:00:00.000Z")  # beyond the first page
    for tid in range(1, 31):
        forum.topic(tid, 1, bumped_at="2024-03-02T18:00:00.000Z")
    forum.poll(max_topics=100)
    forum.reads()
    moved(forum, 99, 101, 1)  # someone replies in a 2023 thread
    assert texts(forum.poll()) == ["post 101 of 99"]
    assert forum.reads() == ["/t/99/posts.json?post_number=81&asc=true"]
    moved(forum, 99, 102, 2)
    assert texts(forum.poll()) == ["post 102 of 99"]


def test_a_quiet_forum_reads_one_latest_page(server: ScriptedServer) -> None:
    forum = Forum(server)
    for tid in range(1, 41):
        forum.topic(tid, 1, bumped_at="2024-03-02T18:00:00.000Z")
    forum.poll(max_topics=100)
    moved(forum, 7, 2, 1)
    assert texts(forum.poll(max_topics=100)) == ["post 2 of 7"]
    assert "/latest.json?page=1" not in server.hits


def test_a_busy_evening_is_read_on_at_the_next_poll_round(server: ScriptedServer) -> None:
    forum = Forum(server)
    for tid in range(1, 31):
        forum.topic(tid, 1, bumped_at="2024-03-02T18:00:00.000Z")
    forum.poll(max_topics=10)
    for tid in range(1, 31):
        moved(forum, tid, 2, tid)
    first = forum.poll(max_topics=10)
    assert len(first.items) == 10 and first.more  # the poller comes back at its next round
    second = forum.poll(max_topics=10)
    assert len(second.items) == 10 and second.more
    third = forum.poll(max_topics=10)
    assert len(third.items) == 10 and not third.more
    read = texts(first) + texts(second) + texts(third)
    assert sorted(read) == sorted(f"post 2 of {tid}" for tid in range(1, 31))


def test_three_hundred_replies_in_one_topic_are_all_read_once(server: ScriptedServer) -> None:
    forum = Forum(server)
    forum.topic(9, 1)
    forum.poll()
    moved(forum, 9, 301, 1)
    read: list[str] = []
    for _ in range(20):
        result = forum.poll()
        read += texts(result)
        if not result.more:
            break
    assert read == [f"post {n} of 9" for n in range(2, 302)]


def test_more_pages_than_the_cap_is_a_warning(server: ScriptedServer) -> None:
    forum = Forum(server)
    for tid in range(1, 332):
        forum.topic(tid, 1, bumped_at="2024-03-02T18:00:00.000Z")
    forum.poll(max_topics=1)
    for tid in range(1, 332):  # 331 topics moved: more than 10 pages of 30
        moved(forum, tid, 2, tid % 60)
    result = forum.poll(max_topics=1)
    assert "more than 10 pages of topics moved" in result.warnings[0]
    assert [h for h in server.hits if "page=" in h][-1] == "/latest.json?page=9"


# ------------------------------------------------------- what the public sees
def test_whispers_withdrawn_hidden_and_deleted_posts_are_no_items(
    server: ScriptedServer,
) -> None:
    forum = Forum(server)
    forum.topic(5, 1)
    forum.poll()
    forum.fields[(5, 2)] = {"post_type": 4}  # a staff whisper (an admin's API key sees it)
    forum.fields[(5, 3)] = {"user_deleted": True}
    forum.texts[(5, 3)] = "<p>(message retiré par son auteur)</p>"
    forum.fields[(5, 4)] = {"hidden": True}
    forum.fields[(5, 5)] = {"deleted_at": "2024-03-02T20:00:00.000Z"}
    moved(forum, 5, 6, 1)
    assert texts(forum.poll()) == ["post 6 of 5"]


def test_private_messages_are_no_items(server: ScriptedServer) -> None:
    forum = Forum(server)
    forum.topic(5, 1)
    forum.poll()
    moved(forum, 8, 2, 1)
    forum.topics[8]["archetype"] = "private_message"
    assert forum.poll().items == []
    assert forum.reads() == ["/t/5/posts.json"]  # the first poll's; never /t/8


def test_a_post_deleted_after_its_announcement_changes_nothing(server: ScriptedServer) -> None:
    forum = Forum(server)
    forum.topic(5, 1)
    forum.poll()
    moved(forum, 5, 2, 1)
    assert texts(forum.poll()) == ["post 2 of 5"]
    forum.fields[(5, 2)] = {"deleted_at": "2024-03-02T21:00:00.000Z"}
    moved(forum, 5, 2, 2)  # bumped: the adapter looks at the last post again
    assert forum.poll().items == []


def test_a_rate_limited_forum_says_when_to_come_back(server: ScriptedServer) -> None:
    body = json.dumps(
        {
            "errors": ["Vous avez effectué cette action trop de fois."],
            "error_type": "rate_limit",
            "extras": {"wait_seconds": 42, "time_left": "42 secondes"},
        }
    ).encode()

    def limited(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(429)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Retry-After", "42")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    forum = Forum(server)
    server.routes["/latest.json"] = limited
    try:
        forum.poll()
    except Exception as exc:
        assert getattr(exc, "retry_after", None) == 42
        assert getattr(exc, "retryable", None) is True
    else:
        raise AssertionError("a 429 must fail the fetch")


# ------------------------------------------------------------------ post text
def cooked_text(cooked: str) -> str:
    payload = {"post_stream": {"posts": [{"id": 1, "post_number": 2, "cooked": cooked}]}}
    [item] = parse_posts(payload, "https://communaute.example.fr", title="Frais")
    return item.text


def test_emoji_keep_their_short_name() -> None:
    smile = (
        '<img src="/images/emoji/twitter/smile.png?v=12" title=":smile:" class="emoji" '
        'alt=":smile:" loading="lazy" width="20" height="20">'
    )
    assert cooked_text(f"<p>Merci Banque Acmé {smile} !</p>") == "Merci Banque Acmé :smile: !"
    only = (
        '<p><img src="/images/emoji/twitter/+1.png?v=12" class="emoji only-emoji" alt=":+1:"></p>'
    )
    assert cooked_text(only) == ":+1:"  # a "+1" reply is not an empty alert


def test_custom_emoji_and_other_images_stay_out() -> None:
    logo = '<img src="/uploads/acme.png" title=":acme:" class="emoji emoji-custom" alt=":acme:">'
    avatar = '<img src="/user_avatar/u.png" alt=":x:" class="avatar">'
    assert cooked_text(f"<p>Logo {logo} {avatar} ok</p>") == "Logo ok"


# ------------------------------------------------------------------- API key
KEY = "d1s-c0urse-s3cret-key-0123456789abcdef"


def test_an_api_key_goes_in_headers_never_in_the_url_or_the_logs(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("WT_TEST_DISCOURSE_KEY", KEY)
    received: list[tuple[str | None, str | None]] = []
    forum = Forum(server)
    forum.topic(5, 1)
    latest = server.routes["/latest.json"]

    def checked(handler: BaseHTTPRequestHandler) -> None:
        received.append((handler.headers.get("Api-Key"), handler.headers.get("Api-Username")))
        latest(handler)

    server.routes["/latest.json"] = checked
    caplog.set_level(logging.DEBUG)
    extra = {"api_key_env": "WT_TEST_DISCOURSE_KEY", "api_username": "veille"}
    assert texts(forum.poll(**extra)) == ["post 1 of 5"]
    assert received == [(KEY, "veille")]
    assert all(KEY not in hit for hit in server.hits)
    assert KEY not in caplog.text


def test_a_redirect_to_another_site_does_not_carry_the_key(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WT_TEST_DISCOURSE_KEY", KEY)
    other = ScriptedServer().start()
    try:
        seen: list[str | None] = []

        def elsewhere(handler: BaseHTTPRequestHandler) -> None:
            seen.append(handler.headers.get("Api-Key"))
            reply(b'{"topic_list": {"topics": []}}', content_type=JSON)(handler)

        other.routes["/latest.json"] = elsewhere
        location = other.url("/latest.json")
        forum = Forum(server)
        server.routes["/latest.json"] = reply(b"", status=302, headers={"Location": location})
        forum.poll(api_key_env="WT_TEST_DISCOURSE_KEY")
        assert seen == [None]
    finally:
        other.stop()


def test_a_missing_api_key_variable_is_said_plainly(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WT_TEST_DISCOURSE_KEY", raising=False)
    with pytest.raises(PermanentError) as raised:
        Forum(server).poll(api_key_env="WT_TEST_DISCOURSE_KEY")
    assert raised.value.message == (
        "the environment variable WT_TEST_DISCOURSE_KEY (the forum's API key) is not set"
    )
    assert raised.value.sentence("fr").startswith("clé d'API du forum introuvable")
    assert server.hits == []


def test_an_api_username_without_a_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="api_username needs api_key_env"):
        DiscourseSettings(name="d", base_url="https://forum.example.fr", api_username="veille")
