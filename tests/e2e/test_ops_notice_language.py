"""Ops notices say why in the reader's language; the logs keep the English.

The reasons come from the notifiers in English (logs, ``status``, the outbox
row); the notice a French team reads says them in French: Slack's token
refused, a channel the bot cannot see, an SMTP sender refused. English is kept
for an English configuration, and for a reason no catalogue entry knows.
Real fake-Slack and aiosmtpd servers on loopback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, naming, queue
from tests.e2e.scenario import targets
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App


def _ops_mail(smtp: SmtpServer) -> tuple[str, str]:
    [mail] = [m for m in smtp.messages if m["To"] == "ops@example.fr"]
    body = mail.get_body(("plain",))
    assert body is not None
    return str(mail["Subject"]), body.get_content()


def test_a_revoked_slack_token_is_told_in_french_and_logged_in_english(
    app_for: Callable[[str], App],
    slack: FakeSlack,
    smtp: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")
    app = app_for("")
    queue(app, "slack:#veille", 2)
    slack.revoked = True

    app.outbox.drain()

    subject, text = _ops_mail(smtp)
    assert nb("Slack est en pause : Slack refuse le jeton du bot (token_revoked)") in subject
    assert nb("Cause : Slack refuse le jeton du bot (token_revoked)") in text
    assert "refused the bot token" not in subject + text
    [paused] = [r for r in caplog.records if r.getMessage() == "target kind paused"]
    assert "Slack refused the bot token: token_revoked" in str(vars(paused))


def test_a_channel_the_bot_cannot_see_is_told_in_french_with_what_to_do(
    app_for: Callable[[str], App], slack: FakeSlack, smtp: SmtpServer
) -> None:
    app = app_for(naming("slack:#crsie"))
    queue(app, "slack:#crsie", 2)
    slack.error_next = ["channel_not_found", "channel_not_found"]

    assert app.outbox.drain().failed == 0  # held: they go once the name is fixed

    subject, text = _ops_mail(smtp)
    assert nb("Canal Slack fermé au bot : slack:#crsie") in subject
    assert nb("le bot ne voit aucun canal #crsie : vérifier le nom") in text
    assert "Slack refuse le message (channel_not_found)" in text
    assert "the bot sees no channel" not in text


def _app(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    *,
    ops: str,
    language: str = "fr",
    extra: str = "",
) -> App:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    text = targets(database_url, slack, smtp, f"ops_notify = [{ops!r}]")
    text = text.replace('language = "fr"', f"language = {language!r}")
    brands = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
    return make_app(write_config(text + brands + extra), clock)


def test_an_english_configuration_keeps_the_english_reason(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app(
        database_url,
        slack,
        smtp,
        clock,
        write_config,
        monkeypatch,
        ops="email:ops@example.fr",
        language="en",
    )
    try:
        queue(app, "slack:#veille")
        slack.revoked = True
        app.outbox.drain()
        subject, text = _ops_mail(smtp)
        assert "Slack is paused: Slack refused the bot token: token_revoked" in subject
        assert "Cause: Slack refused the bot token: token_revoked" in text
    finally:
        app.close()


def test_a_refused_smtp_sender_is_told_in_french_in_slack(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _app(
        database_url,
        slack,
        smtp,
        clock,
        write_config,
        monkeypatch,
        ops="slack:#ops",
        extra=naming("email:dircom@example.fr"),
    )
    try:
        queue(app, "email:dircom@example.fr")
        smtp.handler.refuse_mail_from = "550 5.7.1 sender not allowed"
        app.outbox.drain()
        [paused] = [p for p in slack.posts() if p["channel"] == "#ops"]
        shown = paused["text"] + str(paused.get("blocks"))
        assert "L'e-mail est en pause" in shown
        assert "refuse l'expéditeur" in shown and "5.7.1 sender not allowed" in shown
        assert "refuses the sender" not in shown
    finally:
        app.close()
