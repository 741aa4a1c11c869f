"""What an SMTP failure means for the outbox: one line an operator can act on,
and whether the row is retried, failed, held or e-mail paused.

:func:`smtp_failure` maps what :class:`~watchtower.notify.email.EmailNotifier`
met at each stage of its SMTP session to the outbox's vocabulary
(:mod:`watchtower.errors`); its English reasons come from
:mod:`watchtower.notify.delivery_errors_text`, which also says them in French
for ops notices.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Iterable
from typing import Any, Protocol

from watchtower.errors import DeliveryError, DeliveryReason, TargetDisabled
from watchtower.notify.base import ServerErrorMaybeSent, TargetUnreachable, truncate

__all__ = ["SMTP_REPLY_MAX", "SmtpSettings", "relay_refused", "smtp_failure", "smtp_reply"]

SMTP_REPLY_MAX = 200  # characters of the server's answer kept in the error

# "Relay access denied" (Postfix), "Relaying denied" (Sendmail), "Unable to relay"
# (Exchange), "relay not permitted" (Exim): the relay, not the address, refuses.
_RELAY = re.compile(r"\brelay", re.IGNORECASE)
# 5.7.1 "delivery not authorized": about the relay unless it names the recipient
# ("Recipient address rejected: Access denied" is that address's own refusal).
_NOT_AUTHORIZED = re.compile(r"^\s*5\.7\.1\b")
_ONE_ADDRESS = re.compile(r"recipient|user|mailbox", re.IGNORECASE)
_ADDRESS = re.compile(r"<[^>]*>|\S+@\S+")  # "<veille@…>" quoted back: not a word of the answer


class SmtpSettings(Protocol):
    """What the mapping needs to know of the notifier's connection settings."""

    host: str
    port: int
    starttls: bool
    use_ssl: bool
    timeout: float


def _reason(code: str, **params: Any) -> DeliveryReason:
    """The reason ``code`` (:mod:`watchtower.notify.delivery_errors_text`)."""
    return DeliveryReason.of(code, **params)


def smtp_reply(code: int, reply: bytes | str) -> str:
    """``SMTP error 550 (5.1.1 mailbox unknown)``: the code alone does not say which
    of the many 5xx causes it was; the first line of the answer usually does."""
    return _reply_reason(code, reply).text


def _reply_reason(code: int, reply: bytes | str) -> DeliveryReason:
    """:func:`smtp_reply` as a reason of its own (a reply no other reason explains)."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    # Imported here: email.py imports this module. Cleaned as a header value is.
    from watchtower.notify.email import header_value

    first = header_value(text.splitlines()[0]) if text.strip() else ""
    if not first:
        return _reason("smtp_answer_bare", status=code)
    return _reason("smtp_answer", status=code, answer=truncate(first, SMTP_REPLY_MAX))


def smtp_failure(exc: Exception, stage: str, server: SmtpSettings) -> DeliveryError:
    """One line an operator can act on, for what went wrong at ``stage``
    (connect, starttls, login, envelope: MAIL FROM and RCPT TO, data: DATA
    and the message). Never the password: smtplib's errors carry the
    server's answer, not what was sent.

    What no message of this kind can get past until someone acts (login
    refused, TLS that cannot be trusted, the sender refused) pauses e-mail
    (:class:`TargetDisabled`: rows wait, ops are told through another
    target); a server that cannot be reached, does not answer, hangs up or
    says it is not available (421) holds every e-mail
    (:class:`TargetUnreachable`: rows wait, no attempt spent); another 4xx
    is retried; a 5xx about this message or its recipient fails this row only.
    A relay that refuses to relay for us (:func:`relay_refused`: every
    recipient refused, "Relay access denied", a 5.7.1 that names no
    recipient) is not about the address either: e-mail is paused as for a
    refused sender, until the relay's rules or the login are fixed.

    A server that took the envelope and then stops answering or hangs up
    during DATA may be choking on this one message (a content filter, a
    huge message) while it takes the others: :class:`ServerErrorMaybeSent`,
    held like an outage until another message gets through, then this
    row's own failure (retried behind the others, then failed). It may
    also have kept the message: the retry carries the same Message-ID.
    """
    where = f"{server.host}:{server.port}"
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421:
        reply = smtp_reply(exc.smtp_code, exc.smtp_error)
        return TargetUnreachable(_reason("smtp_unavailable", server=where, reply=reply))
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        reply = smtp_reply(exc.smtp_code, exc.smtp_error)
        if 400 <= exc.smtp_code < 500:  # the server's login service, not our password
            return TargetUnreachable(_reason("smtp_login_later", reply=reply))
        return TargetDisabled("email", _reason("smtp_login_refused", server=where, reply=reply))
    if isinstance(exc, smtplib.SMTPNotSupportedError) and stage == "login":
        code = "smtp_no_auth" if server.starttls or server.use_ssl else "smtp_no_auth_clear"
        return TargetDisabled("email", _reason(code, server=where))
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(
            _reason("smtp_not_supported", server=where, detail=str(exc)), retryable=False
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        answers = "; ".join(smtp_reply(c, r) for c, r in exc.recipients.values())
        if 530 in codes:
            return _login_required(server, answers)
        if codes and all(code == 421 for code in codes):  # closing down, not this address
            return TargetUnreachable(_reason("smtp_unavailable", server=where, reply=answers))
        if relay_refused(exc.recipients.values()):  # every address: no e-mail can leave
            return TargetDisabled(
                "email", _reason("smtp_relay_denied", server=where, reply=answers)
            )
        temporary = bool(codes) and all(400 <= c < 500 for c in codes)
        what = "smtp_recipient_deferred" if temporary else "smtp_recipient_refused"
        # One address per message: smtplib names it with the server's answer.
        return DeliveryError(_reason(what, answers=answers), retryable=temporary)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        reply = smtp_reply(exc.smtp_code, exc.smtp_error)
        if exc.smtp_code == 530:
            return _login_required(server, reply)
        if 400 <= exc.smtp_code < 500:
            return DeliveryError(_reason("smtp_sender_deferred", reply=reply), retryable=True)
        return TargetDisabled(
            "email",
            _reason("smtp_sender_refused", server=where, sender=str(exc.sender), reply=reply),
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        answer = _reply_reason(exc.smtp_code, exc.smtp_error)
        return DeliveryError(answer, retryable=400 <= exc.smtp_code < 500)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TargetDisabled(
            "email",
            _reason("smtp_tls_certificate", server=where, detail=exc.verify_message),
        )
    if isinstance(exc, ssl.SSLError):
        code = "smtp_tls_failed_ssl" if server.use_ssl else "smtp_tls_failed"
        return TargetDisabled("email", _reason(code, server=where, detail=exc.reason))
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(
        exc.__context__, TimeoutError
    ):  # smtplib turns a timeout waiting for an answer into "unexpectedly closed"
        exc = exc.__context__
    if isinstance(exc, TimeoutError):
        seconds = server.timeout
        if stage == "data":
            return ServerErrorMaybeSent(_reason("smtp_timeout_data", server=where, seconds=seconds))
        greeting = stage == "connect" and not server.use_ssl
        code = "smtp_timeout_greeting" if greeting else "smtp_timeout"
        return TargetUnreachable(_reason(code, server=where, seconds=seconds))
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        if stage == "data":
            return ServerErrorMaybeSent(_reason("smtp_closed_data", server=where))
        greeting = stage == "connect" and not server.use_ssl
        code = "smtp_closed_greeting" if greeting else "smtp_closed"
        return TargetUnreachable(_reason(code, server=where))
    if isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException):
        # refused, reset, no route, unknown host: nothing to do with the message
        detail = exc.strerror or str(exc)
        return TargetUnreachable(_reason("smtp_unreachable", server=where, detail=detail))
    if isinstance(exc, smtplib.SMTPException):
        return DeliveryError(_reason("smtp_failed", server=where, detail=str(exc)), retryable=True)
    return DeliveryError(f"SMTP: {type(exc).__name__}: {exc}", retryable=True)


def relay_refused(answers: Iterable[tuple[int, bytes | str]]) -> bool:
    """Whether the RCPT answers (code, text) of every recipient of a message say
    the relay refuses to relay for this sender: all permanent (5xx), each about
    relaying ("Relay access denied") or a 5.7.1 that names no recipient.

    Such a refusal follows the sender (its address, its login, this machine's
    network), not the recipient: every e-mail would be refused the same way.
    One address among several refused (5.1.1 user unknown) is not: the others
    got the message.
    """
    seen = False
    for code, reply in answers:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        text = _ADDRESS.sub("", text)
        about_relay = bool(_RELAY.search(text)) or (
            bool(_NOT_AUTHORIZED.match(text)) and not _ONE_ADDRESS.search(text)
        )
        if not (500 <= code < 600 and about_relay):
            return False
        seen = True
    return seen


def _login_required(server: SmtpSettings, reply: str) -> TargetDisabled:
    where = f"{server.host}:{server.port}"
    return TargetDisabled("email", _reason("smtp_login_required", server=where, reply=reply))
