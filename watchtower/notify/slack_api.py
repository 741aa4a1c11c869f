"""The Slack Web API calls watchtower makes, with pacing and error mapping in one place.

- **Pacing**: at most one message per ``interval`` per channel (Slack allows about
  one per second); a 429 still maps to a retryable error carrying Retry-After.
- **Errors**: ``not_in_channel`` → ``conversations.join`` once, then one more try;
  ``invalid_auth`` / ``token_revoked`` / ``account_inactive`` →
  :class:`~watchtower.errors.TargetDisabled`; a timeout →
  :class:`~watchtower.errors.OutcomeUnknown`; any other ``ok: false`` is permanent
  with Slack's reason.
- **Reconciliation**: :meth:`SlackApi.find_posted` looks for a message by the
  outbox id carried in its ``metadata``, so a send whose outcome is unknown is
  not repeated.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.error
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from watchtower.errors import DeliveryError, OutcomeUnknown, TargetDisabled

METADATA_EVENT = "watchtower_notification"
AUTH_ERRORS = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed"})
ACK_REACTIONS = frozenset({"white_check_mark", "heavy_check_mark", "ballot_box_with_check"})
_ACK_WORD = re.compile(r"(?i)(?<![\w])(ack|acquitt[ée]|pris en charge|je prends)(?![\w])")


def metadata_for(outbox_id: int | str) -> dict[str, Any]:
    """The message metadata that lets us find a message again by its outbox id."""
    return {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": str(outbox_id)}}


def slack_error(exc: SlackApiError) -> DeliveryError:
    """Map a Slack API error to the outbox's vocabulary."""
    response = exc.response
    status = response.status_code
    error = ""
    if isinstance(response.data, dict):
        error = str(response.data.get("error") or "")
    if status == 429:
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
        try:
            seconds = max(1.0, float(retry_after)) if retry_after else 1.0
        except ValueError:
            seconds = 1.0
        return DeliveryError("Slack rate limit (429)", retryable=True, retry_after=seconds)
    if status >= 500:
        return DeliveryError(f"Slack server error ({status})", retryable=True)
    if error in AUTH_ERRORS:
        return TargetDisabled("slack", f"Slack refused the bot token: {error}")
    return DeliveryError(f"Slack refused the message: {error or status}", retryable=False)


class SlackApi:
    """A thin, paced wrapper over slack-sdk's ``WebClient`` (its retry handlers stay off)."""

    def __init__(
        self,
        client: WebClient,
        *,
        interval: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.interval = interval
        self._monotonic, self._sleep = monotonic, sleep
        self._last_post: dict[str, float] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ plumbing
    def call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """Call ``method`` and return its JSON, raising :class:`DeliveryError` on failure."""
        try:
            # slack-sdk's named methods pick the right verb and encoding per method.
            response = getattr(self.client, method.replace(".", "_"))(**kwargs)
        except SlackApiError as exc:
            raise slack_error(exc) from None
        except TimeoutError as exc:
            raise OutcomeUnknown(f"Slack did not answer in time ({exc})") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, socket.timeout | TimeoutError):
                raise OutcomeUnknown(f"Slack did not answer in time ({exc.reason})") from None
            raise DeliveryError(f"cannot reach Slack ({exc.reason})", retryable=True) from None
        except ConnectionError as exc:
            # The request may have been written before the connection broke.
            raise OutcomeUnknown(f"connection to Slack lost ({exc})") from None
        except SlackClientError as exc:
            raise DeliveryError(f"Slack client error ({exc})", retryable=True) from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    def pace(self, channel: str) -> None:
        """Wait until ``channel`` may receive another message (one per ``interval``)."""
        with self._lock:
            now = self._monotonic()
            wait = self._last_post.get(channel, -1e18) + self.interval - now
            if wait > 0:
                self._sleep(wait)
                now += wait
            self._last_post[channel] = now

    # ------------------------------------------------------------ messages
    def post(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None,
        outbox_id: int | str,
        thread_ts: str | None = None,
    ) -> tuple[str, str]:
        """Post a message; return ``(channel_id, ts)``. Joins the channel once if needed."""
        body: dict[str, Any] = {
            "channel": channel,
            "text": text,
            "unfurl_links": False,
            "unfurl_media": False,
            "metadata": metadata_for(outbox_id),
        }
        if blocks is not None:
            body["blocks"] = blocks
        if thread_ts:
            body["thread_ts"] = thread_ts
        for attempt in (1, 2):
            self.pace(channel)
            try:
                data = self.call("chat.postMessage", **body)
            except DeliveryError as exc:
                if attempt == 1 and exc.reason.endswith(": not_in_channel"):
                    self.call("conversations.join", channel=channel)
                    continue
                raise
            return str(data.get("channel") or channel), str(data.get("ts") or "")
        raise AssertionError("unreachable")  # pragma: no cover

    def update(
        self, channel: str, ts: str, *, text: str, blocks: list[dict[str, Any]] | None
    ) -> None:
        body: dict[str, Any] = {"channel": channel, "ts": ts, "text": text}
        if blocks is not None:
            body["blocks"] = blocks
        self.call("chat.update", **body)

    def find_posted(
        self, channel: str, outbox_id: int | str, *, oldest: float, thread_ts: str | None = None
    ) -> tuple[str, str] | None:
        """``(channel_id, ts)`` of a message we posted for ``outbox_id`` since ``oldest``."""
        wanted = str(outbox_id)
        channel = self.channel_id(channel)
        if channel.startswith("#"):  # no such channel visible to us: nothing was posted there
            return None
        cursor: str | None = None
        for _ in range(20):  # 20 pages of 200: far more than one lease's worth of posts
            args: dict[str, Any] = {
                "channel": channel,
                "oldest": f"{oldest:.6f}",
                "limit": 200,
                "include_all_metadata": True,
            }
            if cursor:
                args["cursor"] = cursor
            if thread_ts:
                data = self.call("conversations.replies", ts=thread_ts, **args)
            else:
                data = self.call("conversations.history", **args)
            for message in data.get("messages") or []:
                meta = message.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == METADATA_EVENT and payload.get("outbox_id") == wanted:
                    return str(data.get("channel") or message.get("channel") or channel), str(
                        message.get("ts")
                    )
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not data.get("has_more") or not cursor:
                return None
        return None

    def channel_id(self, channel: str) -> str:
        """The id of ``#name`` (read calls need ids); ids and ``@user`` pass through."""
        if not channel.startswith("#"):
            return channel
        name = channel[1:]
        cursor: str | None = None
        for _ in range(50):
            args: dict[str, Any] = {
                "types": "public_channel,private_channel",
                "exclude_archived": True,
                "limit": 1000,
            }
            if cursor:
                args["cursor"] = cursor
            data = self.call("conversations.list", **args)
            for entry in data.get("channels") or []:
                if entry.get("name") == name:
                    return str(entry["id"])
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return channel

    def upload_png(
        self, channel_id: str, data: bytes, *, filename: str, title: str, thread_ts: str | None
    ) -> None:
        """Upload a PNG with files upload v2 (``getUploadURLExternal`` + ``complete…``)."""
        try:
            self.client.files_upload_v2(
                channel=channel_id,
                content=data,
                filename=filename,
                title=title,
                thread_ts=thread_ts,
                request_file_info=False,
            )
        except SlackApiError as exc:
            raise slack_error(exc) from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(f"Slack file upload failed ({exc})", retryable=True) from None

    # ---------------------------------------------------------------- acks
    def acknowledged(self, channel: str, ts: str, *, bot_user: str | None = None) -> bool:
        """Whether someone put ✅ on the message or replied "ack" in its thread."""
        data = self.call("reactions.get", channel=channel, timestamp=ts, full=True)
        for reaction in (data.get("message") or {}).get("reactions") or []:
            if reaction.get("name") in ACK_REACTIONS:
                return True
        replies = self.call("conversations.replies", channel=channel, ts=ts, limit=200)
        for message in replies.get("messages") or []:
            if message.get("ts") == ts or message.get("bot_id") or message.get("user") == bot_user:
                continue
            if _ACK_WORD.search(str(message.get("text") or "")):
                return True
        return False
