"""The Slack Web API calls watchtower makes, with pacing and error mapping in one place.

- **Pacing**: at most one message per ``interval`` per channel (Slack allows about
  one per second, with short bursts); ``#name`` and the channel's id share one
  pace once the id is known. A 429 still maps to
  :class:`~watchtower.errors.RateLimited` carrying Retry-After.
- **Errors**: one table for every call, in :mod:`watchtower.notify.slack_errors`.
- **Unknown outcome**: when ``chat.postMessage`` fails in a way that may come
  *after* Slack stored the message (a timeout, a 5xx, the connection dropped
  once the request was sent), the error is an :class:`~watchtower.errors.OutcomeUnknown`
  (:class:`UnreachableMaybeSent` when Slack looks down) so the next attempt
  checks the history first. The same failures on read calls are not: nothing
  was written.
- **Reconciliation**: :meth:`SlackApi.find_posted` looks for a message by the
  outbox id carried in its ``metadata``, so a send whose outcome is unknown is
  not repeated.
- **Name lookups**: before each call, the API's host name is looked up within
  the client's timeout (:func:`watchtower.notify.lookups.precheck`): a name
  server that does not answer makes Slack unreachable for now instead of
  holding the drain for glibc's minutes. slack-sdk (urllib) then looks the name
  up again on its own: it offers no clean way to connect to a given address.
  A name that answered is not looked up first again for a minute
  (:mod:`watchtower.notify.lookup_cache`): one send makes several calls. A
  lookup that did not answer in time says so in the reader's language whole
  (``slack_lookup_failed``, the lookup's reason nested).
- **People's names**: who took an alert is named by ``users.info``
  (:mod:`watchtower.notify.slack_names`), for its e-mail readers; best effort.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from watchtower.errors import DeliveryError, DeliveryReason
from watchtower.notify.base import TargetUnreachable, UnreachableMaybeSent
from watchtower.notify.lookups import NOTIFIER_LOOKUPS, Lookups, precheck
from watchtower.notify.slack_ack import ACK_REACTIONS, Acknowledgement, is_ack_reply, reply_detail
from watchtower.notify.slack_errors import (
    CHANNEL_HINTS,
    HELD_CHANNEL,
    WRITES,
    SlackRefused,
    channel_refused,
    refusal,
    slack_error,
)
from watchtower.notify.slack_names import UserNames

METADATA_EVENT = "watchtower_notification"
DEFAULT_BOT_NAME = "watchtower"


def metadata_for(outbox_id: int | str) -> dict[str, Any]:
    """The message metadata that lets us find a message again by its outbox id."""
    return {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": str(outbox_id)}}


class Posted(NamedTuple):
    """Where a posted message is: its channel id, its ``ts``, its thread (if any)."""

    channel: str
    ts: str
    thread_ts: str | None


class SlackApi:
    """A thin, paced wrapper over slack-sdk's ``WebClient`` (its retry handlers stay off).

    ``lookups`` bounds the lookup of the API's host name by the client's timeout.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        interval: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        lookups: Lookups = NOTIFIER_LOOKUPS,
    ) -> None:
        self.client = client
        self.lookups = lookups
        self.interval = interval
        self._monotonic, self._sleep = monotonic, sleep
        self._last_post: dict[str, float] = {}
        self._ids: dict[str, str] = {}  # "#name" → "C…", learnt from posts
        self._lock = threading.Lock()
        self._bot_name: str | None = None
        # Who took an alert, named for its e-mail readers (users.info, cached).
        self.names = UserNames(self.call, monotonic=monotonic)

    # ------------------------------------------------------------ plumbing
    def call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        """Call ``method`` and return its JSON, raising :class:`DeliveryError` on failure."""
        write = method in WRITES

        def maybe_delivered(reason: DeliveryReason) -> TargetUnreachable:
            return UnreachableMaybeSent(reason) if write else TargetUnreachable(reason)

        self._check_host()  # nothing has left yet: a plain TargetUnreachable
        try:
            # slack-sdk's named methods pick the right verb and encoding per method.
            response = getattr(self.client, method.replace(".", "_"))(**kwargs)
        except SlackApiError as exc:
            raise slack_error(exc, write=write) from None
        except TimeoutError as exc:
            raise maybe_delivered(DeliveryReason.of("slack_timeout", detail=str(exc))) from None
        except urllib.error.URLError as exc:
            # urllib wraps only errors raised while connecting or sending.
            detail = str(exc.reason)
            if isinstance(exc.reason, socket.timeout | TimeoutError):
                raise maybe_delivered(DeliveryReason.of("slack_timeout", detail=detail)) from None
            raise TargetUnreachable(DeliveryReason.of("slack_unreachable", detail=detail)) from None
        except (ConnectionError, http.client.HTTPException) as exc:
            # Raised while reading the answer: the whole request had been sent.
            lost = DeliveryReason.of("slack_connection_lost", detail=str(exc))
            raise maybe_delivered(lost) from None
        except SlackClientError as exc:
            error = DeliveryReason.of("slack_client_error", detail=str(exc))
            raise DeliveryError(error, retryable=True) from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    def _check_host(self) -> None:
        """Raise :class:`TargetUnreachable` when the API's host name is not looked up
        within the client's timeout (an unknown name is left to slack-sdk)."""
        base_url, timeout = getattr(self.client, "base_url", None), self.client.timeout
        if not isinstance(base_url, str) or not isinstance(timeout, int | float):
            return  # not slack-sdk's client: nothing known to look up
        api = urlsplit(base_url)
        if not api.hostname:
            return
        port = api.port or (80 if api.scheme == "http" else 443)
        precheck(
            api.hostname,
            port,
            float(timeout),
            lookups=self.lookups,
            reason=lambda said: DeliveryReason.of("slack_lookup_failed", reason=said),
        )

    def pace(self, channel: str) -> None:
        """Wait until ``channel`` may receive another message (one per ``interval``).

        ``#veille`` and its id ``C…`` are one channel: paced together once a post
        has told us the id.
        """
        with self._lock:
            key = self._ids.get(channel, channel)
            now = self._monotonic()
            wait = self._last_post.get(key, -1e18) + self.interval - now
            if wait > 0:
                self._sleep(wait)
                now += wait
            self._last_post[key] = now

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` (a short Retry-After on a follow-up call)."""
        self._sleep(seconds)

    # ------------------------------------------------------------ messages
    def post(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None,
        outbox_id: int | str,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
    ) -> Posted:
        """Post a message; joins the channel once if needed.

        :attr:`Posted.thread_ts` is the thread Slack put the message in: ``None``
        for a reply whose parent is gone (Slack posts it in the channel).
        ``reply_broadcast``: a reply in ``thread_ts`` shown in the channel too.
        """
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
            if reply_broadcast:
                body["reply_broadcast"] = True
        for attempt in (1, 2):
            self.pace(channel)
            try:
                data = self.call("chat.postMessage", **body)
            except DeliveryError as exc:
                code = refusal(exc)
                if attempt == 1 and code == "not_in_channel":
                    self._join(channel)
                    continue
                if code in HELD_CHANNEL:  # until someone acts in Slack: the channel waits
                    raise channel_refused(code, channel, self.bot_name()) from None
                if code in CHANNEL_HINTS:
                    reason = DeliveryReason.of(
                        f"slack_{code}", channel=channel, bot=self.bot_name()
                    )
                    raise SlackRefused(code, reason) from None
                raise
            channel_id = str(data.get("channel") or channel)
            with self._lock:
                if self._ids.get(channel) != channel_id:  # paced by its id from now on
                    self._ids[channel] = channel_id
                    last = max(self._last_post.get(k, -1e18) for k in (channel, channel_id))
                    self._last_post[channel_id] = last
            message = data.get("message")
            landed = message.get("thread_ts") if isinstance(message, dict) else thread_ts
            return Posted(channel_id, str(data.get("ts") or ""), str(landed) if landed else None)
        raise AssertionError("unreachable")  # pragma: no cover

    def _join(self, channel: str) -> None:
        """Join ``channel`` before posting again; say how to fix it when the bot cannot."""
        try:
            self.call("conversations.join", channel=channel)
        except DeliveryError as exc:
            if exc.retryable:
                raise
            # Only a member can add the bot to a private channel: tell the operator how.
            bot, code = self.bot_name(), refusal(exc)
            if code == "method_not_supported_for_channel_type":
                # Held, not failed: it delivers once someone types /invite.
                raise channel_refused("not_in_channel", channel, bot, private=True) from None
            if code in HELD_CHANNEL:
                raise channel_refused(code, channel, bot) from None
            else:
                reason = DeliveryReason.of("slack_cannot_join", channel=channel, code=code, bot=bot)
            raise DeliveryError(reason, retryable=False) from None

    def bot_name(self) -> str:
        """The bot's user name (``auth.test``), or ``watchtower`` if Slack does not say."""
        if self._bot_name is None:
            try:
                name = str(self.call("auth.test").get("user") or "")
            except DeliveryError:
                return DEFAULT_BOT_NAME  # not cached: a later error may get the real name
            self._bot_name = name or DEFAULT_BOT_NAME
        return self._bot_name

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
        with self._lock:
            known = self._ids.get(channel) or self._ids.get(channel.lower())
        if known:
            return known
        name = channel[1:].lower()  # Slack channel names are lower case
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
                if str(entry.get("name") or "").lower() == name:
                    return str(entry["id"])
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        return channel

    def upload_png(
        self, channel_id: str, data: bytes, *, filename: str, title: str, thread_ts: str | None
    ) -> None:
        """Upload a PNG with files upload v2 (``getUploadURLExternal`` + ``complete…``).

        The API's host name is looked up first, as for :meth:`call`; the upload
        URL Slack gives (another host) is looked up by slack-sdk alone.
        """
        self._check_host()
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
            failed = DeliveryReason.of("slack_upload_failed", detail=str(exc))
            raise DeliveryError(failed, retryable=True) from None

    def permalink(self, channel: str, ts: str) -> str:
        """The ``https://…/archives/C…/p…`` link to a message (``chat.getPermalink``).

        No scope is needed; Slack still refuses an unknown channel or message.
        """
        data = self.call("chat.getPermalink", channel=channel, message_ts=ts)
        link = str(data.get("permalink") or "")
        if not link.startswith("https://"):
            raise DeliveryError(f"Slack gave no permalink ({link or 'empty'})", retryable=False)
        return link

    # ---------------------------------------------------------------- acks
    def acknowledged(
        self, channel: str, ts: str, *, bot_user: str | None = None
    ) -> Acknowledgement | None:
        """Who put ✅ on the message or took charge in its thread, if anyone did,
        with their name as Slack shows it when Slack tells it (``users.info``:
        :class:`~watchtower.notify.slack_names.UserNames`; else ``name`` is "").

        What a reply must say to count is in :mod:`~watchtower.notify.slack_ack`.
        """
        ack = self._ack(channel, ts, bot_user)
        if ack is None or not ack.user:
            return ack
        return replace(ack, name=self.names.name(ack.user))

    def _ack(self, channel: str, ts: str, bot_user: str | None) -> Acknowledgement | None:
        data = self.call("reactions.get", channel=channel, timestamp=ts, full=True)
        for reaction in (data.get("message") or {}).get("reactions") or []:
            name = str(reaction.get("name") or "")
            if name in ACK_REACTIONS:
                users = reaction.get("users") or [""]
                return Acknowledgement(str(users[0]), "reaction", name)
        replies = self.call("conversations.replies", channel=channel, ts=ts, limit=200)
        for message in replies.get("messages") or []:
            if message.get("ts") == ts or message.get("bot_id") or message.get("user") == bot_user:
                continue
            text = str(message.get("text") or "")
            if is_ack_reply(text):
                return Acknowledgement(
                    str(message.get("user") or ""),
                    "reply",
                    reply_detail(text),
                    str(message.get("ts") or ""),
                )
        return None
