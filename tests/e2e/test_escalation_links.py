"""An escalation leads straight to the alert it repeats.

Whoever a spike alert is escalated to must not hunt for the original: on Slack
the escalation links to the alert's message (``chat.getPermalink``); every
target (Slack, e-mail, console) says where and when the alert went, in the
configured language, next to the example items' links. When Slack gives no
permalink the escalation still goes out, with one warning in the log.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock, base_config, make_app, rows
from tests.e2e.test_spikes import START, add_mentions
from tests.french import nb, readable
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from tests.servers.webhook import Webhook
from watchtower.app import App
from watchtower.logs import KeyValueFormatter

SPIKES = """
[spikes]
min_count = 10
notify = ["slack:#crise", "email:dircom@example.fr", "{apprise}"]
escalate_to = ["@U0123"]
ack_timeout = "15m"
escalate_notify = ["slack:#direction", "email:direction@example.fr", "console:"]
"""
BURST = START + timedelta(days=20, hours=10)  # Sunday 22 February 2026, 10:00 UTC (11:00 CET)
SECRET = "T0KEN-IN-THE-PATH"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    server = Webhook().start()
    yield server
    server.stop()


@pytest.fixture
def build(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    webhook: Webhook,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[str, Clock], App]]:
    """``build(language, clock)``: a started App whose console prints into ``app.console``."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    apps: list[App] = []

    def make(language: str, clock: Clock) -> App:
        slack.clock = clock.timestamp
        apprise = f"apprise:json://127.0.0.1:{webhook.port}/hook/{SECRET}"
        text = base_config(database_url, slack, smtp, SPIKES.format(apprise=apprise))
        app = make_app(
            write_config(text.replace('language = "fr"', f'language = "{language}"')), clock
        )
        app.console = io.StringIO()
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def alert_then_escalate(app: App, clock: Clock, slack: FakeSlack) -> dict[str, Any]:
    """A burst, its alert in #crise at 11:59 CET, nobody reacts: the escalation goes out."""
    add_mentions(app, [(BURST, 40)])
    clock.now = BURST + timedelta(minutes=59)
    app.alerting.tick()
    app.outbox.drain()
    [original] = slack.posts()
    assert original["channel"] == "#crise"
    clock.advance(minutes=16)
    app.alerting.tick()
    app.outbox.drain()
    assert [m["channel"] for m in slack.posts()] == ["#crise", "#direction"]
    return original


def escalation_mail(smtp: SmtpServer) -> EmailMessage:
    [mail] = [m for m in smtp.messages if m["To"] == "direction@example.fr"]
    return mail


def parts(mail: EmailMessage) -> tuple[str, str]:
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_the_slack_escalation_links_to_the_alert_message(
    build: Callable[[str, Clock], App], slack: FakeSlack
) -> None:
    clock = Clock(now=START)
    app = build("fr", clock)
    original = alert_then_escalate(app, clock, slack)

    [call] = [c for c in slack.calls if c.method == "chat.getPermalink"]
    assert call.body == {"channel": original["channel_id"], "message_ts": original["ts"]}
    permalink = slack.permalink(original)
    assert permalink.startswith(f"https://fake.slack.com/archives/{original['channel_id']}/p")
    escalation = slack.posts()[1]
    blocks = readable(escalation["blocks"])
    assert f"<{permalink}|Ouvrir l'alerte initiale dans Slack>" in blocks
    assert nb("Alerte initiale : Slack #crise le 22/02/2026 à 11:59 (CET)") in blocks
    assert permalink in escalation["text"]  # the notification's text too (push, search)
    assert "https://x/" in blocks  # the example items keep their links
    assert all(r.status == "sent" for r in rows(app))


def test_the_email_and_console_escalations_say_where_and_when_the_alert_went(
    build: Callable[[str, Clock], App], slack: FakeSlack, smtp: SmtpServer, webhook: Webhook
) -> None:
    clock = Clock(now=START)
    app = build("fr", clock)
    original = alert_then_escalate(app, clock, slack)
    permalink = slack.permalink(original)

    text, html = parts(escalation_mail(smtp))
    where = nb(
        "Alerte initiale : Slack #crise le 22/02/2026 à 11:59 (CET), "
        "e-mail à dircom@example.fr le 22/02/2026 à 11:59 (CET), "
        f"apprise:json://127.0.0.1:{webhook.port}/… le 22/02/2026 à 11:59 (CET)"
    )
    assert where in text
    assert nb("Ouvrir l'alerte initiale dans Slack : ") + permalink in text
    assert f'<a href="{permalink}">Ouvrir l&#x27;alerte initiale dans Slack</a>' in html
    assert "https://x/" in text and 'href="https://x/' in html  # the items' own links

    console = app.console.getvalue() if isinstance(app.console, io.StringIO) else ""
    assert nb("⏫ ESCALADE – 🚨 Pic de mentions : Acmé") in console
    assert nb("Alerte initiale : Slack #crise le 22/02/2026 à 11:59 (CET)") in console
    assert permalink in console and "https://x/" in console
    # The Apprise copy's URL holds a token: the escalation names it redacted.
    assert SECRET not in text + html + console + str(slack.posts())


def test_the_escalation_speaks_english_when_configured(
    build: Callable[[str, Clock], App], slack: FakeSlack, smtp: SmtpServer
) -> None:
    clock = Clock(now=START)
    app = build("en", clock)
    original = alert_then_escalate(app, clock, slack)
    permalink = slack.permalink(original)

    blocks = readable(slack.posts()[1]["blocks"])
    assert f"<{permalink}|Open the original alert in Slack>" in blocks
    assert "Original alert: Slack #crise on 2026-02-22 11:59 (CET)" in blocks
    text, _ = parts(escalation_mail(smtp))
    assert "Original alert: Slack #crise on 2026-02-22 11:59 (CET)" in text
    assert f"Open the original alert in Slack: {permalink}" in text
    console = app.console.getvalue() if isinstance(app.console, io.StringIO) else ""
    assert "⏫ ESCALATION – 🚨 Mention spike: Acmé" in console


@pytest.mark.parametrize(
    ("refusal", "error"),
    [("message_not_found", "message_not_found"), (503, "Slack server error (503)")],
)
def test_without_a_permalink_the_escalation_still_goes_out(
    build: Callable[[str, Clock], App],
    slack: FakeSlack,
    smtp: SmtpServer,
    caplog: pytest.LogCaptureFixture,
    refusal: str | int,
    error: str,
) -> None:
    clock = Clock(now=START)
    app = build("fr", clock)
    slack.refuse["chat.getPermalink"] = refusal
    with caplog.at_level(logging.WARNING, logger="watchtower"):
        original = alert_then_escalate(app, clock, slack)

    blocks = readable(slack.posts()[1]["blocks"])
    assert nb("Alerte initiale : Slack #crise le 22/02/2026 à 11:59 (CET)") in blocks
    assert "https://x/" in blocks and "fake.slack.com/archives" not in blocks
    text, _ = parts(escalation_mail(smtp))
    assert nb("Alerte initiale : Slack #crise") in text and "https://x/" in text
    assert "Ouvrir l'alerte initiale" not in text
    assert all(r.status == "sent" for r in rows(app))
    [record] = [
        r for r in caplog.records if r.getMessage().startswith("escalation sent without a link")
    ]
    line = KeyValueFormatter().format(record)
    assert record.levelno == logging.WARNING
    assert f"channel={original['channel_id']} ts={original['ts']}" in line
    assert error in line
