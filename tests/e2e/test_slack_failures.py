"""Slack failures that must not lose, duplicate or obscure a message, against the fake Slack."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from tests.e2e.alerting_helpers import Clock, naming, queue, rows
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.errors import OutcomeUnknown, RateLimited
from watchtower.notify.slack_ack import Acknowledgement
from watchtower.notify.slack_api import SlackApi
from watchtower.notify.slack_errors import ChannelRefused


@pytest.fixture
def api(slack: FakeSlack) -> Iterator[SlackApi]:
    client = WebClient(token=slack.token, base_url=slack.api_url, timeout=5, retry_handlers=[])
    yield SlackApi(client, interval=0.0)


def post(api: SlackApi, channel: str = "#veille") -> tuple[str, str]:
    posted = api.post(channel, text="alerte", blocks=None, outbox_id=1)
    return posted.channel, posted.ts


# ------------------------------------------------- stored, then the answer is lost
@pytest.mark.parametrize("failure", ["503 after the write", "connection dropped after the write"])
def test_post_stored_then_failed_is_reconciled_not_posted_twice(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock, failure: str
) -> None:
    app = app_for("")
    queue(app, "slack:#veille")
    if failure.startswith("503"):
        slack.fail_after_record = [503]
    else:
        slack.reset_after_record = 1

    first = app.outbox.drain()

    assert first.retried == 1 and len(slack.posts()) == 1  # Slack has it, we do not know
    [row] = list(rows(app))
    assert row.status == "pending" and row.outcome_unknown
    clock.advance(minutes=5)
    assert app.outbox.drain().sent == 1
    assert len(slack.posts()) == 1  # found in the history, not posted again
    assert "conversations.history" in [c.method for c in slack.calls]
    [row] = list(rows(app))
    assert row.status == "sent" and row.provider_message_id == slack.posts()[0]["ts"]


def test_5xx_on_post_is_outcome_unknown(api: SlackApi, slack: FakeSlack) -> None:
    slack.fail_after_record = [502]
    with pytest.raises(OutcomeUnknown, match=r"Slack server error \(502\)"):
        post(api)


# ------------------------------------------------------------ private channel
def test_private_channel_without_the_bot_says_to_invite_it(
    app_for: Callable[[str], App], slack: FakeSlack
) -> None:
    app = app_for(naming("slack:#prive"))
    queue(app, "slack:#prive")
    slack.not_member = {"#prive"}
    slack.private = {"#prive"}
    slack.bot_name = "veille-bot"

    stats = app.outbox.drain()

    assert stats.failed == 0 and not slack.posts()
    [row] = [r for r in rows(app) if r.target == "slack:#prive"]
    assert (row.status, row.attempts) == ("pending", 0)  # waits for the /invite
    assert row.last_error == (
        "the bot is not in private channel #prive: "
        "invite it with /invite @veille-bot in that channel"
    )


def test_private_channel_error_names_watchtower_when_the_bot_name_is_unknown(
    api: SlackApi, slack: FakeSlack
) -> None:
    slack.not_member = {"#prive"}
    slack.private = {"#prive"}
    slack._auth_test = lambda body: (500, {}, {"ok": False})  # type: ignore[method-assign]

    with pytest.raises(ChannelRefused) as caught:
        post(api, "#prive")

    assert caught.value.code == "not_in_channel"
    assert caught.value.reason == (
        "the bot is not in private channel #prive: "
        "invite it with /invite @watchtower in that channel"
    )
    methods = [c.method for c in slack.calls]
    assert methods.count("chat.postMessage") == 1 and methods.count("conversations.join") == 1


# --------------------------------------------------------------------- 429
def test_429_raises_rate_limited_with_retry_after(api: SlackApi, slack: FakeSlack) -> None:
    slack.rate_limit_next, slack.retry_after = 1, 7

    with pytest.raises(RateLimited) as caught:
        post(api)

    assert caught.value.retryable and caught.value.retry_after == 7.0
    assert caught.value.reason == "Slack rate limit (429)"
    assert not slack.posts()


# -------------------------------------------------------------------- acks
def test_only_an_affirmative_reply_acknowledges(api: SlackApi, slack: FakeSlack) -> None:
    channel, ts = post(api, "#crise")
    slack.human_reply(ts, "Toujours pas pris en charge ?? Quelqu'un peut regarder")
    slack.human_reply(ts, "pas d'ack ?")
    slack.human_reply(ts, "can someone ack?")
    slack.human_reply(ts, "personne ne prend en charge")
    assert api.acknowledged(channel, ts) is None

    slack.human_reply(ts, "je m'en occupe", user="U0ONCALL")
    reply = slack.messages[-1]["ts"]  # the ack's time, as Slack gives it
    assert api.acknowledged(channel, ts) == Acknowledgement(
        "U0ONCALL", "reply", "je m'en occupe", reply
    )


def test_a_check_mark_reaction_acknowledges_and_names_who(api: SlackApi, slack: FakeSlack) -> None:
    channel, ts = post(api, "#crise")
    slack.react(ts, "white_check_mark", user="U0ONCALL")
    assert api.acknowledged(channel, ts) == Acknowledgement(
        "U0ONCALL", "reaction", "white_check_mark"
    )


# --------------------------------------------------------------- long URL
LONG_URL = "https://n.example.fr/a?q=" + "a" * 3100


def block_texts(post: dict[str, Any]) -> list[str]:
    texts = []
    for block in post["blocks"]:
        objects = [block.get("text"), *(block.get("elements") or [])]
        texts += [str(o["text"]) for o in objects if isinstance(o, dict)]
    return texts


@pytest.mark.parametrize("excerpt", ["Un extrait.", "x" * 50_000])
def test_url_too_long_to_link_is_shortened_not_refused(
    app_for: Callable[[str], App], slack: FakeSlack, excerpt: str
) -> None:
    app = app_for("")
    queue(
        app,
        "slack:#veille",
        url=LONG_URL,
        excerpt=excerpt,
        terms=[f"terme{i}" for i in range(500)],
    )

    stats = app.outbox.drain()

    assert stats.sent == 1 and stats.failed == 0
    [post] = slack.posts()
    texts = block_texts(post)
    assert all(len(text) <= 3000 for text in texts)
    assert "Article item 0" in texts[0]  # the title stays, unlinked
    assert not any("<" + LONG_URL[:30] in text for text in texts)  # no link Slack would refuse
    assert any(LONG_URL[:100] in text for text in texts)  # the URL is still shown, cut
