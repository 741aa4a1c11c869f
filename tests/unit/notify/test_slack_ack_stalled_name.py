"""The whole ack check, in the App, with Slack's ``users.info`` stalled.

The escalation round reads the ack (``reactions.get``, ``conversations.replies``)
then asks ``users.info`` for the person's name; Slack answering the first two
but not the third held the round for the client's whole timeout (15 s, the
configured default here). The round now goes on after a short wait: the
"taken" e-mail goes in the same round and names the person by their id.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_escalation_taken_email import alerted, cycle, mails_to, text_of
from tests.e2e.test_escalation_taken_name import app as app
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from tests.unit.notify.test_slack_names_stall import BOUND, StallingSlack
from watchtower.app import App


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    """The fake Slack, its ``users.info`` stalled until the test ends."""
    server = StallingSlack().start()
    yield server
    server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_stalled_users_info_does_not_hold_the_round_and_the_email_names_the_id(
    app: App, clock: Clock, slack: FakeSlack, smtp: SmtpServer
) -> None:
    slack.add_user("U0CM", display_name="Marie D.")
    alert = alerted(app, clock, slack)
    clock.advance(minutes=3)  # 12:02 CET
    slack.human_reply(alert["ts"], "je prends", user="U0CM")

    started = time.monotonic()
    cycle(app, clock, seconds=30)
    took = time.monotonic() - started

    assert took < BOUND  # a guard against the client's 15 s, not a measure of speed
    assert isinstance(slack, StallingSlack) and slack.stalled == ["U0CM"]  # it was asked
    [_, taken] = mails_to(smtp, "dircom@example.fr")  # in the same round: not held
    assert nb("✅ Pris en charge par @U0CM à 12:02 : pas d'escalade.") in nb(text_of(taken))
