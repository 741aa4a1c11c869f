"""Whoever takes a spike alert in Slack is named to its e-mail readers too.

A community manager's review: the « ✅ Pris en charge par … » reply went to the
Slack thread only; the director who got the alert by e-mail could not know
it was taken, and called the on-call person a second time. The e-mail goes
once, to the alert's own e-mail targets (not its escalation's), in the thread
of the alert's e-mail, saying who took it and when (Paris time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock, base_config, make_app
from tests.e2e.test_spikes import START, add_mentions
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App

SPIKES = """
[spikes]
min_count = 10
notify = [{notify}]
escalate_to = ["@U0123"]
ack_timeout = "15m"
escalate_notify = ["slack:#direction", "email:direction@example.fr"]
"""
BOTH = '"slack:#crise", "email:dircom@example.fr"'
BURST = START + timedelta(days=20, hours=10)  # Sunday 22 February 2026, 10:00 UTC (11:00 CET)


@pytest.fixture
def build(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., App]]:
    """``build(language, notify)``: a started App whose spikes go to ``notify``."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    apps: list[App] = []

    def make(language: str = "fr", notify: str = BOTH) -> App:
        text = base_config(database_url, slack, smtp, SPIKES.format(notify=notify))
        text = text.replace('language = "fr"', f'language = "{language}"')
        app = make_app(write_config(text, f"watchtower-{len(apps)}.toml"), clock)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def cycle(app: App, clock: Clock, **advance: float) -> None:
    clock.advance(**advance)
    app.alerting.tick()
    app.outbox.drain()


def alerted(app: App, clock: Clock, slack: FakeSlack) -> dict[str, Any]:
    """A burst from 11:00 CET; its alert is posted in #crise at 11:59."""
    add_mentions(app, [(BURST, 40)])
    clock.now = BURST + timedelta(minutes=59)
    cycle(app, clock)
    [alert] = slack.posts()
    return alert


def mails_to(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    return [m for m in smtp.messages if m["To"] == address]


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def bot_replies(slack: FakeSlack, alert: dict[str, Any]) -> list[str]:
    """Our replies in the alert's thread, but its calm-down (a reply there too)."""
    return [
        m["text"]
        for m in slack.replies(alert["ts"])
        if not m.get("user") and not m.get("reply_broadcast")
    ]


def test_the_alerts_email_reader_learns_who_took_it_in_its_thread(
    build: Callable[..., App], clock: Clock, slack: FakeSlack, smtp: SmtpServer
) -> None:
    app = build("fr")
    alert = alerted(app, clock, slack)
    [original] = mails_to(smtp, "dircom@example.fr")
    clock.advance(minutes=3)  # 12:02 CET
    slack.human_reply(alert["ts"], "je prends", user="U0CM")
    cycle(app, clock, seconds=30)

    [first, taken] = mails_to(smtp, "dircom@example.fr")
    assert first["Message-ID"] == original["Message-ID"]
    assert taken["Subject"] == f"Re: {original['Subject']}"
    assert taken["In-Reply-To"] == original["Message-ID"]
    assert taken["References"] == original["Message-ID"]
    said = nb("✅ Pris en charge par @U0CM à 12:02 : pas d'escalade.")
    assert said in nb(text_of(taken))
    assert nb("Pic de mentions : Acmé") in nb(text_of(taken))
    assert nb("Pris en charge par @U0CM à 12:02") in nb(html_of(taken))
    assert "<@U0CM>" not in text_of(taken)  # Slack's syntax means nothing in an e-mail

    # Later rounds, past the deadline and hours after: once, and nothing to the escalation's.
    for minutes in (1, 15, 120):
        cycle(app, clock, minutes=minutes)
    later = mails_to(smtp, "dircom@example.fr")[2:]
    assert [m for m in later if "calme" not in text_of(m)] == []  # the calm-down, hours later
    assert not mails_to(smtp, "direction@example.fr")
    assert len(bot_replies(slack, alert)) == 1  # one Slack reply, as before


def test_in_english_after_a_reaction(
    build: Callable[..., App], clock: Clock, slack: FakeSlack, smtp: SmtpServer
) -> None:
    app = build("en")
    alert = alerted(app, clock, slack)
    cycle(app, clock, minutes=2)  # read: nothing yet
    slack.react(alert["ts"], "white_check_mark", user="U0CM")
    cycle(app, clock, minutes=1)  # 12:02 CET
    [original, taken] = mails_to(smtp, "dircom@example.fr")
    assert taken["Subject"] == f"Re: {original['Subject']}"
    assert taken["Subject"].startswith("Re: [watchtower] ")
    assert "✅ Taken by @U0CM at 12:02: no escalation." in text_of(taken)
    assert taken["In-Reply-To"] == original["Message-ID"]


def test_an_alert_without_email_targets_sends_no_email(
    build: Callable[..., App], clock: Clock, slack: FakeSlack, smtp: SmtpServer
) -> None:
    app = build("fr", '"slack:#crise"')
    alert = alerted(app, clock, slack)
    slack.human_reply(alert["ts"], "ack", user="U0CM")
    cycle(app, clock, minutes=1)
    cycle(app, clock, minutes=20)
    assert len(bot_replies(slack, alert)) == 1
    assert smtp.messages == []


def test_an_alert_still_waiting_for_the_mail_server_is_answered_in_its_thread(
    build: Callable[..., App], clock: Clock, slack: FakeSlack, smtp: SmtpServer
) -> None:
    smtp.handler.refuse_with = "451 4.3.0 try again later"  # the alert's e-mail waits
    app = build("fr")
    alert = alerted(app, clock, slack)
    slack.human_reply(alert["ts"], "je prends", user="U0CM")
    cycle(app, clock, minutes=1)
    assert mails_to(smtp, "dircom@example.fr") == []
    smtp.handler.refuse_with = None
    cycle(app, clock, minutes=15)  # the server is back: the outbox retries both
    mails = mails_to(smtp, "dircom@example.fr")
    [original] = [m for m in mails if not m["Subject"].startswith("Re: ")]
    [taken] = [m for m in mails if m["Subject"].startswith("Re: ")]
    assert taken["In-Reply-To"] == original["Message-ID"]
