"""``apprise:URL``: Microsoft Teams, Discord, Telegram, Matrix, SMS… through Apprise.

``notify = ["apprise:workflows://…", "apprise:tgram://BOT_TOKEN/CHAT_ID"]`` (Teams: a
workflow's webhook URL; Apprise no longer knows ``msteams://``).

Apprise's ``notify()`` returns only a boolean, which cannot drive an outbox, so
a ``False`` becomes a *retryable* :class:`DeliveryError`: the outbox retries it
with backoff up to ``max_delivery_attempts`` and then records it as failed. When
what Apprise logged says the service is down (a connection error, a timeout, an
HTTP 5xx), it is a :class:`~watchtower.notify.base.TargetUnreachable` instead:
this target's notifications wait, no attempt spent, until it answers (a 5xx
is a :class:`~watchtower.notify.base.ServerError`: if the service takes the
other notifications, it is this one's own failure, retried then failed). The
reason is taken from what Apprise logged during that one send (captured, not
propagated) with the URL's secret parts cut out: Apprise URLs embed tokens, so
the URL itself never appears in a reason, a log line, a metric label or
``watchtower status`` (see :mod:`watchtower.redact`).

A service whose name is not looked up within the URL's connect timeout (``cto=``,
4 s by default: a dead name server) is a :class:`TargetUnreachable` naming
its host (:mod:`watchtower.notify.apprise_host`); Apprise looks it up again
on its own once it answers.

A service that refuses the URL itself (HTTP 401, 403, 404, 410: a revoked or
deleted webhook, a wrong token) is :class:`~watchtower.notify.base.AddressRefused`:
every message to it would be refused, so this target waits as when it is down
(nothing lost, no attempt spent, a probe now and then) and ops are told at
once to fix the URL. A service that refuses the message (another 4xx but 408
and 425) is a *permanent* failure of that row only: recorded as failed at once.
A 429 is :class:`~watchtower.errors.RateLimited`: it waits without spending an
attempt.

Text goes as plain text to services that take it (Telegram, Discord, ntfy…:
Apprise escapes it for their HTML). Services that only take Markdown (Teams
through ``workflows://``, Google Chat) get Markdown written here, because
Apprise's own escaping puts a backslash before every ``.``, ``-`` and ``_`` —
shown as is on Teams' phone app and Google Chat, and breaking every link:
text that would format (``*``, ``_``, ``[label](url)``, a ``#`` heading) is
neutralised without backslashes, links stay intact and clickable, and on Teams
each line is its own paragraph (a single line break is not one there). Control
characters (C0, DEL, C1) and bidi controls are removed
(:mod:`watchtower.sanitise`) and mentions are defused by a zero-width space
(``@everyone``, ``@here``, ``@channel``, ``<!channel>``, Mattermost's and
Rocket.Chat's ``@all``, Matrix's ``@room``, Zulip's ``@**all**``, a person's
or a user group's ``@handle`` outside links, Discord's ``<@&role>`` and
``<@user>``, Teams' ``<at>…</at>``, Google Chat's ``<users/all>``), so a feed
cannot ping a whole team, nor label a link of its own (Google Chat's
``<url|label>``); an address is left as it is (``contact@all.fr``; not
``x@here.fr``: Discord reads ``@here`` in it).

Services that ring louder for urgent messages get the alert's severity as
their priority, unless the URL sets ``priority=`` itself (:data:`PRIORITY`):
ntfy ``max`` (5, through Do Not Disturb) for a critical alert and ``high``
(4) for a warning; Pushover ``high`` (1, through quiet hours) for a critical
alert. Info keeps the service's default.

Each message fits the service's own limits (Apprise's ``title_maxlen`` and
``body_maxlen``; a service without a title field, such as Telegram or Google
Chat, or one that counts it in the body, such as Discord, gets the title's
room taken from the body). A cut falls between lines, ends with "…" and never
in a link: a mention keeps its link, the last line.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import apprise

from watchtower.errors import DeliveryError, DeliveryReason, RateLimited
from watchtower.models import Notification, Severity
from watchtower.notify._text import http_url
from watchtower.notify.apprise_host import connect_timeout, service_host
from watchtower.notify.base import (
    AddressRefused,
    Limits,
    Message,
    Notifier,
    Receipt,
    ServerError,
    TargetUnreachable,
    truncate,
)
from watchtower.notify.lookups import NOTIFIER_LOOKUPS, Lookups, precheck
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
# Words that ping a whole channel or team: "@everyone", "@here", "@channel"
# (Discord, Slack, Mattermost, Rocket.Chat, Zulip), "@all" (Mattermost, Rocket.Chat,
# Nextcloud Talk, Zulip), "@room" (Matrix), "@online" (Revolt), Zulip's
# "@**all**", "@**stream**", "@**topic**" (and its silent "@_**…**", defused too).
# The first three anywhere, as always (Discord reads "x@here" too); the others
# not after a letter or digit, where "@" is an address's ("contact@all.fr").
# Defused even inside a link: a whole team's ping outweighs a link's path.
_MASS_MENTION = re.compile(
    r"@(?=(?:everyone|here|channel)\b)"
    r"|(?<![^\W_])@(?=_?\**(?:everyone|here|channel|all|room|online|stream|topic)\b)",
    re.IGNORECASE,
)
# A person or a user group named in plain text: "@jean", "@direction"
# (Mattermost, Rocket.Chat, Telegram, Matrix), Zulip's "@**Jean**" and "@*groupe*",
# Nextcloud Talk's '@"Jean Dupont"'. Outside links only: "youtube.com/@Acme"
# must still open; after a letter or digit it is an address ("jean@acme.fr").
_HANDLE_MENTION = re.compile(r'(?<![^\W_])@(?=[\w*"])')
# Pings that name their target: Discord's <@123>, <@!123>, <@&role>; Teams'
# <at>…</at> (Apprise's workflows plugin turns it into a mention entity);
# Google Chat's <users/all> and <users/123>; Slack's every <!…> command
# (<!subteam^S1> pings a user group, <!here|here> the channel, whatever its label).
_TAG_MENTION = re.compile(r"<(?=@|!|at>|users/)", re.IGNORECASE)
# Google Chat shows "<https://evil.example|acme.fr>" (passed on by Apprise) as a
# link labelled "acme.fr": a feed's link must not pass for the brand's site.
_ANGLE_LINK = re.compile(r"<(?=[a-z][a-z0-9+.-]*:)", re.IGNORECASE)
# Apprise logs "…, error=404." when the service answered with that status.
_HTTP_STATUS = re.compile(r"\berror=(\d{3})\b")
# 4xx statuses worth another try: a timeout on the service's side, "too early".
_RETRYABLE_4XX = frozenset({408, 425})
_URL_REFUSED = frozenset({401, 403, 404, 410})
#: Seconds a 429 waits: Apprise does not pass the service's Retry-After on.
RATE_LIMIT_WAIT = 60.0
_URL = re.compile(r"https?://\S+")
# Markdown that would format text from a feed: emphasis, code, a link's "](",
# a heading, a quote or a rule at the start of a line.
_EMPHASIS = str.maketrans({"*": "\u2217", "`": "\u02cb", "~": "\u02dc"})
# What would end or open a Markdown link inside an address, percent-encoded
# (the address still leads to the same page).
_URL_MARKDOWN = str.maketrans({c: f"%{ord(c):02X}" for c in "[]()<>"})
_LINE_START = re.compile(r"^(\s*)([#>=+]|-{3,}|_{3,})")
# Schemes Apprise no longer knows, with what to use instead.
_RETIRED = {
    "msteams": "Apprise no longer supports msteams:// URLs: Microsoft retired the "
    "Office 365 connectors (incoming webhooks) they used. In Teams, add the "
    "workflow 'Post to a channel when a webhook request is received' to the "
    "channel and use its URL: 'apprise:https://…logic.azure.com…/invoke?…' as "
    "Teams gives it, or 'apprise:workflows://…' (see the README)",
}
#: Services that format plain text as Markdown.
_RENDERS_MARKDOWN = frozenset({"discord"})
_MAX_CUT_SHARE = 0.5  # cut a line in two only when at least this share of it fits
#: A link's label on Teams and Google Chat: its address, cut beyond this.
LINK_LABEL_CHARS = 80
# What Apprise's plugins log when the service, not the message, is the problem:
# "A Connection error occurred sending …", a timeout, "…error=503.".
_SERVICE_DOWN = re.compile(
    r"connection error|timed out|timeout|\berror=5\d\d\b|\b5\d\d - ", re.IGNORECASE
)
# Of those, the service's own answer: it may choke on this one message only.
_SERVER_ERROR = re.compile(r"\berror=5\d\d\b|\b5\d\d - ")
_SECRET_PART = re.compile(r"[^/:@?&=#+,]{4,}")
#: The ``priority=`` an alert of each severity gets, by the service's URL scheme
#: (Apprise's own values); a severity not listed keeps the service's default.
PRIORITY: dict[str, dict[Severity, str]] = {
    "ntfy": {Severity.critical: "max", Severity.warning: "high"},
    "pover": {Severity.critical: "high"},  # "emergency" would repeat until acknowledged
}


def _defuse(text: str) -> str:
    """``@everyone`` → ``@\u200beveryone``, ``@all`` → ``@\u200ball``,
    ``@**all**`` → ``@\u200b**all**``, ``<@&42>`` → ``<\u200b@&42>``,
    ``<https://…|label>`` → ``<\u200bhttps://…|label>``: still readable, pings
    nobody, links nowhere."""
    text = _MASS_MENTION.sub("@\u200b", printable(text, keep="\n"))
    text = _outside_links(text, lambda part: _HANDLE_MENTION.sub("@\u200b", part))
    return _ANGLE_LINK.sub("<\u200b", _TAG_MENTION.sub("<\u200b", text))


def _outside_links(text: str, change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to all but its http(s) addresses."""
    parts, last = [], 0
    for m in _URL.finditer(text):
        parts += [change(text[last : m.start()]), m.group(0)]
        last = m.end()
    return "".join([*parts, change(text[last:])])


def _markdown_text(text: str) -> str:
    """Text outside links, unable to format: ``*gras*`` and ``[x](y)`` shown as
    written, no backslash (Teams' phone app and Google Chat show those as is)."""
    text = _LINE_START.sub(lambda m: m.group(1) + "\u200b" + m.group(2), text)
    text = text.translate(_EMPHASIS).replace("](", "]\u200b(")
    # "_" formats only at a word's edge ("post_du_forum" stays as it is).
    return re.sub(r"(?<![^\W_])_|_(?![^\W_])", "\u02cd", text)


def _markdown_line(line: str, whole_link: bool) -> str:
    """One line of Markdown: its text neutralised, its links left whole (a line
    that is only a link becomes ``[url](url)``, clickable everywhere; a long
    address is shown cut, ``[https://news.google.com/rss/articles/CBMi…](url)``)."""
    if whole_link and _URL.fullmatch(line.strip()):
        url = line.strip()
        href = url.translate(_URL_MARKDOWN)
        shown = _markdown_text(truncate(url, LINK_LABEL_CHARS))
        return f"{line[: len(line) - len(line.lstrip())]}[{shown}]({href})"
    parts, last = [], 0
    for m in _URL.finditer(line):
        # An address in a feed's text ends no link label and opens none: in
        # "[site officiel https://acme.fr](https://evil.example)" it would.
        parts += [_markdown_text(line[last : m.start()]), m.group(0).translate(_URL_MARKDOWN)]
        last = m.end()
    return "".join([*parts, _markdown_text(line[last:])])


def _is_link(line: str) -> bool:
    return bool(_URL.fullmatch(line.strip()))


def fit_lines(
    lines: list[str], limit: int, render: Any, sep: str, *, keep_last: bool = False
) -> str:
    """``lines`` rendered and joined by ``sep`` in at most ``limit`` characters.

    The cut falls between lines and ends with "…"; a line is cut in two only if
    it holds no link and most of it fits; with ``keep_last``, a last line that is
    a link (a mention's) is always kept.
    """

    def join(rendered: list[str]) -> str:
        return sep.join(rendered).strip("\n")

    whole = join([render(line) for line in lines])
    if len(whole) <= limit:
        return whole
    tail = [lines[-1]] if keep_last and lines and _is_link(lines[-1]) else []
    kept_tail = [render(line) for line in tail]
    room = limit - len(join(kept_tail)) - 2 * len(sep) - 1
    kept: list[str] = []
    for line in lines[: len(lines) - len(tail)]:
        rendered = render(line)
        if len(join([*kept, rendered])) <= room:
            kept.append(rendered)
            continue
        left = room - len(join(kept)) - len(sep)
        growth = len(rendered) - len(line)
        if not _URL.search(line) and left - growth >= len(line) * _MAX_CUT_SHARE:
            kept.append(render(truncate(line, left - growth)))
        else:
            kept.append("…")
        break
    return join([*kept, *kept_tail])


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
        markdown = _markdown_only(plugin)
        # Discord takes plain text, then shows it as Markdown all the same.
        neutral = markdown or bool(_RENDERS_MARKDOWN & set(_schemes(plugin)))
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
            return _markdown_line(line, whole_link=markdown) if neutral else line

        lines = plain.body.split("\n")
        if sep != "\n":
            lines = [line for line in lines if line.strip()]
        # A mention's link, its last line, stays whatever is cut before it.
        url = http_url(n.url)
        keep_last = bool(url) and plain.body.endswith(url)
        return Message(
            address=address,
            subject=title,
            text=fit_lines(lines, body_max, render_line, sep, keep_last=keep_last),
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
        problems = [
            line.split(" - ", 2)[-1]
            for line in log_text.splitlines()
            if " - WARNING - " in line or " - ERROR - " in line
        ]
        detail = problems[-1] if problems else "the service did not accept the message"
        scheme = message.address.split("://", 1)[0]
        status = _HTTP_STATUS.search(detail)  # read before the URL's parts are cut out
        detail = scrub(detail, message.address)
        reason = DeliveryReason.of("apprise_failed", scheme=scheme, detail=detail)
        if any(_SERVICE_DOWN.search(line) for line in problems):
            if any(_SERVER_ERROR.search(line) for line in problems):
                raise ServerError(reason)
            raise TargetUnreachable(reason)
        code = int(status.group(1)) if status else 0
        if code == 429:
            raise RateLimited(reason, retry_after=RATE_LIMIT_WAIT)
        if code in _URL_REFUSED:
            # Every message to this URL will be refused: the target waits, its
            # notifications kept, until the URL works again; ops hear what to do.
            raise AddressRefused(
                DeliveryReason.of("apprise_url_refused", scheme=scheme, detail=detail, code=code)
            )
        if 400 <= code < 500 and code not in _RETRYABLE_4XX:
            # The same request will be refused again: no retry, and the reason says so.
            refused = DeliveryReason.of(
                "apprise_message_refused", scheme=scheme, detail=detail, code=code
            )
            raise DeliveryError(refused, retryable=False)
        raise DeliveryError(reason, retryable=True)


def _schemes(plugin: Any) -> tuple[str, ...]:
    """The URL schemes of an Apprise plugin (``("workflow", "workflows")``)."""
    found: list[str] = []
    for attr in ("protocol", "secure_protocol"):
        value = getattr(plugin, attr, None)
        found += [value] if isinstance(value, str) else list(value or ())
    return tuple(found)


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


def _markdown_only(plugin: Any) -> bool:
    """Whether the service takes only Markdown (Teams' workflows, Google Chat)."""
    formats = plugin.notify_format
    if isinstance(formats, str):
        formats = (formats,)
    accepted = {str(getattr(f, "value", f)) for f in formats}
    return accepted == {"markdown"}
