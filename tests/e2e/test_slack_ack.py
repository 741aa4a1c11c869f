"""A spike alert is escalated unless a reply really takes charge of it."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_spikes import app, burst_alert, clock  # noqa: F401  (fixtures)
from tests.servers.slack import FakeSlack
from watchtower.app import App


@pytest.mark.parametrize(
    "reply",
    [
        "Toujours pas pris en charge ?? Quelqu'un peut regarder",
        "pas d'ack ?",
        "can someone ack?",
        "personne n'a pris en charge",
    ],
)
def test_a_reply_saying_nobody_is_on_it_does_not_stop_the_escalation(
    app: App,  # noqa: F811
    clock: Clock,  # noqa: F811
    slack: FakeSlack,
    reply: str,
) -> None:
    ts = burst_alert(app, clock, slack)
    slack.human_reply(ts, reply)
    clock.advance(minutes=16)
    app.alerting.tick()
    app.outbox.drain()
    assert [m["channel"] for m in slack.posts()] == ["#crise", "#direction"]


def test_an_acknowledgement_is_logged_with_who_and_how(
    app: App,  # noqa: F811
    clock: Clock,  # noqa: F811
    slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ts = burst_alert(app, clock, slack)
    slack.human_reply(ts, "Je m'en occupe, je reviens vers vous", user="U0ONCALL")
    clock.advance(minutes=16)
    with caplog.at_level(logging.INFO, logger="watchtower"):
        app.alerting.tick()
    app.outbox.drain()

    assert [m["channel"] for m in slack.posts()] == ["#crise"]
    [record] = [r for r in caplog.records if r.getMessage() == "spike alert acknowledged"]
    fields: dict[str, Any] = getattr(record, "wt_fields", {})
    assert fields["user"] == "U0ONCALL" and fields["via"] == "reply"
    assert fields["detail"] == "Je m'en occupe, je reviens vers vous"
