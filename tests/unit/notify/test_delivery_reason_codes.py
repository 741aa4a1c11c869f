"""Delivery errors carry their catalogue code and params from where the
notifiers raise them, and say them in French from those; the reasons that
stayed English in French notices (an SMTP recipient or sender deferred, a
reply no other reason explains, Apprise refusing a URL's form, a full
database) now have a French sentence. Real aiosmtpd on loopback; a closed
loopback port where a server cannot be reached.
"""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from tests.french import nb
from tests.servers.smtp import SmtpServer, free_port
from tests.unit.notify.test_email import notification
from watchtower.database_full import FULL_WORDS, full_cause
from watchtower.errors import DeliveryError, DeliveryReason
from watchtower.notify.apprise import AppriseNotifier
from watchtower.notify.delivery_errors_text import delivery_error_text
from watchtower.notify.delivery_reason_text import reason_in, reason_text
from watchtower.notify.email import EmailNotifier
from watchtower.notify.slack_api import SlackApi
from watchtower.notify.slack_errors import slack_error
from watchtower.notify.smtp_errors import smtp_failure


def _french(exc: DeliveryError) -> str:
    """What a French ops notice says of ``exc``; the English text, read back, says the same."""
    french = reason_text(exc.cause, "fr", "Europe/Paris")
    assert reason_in(exc.reason, "fr", "Europe/Paris") == french  # a reason queued as text
    return french


def _slack(status: int, data: dict[str, Any]) -> DeliveryError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.invalid/api/chat.postMessage",
        req_args={},
        data={"ok": False, **data},
        headers={},
        status_code=status,
    )
    return slack_error(SlackApiError("refused", response), write=True)


@pytest.mark.parametrize(
    ("status", "data", "code", "params"),
    [
        (200, {"error": "token_revoked"}, "slack_token_refused", {"error": "token_revoked"}),
        (200, {"error": "missing_scope", "needed": "chat:write"}, "slack_missing_scope", None),
        (503, {}, "slack_server_error", {"status": 503}),
        (200, {"error": "service_unavailable"}, "slack_unavailable", None),
    ],
)
def test_a_slack_error_carries_its_code_and_its_english_is_unchanged(
    status: int, data: dict[str, Any], code: str, params: dict[str, Any] | None
) -> None:
    error = _slack(status, data)
    assert error.cause.code == code
    assert error.reason == delivery_error_text(code, error.cause.params)
    if params is not None:
        assert error.cause.params == params


def _mailer(port: int, **options: Any) -> EmailNotifier:
    options.setdefault("timeout", 5.0)
    return EmailNotifier("127.0.0.1", port, "veille@example.fr", **options)


def _failure(smtp: SmtpServer) -> DeliveryError:
    mailer = _mailer(smtp.port, starttls=False)
    with pytest.raises(DeliveryError) as caught:
        mailer.send(mailer.render(notification(), "dircom@example.fr"))
    return caught.value


def test_a_deferred_recipient_is_said_in_french(smtp: SmtpServer) -> None:
    smtp.handler.refuse_rcpt["dircom@example.fr"] = "450 4.2.1 mailbox busy, try later"
    error = _failure(smtp)
    assert error.retryable and error.cause.code == "smtp_recipient_deferred"
    assert error.reason == (
        "the SMTP server deferred the recipient: SMTP error 450 (4.2.1 mailbox busy, try later)"
    )
    assert _french(error) == nb(
        "le serveur SMTP refuse le destinataire pour le moment : "
        "SMTP error 450 (4.2.1 mailbox busy, try later)"
    )


def test_a_deferred_sender_is_said_in_french(smtp: SmtpServer) -> None:
    smtp.handler.refuse_mail_from = "451 4.7.1 greylisted, come back later"
    error = _failure(smtp)
    assert error.retryable and error.cause.code == "smtp_sender_deferred"
    assert _french(error) == (
        "le serveur SMTP refuse l'expéditeur pour le moment "
        "(SMTP error 451 (4.7.1 greylisted, come back later))"
    )


def test_a_reply_no_other_reason_explains_is_said_in_french(smtp: SmtpServer) -> None:
    smtp.handler.refuse_with = "554 5.7.1 rejected as spam"
    error = _failure(smtp)
    assert not error.retryable and error.cause.code == "smtp_answer"
    assert error.reason == "SMTP error 554 (5.7.1 rejected as spam)"
    assert _french(error) == "le serveur SMTP a répondu par l'erreur 554 (5.7.1 rejected as spam)"


def test_an_odd_smtp_failure_names_the_server_and_is_said_in_french() -> None:
    mailer = _mailer(2525)
    failed = smtp_failure(smtplib.SMTPException("odd state"), "envelope", mailer)
    assert failed.reason == "the SMTP server 127.0.0.1:2525 failed (odd state)"  # not the object
    assert _french(failed) == "le serveur SMTP 127.0.0.1:2525 a échoué (odd state)"
    unsupported = smtp_failure(
        smtplib.SMTPNotSupportedError("SMTPUTF8 not supported"), "envelope", mailer
    )
    assert unsupported.reason == (
        "the SMTP server 127.0.0.1:2525 cannot take this message (SMTPUTF8 not supported)"
    )
    assert _french(unsupported) == (
        "le serveur SMTP 127.0.0.1:2525 ne peut pas accepter ce message (SMTPUTF8 not supported)"
    )


def test_an_apprise_url_it_cannot_use_is_said_in_french() -> None:
    with pytest.raises(DeliveryError) as caught:
        AppriseNotifier("fr").render(notification(), "nosuchservice://abc/def")
    assert caught.value.cause.code == "apprise_unusable"
    assert _french(caught.value) == (
        "Apprise ne sait pas utiliser cette URL (service inconnu ou éléments manquants)"
    )


def test_a_slack_upload_that_cannot_reach_slack_is_said_in_french() -> None:
    closed = free_port()
    api = SlackApi(WebClient(token="xoxb-test", base_url=f"http://127.0.0.1:{closed}/api/"))
    with pytest.raises(DeliveryError) as caught:
        api.upload_png("C1", b"\x89PNG", filename="a.png", title="a", thread_ts=None)
    assert caught.value.cause.code == "slack_upload_failed"
    assert _french(caught.value).startswith("l'envoi du fichier à Slack a échoué (")


def test_a_reason_without_a_code_is_read_back_or_kept() -> None:
    coded = DeliveryReason.of("smtp_closed", server="smtp.example.fr:587")
    assert reason_text(coded, "en") == coded.text == str(coded)
    assert reason_text(DeliveryReason(coded.text), "fr") == reason_text(coded, "fr")
    assert reason_text("SMTP: KeyError: 'x'", "fr") == "SMTP: KeyError: 'x'"


def test_an_outage_cause_is_said_with_its_start_in_the_readers_zone() -> None:
    cause = DeliveryReason.of("slack_unreachable", detail="[Errno 111] Connection refused")
    outage = DeliveryReason.of("outage_unreachable", since="2026-07-01 08:00 UTC", reason=cause)
    assert outage.text == (
        "unreachable since 2026-07-01 08:00 UTC: "
        "cannot reach Slack ([Errno 111] Connection refused)"
    )
    assert reason_text(outage, "fr", "Europe/Paris") == nb(
        "injoignable depuis le 01/07/2026 à 10:00 (CEST) : "
        "impossible de joindre Slack ([Errno 111] Connection refused)"
    )


@pytest.mark.parametrize(
    ("reason", "french"),
    [
        (
            "database or disk is full",
            "le disque est plein, ou la base a atteint la taille que SQLite lui permet "
            "(database or disk is full)",
        ),
        (
            'could not extend file "base/16384/16397": No space left on device',
            "il ne reste plus de place sur le disque "
            '(could not extend file "base/16384/16397": No space left on device)',
        ),
        (
            "could not write to file: Disk quota exceeded",
            "le quota d'espace disque est dépassé (could not write to file: Disk quota exceeded)",
        ),
    ],
)
def test_a_full_database_is_said_in_french_and_kept_in_english(reason: str, french: str) -> None:
    assert full_cause(reason, "fr") == french
    assert full_cause(reason, "en") == reason


def test_every_word_of_a_full_database_has_a_french_cause() -> None:
    for words in FULL_WORDS:
        assert full_cause(f"x {words} y", "fr") != f"x {words} y"
