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
  ``chat.update`` the parent with the sighting counter; with ``counter_only``
  (a sighting beyond ``[dedup] max_thread_replies``), only the update.
- ``chart`` (a digest): upload the PNG in the message's thread.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from watchtower.errors import DeliveryError, RateLimited
from watchtower.logs import kv
from watchtower.models import Notification
from watchtower.notify import slack_render as r
from watchtower.notify._text import seen_on_text, t
from watchtower.notify.base import Limits, Message, Notifier, Receipt
from watchtower.notify.lookups import NOTIFIER_LOOKUPS, Lookups
from watchtower.notify.slack_ack import Acknowledgement
from watchtower.notify.slack_api import METADATA_EVENT, Posted, SlackApi
from watchtower.notify.slack_errors import TOO_BIG, SlackRefused, slack_error
from watchtower.notify.slack_render import escape_mrkdwn, escape_url

__all__ = ["METADATA_EVENT", "SlackNotifier", "escape_mrkdwn", "escape_url", "slack_delivery_error"]

log = logging.getLogger("watchtower.slack")


def _failed_request_to_debug(record: logging.LogRecord) -> bool:
    """slack-sdk logs at ERROR each request it could not send and each answer that
    is not JSON (a gateway's 503 page), then raises; the outbox reports the failure
    (once for a whole outage), so the sdk's line is DEBUG, and like any DEBUG line
    it shows only when DEBUG is on: the logger checked the level before the filter
    relabelled the record, so the filter checks it again."""
    message = record.getMessage()
    if record.levelno > logging.DEBUG and message.startswith(
        ("Failed to send a request", "Failed to decode Slack API response")
    ):
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
    return True


#: The logger slack-sdk's client writes to.
SDK_LOG = logging.getLogger("watchtower.slack.sdk")
SDK_LOG.addFilter(_failed_request_to_debug)

RECONCILE_MARGIN = 120.0  # seconds of history before the row was queued to search
UPDATE_WAIT_MAX = 30.0  # seconds a rate-limited chat.update of a story's parent is waited for
# A reply whose parent message is gone (deleted).
THREAD_GONE = frozenset({"thread_not_found", "message_not_found", "invalid_thread_ts"})


def slack_delivery_error(exc: SlackApiError) -> DeliveryError:
    """Map a Slack API error to a retryable or permanent :class:`DeliveryError`."""
    return slack_error(exc)


def channel_name(address: str) -> str:
    """``#Veille`` → ``#veille``: Slack channel names are lower case, and
    ``conversations.list`` (the id of a name, for reconciliation) says them so."""
    return address.lower() if address.startswith("#") else address


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
        lookups: Lookups = NOTIFIER_LOOKUPS,
    ) -> None:
        self.client = WebClient(
            token=token,
            base_url=api_url,
            timeout=int(max(1, timeout)),
            retry_handlers=[],
            logger=SDK_LOG,
        )
        # The API's name is looked up within ``timeout`` before each call.
        self.api = SlackApi(self.client, interval=channel_interval, lookups=lookups)
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
        # A spike's "taken by" reply and its calm-down name the alert message they answer.
        spike_thread = (n.extra.get("spike") or {}).get("thread") if kind == "spike" else None
        if spike_thread and spike_thread.get("target") not in (None, n.target):
            # A calm-down moved to another channel by a reload: that thread is not there.
            spike_thread = None
        thread: dict[str, Any] | None = n.extra.get("thread") or spike_thread
        if thread and kind == "spike":
            blocks, text = r.spike_blocks(n, lang, self.timezone)
        elif thread:
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
            extra["counter_only"] = bool(thread.get("counter_only"))
            # A calm-down is shown in the channel too: the end of a crisis is news
            # to those who never opened its thread.
            extra["broadcast"] = bool(spike_thread and spike_thread.get("broadcast"))
            # If the parent is gone, this sighting is posted as a message of its own.
            standalone, standalone_text = (
                (blocks, text) if spike_thread else r.item_blocks(n, lang, self.timezone)
            )
            extra["standalone"] = {"blocks": standalone, "text": standalone_text}
            # The parent, re-rendered with the new counter (chat.update needs it
            # whole); an edit or a repeat from the same source adds no source.
            sightings = int(thread.get("sightings") or 1)
            if sightings >= 2:
                # A parent sent as plain text (its blocks refused) has no blocks: its text.
                shown = thread.get("blocks") or [r.section(str(thread.get("text") or ""))]
                parent_blocks = [
                    *shown,
                    r.context("👀 " + seen_on_text(lang, sightings)),
                ]
                extra["parent"] = {
                    "blocks": r.fit(parent_blocks, "", language=lang)[0],
                    "text": str(thread.get("text") or ""),
                }
        if n.extra.get("chart"):
            extra["chart"] = n.extra["chart"]
            summary = n.extra.get("summary") or {}
            # A weekly digest's chart is its days (grouping.release_due says which).
            days = isinstance(summary, dict) and summary.get("chart") == "days"
            extra["chart_title"] = t(lang, "digest_days" if days else "chart_title")
        return Message(
            address=channel_name(address or self.default_channel),
            text=text,
            blocks=blocks,
            extra=extra,
        )

    # ------------------------------------------------------------------ send
    def send(self, message: Message) -> Receipt:
        extra = message.extra
        outbox_id = extra.get("outbox_id", "")
        thread: dict[str, Any] | None = extra.get("thread")
        # Posts may name the channel; reads and updates need the parent's channel id.
        channel = message.address
        # A thread whose channel is not known by id ("" : the default channel's copy)
        # is in the channel this message goes to.
        parent_channel = str(thread.get("channel") or channel) if thread else channel
        thread_ts = str(thread["ts"]) if thread else None
        if thread_ts and extra.get("counter_only"):
            return self._update_counter(parent_channel, thread_ts, message)
        if extra.get("verify") and self.reconcile:
            found = self._find(parent_channel, outbox_id, extra, thread_ts)
            if found is None and thread_ts:  # the parent was gone: posted in the channel?
                found = self._find(parent_channel, outbox_id, extra, None)
            if found is not None:
                log.info(
                    "message already in Slack: not sent again",
                    extra=kv(outbox_id=outbox_id, ts=found[1]),
                )
                return Receipt(found[1], {"channel": found[0], "ts": found[1], "reconciled": True})
        try:
            posted = self._post(message, thread_ts, broadcast=bool(extra.get("broadcast")))
        except SlackRefused as exc:
            if not (thread_ts and exc.code in THREAD_GONE):
                raise
            posted = None
        self._channel_ids[message.address] = posted.channel if posted else channel
        if thread_ts and (posted is None or posted.thread_ts != thread_ts):
            return self._without_parent(message, posted, thread_ts)
        assert posted is not None
        channel_id, ts = posted.channel, posted.ts
        raw: dict[str, Any] = {"channel": channel_id, "ts": ts}
        # From here the message is out: follow-ups are best effort, never a resend.
        if thread and extra.get("parent"):
            raw["parent_updated"] = self._update_parent(
                parent_channel, str(thread["ts"]), extra["parent"], message, outbox_id
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
        return Receipt(ts, raw)

    def _post(
        self, message: Message, thread_ts: str | None, *, top: bool = False, broadcast: bool = False
    ) -> Posted:
        """``chat.postMessage``; a message Slack finds too big goes again as plain text.

        ``top``: post the standalone rendering in the channel (the thread is gone).
        ``broadcast``: a reply in ``thread_ts`` also shown in the channel.
        """
        text, blocks = message.text, message.blocks
        if top:
            standalone = message.extra.get("standalone") or {}
            text = str(standalone.get("text") or text)
            blocks = standalone.get("blocks") or blocks
        outbox_id = message.extra.get("outbox_id", "")
        try:
            return self.api.post(
                message.address,
                text=text,
                blocks=blocks,
                outbox_id=outbox_id,
                thread_ts=thread_ts,
                reply_broadcast=broadcast,
            )
        except SlackRefused as exc:
            if exc.code not in TOO_BIG or not blocks:
                raise
            # Refused, so nothing was stored: the same content, as plain text, cut to
            # what Slack shows in full.
            log.warning(
                "Slack refused the blocks: sent as plain text",
                extra=kv(outbox_id=outbox_id, error=exc.code),
            )
            return self.api.post(
                message.address,
                text=r.plain_text(blocks, text),
                blocks=None,
                outbox_id=outbox_id,
                thread_ts=thread_ts,
                reply_broadcast=broadcast,
            )

    def _without_parent(self, message: Message, posted: Posted | None, thread_ts: str) -> Receipt:
        """The story's parent message is gone (deleted): this sighting stands on its own,
        as a full message in the channel, instead of a bare "also seen on…" line."""
        outbox_id = message.extra.get("outbox_id", "")
        standalone = message.extra.get("standalone") or {}
        if posted is None:  # Slack refused the reply: post the full message instead
            posted = self._post(message, None, top=True)
        elif standalone:  # Slack put the reply in the channel: make it the full message
            self._best_effort(
                "chat.update",
                lambda: self.api.update(
                    posted.channel,
                    posted.ts,
                    text=str(standalone.get("text") or message.text),
                    blocks=standalone.get("blocks"),
                ),
            )
        log.warning(
            "story thread gone from Slack: sent as a message of its own",
            extra=kv(outbox_id=outbox_id, thread_ts=thread_ts, ts=posted.ts),
        )
        raw = {"channel": posted.channel, "ts": posted.ts, "thread_lost": True}
        return Receipt(posted.ts, raw)

    def _update_counter(self, channel: str, ts: str, message: Message) -> Receipt:
        """Only ``chat.update`` the story's parent with its counter (nothing posted).

        Nothing was posted, so a retryable error is raised for the outbox to retry
        (or wait out a rate limit); a parent Slack refuses to update (deleted) is
        logged and left as it is.
        """
        parent = message.extra.get("parent")
        if not parent:
            return Receipt(None)
        outbox_id = message.extra.get("outbox_id", "")
        try:
            self.api.update(
                channel, ts, text=parent["text"] or message.text, blocks=parent["blocks"]
            )
        except DeliveryError as exc:
            if exc.retryable:
                raise
            log.warning(
                "the story's Slack message was not updated with its sighting count",
                extra=kv(outbox_id=outbox_id, channel=channel, ts=ts, error=exc.reason),
            )
            return Receipt(None)
        return Receipt(ts, {"channel": channel, "ts": ts, "counter_only": True})

    def _update_parent(
        self,
        channel: str,
        ts: str,
        parent: dict[str, Any],
        message: Message,
        outbox_id: Any,
    ) -> bool:
        """``chat.update`` the story's parent with the sighting counter; True if done.

        A rate limit is waited out once (the reply is already posted: the row is
        never retried for the counter); any other failure is logged with where
        the parent is, and the next sighting shows the right count.
        """
        for attempt in (1, 2):
            try:
                self.api.update(
                    channel,
                    ts,
                    text=parent["text"] or message.text,
                    blocks=parent["blocks"],
                )
                return True
            except DeliveryError as exc:
                wait = exc.retry_after or 0.0
                if attempt == 1 and isinstance(exc, RateLimited) and wait <= UPDATE_WAIT_MAX:
                    self.api.wait(wait)
                    continue
                log.warning(
                    "the story's Slack message was not updated with its sighting count",
                    extra=kv(outbox_id=outbox_id, channel=channel, ts=ts, error=exc.reason),
                )
                return False
        return False  # pragma: no cover

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
