"""``apprise:URL``: Microsoft Teams, Discord, Telegram, Matrix, SMS… through Apprise.

``notify = ["apprise:workflows://…", "apprise:tgram://BOT_TOKEN/CHAT_ID"]`` (Teams: a
workflow's webhook URL; Apprise no longer knows ``msteams://``).

What a failed send means for the outbox (retried, waiting for the service,
refused) is read from what Apprise logged: :mod:`watchtower.notify.apprise_errors`.
A service whose name is not looked up within the URL's connect timeout (``cto=``,
4 s by default: a dead name server) is a :class:`TargetUnreachable` naming
its host (:mod:`watchtower.notify.apprise_host`); Apprise looks it up again
on its own once it answers.

Text goes as plain text to services that take it (Telegram, ntfy…: Apprise
escapes it for their HTML). Services that only take Markdown (Teams through
``workflows://``, Google Chat), and those that show plain text as Markdown
(Discord, Mattermost, Rocket.Chat, Zulip, Nextcloud Talk…), get text that
formats nothing and links nowhere but where watchtower links; on Teams each
line is its own paragraph (a single line break is not one there). A URL asking
for Markdown (``discord://…?format=markdown``, ``tgram://…?format=markdown``)
gets that text as Markdown too: given plain text, Apprise would put a backslash
before every ``[``, ``_``, ``.`` and ``-``, which the reader would see. Mentions
from a feed ping nobody: :mod:`watchtower.notify.apprise_markdown`.

Services that ring louder for urgent messages get the alert's severity as
their priority, unless the URL sets ``priority=`` itself (:data:`PRIORITY`):
ntfy ``max`` (5, through Do Not Disturb) for a critical alert and ``high``
(4) for a warning; Pushover ``high`` (1, through quiet hours) for a critical
alert. Info keeps the service's default.

Each message fits the service's own limits (Apprise's ``title_maxlen`` and
``body_maxlen``; a service without a title field, such as Telegram or Google
Chat, or one that counts it in the body, such as Discord, gets the title's
room taken from the body). A cut falls between lines, never in a link (a
mention keeps its link, the last line), and says what it left out:
:mod:`watchtower.notify.apprise_fit`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import apprise

from watchtower.errors import DeliveryError, DeliveryReason
from watchtower.models import Notification, Severity
from watchtower.notify._text import http_url
from watchtower.notify.apprise_errors import RATE_LIMIT_WAIT, failure, scrub
from watchtower.notify.apprise_fit import fit_lines, left_out_line
from watchtower.notify.apprise_host import connect_timeout, service_host
from watchtower.notify.apprise_markdown import (
    _RENDERS_MARKDOWN,
    LINK_LABEL_CHARS,
    _defuse,
    _markdown_line,
    _markdown_only,
    _schemes,
    _sends_markdown,
)
from watchtower.notify.base import Limits, Message, Notifier, Receipt, truncate
from watchtower.notify.lookups import NOTIFIER_LOOKUPS, Lookups, precheck
from watchtower.notify.plain import plain_text

# Re-exported: tests and callers import them from here.
__all__ = [
    "LINK_LABEL_CHARS",
    "PRIORITY",
    "RATE_LIMIT_WAIT",
    "AppriseNotifier",
    "fit_lines",
    "scrub",
]

# Apprise's own log lines are captured per send and reported, scrubbed, as the
# failure reason; left to propagate they would print unscrubbed.
logging.getLogger("apprise").propagate = False

_NOTIFY_TYPE = {
    Severity.info: apprise.NotifyType.INFO,
    Severity.warning: apprise.NotifyType.WARNING,
    Severity.critical: apprise.NotifyType.FAILURE,
}
# Schemes Apprise no longer knows, with what to use instead.
_RETIRED = {
    "msteams": "Apprise no longer supports msteams:// URLs: Microsoft retired the "
    "Office 365 connectors (incoming webhooks) they used. In Teams, add the "
    "workflow 'Post to a channel when a webhook request is received' to the "
    "channel and use its URL: 'apprise:https://…logic.azure.com…/invoke?…' as "
    "Teams gives it, or 'apprise:workflows://…' (see the README)",
}
#: The ``priority=`` an alert of each severity gets, by the service's URL scheme
#: (Apprise's own values); a severity not listed keeps the service's default.
PRIORITY: dict[str, dict[Severity, str]] = {
    "ntfy": {Severity.critical: "max", Severity.warning: "high"},
    "pover": {Severity.critical: "high"},  # "emergency" would repeat until acknowledged
}


class AppriseNotifier(Notifier):
    """Sends one message per notification to an Apprise URL."""

    kind = "apprise"
    limits = Limits(title_max=250, body_max=4000)

    def __init__(
        self,
        language: str = "fr",
        timezone: str = "Europe/Paris",
        *,
        lookups: Lookups = NOTIFIER_LOOKUPS,
    ) -> None:
        self.language = language
        self.timezone = timezone
        self.lookups = lookups  # the service's name, looked up within its connect timeout
        self._lock = threading.Lock()  # the log capture is per process, not per thread
        self._plugins: dict[str, Any] = {}

    @classmethod
    def validate_address(cls, address: str) -> None:
        # Messages name the scheme only: the rest of the URL may be a token.
        scheme = address.split("://", 1)[0] if "://" in address else ""
        if not scheme:
            raise ValueError(
                "an Apprise target looks like 'apprise:SCHEME://…' "
                "(e.g. 'apprise:tgram://…'); see the Apprise documentation"
            )
        if not apprise.Apprise.instantiate(address, suppress_exceptions=True):
            if scheme.lower() in _RETIRED:
                raise ValueError(_RETIRED[scheme.lower()])
            raise ValueError(
                f"Apprise cannot use this {scheme}:// URL (unknown service or "
                "missing parts); check it with the Apprise documentation"
            )

    def _plugin(self, address: str) -> Any:
        plugin = self._plugins.get(address)
        if plugin is None:
            plugin = apprise.Apprise.instantiate(address, suppress_exceptions=True)
            if not plugin:
                raise DeliveryError(DeliveryReason.of("apprise_unusable"), retryable=False)
            self._plugins[address] = plugin
        return plugin

    def render(self, notification: Notification, address: str) -> Message:
        n, lang = notification, self.language
        plugin = self._plugin(address)
        # Markdown we write, never plain text Apprise would escape with backslashes.
        markdown = _sends_markdown(plugin)
        # Discord, Mattermost, Zulip… take plain text, then show it as Markdown.
        neutral = markdown or bool(_RENDERS_MARKDOWN & set(_schemes(plugin)))
        # Teams' and Google Chat's link lines become "[url](url)"; Discord or
        # Telegram asked for Markdown (format=markdown) link a bare address.
        whole_link = markdown and _markdown_only(plugin)
        # Teams (workflows://) joins lines that a single line break separates.
        sep = "\n\n" if markdown and "workflow" in _schemes(plugin) else "\n"
        service_title_max = int(getattr(plugin, "title_maxlen", 250) or 0)
        title_max = min(self.limits.title_max, service_title_max or self.limits.title_max)
        body_max = min(self.limits.body_max, int(getattr(plugin, "body_maxlen", 4000) or 4000))
        # Never a story's later sighting: those go only to targets with threads.
        plain = plain_text(n, lang, self.timezone)
        title = _defuse(truncate(plain.title, title_max))
        if neutral:
            title = _markdown_line(title, whole_link=False)
        if service_title_max <= 0 or getattr(plugin, "overflow_amalgamate_title", False):
            # The title is put in the body ("<b>title</b>\r\n…", "# title\n…").
            body_max -= len(title) + 12

        def render_line(line: str) -> str:
            line = _defuse(line)
            return _markdown_line(line, whole_link=whole_link) if neutral else line

        lines = plain.body.split("\n")
        if sep != "\n":
            lines = [line for line in lines if line.strip()]
        # A mention's link, its last line, stays whatever is cut before it.
        url = http_url(n.url)
        keep_last = bool(url) and plain.body.endswith(url)
        return Message(
            address=address,
            subject=title,
            text=fit_lines(
                lines,
                body_max,
                render_line,
                sep,
                keep_last=keep_last,
                left_out=left_out_line(n, lang, lines),
            ),
            extra={
                "notify_type": _NOTIFY_TYPE[n.severity],
                "body_format": apprise.NotifyFormat.MARKDOWN
                if markdown
                else apprise.NotifyFormat.TEXT,
                "priority": _priority(plugin, address, n.severity),
            },
        )

    def send(self, message: Message) -> Receipt:
        priority = message.extra.get("priority")
        plugin = self._plugin(_with_priority(message.address, priority))
        if (where := service_host(plugin)) is not None:
            # Its reason names the host only, never a secret: the URL's host part,
            # or the service's fixed API host when that part is a token.
            precheck(*where, connect_timeout(plugin), lookups=self.lookups)
        sender = apprise.Apprise()
        sender.add(plugin)
        with self._lock, apprise.LogCapture(level=logging.INFO) as captured:  # type: ignore[no-untyped-call]
            try:
                ok = sender.notify(
                    body=message.text,
                    title=message.subject,
                    notify_type=message.extra.get("notify_type", apprise.NotifyType.INFO),
                    body_format=message.extra.get("body_format", apprise.NotifyFormat.TEXT),
                )
            except Exception as exc:  # a plugin bug: worth another try later
                raise DeliveryError(
                    scrub(f"Apprise failed: {type(exc).__name__}: {exc}", message.address),
                    retryable=True,
                ) from None
            log_text = captured.getvalue()
        if ok:
            return Receipt(None)
        raise failure(log_text, message.address)


def _priority(plugin: Any, address: str, severity: Severity) -> str | None:
    """The ``priority=`` for an alert of ``severity`` (:data:`PRIORITY`); None when
    the service has none, the severity keeps its default, or the URL sets one."""
    by_severity = next((PRIORITY[s] for s in _schemes(plugin) if s in PRIORITY), None)
    if by_severity is None or severity not in by_severity:
        return None
    if any(key.lower() == "priority" for key, _ in parse_qsl(urlsplit(address).query)):
        return None  # the user's choice wins
    return by_severity[severity]


def _with_priority(address: str, priority: str | None) -> str:
    """``address`` with ``priority=`` added to its query (``None``: as it is)."""
    if not priority:
        return address
    parts = urlsplit(address)
    query = f"{parts.query}&priority={priority}" if parts.query else f"priority={priority}"
    return urlunsplit(parts._replace(query=query))
