"""Whoever takes a spike alert is told in its thread; an escalation names who was paged.

A French community manager's review: U0CM replied « je prends » at 12:02 and
nothing showed it (colleagues could not tell anyone had the alert; ``acked_at``
said the deadline, not 12:02); the escalation in #direction pinged the on-call
person again instead of saying they had not answered, and its e-mail did not
name them; the calm-down said "40 mentions depuis" the alert, for mentions that
came before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock, base_config, make_app
from tests.e2e.test_spikes import START, add_mentions
from tests.french import nb, readable
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.storage.tables import OutboxRow, SpikeAlertRow

SPIKES = """
[spikes]
min_count = 10
notify = ["slack:#crise", "email:dircom@example.fr"]
escalate_to = ["@U0123"]
ack_timeout = "15m"
escalate_notify = ["slack:#direction", "email:direction@example.fr"]
"""
BURST = START + timedelta(days=20, hours=10)  # Sunday 22 February 2026, 10:00 UTC (11:00 CET)


@pytest.fixture
def build(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[str], App]]:
    """``build(language)``: a started App on the shared database (a replica, a restart)."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    apps: list[App] = []

    def make(language: str = "fr") -> App:
        text = base_config(database_url, slack, smtp, SPIKES)
        text = text.replace('language = "fr"', f'language = "{language}"')
        app = make_app(write_config(text, f"watchtower-{len(apps)}.toml"), clock)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def alerted(app: App, clock: Clock, slack: FakeSlack) -> dict[str, Any]:
    """A burst from 11:00 CET; its alert is posted in #crise at 11:59."""
    add_mentions(app, [(BURST, 40)])
    clock.now = BURST + timedelta(minutes=59)
    cycle(app, clock)
    [alert] = slack.posts()
    assert alert["channel"] == "#crise"
    return alert


def cycle(app: App, clock: Clock, **advance: float) -> None:
    clock.advance(**advance)
    app.alerting.tick()
    app.outbox.drain()


def acked_at(app: App) -> datetime | None:
    with app.db.session() as session:
        return session.scalars(select(SpikeAlertRow.acked_at)).one()


def taken_replies(slack: FakeSlack, alert: dict[str, Any]) -> list[str]:
    """The watchtower's replies in the alert's thread (not the people's), but the
    calm-down (broadcast there hours later)."""
    return [
        m["text"]
        for m in slack.replies(alert["ts"])
        if not m.get("user") and not m.get("reply_broadcast")
    ]


def test_a_reply_je_prends_is_confirmed_in_the_thread_at_once(
    build: Callable[[str], App], clock: Clock, slack: FakeSlack, smtp: SmtpServer
) -> None:
    app = build("fr")
    alert = alerted(app, clock, slack)
    clock.advance(minutes=3)  # 12:02 CET
    replied = clock.now
    slack.human_reply(alert["ts"], "je prends", user="U0CM")
    cycle(app, clock, seconds=30)  # long before the 15-minute deadline

    assert taken_replies(slack, alert) == [
        nb("✅ Pris en charge par <@U0CM> à 12:02 : pas d'escalade.")
    ]
    [reply] = [m for m in slack.replies(alert["ts"]) if not m.get("user")]
    assert nb("Pris en charge par <@U0CM> à 12:02") in readable(reply["blocks"])
    at = acked_at(app)
    assert at is not None and abs(at - replied) < timedelta(seconds=1)  # the reply's time
    # Past the deadline and hours later: no second reply, no escalation.
    for minutes in (1, 15, 120):
        cycle(app, clock, minutes=minutes)
    assert len(taken_replies(slack, alert)) == 1
    assert [m["channel"] for m in slack.posts() if "calme" not in m["text"]] == ["#crise"]
    assert not [m for m in smtp.messages if m["To"] == "direction@example.fr"]


def test_a_reaction_is_confirmed_in_english_with_the_time_it_was_seen(
    build: Callable[[str], App], clock: Clock, slack: FakeSlack
) -> None:
    app = build("en")
    alert = alerted(app, clock, slack)
    cycle(app, clock, minutes=2)  # read: nothing yet
    slack.react(alert["ts"], "white_check_mark", user="U0CM")
    cycle(app, clock, minutes=1)  # 12:02 CET; Slack does not say when a ✅ was added
    assert taken_replies(slack, alert) == ["✅ Taken by <@U0CM> at 12:02: no escalation."]
    assert acked_at(app) == clock.now


def test_replicas_and_a_restart_confirm_once(
    build: Callable[[str], App], clock: Clock, slack: FakeSlack
) -> None:
    first = build("fr")
    alert = alerted(first, clock, slack)
    second = build("fr")  # another replica on the same database
    slack.human_reply(alert["ts"], "ack", user="U0CM")
    clock.advance(minutes=1)
    first.alerting.tick()
    second.alerting.tick()
    first.outbox.drain()
    second.outbox.drain()
    restarted = build("fr")
    cycle(restarted, clock, minutes=20)
    cycle(second, clock, minutes=1)
    assert len(taken_replies(slack, alert)) == 1
    with first.db.session() as session:
        keys = session.scalars(select(OutboxRow.dedup_key)).all()
    assert len([k for k in keys if k.endswith(":ack")]) == 1


def test_acks_are_read_once_a_minute_before_the_deadline(
    build: Callable[[str], App], clock: Clock, slack: FakeSlack
) -> None:
    app = build("fr")
    alerted(app, clock, slack)
    before = len([c for c in slack.calls if c.method == "reactions.get"])
    for _ in range(6):  # drain rounds every 10 s: one read in that minute
        cycle(app, clock, seconds=10)
    assert len([c for c in slack.calls if c.method == "reactions.get"]) - before == 1
    cycle(app, clock, seconds=10)  # 70 s after the first read
    assert len([c for c in slack.calls if c.method == "reactions.get"]) - before == 2


def escalation_mail(smtp: SmtpServer) -> EmailMessage:
    [mail] = [m for m in smtp.messages if m["To"] == "direction@example.fr"]
    return mail


@pytest.mark.parametrize(
    ("language", "line"),
    [("fr", "Prévenu sans réponse : @U0123"), ("en", "Paged, no answer: @U0123")],
)
def test_the_escalation_names_who_was_paged_without_pinging_them(
    build: Callable[[str], App],
    clock: Clock,
    slack: FakeSlack,
    smtp: SmtpServer,
    language: str,
    line: str,
) -> None:
    app = build(language)
    alert = alerted(app, clock, slack)
    assert "<@U0123>" in alert["text"]  # the alert itself pages the on-call person
    cycle(app, clock, minutes=16)
    [escalation] = [m for m in slack.posts() if m["channel"] == "#direction"]
    shown = readable(escalation["blocks"])
    assert nb(line) in shown
    assert "<@" not in shown and "<@" not in escalation["text"]  # no ping in #direction
    assert nb(line) in nb(escalation["text"])
    mail = escalation_mail(smtp)
    text, html = mail.get_body(("plain",)), mail.get_body(("html",))
    assert text is not None and html is not None
    assert nb(line) in nb(text.get_content())
    assert nb(line) in nb(html.get_content())


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "fr",
            "Pic commencé vers 11:00, signalé le 22/02/2026 à 11:59 (CET) : 40 mentions en tout.",
        ),
        ("en", "Spike began around 11:00, reported on 2026-02-22 11:59 (CET): 40 mentions in all."),
    ],
)
def test_the_calm_says_the_total_counts_from_the_spikes_start(
    build: Callable[[str], App], clock: Clock, slack: FakeSlack, language: str, said: str
) -> None:
    app = build(language)
    alert = alerted(app, clock, slack)
    slack.react(alert["ts"], "white_check_mark")
    cycle(app, clock, hours=2)  # the burst is out of the window: calm
    [calm] = slack.broadcasts()  # in the alert's thread, and in the channel
    assert calm["thread_ts"] == alert["ts"]
    assert nb(said) in readable(calm["blocks"])
