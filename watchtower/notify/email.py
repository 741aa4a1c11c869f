"""``email:someone@example.fr``: one text + HTML message per notification over SMTP.

STARTTLS fails closed: if it is requested and the server does not offer it,
nothing is sent. Header values lose their CR/LF so a feed title cannot inject
headers. SMTP 4xx answers and network errors are retryable; 5xx are not.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from watchtower.errors import DeliveryError
from watchtower.models import Notification
from watchtower.notify import email_render
from watchtower.notify._text import (
    SEVERITY_EMOJI,
    author_text,
    http_url,
    kind_of,
    label,
    language_text,
    one_line,
    published_text,
    rating_text,
    severity_text,
    t,
    title_text,
)
from watchtower.notify.base import Limits, Message, Notifier, Receipt, truncate
from watchtower.notify.email_render import html_link

_ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
SMTP_REPLY_MAX = 200  # characters of the server's answer kept in the error
#: Characters of a subject: mail clients show 60 to 100, and a long one is folded.
SUBJECT_MAX = 140


def header_value(text: str) -> str:
    """A header value with CR, LF and other control characters removed."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()


def subject_line(template: str, title: str, **values: str) -> str:
    """``template`` filled, its ``{title}`` cut (between words) so that the
    subject stays within :data:`SUBJECT_MAX` characters, on one line."""
    values = {k: header_value(v) for k, v in values.items()}
    room = SUBJECT_MAX - len(template.format(title="", **values))
    return template.format(title=truncate(header_value(title), max(20, room)), **values)


def smtp_reply(code: int, reply: bytes | str) -> str:
    """``SMTP error 550 (5.1.1 mailbox unknown)``: the code alone does not say which
    of the many 5xx causes it was; the first line of the answer usually does."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    first = header_value(text.splitlines()[0]) if text.strip() else ""
    return f"SMTP error {code}" + (f" ({truncate(first, SMTP_REPLY_MAX)})" if first else "")


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
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.use_ssl = starttls, use_ssl
        self.username, self.password = username, password
        self.timeout = timeout
        self.language, self.timezone = language, timezone
        self.ssl_context = ssl_context or ssl.create_default_context()

    @classmethod
    def validate_address(cls, address: str) -> None:
        if not _ADDRESS.match(address):
            raise ValueError(f"not an e-mail address: {address!r}")

    def message_id(self, n: Notification) -> str:
        """The same Message-ID every time one outbox row is rendered.

        A send cut short (kill -9 after the server stored the message, before it
        answered) is sent again after the restart; SMTP offers no way to ask
        whether the first copy arrived, but mail clients show two messages with
        one Message-ID once. The hash of the sender, the target and the row's
        creation time keeps ids apart across databases (two installs both
        have an outbox row 1) without storing anything.
        """
        domain = header_value(self.sender.rpartition("@")[2]) or "watchtower.invalid"
        seed = f"{self.sender}\0{n.target}\0{n.outbox_id}\0{n.extra.get('created_at', '')}"
        digest = hashlib.sha256(seed.encode()).hexdigest()[:16]
        return f"<wt-{n.outbox_id}.{digest}@{domain}>"

    def render(self, notification: Notification, address: str) -> Message:
        message = self._render(notification, address)
        extra = dict(message.extra, message_id=self.message_id(notification))
        return dataclasses.replace(message, extra=extra)

    def _render(self, notification: Notification, address: str) -> Message:
        n, lang = notification, self.language
        kind = kind_of(n)
        if kind == "ops":
            return self._notice(n, address)
        if kind in ("summary", "spike"):
            # Grouped / quiet-hours / digest summaries and spike alerts (issue 7).
            if kind == "summary":
                subject, text, html_body = email_render.summary_email(n, lang)
            else:
                subject, text, html_body = email_render.spike_email(n, lang, self.timezone)
            images = {email_render.CHART_CID: n.extra["chart"]} if n.extra.get("chart") else {}
            return Message(
                address=address,
                text=text,
                subject=subject,
                html=html_body,
                extra={"images": images},
            )
        title = truncate(title_text(n, lang), self.limits.title_max)
        subject = subject_line(
            t(lang, "subject"), title, severity=severity_text(n, lang), brands=", ".join(n.brands)
        )
        # What is unknown or empty is no row (as in Slack): no "Termes : -",
        # no "Publié le : date inconnue". A review's stars and author come
        # before its terms (often none): they say more.
        rows = [
            (label(lang, key), value)
            for key, value in (
                ("source", one_line(n.source)),
                ("brands", ", ".join(n.brands)),
                ("rating", rating_text(n, lang)),
                ("author", one_line(author_text(n))),
                ("terms", ", ".join(n.terms)),
                ("rule", ", ".join(n.rules)),
                ("published_label", published_text(n, lang, self.timezone)),
                ("language", language_text(n.lang, lang)),
            )
            if value
        ]
        excerpt = truncate(n.excerpt.strip(), 1000)
        url = http_url(n.url)  # anything else is no link (javascript:, data:)
        text = "\n".join(
            [f"{SEVERITY_EMOJI[n.severity]} {severity_text(n, lang)} · {title}", url, ""]
            + [f"{k}{v}" for k, v in rows]
            + (["", excerpt] if excerpt else [])
        )
        e = html.escape
        html_body = (
            f"<p>{SEVERITY_EMOJI[n.severity]} <strong>{e(severity_text(n, lang))}</strong> · "
            f"{html_link(url, title)}</p><table>"
            + "".join(f"<tr><th align='left'>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rows)
            + "</table>"
            + (f"<blockquote>{e(excerpt)}</blockquote>" if excerpt else "")
        )
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
        """The MIME message: multipart/alternative, text then HTML."""
        mail = EmailMessage()
        mail["Subject"] = header_value(message.subject)
        mail["From"] = formataddr(("watchtower", header_value(self.sender)))
        mail["To"] = header_value(message.address)
        # RFC 5322 requires it, and spam filters penalise a message without one.
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        # render() names the message after its outbox row (see message_id).
        stable = header_value(str(message.extra.get("message_id") or ""))
        mail["Message-ID"] = stable or make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail.set_content(message.text)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
            images: dict[str, str] = message.extra.get("images") or {}
            if images:
                html_part = mail.get_body(preferencelist=("html",))
                assert isinstance(html_part, EmailMessage)
                for cid, data in images.items():  # inline: referenced as cid: in the HTML
                    html_part.add_related(
                        base64.b64decode(data), "image", "png", cid=f"<{cid}>", disposition="inline"
                    )
        return mail

    def send(self, message: Message) -> Receipt:
        mail = self.build(message)
        try:
            smtp: smtplib.SMTP
            if self.use_ssl:
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self.ssl_context
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                smtp.ehlo()
                if self.starttls and not self.use_ssl:
                    if not smtp.has_extn("starttls"):
                        raise DeliveryError(
                            "the SMTP server does not offer STARTTLS; refusing to send in clear"
                            " text (set starttls = false to allow it)",
                            retryable=False,
                        )
                    smtp.starttls(context=self.ssl_context)
                    smtp.ehlo()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login refused ({exc.smtp_code})", retryable=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            answers = [smtp_reply(code, reply) for code, reply in exc.recipients.values()]
            reason = "the SMTP server refused the recipient" + (
                f": {answers[0]}" if answers else ""
            )
            raise DeliveryError(reason, retryable=False) from None
        except smtplib.SMTPResponseException as exc:
            reason = smtp_reply(exc.smtp_code, exc.smtp_error)
            raise DeliveryError(reason, retryable=400 <= exc.smtp_code < 500) from None
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"cannot reach the SMTP server ({exc})", retryable=True) from None
        return Receipt(str(mail["Message-ID"]))
