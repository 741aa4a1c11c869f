"""A Slack channel that refuses the bot until someone acts in Slack is held, not
failed: :func:`channel_refused` is a refused address (the outbox holds it,
spends no attempt, tells ops at once) that says what to do."""

from __future__ import annotations

import pytest

from watchtower.notify.base import AddressRefused
from watchtower.notify.delivery_reason_text import reason_text
from watchtower.notify.slack_errors import HELD_CHANNEL, channel_refused
from watchtower.pipeline.retry_policy import after_failure


def test_a_private_channel_says_to_invite_the_bot_and_is_held() -> None:
    error = channel_refused("not_in_channel", "#prive", "veille-bot", private=True)
    assert isinstance(error, AddressRefused) and error.retryable
    assert error.code == "not_in_channel"
    assert error.reason == (
        "the bot is not in private channel #prive: invite it with /invite @veille-bot in that "
        "channel"
    )
    assert error.cause.code == "slack_not_in_private_channel"
    # never given up, however many tries: it waits for the /invite
    assert after_failure(error, attempts=99, max_attempts=5).action == "hold_target"


@pytest.mark.parametrize("code", sorted(HELD_CHANNEL))
def test_each_held_refusal_says_what_to_do_in_both_languages(code: str) -> None:
    error = channel_refused(code, "#crise", "watchtower")
    assert error.cause.code == f"slack_{code}"
    assert error.reason.startswith(f"Slack refused the message: {code} — ")
    assert "#crise" in error.reason
    french = reason_text(error.cause, "fr", "Europe/Paris")
    assert french.startswith(f"Slack refuse le message ({code})") and "#crise" in french
