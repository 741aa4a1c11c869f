"""``email:someone@example.fr``: one text + HTML message per notification over SMTP.

One address per target, so one message per recipient: each reader sees only
their own address in To (a director list does not learn each other's), and a
bad address fails its own outbox row, never the others'.

TLS: ``ssl = true`` is TLS from the first byte (port 465); otherwise STARTTLS
(port 587), which fails closed: a server that does not offer it gets nothing.
A password is never sent over a clear connection, except to a loopback relay.
How each failure maps to a retry, a failed row or a paused e-mail kind is in
:func:`watchtower.notify.smtp_errors.smtp_failure`. Header values lose their
CR/LF (and every other line break) and an RFC 2047 encoded word in them stays
text, so a feed title cannot inject headers (:func:`header_value`).

The server's name is looked up within ``timeout`` (:mod:`watchtower.notify.lookups`:
a dead name server makes e-mail unreachable for now instead of holding the
drain), and the connection goes to the addresses found, TLS still checking the
certificate against the name (:mod:`watchtower.notify.smtp_client`).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import ipaddress
import re
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from watchtower.errors import DeliveryError, DeliveryReason, TargetDisabled
from watchtower.models import Notification
from watchtower.notify import email_render
from watchtower.notify._text import (
    SEVERITY_EMOJI,
    http_url,
    kind_of,
    severity_text,
    t,
    title_text,
)
from watchtower.notify.base import (
    Limits,
    Message,
    Notifier,
    Receipt,
    truncate,
)
from watchtower.notify.email_render import html_link
from watchtower.notify.lookups import NOTIFIER_LOOKUPS, Lookups, addresses
from watchtower.notify.smtp_client import SmtpClient, SmtpClientSSL
from watchtower.notify.smtp_errors import smtp_failure
from watchtower.sanitise import printable

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
#: How the headers are written. The standard library folds a long encoded
#: header at 78 columns and, when the fold falls on the space between two words
#: of encoded text, drops that space ("Panne géante" arrives as "Pannegéante":
#: CPython's refolding of RFC 2047 words). A subject is at most SUBJECT_MAX
#: characters, so within SMTP's 998 it needs no folding at all. The bodies are
#: encoded before this applies (quoted-printable, base64 at 76 columns).
HEADERS_POLICY = policy.default.clone(max_line_length=998)
#: Characters of a subject: mail clients show 60 to 100, and a long one is folded.
SUBJECT_MAX = 140


#: Control characters and the line breaks ``str.splitlines`` knows (NEL,
#: U+2028, U+2029): the email package refuses a header holding one.
_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_value(text: str) -> str:
    """A header value with CR, LF, other control characters and bidi controls removed.

    An RFC 2047 encoded word written in a feed's title ("=?utf-8?q?…=0D=0ABcc=3A…?=")
    would be decoded by the email package when the header is set, and its CR LF
    written out as a header of the attacker's: a word joiner after each ``=``
    of ``=?`` keeps it literal text, shown as the feed wrote it.
    """
    text = printable(_HEADER_BREAKS.sub(" ", text), keep="")
    return text.replace("=?", "=\u2060?").strip()


def subject_line(template: str, title: str, **values: str) -> str:
    """``template`` filled, its ``{title}`` cut (between words) so that the
    subject stays within :data:`SUBJECT_MAX` characters, on one line."""
    values = {k: header_value(v) for k, v in values.items()}
    room = SUBJECT_MAX - len(template.format(title="", **values))
    return template.format(title=truncate(header_value(title), max(20, room)), **values)


class EmailNotifier(Notifier):
    """Sends through one SMTP server; a connection per message keeps failures isolated."""

    kind = "email"
    limits = Limits(title_max=200, body_max=20_000)

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = True,
        use_ssl: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        language: str = "fr",
        timezone: str = "Europe/Paris",
        ssl_context: ssl.SSLContext | None = None,
        lookups: Lookups = NOTIFIER_LOOKUPS,
    ) -> None:
        # ``from = "Veille Acmé <veille@acme.fr>"`` names the sender; a bare address
        # is shown as "watchtower".
        name, address = parseaddr(sender)
        self.host, self.port = host, port
        self.sender, self.sender_name = address or sender, name or "watchtower"
        self.starttls, self.use_ssl = starttls, use_ssl
        self.username, self.password = username, password
        self.timeout = timeout
        self.language, self.timezone = language, timezone
        self.ssl_context = ssl_context or ssl.create_default_context()
        #: Looks the server's name up within ``timeout`` (shared by the notifiers).
        self.lookups = lookups

    @classmethod
    def validate_address(cls, address: str) -> None:
        """One plain address (``dircom@example.fr``), checked by ``watchtower check``."""
        if re.search(r"[,;\s]", address.strip()):
            raise ValueError(
                f"one address per e-mail target: {address!r}; write one target per"
                ' reader ("email:a@example.fr", "email:b@example.fr"), each gets their own'
                " message"
            )
        if "<" in address or ">" in address:
            raise ValueError(f"only the address, without a name or <>: {address!r}")
        local, at, domain = address.rpartition("@")
        if at and not local.isascii():
            raise ValueError(
                f"an address with accents before the @ needs SMTPUTF8, which many servers"
                f" lack: {address!r}"
            )
        if not at or not _LOCAL.match(local):
            raise ValueError(f"not an e-mail address: {address!r}")
        try:
            ascii_domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"not an e-mail address (domain {domain!r}): {address!r}") from None
        labels = ascii_domain.split(".")
        if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
            raise ValueError(f"not an e-mail address (domain {domain!r}): {address!r}")

    def message_id(self, n: Notification) -> str:
        """The same Message-ID every time one outbox row is rendered.

        A send cut short (kill -9 after the server stored the message, before it
        answered) is sent again after the restart; SMTP offers no way to ask
        whether the first copy arrived, but mail clients show two messages with
        one Message-ID once. The hash of the sender, the target and the row's
        creation time keeps ids apart across databases (two installs both
        have an outbox row 1) without storing anything.
        """
        return self._message_id(n.target, n.outbox_id, n.extra.get("created_at", ""))

    def _message_id(self, target: str, outbox_id: object, created_at: object) -> str:
        """:meth:`message_id` of the outbox row ``outbox_id`` to ``target``, created at
        ``created_at`` (its timestamp, as the drain gives it)."""
        domain = header_value(self.sender.rpartition("@")[2]) or "watchtower.invalid"
        seed = f"{self.sender}\0{target}\0{outbox_id}\0{created_at}"
        digest = hashlib.sha256(seed.encode()).hexdigest()[:16]
        return f"<wt-{outbox_id}.{digest}@{domain}>"

    def _replied_id(self, n: Notification) -> str:
        """The Message-ID of the e-mail ``n`` answers (a "taken by" notice and a
        calm-down answer their spike alert's), or "".

        The alert's e-mail as sent (its stored Message-ID), else as it will be:
        its row's :meth:`message_id`, the one it gets whenever it goes. Only
        to the reader that e-mail went to (:func:`answers_here`).
        """
        reply_to = (n.extra.get("spike") or {}).get("reply_to")
        if not isinstance(reply_to, dict) or not answers_here(n):
            return ""
        sent = header_value(str(reply_to.get("message_id") or ""))
        if sent.startswith("<") and sent.endswith(">"):
            return sent
        if reply_to.get("outbox_id") is None or reply_to.get("created_at") is None:
            return ""
        return self._message_id(n.target, reply_to["outbox_id"], reply_to["created_at"])

    def render(self, notification: Notification, address: str) -> Message:
        message = self._render(notification, address)
        extra = dict(
            message.extra, message_id=self.message_id(notification), kind=kind_of(notification)
        )
        return dataclasses.replace(message, extra=extra)

    def _render(self, notification: Notification, address: str) -> Message:
        n, lang = _own_message(notification), self.language
        kind = kind_of(n)
        if kind == "ops":
            return self._notice(n, address)
        if kind == "spike" and (n.extra.get("spike") or {}).get("ack"):
            # Someone took the alert in Slack: its e-mail readers learn it in its thread.
            subject, text, html_body = email_render.taken_email(n, lang, self.timezone)
            return Message(
                address=address,
                text=text,
                subject=subject,
                html=html_body,
                extra={"in_reply_to": self._replied_id(n)},
            )
        if kind in ("summary", "spike"):
            # Grouped / quiet-hours / digest summaries and spike alerts (issue 7).
            if kind == "summary":
                subject, text, html_body = email_render.summary_email(n, lang, self.timezone)
            else:
                subject, text, html_body = email_render.spike_email(n, lang, self.timezone)
            images = {email_render.CHART_CID: n.extra["chart"]} if n.extra.get("chart") else {}
            return Message(
                address=address,
                text=text,
                subject=subject,
                html=html_body,
                # A calm-down goes in the conversation of the alert it closes.
                extra={"images": images, "in_reply_to": self._replied_id(n)},
            )
        title = truncate(title_text(n, lang), self.limits.title_max)
        subject = subject_line(
            t(lang, "subject"), title, severity=severity_text(n, lang), brands=", ".join(n.brands)
        )
        text, html_body = email_render.mention_email(n, lang, self.timezone, title)
        return Message(address=address, text=text, subject=subject, html=html_body)

    def _notice(self, n: Notification, address: str) -> Message:
        """An operational notice: its label, title and text, nothing about brands.

        Its title is already the whole subject ("Source en panne : forum"), so the
        subject has no brand slot to leave empty.
        """
        lang, e = self.language, html.escape
        severity = severity_text(n, lang)
        title = truncate(title_text(n, lang), self.limits.title_max)
        subject = subject_line(t(lang, "notice_subject"), title, severity=severity)
        body = truncate(n.excerpt.strip(), self.limits.body_max)
        url = http_url(n.url)
        text = "\n".join(
            [f"{SEVERITY_EMOJI[n.severity]} {severity} · {title}"]
            + ([url] if url else [])
            + (["", body] if body else [])
        )
        heading = html_link(url, title)
        html_body = (
            f"<p>{SEVERITY_EMOJI[n.severity]} <strong>{e(severity)}</strong> · {heading}</p>"
            + (f"<p style='white-space:pre-wrap'>{e(body)}</p>" if body else "")
        )
        return Message(address=address, text=text, subject=subject, html=html_body)

    def build(self, message: Message) -> EmailMessage:
        """The MIME message: multipart/alternative, text then HTML (the last part is
        the one clients prefer), with headers that keep auto-replies away and let
        readers filter (``List-Id``: Gmail's ``list:``; ``X-Watchtower-Kind``)."""
        mail = EmailMessage()
        domain = ascii_address(self.sender).rpartition("@")[2] or "watchtower.invalid"
        mail["Subject"] = header_value(message.subject)
        mail["From"] = Address(header_value(self.sender_name), addr_spec=ascii_address(self.sender))
        mail["To"] = ascii_address(header_value(message.address))
        # RFC 5322 requires it, and spam filters penalise a message without one.
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        # render() names the message after its outbox row (see message_id).
        stable = header_value(str(message.extra.get("message_id") or ""))
        mail["Message-ID"] = stable or make_msgid(domain=domain)
        if replied := header_value(str(message.extra.get("in_reply_to") or "")):
            # A follow-up (an alert taken): mail clients show it under the message it answers.
            mail["In-Reply-To"] = replied
            mail["References"] = replied
        # No out-of-office or "read receipt" answers to a robot (RFC 3834; Exchange
        # reads the second one).
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-Auto-Response-Suppress"] = "All"
        kind = str(message.extra.get("kind") or "mention")
        list_label = "ops.watchtower" if kind == "ops" else "watchtower"
        mail["List-Id"] = f"watchtower <{list_label}.{domain}>"
        mail["X-Watchtower-Kind"] = kind
        # Quoted-printable: 7-bit clean for any relay (no 8BITMIME needed), and
        # lines stay under SMTP's 998 even for a long URL or a one-line HTML.
        # A feed's text reaches the bodies without controls (C0, C1) nor bidi
        # overrides, which would show a title or a link's text reordered.
        mail.set_content(printable(message.text), cte="quoted-printable")
        if message.html:
            html_body = email_render.document(printable(message.html))
            mail.add_alternative(html_body, subtype="html", cte="quoted-printable")
            images: dict[str, str] = message.extra.get("images") or {}
            if images:
                html_part = mail.get_body(preferencelist=("html",))
                assert isinstance(html_part, EmailMessage)
                for cid, data in images.items():  # inline: referenced as cid: in the HTML
                    html_part.add_related(
                        base64.b64decode(data), "image", "png", cid=f"<{cid}>", disposition="inline"
                    )
        mail.policy = HEADERS_POLICY
        return mail

    def password_in_clear(self) -> bool:
        """Whether logging in would send the password unencrypted over a network
        (refused: only a relay on this machine may take it in clear)."""
        clear = not self.use_ssl and not self.starttls
        return bool(self.username or self.password) and clear and not _loopback(self.host)

    def send(self, message: Message) -> Receipt:
        mail = self.build(message)
        with self.session() as smtp:
            smtp.send_message(mail)
        return Receipt(str(mail["Message-ID"]))

    @contextmanager
    def session(self) -> Iterator[smtplib.SMTP]:
        """An SMTP session ready for ``MAIL FROM``: connected, TLS as configured,
        logged in; QUIT once the ``with`` block is done.

        The one way to open a session, for a send and for the check that sends
        nothing (:mod:`watchtower.pipeline.target_checks`), so both refuse and
        fail alike. A password that would cross a network in clear and a server
        without STARTTLS get nothing (:class:`TargetDisabled`); an ``OSError``
        here or in the block becomes the :class:`DeliveryError` of its stage
        (:func:`~watchtower.notify.smtp_errors.smtp_failure`). A QUIT that fails
        after the block is ignored: the server already answered what was asked
        of it (a 250 to DATA: raising would send the message again).
        """
        if self.password_in_clear():
            raise TargetDisabled(
                "email",
                DeliveryReason.of("smtp_clear_password", server=f"{self.host}:{self.port}"),
            )
        stage = "connect"
        smtp: SmtpClient | None = None
        try:
            with self._connect() as smtp:
                smtp.ehlo()
                if self.starttls and not self.use_ssl:
                    stage = "starttls"
                    if not smtp.has_extn("starttls"):
                        raise TargetDisabled(
                            "email",
                            DeliveryReason.of(
                                "smtp_no_starttls", server=f"{self.host}:{self.port}"
                            ),
                        )
                    smtp.starttls(context=self.ssl_context)
                    smtp.ehlo()
                if self.username or self.password:
                    stage = "login"
                    smtp.login(self.username or "", self.password or "")
                stage = "envelope"
                yield smtp
                stage = "quit"
        except DeliveryError:
            raise
        except OSError as exc:  # smtplib's, ssl's and socket's errors all are
            if stage == "quit":  # the server took the message (250): sending it again duplicates it
                return
            if stage == "envelope" and smtp is not None and smtp.data_started:
                stage = "data"
            raise smtp_failure(exc, stage, self) from None

    def _connect(self) -> SmtpClient:
        """A connection to the server's addresses, its name looked up within
        ``timeout`` (a name that does not answer in time: :class:`TargetUnreachable`)."""
        where = f"{self.host}:{self.port}"
        found = addresses(
            self.host,
            self.port,
            self.timeout,
            lookups=self.lookups,
            reason=lambda said: DeliveryReason.of("smtp_lookup_failed", server=where, reason=said),
        )
        if self.use_ssl:
            return SmtpClientSSL(
                self.host, self.port, found, timeout=self.timeout, context=self.ssl_context
            )
        return SmtpClient(self.host, self.port, found, timeout=self.timeout)


def answers_here(n: Notification) -> bool:
    """Whether the e-mail ``n``'s ``spike.reply_to`` names went to ``n``'s target.

    A reload can move a waiting calm-down to another address
    (:mod:`watchtower.pipeline.readdress`) with its payload as it was: its new
    reader never got that alert, so it is no reply there (as a Slack thread in
    another channel, :class:`~watchtower.notify.slack.SlackNotifier`). A "taken
    by" notice stays where it was queued, but is held to the same rule. A
    ``reply_to`` queued before 0.9.0 does not say its target: answered as then.
    """
    reply_to = (n.extra.get("spike") or {}).get("reply_to")
    if not isinstance(reply_to, dict):
        return False
    return reply_to.get("target") in (None, n.target)


def _own_message(n: Notification) -> Notification:
    """``n``, without its ``spike.reply_to`` when that names another reader's e-mail
    (:func:`answers_here`): sent as a message of its own, with its own subject
    (no "Re: " to a mail this reader never received)."""
    spike = n.extra.get("spike")
    if not isinstance(spike, dict) or "reply_to" not in spike or answers_here(n):
        return n
    alone = {key: value for key, value in spike.items() if key != "reply_to"}
    return dataclasses.replace(n, extra=dict(n.extra, spike=alone))


def ascii_address(address: str) -> str:
    """``address`` with its domain in IDNA (``société.fr`` → ``xn--socit-esab.fr``),
    which every SMTP server takes without SMTPUTF8."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address


def _loopback(host: str) -> bool:
    """Whether ``host`` is this machine (a local relay): no password crosses a network."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
