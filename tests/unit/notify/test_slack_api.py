"""How Slack failures map to the outbox's errors: a write that may have landed is
"outcome unknown", a read is plainly retryable, a 429 is ``RateLimited``."""

from __future__ import annotations

import http.client
import urllib.error
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse

from watchtower.errors import DeliveryError, OutcomeUnknown, RateLimited, TargetDisabled
from watchtower.notify.slack_api import SlackApi, slack_error


def api_error(status: int, error: str = "", headers: dict[str, str] | None = None) -> SlackApiError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.invalid/api/x",
        req_args={},
        data={"ok": False, "error": error} if error else {"ok": False},
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError("failed", response)  # type: ignore[no-untyped-call]


class RaisingClient:
    """A stand-in for slack-sdk's ``WebClient`` whose every method raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def method(**kwargs: Any) -> Any:
            raise self.error

        return method


@pytest.mark.parametrize(
    ("error", "write", "expected", "reason"),
    [
        (api_error(503), True, OutcomeUnknown, "Slack server error (503)"),
        (api_error(500, "fatal_error"), True, OutcomeUnknown, "Slack server error (500)"),
        (api_error(503), False, DeliveryError, "Slack server error (503)"),
        (api_error(429, "ratelimited", {"Retry-After": "30"}), True, RateLimited, ""),
        (api_error(200, "token_revoked"), True, TargetDisabled, ""),
        (api_error(200, "channel_not_found"), True, DeliveryError, ""),
    ],
)
def test_slack_error_mapping(
    error: SlackApiError, write: bool, expected: type[DeliveryError], reason: str
) -> None:
    mapped = slack_error(error, write=write)
    assert type(mapped) is expected
    if reason:
        assert mapped.reason == reason


def test_429_carries_retry_after_seconds() -> None:
    mapped = slack_error(api_error(429, "ratelimited", {"retry-after": "12"}))
    assert isinstance(mapped, RateLimited)
    assert mapped.retryable and mapped.retry_after == 12.0


@pytest.mark.parametrize(
    "failure",
    [
        ConnectionResetError(104, "Connection reset by peer"),
        http.client.RemoteDisconnected("Remote end closed connection without response"),
        http.client.IncompleteRead(b"{"),
        TimeoutError("timed out"),
        urllib.error.URLError(TimeoutError("timed out")),
    ],
)
def test_lost_answer_to_a_post_is_outcome_unknown_but_a_read_is_retryable(
    failure: BaseException,
) -> None:
    api = SlackApi(RaisingClient(failure), interval=0.0)  # type: ignore[arg-type]

    with pytest.raises(OutcomeUnknown):
        api.call("chat.postMessage", channel="#veille", text="x")
    with pytest.raises(DeliveryError) as caught:
        api.call("conversations.history", channel="C1")
    assert caught.value.retryable and not isinstance(caught.value, OutcomeUnknown)


def test_refused_connection_is_retryable_not_unknown() -> None:
    # Nothing was sent when the connection could not even be opened.
    api = SlackApi(RaisingClient(urllib.error.URLError(ConnectionRefusedError(111))))  # type: ignore[arg-type]
    with pytest.raises(DeliveryError) as caught:
        api.call("chat.postMessage", channel="#veille", text="x")
    assert caught.value.retryable and not isinstance(caught.value, OutcomeUnknown)
