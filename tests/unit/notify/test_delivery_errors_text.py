"""The delivery reasons' catalogue: each English reason a notifier gives is read
back and said in French for ops notices; an unknown one stays as it is."""

from __future__ import annotations

import string
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from tests.french import nb
from tests.servers.smtp import SmtpServer, free_port, silent_server
from tests.unit.notify.test_email import notification
from watchtower.errors import DeliveryError
from watchtower.notify.delivery_errors_text import DELIVERY_ERRORS, delivery_error_text
from watchtower.notify.delivery_reason_text import reason_in
from watchtower.notify.email import EmailNotifier
from watchtower.notify.slack_errors import slack_error

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _sample(code: str) -> dict[str, Any]:
    """Parameters for ``code``: numbers where the template formats one."""
    params: dict[str, Any] = {}
    for _, name, spec, _ in string.Formatter().parse(DELIVERY_ERRORS[code]["en"]):
        if name == "reason":
            params[name] = "Slack refused the bot token: invalid_auth"
        elif name == "since":
            params[name] = "2026-11-26 10:00 UTC"
        elif name:
            params[name] = 2.5 if spec else f"<{name}-x>"
    return params


@pytest.mark.parametrize("code", sorted(DELIVERY_ERRORS))
def test_every_reason_has_both_languages_with_the_same_fields(code: str) -> None:
    templates = DELIVERY_ERRORS[code]
    assert set(templates) == {"en", "fr"}
    assert _fields(templates["en"]) == _fields(templates["fr"])


@pytest.mark.parametrize("code", sorted(DELIVERY_ERRORS))
def test_every_english_reason_is_read_back_and_said_in_french(code: str) -> None:
    params = _sample(code)
    english = delivery_error_text(code, params)
    french = reason_in(english, "fr", "Europe/Paris")
    expected = dict(params)
    if "reason" in params:
        expected["reason"] = reason_in(params["reason"], "fr")
    if "since" in params:
        expected["since"] = "26/11/2026 à 11:00 (CET)"
    assert french == delivery_error_text(code, expected, "fr")
    assert reason_in(english, "en") == english


def test_an_outage_says_its_start_in_the_configured_zone_and_its_cause_in_french() -> None:
    reason = (
        "unreachable since 2026-07-01 08:00 UTC: "
        "cannot reach Slack ([Errno 111] Connection refused)"
    )
    assert reason_in(reason, "fr", "Europe/Paris") == nb(
        "injoignable depuis le 01/07/2026 à 10:00 (CEST) : "
        "impossible de joindre Slack ([Errno 111] Connection refused)"
    )


@pytest.mark.parametrize(
    "reason",
    [
        "SMTP: KeyError: 'x'",
        "internal error: ValueError: boom",
        "Slack gave no permalink (empty)",
        "unreachable since yesterday: something odd",  # no catalogue time: kept
    ],
)
def test_an_unknown_reason_stays_as_it_is(reason: str) -> None:
    assert reason_in(reason, "fr") == reason


def _slack(status: int, data: dict[str, Any]) -> DeliveryError:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.invalid/api/chat.postMessage",
        req_args={},
        data=data,
        headers={"Retry-After": "3"},
        status_code=status,
    )
    return slack_error(SlackApiError("refused", response), write=True)


@pytest.mark.parametrize(
    ("status", "data", "french"),
    [
        (200, {"error": "invalid_auth"}, "Slack refuse le jeton du bot (invalid_auth)"),
        (200, {"error": "token_revoked"}, "Slack refuse le jeton du bot (token_revoked)"),
        (200, {"error": "missing_scope", "needed": "chat:write"}, "l'autorisation chat:write"),
        (200, {"error": "missing_scope"}, "il manque une autorisation"),
        (429, {"error": "ratelimited"}, "Slack demande de ralentir les envois (429)"),
        (503, {}, "Slack a une erreur de serveur (503)"),
        (200, {"error": "service_unavailable"}, "Slack est momentanément indisponible"),
        (200, {"error": "is_archived"}, "Slack refuse le message (is_archived)"),
    ],
)
def test_the_reasons_slack_gives_are_known(status: int, data: dict[str, Any], french: str) -> None:
    reason = _slack(status, {"ok": False, **data}).reason
    assert french in reason_in(reason, "fr")


def _mailer(port: int, **options: Any) -> EmailNotifier:
    options.setdefault("timeout", 5.0)
    return EmailNotifier("127.0.0.1", port, "veille@example.fr", **options)


def _reason(mailer: EmailNotifier) -> str:
    with pytest.raises(DeliveryError) as caught:
        mailer.send(mailer.render(notification(), "dircom@example.fr"))
    return caught.value.reason


def test_the_smtp_login_refused_is_known() -> None:
    server = SmtpServer(tls="implicit", auth=("veille", "right")).start()
    try:
        reason = _reason(
            _mailer(
                server.port,
                use_ssl=True,
                ssl_context=server.client_context(),
                username="veille",
                password="wrong",
            )
        )
    finally:
        server.stop()
    assert reason_in(reason, "fr").startswith(
        f"le serveur SMTP 127.0.0.1:{server.port} refuse l'identifiant ou le mot de passe (SMTP "
    )


def test_an_unreachable_or_silent_smtp_server_is_known() -> None:
    port = free_port()
    assert reason_in(_reason(_mailer(port)), "fr").startswith(
        f"impossible de joindre le serveur SMTP 127.0.0.1:{port} ("
    )
    with silent_server() as silent:
        reason = _reason(_mailer(silent, timeout=0.3))
    assert reason_in(reason, "fr") == nb(
        f"le serveur SMTP 127.0.0.1:{silent} n'a pas répondu dans les 0,3 s (aucun message "
        "d'accueil : si ce port attend TLS dès la connexion, en général le 465, mettre ssl = true)"
    )


def test_a_tls_failure_is_known() -> None:
    server = SmtpServer(tls="starttls").start()
    try:
        reason = _reason(_mailer(server.port, use_ssl=True, ssl_context=server.client_context()))
    finally:
        server.stop()
    french = reason_in(reason, "fr")
    assert french.startswith(f"la connexion sécurisée (TLS) avec 127.0.0.1:{server.port} a échoué")
    assert french.endswith(nb("ce port attend-il STARTTLS ? (587 : ssl = false, starttls = true)"))
