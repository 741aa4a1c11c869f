"""``slack:#channel``: Block Kit messages through slack-sdk's ``WebClient``.

All item text is escaped for mrkdwn (``&``, ``<``, ``>``), so a title holding
``<!channel>`` pings nobody. Errors map to :class:`DeliveryError`: 429 carries
Retry-After, 5xx and network errors are retryable, any other ``ok: false`` is
permanent with Slack's reason. slack-sdk's own retry handlers stay off: the
outbox is the one place that retries.
"""

from __future__ import annotations

import socket
import urllib.error
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from watchtower.errors import DeliveryError
from watchtower.models import Notification
from watchtower.notify._text import (
    SEVERITY_EMOJI,
    label,
    published_text,
    severity_text,
    t,
    title_text,
)
from watchtower.notify.base import Limits, Message, Notifier, Receipt, truncate

METADATA_EVENT = "watchtower_notification"


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control sequences."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_url(url: str) -> str:
    """A URL safe inside ``<url|label>``."""
    return url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")


class SlackNotifier(Notifier):
    """Posts one message per notification with ``chat.postMessage``."""

    kind = "slack"
    limits = Limits(title_max=150, body_max=3000, per_second=1.0)

    def __init__(
        self,
        token: str,
        api_url: str = "https://slack.com/api/",
        timeout: float = 15.0,
        language: str = "fr",
        timezone: str = "Europe/Paris",
        default_channel: str = "#veille",
    ) -> None:
        self.client = WebClient(token=token, base_url=api_url, timeout=int(timeout))
        self.language = language
        self.timezone = timezone
        self.default_channel = default_channel

    @classmethod
    def validate_address(cls, address: str) -> None:
        if address and not (address[0] in "#@CGDU" and len(address) > 1):
            raise ValueError(f"a Slack channel looks like '#name' or 'C0123', got {address!r}")

    def render(self, notification: Notification, address: str) -> Message:
        n, lang = notification, self.language
        title = escape_mrkdwn(truncate(title_text(n, lang), self.limits.title_max))
        link = f"<{escape_url(n.url)}|{title}>" if n.url else title
        emoji = SEVERITY_EMOJI[n.severity]
        headline = f"{emoji} *{escape_mrkdwn(severity_text(n, lang))}* · {link}"
        details = " · ".join(
            f"*{label(lang, key).rstrip()}* {escape_mrkdwn(value)}"
            for key, value in (
                ("source", n.source),
                ("brands", ", ".join(n.brands)),
                ("terms", ", ".join(n.terms)),
            )
        )
        context = f"{t(lang, 'published')} {published_text(n, lang, self.timezone)}"
        if n.rules:
            context += f" · {label(lang, 'rule')}{escape_mrkdwn(', '.join(n.rules))}"
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate(headline, 3000)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": truncate(details, 3000)}},
        ]
        if n.excerpt:
            excerpt = escape_mrkdwn(truncate(n.excerpt, 500))
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f">{excerpt}"}})
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
        fallback = f"{emoji} {escape_mrkdwn(severity_text(n, lang))}: {title} {n.url}"
        return Message(
            address=address or self.default_channel,
            text=truncate(fallback, 3000),
            blocks=blocks,
            extra={"outbox_id": n.outbox_id},
        )

    def send(self, message: Message) -> Receipt:
        metadata = {
            "event_type": METADATA_EVENT,
            "event_payload": {"outbox_id": str(message.extra.get("outbox_id", ""))},
        }
        try:
            response = self.client.chat_postMessage(
                channel=message.address,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                unfurl_media=False,
                metadata=metadata,
            )
        except SlackApiError as exc:
            raise slack_delivery_error(exc) from None
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
            raise DeliveryError(f"cannot reach Slack ({exc})", retryable=True) from None
        except SlackClientError as exc:
            raise DeliveryError(f"Slack client error ({exc})", retryable=True) from None
        return Receipt(str(response.get("ts") or "") or None)


def slack_delivery_error(exc: SlackApiError) -> DeliveryError:
    """Map a Slack API error to a retryable or permanent :class:`DeliveryError`."""
    response = exc.response
    status = response.status_code
    error = ""
    if isinstance(response.data, dict):
        error = str(response.data.get("error") or "")
    if status == 429:
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
        seconds = float(retry_after) if retry_after and str(retry_after).isdigit() else 1.0
        return DeliveryError("Slack rate limit (429)", retryable=True, retry_after=seconds)
    if status >= 500:
        return DeliveryError(f"Slack server error ({status})", retryable=True)
    return DeliveryError(f"Slack refused the message: {error or status}", retryable=False)
