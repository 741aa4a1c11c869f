"""``slack:#channel``: Block Kit messages through slack-sdk's ``WebClient``.

All item text is escaped for mrkdwn (``&``, ``<``, ``>``), so a title holding
``<!channel>`` pings nobody, and every message is cut to Slack's limits in
:mod:`~watchtower.notify.slack_render`. I/O, pacing and error mapping live in
:mod:`~watchtower.notify.slack_api`; slack-sdk's own retry handlers are off:
the outbox is the one place that retries.

What a send does, by the notification's ``extra``:

- ``verify`` (the previous attempt may have reached Slack): look for the
  message by its outbox id in the channel's history (or the thread) first.
- ``thread`` (a later sighting of a story): reply in the parent's thread, then
  ``chat.update`` the parent with the sighting counter.
- ``chart`` (a digest): upload the PNG in the message's thread.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from watchtower.errors import DeliveryError
from watchtower.logs import kv
from watchtower.models import Notification
from watchtower.notify import slack_render as r
from watchtower.notify._text import t
from watchtower.notify.base import Limits, Message, Notifier, Receipt
from watchtower.notify.slack_ack import Acknowledgement
from watchtower.notify.slack_api import METADATA_EVENT, SlackApi, slack_error
from watchtower.notify.slack_render import escape_mrkdwn, escape_url

__all__ = ["METADATA_EVENT", "SlackNotifier", "escape_mrkdwn", "escape_url", "slack_delivery_error"]

log = logging.getLogger("watchtower.slack")

RECONCILE_MARGIN = 120.0  # seconds of history before the row was queued to search


def slack_delivery_error(exc: SlackApiError) -> DeliveryError:
    """Map a Slack API error to a retryable or permanent :class:`DeliveryError`."""
    return slack_error(exc)


class SlackNotifier(Notifier):
    """Posts Block Kit messages with ``chat.postMessage``."""

    kind = "slack"
    limits = Limits(title_max=r.HEADER_MAX, body_max=r.BLOCK_TEXT_MAX, per_second=1.0)

    def __init__(
        self,
        token: str,
        api_url: str = "https://slack.com/api/",
        timeout: float = 15.0,
        language: str = "fr",
        timezone: str = "Europe/Paris",
        default_channel: str = "#veille",
        *,
        channel_interval: float = 1.0,
        reconcile: bool = True,
    ) -> None:
        self.client = WebClient(
            token=token, base_url=api_url, timeout=int(max(1, timeout)), retry_handlers=[]
        )
        self.api = SlackApi(self.client, interval=channel_interval)
        self.language = language
        self.timezone = timezone
        self.default_channel = default_channel
        self.reconcile = reconcile
        self._channel_ids: dict[str, str] = {}

    @classmethod
    def validate_address(cls, address: str) -> None:
        if address and not (address[0] in "#@CGDU" and len(address) > 1):
            raise ValueError(f"a Slack channel looks like '#name' or 'C0123', got {address!r}")

    # ---------------------------------------------------------------- render
    def render(self, notification: Notification, address: str) -> Message:
        n, lang = notification, self.language
        kind = n.extra.get("kind") or "item"
        thread: dict[str, Any] | None = n.extra.get("thread")
        if thread:
            blocks, text = r.reply_blocks(n, lang)
        elif kind == "summary":
            blocks, text = r.summary_blocks(n, lang)
        elif kind == "spike":
            blocks, text = r.spike_blocks(n, lang, self.timezone)
        else:
            blocks, text = r.item_blocks(n, lang, self.timezone)
        extra: dict[str, Any] = {
            "outbox_id": n.outbox_id,
            "verify": bool(n.extra.get("verify")),
            "created_at": float(n.extra.get("created_at") or 0.0),
        }
        if thread:
            extra["thread"] = thread
            # The parent, re-rendered with the new counter (chat.update needs it
            # whole); an edit or a repeat from the same source adds no source.
            sightings = int(thread.get("sightings") or 1)
            if sightings >= 2:
                parent_blocks = [
                    *thread.get("blocks", []),
                    r.context("👀 " + t(lang, "seen_on").format(count=sightings)),
                ]
                extra["parent"] = {
                    "blocks": r.fit(parent_blocks, "", language=lang)[0],
                    "text": str(thread.get("text") or ""),
                }
        if n.extra.get("chart"):
            extra["chart"] = n.extra["chart"]
            extra["chart_title"] = t(lang, "chart_title")
        return Message(
            address=address or self.default_channel, text=text, blocks=blocks, extra=extra
        )

    # ------------------------------------------------------------------ send
    def send(self, message: Message) -> Receipt:
        extra = message.extra
        outbox_id = extra.get("outbox_id", "")
        thread: dict[str, Any] | None = extra.get("thread")
        # Posts may name the channel; reads and updates need the parent's channel id.
        channel = message.address
        parent_channel = str(thread["channel"]) if thread else channel
        thread_ts = str(thread["ts"]) if thread else None
        if extra.get("verify") and self.reconcile:
            found = self._find(parent_channel, outbox_id, extra, thread_ts)
            if found is not None:
                log.info(
                    "message already in Slack: not sent again",
                    extra=kv(outbox_id=outbox_id, ts=found[1]),
                )
                return Receipt(found[1], {"channel": found[0], "ts": found[1], "reconciled": True})
        channel_id, ts = self.api.post(
            channel,
            text=message.text,
            blocks=message.blocks,
            outbox_id=outbox_id,
            thread_ts=thread_ts,
        )
        self._channel_ids[message.address] = channel_id
        # From here the message is out: follow-ups are best effort, never a resend.
        if thread and extra.get("parent"):
            self._best_effort(
                "chat.update",
                lambda: self.api.update(
                    parent_channel,
                    str(thread["ts"]),
                    text=extra["parent"]["text"] or message.text,
                    blocks=extra["parent"]["blocks"],
                ),
            )
        if extra.get("chart"):
            png = base64.b64decode(extra["chart"])
            self._best_effort(
                "files upload",
                lambda: self.api.upload_png(
                    channel_id,
                    png,
                    filename="mentions.png",
                    title=extra["chart_title"],
                    thread_ts=ts,
                ),
            )
        return Receipt(ts, {"channel": channel_id, "ts": ts})

    def _find(
        self, channel: str, outbox_id: Any, extra: dict[str, Any], thread_ts: str | None
    ) -> tuple[str, str] | None:
        oldest = max(0.0, float(extra.get("created_at") or 0.0) - RECONCILE_MARGIN)
        channel = self._channel_ids.get(channel, channel)
        try:
            return self.api.find_posted(channel, outbox_id, oldest=oldest, thread_ts=thread_ts)
        except DeliveryError as exc:
            if exc.retryable:
                raise
            # Cannot read history (missing scope?): deliver at least once rather than never.
            log.warning(
                "cannot check Slack history before resending",
                extra=kv(outbox_id=outbox_id, error=exc.reason),
            )
            return None

    def _best_effort(self, what: str, action: Any) -> None:
        try:
            action()
        except DeliveryError as exc:
            log.warning("Slack follow-up failed", extra=kv(step=what, error=exc.reason))

    def acknowledged(self, channel: str, ts: str) -> Acknowledgement | None:
        """Who took charge of the message (✅ reaction or an "ack" reply), if anyone.

        ``channel`` is an id or a ``#name`` (read calls need the id: looked up).
        The result is truthy exactly when someone did, so callers may test it as a bool.
        """
        ack = self.api.acknowledged(self._channel_id(channel), ts)
        if ack is not None:
            # Who and how: the spikes job logs it at INFO with the alert it cancels.
            log.debug(
                "Slack alert acknowledged",
                extra=kv(channel=channel, ts=ts, user=ack.user, via=ack.via, detail=ack.detail),
            )
        return ack

    def permalink(self, channel: str, ts: str) -> str:
        """The link to a message we posted (``chat.getPermalink``); raises DeliveryError."""
        return self.api.permalink(self._channel_id(channel), ts)

    def _channel_id(self, channel: str) -> str:
        if channel.startswith("#"):
            known = self._channel_ids.get(channel)
            if known is None:
                known = self.api.channel_id(channel)
                if not known.startswith("#"):
                    self._channel_ids[channel] = known
            return known
        return channel

    def close(self) -> None:
        pass
