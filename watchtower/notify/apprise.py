"""``apprise:URL``: Microsoft Teams, Discord, Telegram, Matrix, SMS… through Apprise.

``notify = ["apprise:msteams://…", "apprise:tgram://BOT_TOKEN/CHAT_ID"]``.

Apprise's ``notify()`` returns only a boolean, which cannot drive an outbox, so
a ``False`` becomes a *retryable* :class:`DeliveryError`: the outbox retries it
with backoff up to ``max_delivery_attempts`` and then records it as failed. When
what Apprise logged says the service is down (a connection error, a timeout, an
HTTP 5xx), it is a :class:`~watchtower.notify.base.TargetUnreachable` instead:
this target's notifications wait, no attempt spent, until it answers. The
reason is taken from what Apprise logged during that one send (captured, not
propagated) with the URL's secret parts cut out: Apprise URLs embed tokens, so
the URL itself never appears in a reason, a log line, a metric label or
``watchtower status`` (see :mod:`watchtower.redact`).

Text is sent as plain text: Apprise escapes it for HTML and Markdown targets
itself. Control characters (C0, DEL, C1) and bidi controls are removed
(:mod:`watchtower.sanitise`) and mass mentions (``@everyone``,
``@here``, ``@channel``, ``<!channel>``) are defused, so a feed cannot ping a
whole team.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any
from urllib.parse import urlsplit

import apprise

from watchtower.errors import DeliveryError
from watchtower.models import Notification, Severity
from watchtower.notify.base import Limits, Message, Notifier, Receipt, TargetUnreachable, truncate
from watchtower.notify.plain import plain_text
from watchtower.redact import redact_target
from watchtower.sanitise import printable

__all__ = ["AppriseNotifier", "scrub"]

# Apprise's own log lines are captured per send and reported, scrubbed, as the
# failure reason; left to propagate they would print unscrubbed.
logging.getLogger("apprise").propagate = False

_NOTIFY_TYPE = {
    Severity.info: apprise.NotifyType.INFO,
    Severity.warning: apprise.NotifyType.WARNING,
    Severity.critical: apprise.NotifyType.FAILURE,
}
_MASS_MENTION = re.compile(
    r"(@)(everyone|here|channel)\b|<!(channel|here|everyone)>", re.IGNORECASE
)
# What Apprise's plugins log when the service, not the message, is the problem:
# "A Connection error occurred sending …", a timeout, "…error=503.".
_SERVICE_DOWN = re.compile(
    r"connection error|timed out|timeout|\berror=5\d\d\b|\b5\d\d - ", re.IGNORECASE
)
_SECRET_PART = re.compile(r"[^/:@?&=#+,]{4,}")


def _defuse(text: str) -> str:
    """``@everyone`` → ``@\u200beveryone``: still readable, pings nobody."""
    return _MASS_MENTION.sub(
        lambda m: f"@\u200b{m.group(2)}" if m.group(1) else f"<\u200b!{m.group(3)}>",
        printable(text, keep="\n"),
    )


def scrub(text: str, address: str) -> str:
    """Remove from ``text`` every part of ``address`` that could be a secret."""
    safe_parts = set(_SECRET_PART.findall(redact_target("apprise:" + address)))
    scheme = urlsplit(address).scheme
    for part in sorted(set(_SECRET_PART.findall(address)), key=len, reverse=True):
        if part not in safe_parts and part != scheme:
            text = text.replace(part, "****")
    return text.replace(address, redact_target("apprise:" + address))


class AppriseNotifier(Notifier):
    """Sends one message per notification to an Apprise URL."""

    kind = "apprise"
    limits = Limits(title_max=250, body_max=4000)

    def __init__(self, language: str = "fr", timezone: str = "Europe/Paris") -> None:
        self.language = language
        self.timezone = timezone
        self._lock = threading.Lock()  # the log capture is per process, not per thread
        self._plugins: dict[str, Any] = {}

    @classmethod
    def validate_address(cls, address: str) -> None:
        # Messages name the scheme only: the rest of the URL may be a token.
        scheme = address.split("://", 1)[0] if "://" in address else ""
        if not scheme:
            raise ValueError(
                "an Apprise target looks like 'apprise:SCHEME://…' "
                "(e.g. 'apprise:msteams://…'); see the Apprise documentation"
            )
        if not apprise.Apprise.instantiate(address, suppress_exceptions=True):
            raise ValueError(
                f"Apprise cannot use this {scheme}:// URL (unknown service or "
                "missing parts); check it with the Apprise documentation"
            )

    def _plugin(self, address: str) -> Any:
        plugin = self._plugins.get(address)
        if plugin is None:
            plugin = apprise.Apprise.instantiate(address, suppress_exceptions=True)
            if not plugin:
                raise DeliveryError(
                    "Apprise cannot use this URL (unknown service or missing parts)",
                    retryable=False,
                )
            self._plugins[address] = plugin
        return plugin

    def render(self, notification: Notification, address: str) -> Message:
        n, lang = notification, self.language
        plugin = self._plugin(address)
        title_max = min(self.limits.title_max, int(getattr(plugin, "title_maxlen", 250) or 250))
        body_max = min(self.limits.body_max, int(getattr(plugin, "body_maxlen", 4000) or 4000))
        # Never a story's later sighting: those go only to targets with threads.
        plain = plain_text(n, lang, self.timezone)
        title = truncate(plain.title, title_max)
        body = truncate(plain.body, body_max)
        return Message(
            address=address,
            subject=_defuse(title),
            text=_defuse(body),
            extra={"notify_type": _NOTIFY_TYPE[n.severity]},
        )

    def send(self, message: Message) -> Receipt:
        plugin = self._plugin(message.address)
        sender = apprise.Apprise()
        sender.add(plugin)
        with self._lock, apprise.LogCapture(level=logging.INFO) as captured:  # type: ignore[no-untyped-call]
            try:
                ok = sender.notify(
                    body=message.text,
                    title=message.subject,
                    notify_type=message.extra.get("notify_type", apprise.NotifyType.INFO),
                    body_format=apprise.NotifyFormat.TEXT,
                )
            except Exception as exc:  # a plugin bug: worth another try later
                raise DeliveryError(
                    scrub(f"Apprise failed: {type(exc).__name__}: {exc}", message.address),
                    retryable=True,
                ) from None
            log_text = captured.getvalue()
        if ok:
            return Receipt(None)
        problems = [
            line.split(" - ", 2)[-1]
            for line in log_text.splitlines()
            if " - WARNING - " in line or " - ERROR - " in line
        ]
        detail = problems[-1] if problems else "the service did not accept the message"
        scheme = message.address.split("://", 1)[0]
        reason = scrub(f"Apprise {scheme}: {detail}", message.address)
        if any(_SERVICE_DOWN.search(line) for line in problems):
            raise TargetUnreachable(reason)
        raise DeliveryError(reason, retryable=True)
