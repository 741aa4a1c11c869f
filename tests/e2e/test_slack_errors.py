"""Slack's documented errors against the fake Slack: what is retried, what pauses
Slack, what concerns one channel or one message, and what the operator reads."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from tests.e2e.alerting_helpers import Clock, naming, queue, rows
from tests.e2e.stories import BLOG_B, FORUM_C, queue_first_sighting, queue_sighting
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.notify.slack_api import SlackApi


def only(app: App, target: str) -> Any:
    [row] = [r for r in rows(app) if r.target == target]
    return row


# ---------------------------------------------------------- retry or not
@pytest.mark.parametrize("code", ["internal_error", "fatal_error"])
def test_maybe_stored_server_error_is_retried_and_checked_not_lost(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock, code: str
) -> None:
    app = app_for("")
    queue(app, "slack:#veille")
    slack.error_next = [code]  # HTTP 200, ok: false — "some aspect may have succeeded"

    assert app.outbox.drain().retried == 1
    row = only(app, "slack:#veille")
    assert row.status == "pending" and row.outcome_unknown

    clock.advance(minutes=5)
    assert app.outbox.drain().sent == 1
    assert len(slack.posts()) == 1


@pytest.mark.parametrize("code", ["service_unavailable", "request_timeout"])
def test_transient_slack_errors_are_retried(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock, code: str
) -> None:
    app = app_for("")
    queue(app, "slack:#veille")
    slack.error_next = [code]

    assert app.outbox.drain().retried == 1
    clock.advance(minutes=5)
    assert app.outbox.drain().sent == 1


def test_missing_chat_write_scope_pauses_slack_and_names_the_scope(
    app_for: Callable[[str], App], slack: FakeSlack, smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for("")
    queue(app, "slack:#veille", 2)
    slack.refuse["chat.postMessage"] = "missing_scope"

    app.outbox.drain()

    assert [r.status for r in rows(app) if r.target.startswith("slack:")] == ["pending"] * 2
    assert [c.method for c in slack.calls].count("chat.postMessage") == 1
    [mail] = smtp.messages
    text = str(mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "chat:write" in text and "OAuth & Permissions" in text

    slack.refuse.pop("chat.postMessage")  # the operator added the scope
    clock.advance(minutes=11)
    app.outbox.drain()
    assert len(slack.posts()) == 2


# ------------------------------------------------------- this channel only
def test_archived_channel_holds_its_rows_only_and_says_what_to_do(
    app_for: Callable[[str], App], slack: FakeSlack
) -> None:
    app = app_for(naming("slack:#ancien"))
    queue(app, "slack:#ancien")
    queue(app, "slack:#veille", key="other")
    slack.archived = {"#ancien"}

    stats = app.outbox.drain()

    assert stats.per_target.get("slack:#veille") == 1 and stats.failed == 0
    row = only(app, "slack:#ancien")
    assert (row.status, row.attempts) == ("pending", 0)  # waits to be unarchived
    assert row.last_error == (
        "Slack refused the message: is_archived — channel #ancien is archived: "
        "unarchive it or send these notifications to another channel"
    )


def test_renamed_channel_says_to_use_the_channel_id(
    app_for: Callable[[str], App], slack: FakeSlack
) -> None:
    channel_id = slack.channel_id("#veille")
    app = app_for(naming(f"slack:{channel_id}"))
    queue(app, "slack:#veille")
    assert app.outbox.drain().sent == 1
    assert slack.posts()[0]["channel_id"] == channel_id
    slack.rename("#veille", "#veille-marque")
    queue(app, "slack:#veille", key="after")
    queue(app, f"slack:{channel_id}", key="by-id")

    stats = app.outbox.drain()

    assert stats.per_target.get(f"slack:{channel_id}") == 1  # by id: still delivered
    assert stats.failed == 0
    [held] = [r for r in rows(app) if r.status == "pending"]  # until notify is corrected
    assert "channel_not_found — the bot sees no channel #veille" in held.last_error
    assert "renamed channel keeps its id: write slack:C…" in held.last_error


# ----------------------------------------------------- channel names, pacing
def test_a_capitalised_channel_name_is_reconciled_not_posted_twice(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for(naming("slack:#Veille"))
    queue(app, "slack:#Veille")
    slack.fail_after_record = [503]  # stored, then the gateway fails

    assert app.outbox.drain().retried == 1
    clock.advance(minutes=5)
    app.notifier_for("slack").api._ids.clear()  # type: ignore[attr-defined]  # a restart
    assert app.outbox.drain().sent == 1

    assert len(slack.posts()) == 1
    assert slack.posts()[0]["channel"] == "#veille"


@pytest.fixture
def api(slack: FakeSlack) -> Iterator[SlackApi]:
    client = WebClient(token=slack.token, base_url=slack.api_url, timeout=5, retry_handlers=[])
    yield SlackApi(client, interval=0.3)


def test_a_channel_named_and_by_id_is_paced_as_one(api: SlackApi, slack: FakeSlack) -> None:
    slack.min_interval = 0.3
    first = api.post("#veille", text="a", blocks=None, outbox_id=1)
    api.post(first.channel, text="b", blocks=None, outbox_id=2)
    api.post("#veille", text="c", blocks=None, outbox_id=3)
    assert slack.rate_limited == 0 and len(slack.posts()) == 3


# ------------------------------------------------------ this message only
def test_blocks_slack_refuses_go_again_as_plain_text(
    app_for: Callable[[str], App], slack: FakeSlack
) -> None:
    app = app_for("")
    queue(app, "slack:#veille", title="Acmé <!channel> rappel")
    slack.error_next = ["invalid_blocks"]

    assert app.outbox.drain().sent == 1

    [post] = slack.posts()
    assert "blocks" not in post and len(post["text"]) <= 4000
    assert "Article" not in post["text"] and "Acmé &lt;!channel&gt; rappel" in post["text"]
    assert "<!channel>" not in post["text"]


def test_a_long_grouped_message_is_shortened_not_refused(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("""
[[rules]]
name = "presse"
notify = ["slack:#veille"]
group_wait = "30s"
""")
    for i in range(30):  # 20 lines shown, each with a 1,500-character link
        url = f"https://news.example.fr/{i}/" + "a" * 1500
        queue(app, "slack:#veille", key=f"g{i}", rules=["presse"], url=url)
    app.outbox.drain()
    app.alerting.tick()
    clock.advance(seconds=31)
    app.alerting.tick()
    app.outbox.drain()

    [post] = slack.posts()  # Slack refuses more than ~13,000 characters of blocks
    texts = [b["text"]["text"] for b in post["blocks"] if "text" in b]
    texts += [e["text"] for b in post["blocks"] for e in b.get("elements", [])]
    assert sum(len(t) for t in texts) <= 12_000
    assert "30 mentions · presse" in str(post["blocks"]) and "de plus" in str(post["blocks"])
    assert not [r for r in rows(app) if r.status == "failed"]


# ------------------------------------------------------------ threads
@pytest.mark.parametrize("slack_does", ["", "thread_not_found"])
def test_a_sighting_of_a_deleted_parent_is_a_full_message(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock, slack_does: str
) -> None:
    app = app_for("")
    queue_first_sighting(app)
    app.outbox.drain()
    [parent] = slack.posts()
    slack.delete(parent["ts"])  # someone deleted the story's message
    slack.orphan_reply = slack_does
    queue_sighting(app, "reply", 2, **BLOG_B)

    app.outbox.drain()

    [post] = slack.posts()
    shown = str(post.get("blocks"))
    assert "Article reply 0" in shown and "Aussi vu sur" not in shown  # a full message
    assert {r.status for r in rows(app)} == {"sent"}
    assert not [
        c for c in slack.calls if c.method == "chat.update" and c.body["ts"] == parent["ts"]
    ]
    # That message is the story's message now: the next sighting replies under it.
    queue_sighting(app, "third", 3, **FORUM_C)
    app.outbox.drain()
    assert [p["ts"] for p in slack.posts()] == [post["ts"]]
    [reply] = slack.replies(post["ts"])
    assert "Aussi vu sur forum-c.example" in reply["text"]


def test_a_rate_limited_parent_update_is_waited_for_not_lost(
    app_for: Callable[[str], App], slack: FakeSlack
) -> None:
    app = app_for("")
    queue_first_sighting(app)
    app.outbox.drain()
    slack.rate_limit_calls["chat.update"] = 1
    queue_sighting(app, "reply", 3, source="blog-b")  # no URL of its own

    started = time.monotonic()
    app.outbox.drain()

    [top] = slack.posts()
    assert top.get("edited") and "Vu sur 3 sites" in str(top["blocks"])
    assert time.monotonic() - started >= 1.0  # Retry-After: 1
    assert len(slack.replies(top["ts"])) == 1
