"""The « Retour au calme » notice answers the spike alert where it was given.

A community manager's review: the calm-down came as a new Slack message and a
new e-mail conversation, far from the alert it closes and from the thread where
the team had discussed it. It now goes in the thread of each Slack copy, also
broadcast to the channel (the end of a crisis is news to those who never opened
the thread), and in the conversation of each e-mail ("Re:", In-Reply-To).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock, base_config, make_app
from tests.e2e.test_escalation_taken_email import (
    BOTH,
    BURST,
    SPIKES,
    alerted,
    cycle,
    mails_to,
    text_of,
)
from tests.e2e.test_spikes import add_mentions
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App


@pytest.fixture
def build(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., App]]:
    """``build(notify)``: a started App whose spikes go to ``notify`` (one database)."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    apps: list[App] = []

    def make(notify: str = BOTH) -> App:
        text = base_config(database_url, slack, smtp, SPIKES.format(notify=notify))
        app = make_app(write_config(text, f"watchtower-{len(apps)}.toml"), clock)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


def calm_down(app: App, clock: Clock) -> None:
    """Hours after the alert: its volume fell back, the calm-down goes (told once)."""
    for _ in range(3):
        cycle(app, clock, minutes=45)


def calm_messages(slack: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in slack.messages if "Retour au calme" in m["text"]]


def is_calm(mail: Any) -> bool:
    return "Retour au calme" in nb(text_of(mail))


def test_the_calm_down_is_a_broadcast_reply_in_each_slack_copys_thread(
    build: Callable[..., App], clock: Clock, slack: FakeSlack, smtp: SmtpServer
) -> None:
    app = build()
    alert = alerted(app, clock, slack)
    cycle(app, clock, minutes=16)  # nobody took it: escalated
    [escalation] = [m for m in slack.posts() if m["channel"] == "#direction"]

    calm_down(app, clock)

    # A reply in the thread of each copy (the escalation's for #direction), also
    # shown in its channel.
    [crise, direction] = calm_messages(slack)
    assert (crise["channel"], crise["thread_ts"]) == ("#crise", alert["ts"])
    assert crise["reply_broadcast"] is True
    assert (direction["channel"], direction["thread_ts"]) == ("#direction", escalation["ts"])
    assert direction["reply_broadcast"] is True
    assert [m["ts"] for m in slack.broadcasts()] == [crise["ts"], direction["ts"]]
    assert not [m for m in slack.posts() if "Retour au calme" in m["text"]]

    # Once per alert and target, restarts included.
    sent = len(slack.messages), len(smtp.messages)
    app.close()
    again = build()
    calm_down(again, clock)
    assert (len(slack.messages), len(smtp.messages)) == sent


def test_the_calm_down_answers_the_alerts_email_in_its_conversation(
    build: Callable[..., App], clock: Clock, slack: FakeSlack, smtp: SmtpServer
) -> None:
    app = build()
    alerted(app, clock, slack)
    [original] = mails_to(smtp, "dircom@example.fr")
    cycle(app, clock, minutes=16)  # nobody took it: escalated
    [escalation_mail] = mails_to(smtp, "direction@example.fr")

    calm_down(app, clock)

    [calm_mail] = [m for m in mails_to(smtp, "dircom@example.fr") if is_calm(m)]
    assert calm_mail["Subject"] == f"Re: {original['Subject']}"
    assert calm_mail["In-Reply-To"] == original["Message-ID"]
    assert calm_mail["References"] == original["Message-ID"]
    assert nb("✅ Retour au calme : Acmé") in nb(text_of(calm_mail))
    # The escalation's reader gets it as before: a message of its own.
    [told] = [m for m in mails_to(smtp, "direction@example.fr") if is_calm(m)]
    assert told["In-Reply-To"] is None
    assert "Re:" not in told["Subject"]
    assert told["Message-ID"] != escalation_mail["Message-ID"]


@pytest.mark.parametrize("orphan_reply", ["thread_not_found", ""])
def test_a_deleted_alert_gets_its_calm_down_in_the_channel(
    build: Callable[..., App], clock: Clock, slack: FakeSlack, orphan_reply: str
) -> None:
    """Slack refuses a reply whose parent is gone, or posts it in the channel: the
    notice stands on its own either way."""
    slack.orphan_reply = orphan_reply
    app = build('"slack:#crise"')
    alert = alerted(app, clock, slack)
    cycle(app, clock, minutes=16)  # escalated to #direction
    [escalation] = [m for m in slack.posts() if m["channel"] == "#direction"]
    slack.delete(alert["ts"])

    calm_down(app, clock)

    [calm, direction] = calm_messages(slack)
    assert calm["channel"] == "#crise"
    assert not calm.get("thread_ts")
    assert calm in slack.posts()
    # The escalation's copy, still there, is answered in its thread.
    assert direction["thread_ts"] == escalation["ts"]


def test_an_alert_not_posted_yet_gets_its_calm_down_on_its_own(
    build: Callable[..., App], clock: Clock, slack: FakeSlack
) -> None:
    """The alert's Slack copy still waits (Slack refused it for now): the calm-down
    has no thread to answer, and goes as a message of its own, after the alert."""
    slack.refuse["chat.postMessage"] = 503
    app = build('"slack:#crise"')
    add_mentions(app, [(BURST, 40)])
    clock.now = BURST + timedelta(minutes=59)
    cycle(app, clock)
    calm_down(app, clock)
    assert slack.messages == []  # nothing reached Slack
    del slack.refuse["chat.postMessage"]
    for _ in range(6):  # the outbox retries them all
        cycle(app, clock, minutes=30)

    crise = [m for m in slack.messages if m["channel"] == "#crise"]
    assert "Pic de mentions" in crise[0]["text"]
    [calm] = [m for m in crise if "Retour au calme" in m["text"]]
    assert not calm.get("thread_ts") and not calm.get("reply_broadcast")
