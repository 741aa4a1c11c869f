"""The spike alert's hint, read by a French community manager: what it says to
reply in the thread is French, and replying exactly that takes charge."""

from __future__ import annotations

import re

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_spikes import app, burst_alert, clock  # noqa: F401  (fixtures)
from tests.french import readable
from tests.servers.slack import FakeSlack
from watchtower.app import App


def test_the_french_ack_hint_names_a_french_reply_that_takes_charge(
    app: App,  # noqa: F811
    clock: Clock,  # noqa: F811
    slack: FakeSlack,
) -> None:
    ts = burst_alert(app, clock, slack)
    blocks = readable(slack.posts()[0]["blocks"])
    [hint] = re.findall(r"répondez «\xa0(.+?)\xa0» dans le fil", blocks)
    assert hint == "je prends"  # French, not "ack"
    slack.human_reply(ts, hint)
    clock.advance(minutes=16)
    app.alerting.tick()
    app.outbox.drain()
    assert [m["channel"] for m in slack.posts()] == ["#crise"]  # taken: no escalation
