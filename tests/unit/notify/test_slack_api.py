"""How Slack failures map to the outbox's errors: a write that may have landed is
"outcome unknown", a read is plainly retryable, a 429 is ``RateLimited``, Slack
down (no connection, a timeout, a 5xx, ``service_unavailable``) is
``TargetUnreachable``: the whole target waits, not this message."""

from __future__ import annotations

import http.client
import urllib.error
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse

from watchtower.errors import DeliveryError, OutcomeUnknown, RateLimited, TargetDisabled
from watchtower.notify.base import (
    ServerError,
    ServerErrorMaybeSent,
    TargetUnreachable,
    UnreachableMaybeSent,
)
from watchtower.notify.slack_api import SlackApi
from watchtower.notify.slack_errors import SlackRefused, slack_error


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
        (api_error(503), True, ServerErrorMaybeSent, "Slack server error (503)"),
        (api_error(500, "fatal_error"), True, ServerErrorMaybeSent, "Slack server error (500)"),
        (api_error(200, "fatal_error"), True, OutcomeUnknown, "Slack server error (fatal_error)"),
        (api_error(503), False, ServerError, "Slack server error (503)"),
        (api_error(429, "ratelimited", {"Retry-After": "30"}), True, RateLimited, ""),
        (api_error(200, "token_revoked"), True, TargetDisabled, ""),
        (api_error(200, "channel_not_found"), True, SlackRefused, ""),
    ],
)
def test_slack_error_mapping(
    error: SlackApiError, write: bool, expected: type[DeliveryError], reason: str
) -> None:
    mapped = slack_error(error, write=write)
    assert type(mapped) is expected
    if reason:
        assert mapped.reason == reason


# What each documented error code means for the outbox (HTTP 200, ``ok: false``):
# "pause" stops every Slack target until someone fixes the app, "unknown" may
# have been stored (check the history before resending), "down" holds every
# Slack notification (Slack is down), "failed" concerns this channel or this
# message only.
@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("invalid_auth", "pause"),
        ("not_authed", "pause"),
        ("account_inactive", "pause"),
        ("token_revoked", "pause"),
        ("token_expired", "pause"),
        ("not_allowed_token_type", "pause"),
        ("ekm_access_denied", "pause"),
        ("missing_scope", "pause"),
        ("fatal_error", "unknown"),
        ("internal_error", "unknown"),
        ("service_unavailable", "down"),
        ("request_timeout", "down"),
        ("message_limit_exceeded", "down"),
        ("team_added_to_org", "down"),
        ("ratelimited", "rate"),
        ("channel_not_found", "failed"),
        ("is_archived", "failed"),
        ("not_in_channel", "failed"),
        ("restricted_action", "failed"),
        ("msg_too_long", "failed"),
        ("invalid_blocks", "failed"),
    ],
)
def test_each_slack_error_code_on_a_post(code: str, outcome: str) -> None:
    mapped = slack_error(api_error(200, code), write=True)
    kinds = {
        TargetDisabled: "pause",
        OutcomeUnknown: "unknown",
        RateLimited: "rate",
        TargetUnreachable: "down",
    }
    got = kinds.get(type(mapped)) or ("retry" if mapped.retryable else "failed")
    assert got == outcome
    if outcome == "failed":
        assert isinstance(mapped, SlackRefused) and mapped.code == code


def test_server_errors_on_a_read_are_retried_not_unknown() -> None:
    mapped = slack_error(api_error(200, "internal_error"), write=False)
    assert mapped.retryable and not isinstance(mapped, OutcomeUnknown)


def test_missing_scope_names_the_scope_to_add() -> None:
    error = api_error(200, "missing_scope")
    error.response.data = {"ok": False, "error": "missing_scope", "needed": "chat:write"}
    mapped = slack_error(error, write=True)
    assert isinstance(mapped, TargetDisabled)
    assert "the Slack app lacks the scope chat:write" in mapped.reason
    assert "OAuth & Permissions" in mapped.reason and "reinstall the app" in mapped.reason
    # On a read (history, reactions), only that feature is lost: not a pause.
    read = slack_error(error, write=False)
    assert type(read) is SlackRefused and not read.retryable


def test_429_carries_retry_after_seconds() -> None:
    mapped = slack_error(api_error(429, "ratelimited", {"retry-after": "12"}))
    assert isinstance(mapped, RateLimited)
    assert mapped.retryable and mapped.retry_after == 12.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("1e20", 3600.0), ("inf", 3600.0), ("99999999999999", 3600.0), ("nan", 1.0), ("-5", 1.0)],
)
def test_an_absurd_retry_after_is_capped(value: str, seconds: float) -> None:
    """The outbox and the feedback job add it to a datetime: "1e20" overflowed and
    stopped them (found by review; the sources' own cap came in 05d5a10)."""
    mapped = slack_error(api_error(429, "ratelimited", {"retry-after": value}))
    assert isinstance(mapped, RateLimited) and mapped.retry_after == seconds
    datetime.now(UTC) + timedelta(seconds=mapped.retry_after)  # no OverflowError


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

    with pytest.raises(UnreachableMaybeSent):
        api.call("chat.postMessage", channel="#veille", text="x")
    with pytest.raises(TargetUnreachable) as caught:
        api.call("conversations.history", channel="C1")
    assert caught.value.retryable and not isinstance(caught.value, OutcomeUnknown)


def test_refused_connection_is_unreachable_not_unknown() -> None:
    # Nothing was sent when the connection could not even be opened.
    api = SlackApi(RaisingClient(urllib.error.URLError(ConnectionRefusedError(111))))  # type: ignore[arg-type]
    with pytest.raises(TargetUnreachable) as caught:
        api.call("chat.postMessage", channel="#veille", text="x")
    assert caught.value.retryable and not isinstance(caught.value, OutcomeUnknown)
