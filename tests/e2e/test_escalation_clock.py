"""An escalation's deadline survives a step of the wall clock.

The deadline is decided when the alert reaches Slack (``ack_timeout`` later)
and stored. When the clock steps (an NTP correction, a VM restored), the
daemon's clock watch moves it by the jump (``escalation.shift_deadlines``,
called as ``scheduler`` does for source checks and grouping windows). What the
review found: after a step back of an hour, the deadline was computed again
from the post's clock time, so a crisis nobody acknowledged was escalated an
hour late.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_escalation_acks import cycle, spiking
from tests.servers.slack import FakeSlack
from watchtower import escalation
from watchtower.app import App
from watchtower.storage.tables import SpikeAlertRow


@pytest.fixture
def app(app_for: Callable[[str], App], clock: Clock) -> App:
    """Spike alerts to #crise, escalated to #direction after 15 minutes without an ack."""
    return spiking(app_for, clock)


def step(app: App, clock: Clock, jump: timedelta) -> None:
    """The wall clock steps by ``jump``, and the daemon's clock watch sees it."""
    clock.now += jump
    with app.db.writing() as session:
        escalation.shift_deadlines(session, clock.now, jump)


def test_a_step_back_does_not_delay_the_escalation(
    app: App, clock: Clock, slack: FakeSlack
) -> None:
    assert cycle(app, slack, clock) == ["#crise"]  # ack_timeout = 15 min from now
    assert cycle(app, slack, clock, minutes=5) == ["#crise"]
    step(app, clock, -timedelta(hours=1))
    assert cycle(app, slack, clock, minutes=9) == ["#crise"]  # 14 min after the post
    assert cycle(app, slack, clock, minutes=2) == ["#crise", "#direction"]  # 16 min


def test_a_step_forward_does_not_escalate_at_once(app: App, clock: Clock, slack: FakeSlack) -> None:
    assert cycle(app, slack, clock) == ["#crise"]
    assert cycle(app, slack, clock, minutes=5) == ["#crise"]
    step(app, clock, timedelta(hours=1))
    assert cycle(app, slack, clock) == ["#crise"]  # 5 min after the post: 10 min left
    slack.react(slack.posts()[0]["ts"], "white_check_mark")
    assert cycle(app, slack, clock, minutes=11) == ["#crise"]  # found at the deadline
    with app.db.session() as session:
        assert session.scalars(select(SpikeAlertRow.acked_at)).one() == clock.now


def test_an_alert_that_never_reached_slack_keeps_its_time_too(
    app: App, clock: Clock, slack: FakeSlack
) -> None:
    """The alert's channel is archived: its deadline runs from its creation, and a
    step back does not delay it either."""
    slack.archived.add("#crise")
    assert cycle(app, slack, clock) == []
    step(app, clock, -timedelta(hours=1))
    assert cycle(app, slack, clock, minutes=14) == []
    assert cycle(app, slack, clock, minutes=2) == ["#direction"]


def test_a_step_forward_seen_by_two_replicas_delays_less_than_ack_timeout(
    app: App, clock: Clock, slack: FakeSlack
) -> None:
    """Two replicas on one host both see the step and both move the deadline."""
    assert cycle(app, slack, clock) == ["#crise"]
    assert cycle(app, slack, clock, minutes=5) == ["#crise"]
    step(app, clock, timedelta(hours=1))
    with app.db.writing() as session:  # the other replica's clock watch
        escalation.shift_deadlines(session, clock.now, timedelta(hours=1))
    assert cycle(app, slack, clock, minutes=14) == ["#crise"]
    assert cycle(app, slack, clock, minutes=2) == ["#crise", "#direction"]  # not an hour late
