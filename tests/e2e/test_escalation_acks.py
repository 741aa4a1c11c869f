"""When an acknowledgement stops an escalation, and when doubt escalates anyway.

Acknowledgements are read from Slack once a minute before the deadline
(``escalation.ACK_POLL``) and at the deadline: Slack keeps the ✅ and the
replies, so an ack is found whenever it was given. What the review found:

- the deadline ran from when the alert was *queued*: a Slack post delayed by
  retries left people only what remained of ``ack_timeout`` to react;
- a ✅ on the alert's second Slack channel was not looked at: escalated anyway;
- an ack check that could not read Slack (a missing ``reactions:read`` scope, an
  outage) postponed the escalation forever: a crisis nobody saw, never escalated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_spikes import START, add_mentions
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.storage.tables import SpikeAlertRow

SPIKES = """
[spikes]
min_count = 10
notify = [{notify}]
escalate_to = ["@U0123"]
ack_timeout = "15m"
escalate_notify = ["slack:#direction"]
"""
BURST = START + timedelta(days=20, hours=10)


def spiking(app_for: Callable[[str], App], clock: Clock, notify: str = '"slack:#crise"') -> App:
    """An app with a burst of mentions ending now: the next tick alerts."""
    app = app_for(SPIKES.format(notify=notify))
    add_mentions(app, [(BURST, 40)])
    clock.now = BURST + timedelta(minutes=59)
    return app


@pytest.fixture
def app(app_for: Callable[[str], App], clock: Clock) -> App:
    return spiking(app_for, clock)


def cycle(app: App, slack: FakeSlack, clock: Clock, **advance: float) -> list[str]:
    """Let time pass, run the alerting job and the drain; the channels the alert and
    its escalation were posted to so far (not its calm-down, hours later)."""
    clock.advance(**advance)
    app.alerting.tick()
    app.outbox.drain()
    return [str(m["channel"]) for m in slack.posts() if "Retour au calme" not in m["text"]]


def acked_at(app: App) -> Any:  # a datetime, or None
    with app.db.session() as session:
        return session.scalars(select(SpikeAlertRow.acked_at)).one()


def test_an_ack_given_long_before_the_deadline_is_found_at_the_next_read(
    app: App, clock: Clock, slack: FakeSlack
) -> None:
    assert cycle(app, slack, clock) == ["#crise"]
    slack.react(slack.posts()[0]["ts"], "white_check_mark")  # a minute after the alert
    assert cycle(app, slack, clock, minutes=1) == ["#crise"]
    assert acked_at(app) == clock.now  # read once a minute, not only at the deadline
    assert cycle(app, slack, clock, minutes=15) == ["#crise"]
    assert cycle(app, slack, clock, hours=2) == ["#crise"]


def test_the_time_to_react_starts_when_the_alert_reaches_slack(
    app: App, clock: Clock, slack: FakeSlack
) -> None:
    slack.fail_next = [503]  # the alert's first post fails; the outbox retries it
    assert cycle(app, slack, clock) == []
    assert cycle(app, slack, clock, minutes=10) == ["#crise"]  # in Slack 10 minutes late
    # 16 minutes after the spike, 6 after the post: people still have 9 minutes.
    assert cycle(app, slack, clock, minutes=6) == ["#crise"]
    replied = clock.now
    slack.human_reply(slack.posts()[0]["ts"], "je prends", user="U0ONCALL")
    assert cycle(app, slack, clock, minutes=10) == ["#crise"]
    assert abs(acked_at(app) - replied) < timedelta(seconds=1)  # the reply's time


def test_an_unacknowledged_late_alert_is_escalated_a_full_timeout_after_its_post(
    app: App, clock: Clock, slack: FakeSlack
) -> None:
    slack.fail_next = [503]
    cycle(app, slack, clock)
    assert cycle(app, slack, clock, minutes=10) == ["#crise"]
    assert cycle(app, slack, clock, minutes=14) == ["#crise"]
    assert cycle(app, slack, clock, minutes=2) == ["#crise", "#direction"]


@pytest.mark.parametrize("how", ["reaction", "reply"])
def test_an_ack_on_the_alerts_other_slack_channel_counts(
    app_for: Callable[[str], App], clock: Clock, slack: FakeSlack, how: str
) -> None:
    app = spiking(app_for, clock, '"slack:#crise", "slack:#veille"')
    assert sorted(cycle(app, slack, clock)) == ["#crise", "#veille"]
    [other] = [m for m in slack.posts() if m["channel"] == "#veille"]
    given = clock.now
    if how == "reaction":
        slack.react(other["ts"], "white_check_mark")
    else:
        slack.human_reply(other["ts"], "Je m'en occupe")
    assert sorted(cycle(app, slack, clock, minutes=16)) == ["#crise", "#veille"]
    # A reply says when it was written; Slack does not say when a ✅ was added.
    assert abs(acked_at(app) - (given if how == "reply" else clock.now)) < timedelta(seconds=1)
    # Confirmed in the thread of the copy that was acked, not in the other one.
    assert [m["channel"] for m in slack.replies() if not m.get("user")] == ["#veille"]


def test_a_refused_ack_check_escalates_instead_of_waiting_forever(
    app: App, clock: Clock, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.refuse["reactions.get"] = "missing_scope"  # an app installed before reactions:read
    assert cycle(app, slack, clock) == ["#crise"]
    with caplog.at_level(logging.WARNING, logger="watchtower"):
        assert cycle(app, slack, clock, minutes=16) == ["#crise", "#direction"]
    [record] = [r for r in caplog.records if r.getMessage().startswith("cannot check ack")]
    assert "missing_scope" in str(getattr(record, "wt_fields", {}).get("error"))
    assert cycle(app, slack, clock, hours=1) == ["#crise", "#direction"]  # once


def test_an_ack_check_during_a_slack_outage_waits_a_little_then_escalates(
    app: App, clock: Clock, slack: FakeSlack
) -> None:
    assert cycle(app, slack, clock) == ["#crise"]
    slack.refuse["reactions.get"] = 503
    assert cycle(app, slack, clock, minutes=16) == ["#crise"]  # may come back: look again soon
    slack.refuse.pop("reactions.get")
    slack.react(slack.posts()[0]["ts"], "white_check_mark")
    assert cycle(app, slack, clock, minutes=1) == ["#crise"]  # back, and acknowledged
    assert acked_at(app) == clock.now


def test_a_long_slack_outage_does_not_hold_the_escalation_back(
    app: App, clock: Clock, slack: FakeSlack
) -> None:
    assert cycle(app, slack, clock) == ["#crise"]
    slack.refuse["reactions.get"] = 503
    assert cycle(app, slack, clock, minutes=16) == ["#crise"]
    assert cycle(app, slack, clock, minutes=3) == ["#crise"]
    # Still unreadable 6 minutes past the deadline: escalated without knowing.
    assert cycle(app, slack, clock, minutes=3) == ["#crise", "#direction"]
    assert cycle(app, slack, clock, hours=1) == ["#crise", "#direction"]
