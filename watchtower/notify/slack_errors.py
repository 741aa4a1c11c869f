"""What Slack's answers mean for the outbox: one table for every Web API call.

:func:`slack_error` maps a :class:`~slack_sdk.errors.SlackApiError` to the
outbox's vocabulary (:mod:`watchtower.errors`); :mod:`watchtower.notify.slack_api`
makes the calls and maps the network failures around them.

  ============================== ==============================================
  the whole of Slack is paused   ``invalid_auth``, ``not_authed``,
  (:class:`TargetDisabled`)      ``token_revoked``, ``token_expired``,
                                 ``account_inactive``, ``not_allowed_token_type``,
                                 ``ekm_access_denied``; ``missing_scope`` on a post
                                 (the error names the scope to add)
  Slack is down: every Slack     connection refused or reset, a timeout, a 5xx;
  notification waits, one is     ``service_unavailable``, ``request_timeout``,
  tried now and then, no         ``message_limit_exceeded``, ``team_added_to_org``,
  attempt spent                  ``org_login_required``
  (:class:`TargetUnreachable`;   (on a post, a timeout, a dropped answer or a 5xx
  :class:`UnreachableMaybeSent`  may come after Slack stored the message; a 5xx is
  when it may have been stored)  a :class:`ServerError`: if Slack takes other
                                 messages, this one's own failure, retried then failed)
  retried (may have been stored: ``fatal_error``, ``internal_error`` (HTTP 200)
  :class:`OutcomeUnknown`)
  the channel waits              ``ratelimited`` (429, Retry-After; no attempt spent)
  this channel waits, alone     ``channel_not_found``, ``is_archived``,
  (:class:`ChannelRefused`:      ``not_in_channel`` (after one
  held as a refused address,     ``conversations.join``; a private channel says to
  ops told what to do at once)   ``/invite`` the bot): :data:`HELD_CHANNEL`
  this channel only (failed,     ``restricted_action*``, ``no_permission``
  with what to do)
  this message only              ``msg_too_long``, ``msg_blocks_too_long``,
                                 ``invalid_blocks``: sent again once as plain text
  ============================== ==============================================
"""

from __future__ import annotations

import math
from typing import Any

from slack_sdk.errors import SlackApiError

from watchtower.errors import (
    DeliveryError,
    DeliveryReason,
    OutcomeUnknown,
    RateLimited,
    TargetDisabled,
)
from watchtower.notify.base import (
    AddressRefused,
    ServerError,
    ServerErrorMaybeSent,
    TargetUnreachable,
)

# What to do about a refusal that concerns one channel ({channel}, {bot}): with
# the other reasons, in English and French (ops notices).
from watchtower.notify.delivery_errors_text import CHANNEL_HINTS

__all__ = [
    "AUTH_ERRORS",
    "CHANNEL_HINTS",
    "HELD_CHANNEL",
    "MAYBE_DONE",
    "RATE_LIMITED",
    "TOO_BIG",
    "TRANSIENT",
    "WRITES",
    "ChannelRefused",
    "SlackRefused",
    "channel_refused",
    "refusal",
    "slack_error",
]

# The token or the app cannot post anywhere: pause every Slack target until fixed.
AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "not_allowed_token_type",
        "ekm_access_denied",
    }
)
# "It's possible some aspect of the operation succeeded before the error was raised."
MAYBE_DONE = frozenset({"fatal_error", "internal_error"})
# Slack could not do it now, for any message; nothing was stored: Slack is down.
TRANSIENT = frozenset(
    {
        "service_unavailable",
        "request_timeout",
        "message_limit_exceeded",
        "team_added_to_org",
        "org_login_required",
    }
)
RATE_LIMITED = frozenset({"ratelimited", "rate_limited"})
# The message itself is refused: sent again as plain text (see SlackNotifier.send).
TOO_BIG = frozenset(
    {"msg_too_long", "msg_blocks_too_long", "invalid_blocks", "invalid_blocks_format"}
)
# A post refused by one channel until someone acts in Slack (/invite, unarchive,
# create it): that channel's notifications wait, the other channels go on.
HELD_CHANNEL = frozenset({"channel_not_found", "is_archived", "not_in_channel"})
# Calls that create something: a failure after the request left may hide a success.
# chat.update is absent on purpose: repeating it is harmless.
WRITES = frozenset({"chat.postMessage"})


class SlackRefused(DeliveryError):
    """Slack answered ``ok: false`` with ``code`` (``channel_not_found``…); the
    catalogue's code of its reason is ``cause.code``."""

    def __init__(
        self, code: str, reason: str | DeliveryReason = "", *, retryable: bool = False
    ) -> None:
        reason = reason or DeliveryReason.of("slack_refused", code=code)
        super().__init__(reason, retryable=retryable)
        self.code = code


class ChannelRefused(AddressRefused):
    """Slack refuses every post to one channel (``code``: ``not_in_channel``…)
    until someone acts in Slack: not the message's fault, and it does not end
    by itself. Held as a refused address (:class:`AddressRefused`): the
    channel's notifications wait, spending no attempt, the channel is tried
    now and then and ops are told at once what to do (``reason``); the other
    channels go on."""

    def __init__(self, code: str, reason: str | DeliveryReason) -> None:
        super().__init__(reason)
        self.code = code


def channel_refused(code: str, channel: str, bot: str, *, private: bool = False) -> ChannelRefused:
    """The hold of ``channel`` after a post refused with ``code`` (one of
    :data:`HELD_CHANNEL`), saying what to do; ``private``: the bot cannot join
    it by itself (``conversations.join`` refused), only an ``/invite`` can."""
    what = "slack_not_in_private_channel" if private else f"slack_{code}"
    return ChannelRefused(code, DeliveryReason.of(what, channel=channel, bot=bot))


#: The longest Slack's Retry-After is followed (seconds): its rate limits reset
#: within a minute; "1e20" or "inf" would overflow a datetime and stop the outbox.
RETRY_AFTER_MAX = 3600.0


def _retry_after(headers: Any) -> float:
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        seconds = float(value) if value else 1.0
    except ValueError:
        return 1.0
    return 1.0 if math.isnan(seconds) else min(max(1.0, seconds), RETRY_AFTER_MAX)


def slack_error(exc: SlackApiError, *, write: bool = False) -> DeliveryError:
    """Map a Slack API error to the outbox's vocabulary (``write``: see :data:`WRITES`;
    the table is in the module docstring)."""
    response = exc.response
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    error = str(data.get("error") or "")
    if status == 429 or error in RATE_LIMITED:
        slowed = str(status) if status == 429 else error
        return RateLimited(
            DeliveryReason.of("slack_rate_limited", what=slowed),
            retry_after=_retry_after(response.headers),
        )
    if status >= 500:
        what = DeliveryReason.of("slack_server_error", status=status)
        # A gateway may answer 5xx after Slack stored the message: check before
        # resending. Slack may also answer 5xx to one message only: ServerError.
        return ServerErrorMaybeSent(what) if write else ServerError(what)
    if error in MAYBE_DONE:
        what = DeliveryReason.of("slack_server_error", status=error)
        if write:
            return OutcomeUnknown(what)
        return SlackRefused(error, what, retryable=True)
    if error in AUTH_ERRORS:
        return TargetDisabled("slack", DeliveryReason.of("slack_token_refused", error=error))
    if error in TRANSIENT:
        return TargetUnreachable(DeliveryReason.of("slack_unavailable", error=error))
    if error == "missing_scope":
        needed = str(data.get("needed") or "")
        if needed:
            reason = DeliveryReason.of("slack_missing_scope", needed=needed)
        else:
            reason = DeliveryReason.of("slack_missing_scope_unnamed")
        if write:  # no channel can receive anything: keep every row waiting, tell ops
            return TargetDisabled("slack", reason)
        return SlackRefused(error, reason)
    return SlackRefused(error or str(status))


def refusal(exc: DeliveryError) -> str:
    """Slack's error code in a permanent error made by :func:`slack_error`, else ``""``."""
    return exc.code if isinstance(exc, SlackRefused) and not exc.retryable else ""
