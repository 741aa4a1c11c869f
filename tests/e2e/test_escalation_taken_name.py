"""The "taken" e-mail names the person as Slack shows them, not by their Slack id.

In Slack, ``<@U0CM>`` shows the name; in an e-mail « Pris en charge par @U0CM »
told the director nothing. The name comes from ``users.info`` (scope
``users:read``) when the ack is read; without the scope the e-mail still goes,
at once, with the id, and the log says once how to grant it.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, base_config, make_app
from tests.e2e.test_escalation_taken_email import (
    BOTH,
    SPIKES,
    alerted,
    bot_replies,
    cycle,
    html_of,
    mails_to,
    text_of,
)
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App


@pytest.fixture
def app(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[App]:
    """A started App whose spike alerts go to #crise and dircom@example.fr."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    started = make_app(
        write_config(base_config(database_url, slack, smtp, SPIKES.format(notify=BOTH))), clock
    )
    yield started
    started.close()


def test_the_email_names_who_took_the_alert(
    app: App, clock: Clock, slack: FakeSlack, smtp: SmtpServer
) -> None:
    slack.add_user("U0CM", display_name="Marie D.", real_name="Marie Dupont", name="mdupont")
    alert = alerted(app, clock, slack)
    clock.advance(minutes=3)  # 12:02 CET
    slack.human_reply(alert["ts"], "je prends", user="U0CM")
    cycle(app, clock, seconds=30)

    [_, taken] = mails_to(smtp, "dircom@example.fr")
    said = nb("✅ Pris en charge par Marie D. à 12:02 : pas d'escalade.")
    assert said in nb(text_of(taken))
    assert said in nb(html.unescape(html_of(taken)))
    assert "U0CM" not in text_of(taken) + html_of(taken)
    # Slack shows its own mention as the name (and the person is not pinged by name).
    [reply] = bot_replies(slack, alert)
    assert "<@U0CM>" in reply and "Marie" not in reply


def test_a_hostile_display_name_is_text(
    app: App, clock: Clock, slack: FakeSlack, smtp: SmtpServer
) -> None:
    # Anyone in the workspace picks their display name.
    slack.add_user("U0CM", display_name="<b>Zoé</b>\u202e\r\nBcc: x@evil.example")
    alert = alerted(app, clock, slack)
    slack.react(alert["ts"], "white_check_mark", user="U0CM")
    cycle(app, clock, minutes=1)

    [_, taken] = mails_to(smtp, "dircom@example.fr")
    page = html_of(taken)
    assert "&lt;b&gt;Zoé&lt;/b&gt; Bcc: x@evil.example" in page
    assert "<b>" not in page
    assert nb("par <b>Zoé</b> Bcc: x@evil.example à") in nb(text_of(taken))
    assert "\u202e" not in page + text_of(taken)
    assert taken["Bcc"] is None
    assert [m["To"] for m in smtp.messages if "evil" in str(m["To"])] == []


def test_without_users_read_the_email_keeps_the_id_and_the_log_says_how(
    app: App,
    clock: Clock,
    slack: FakeSlack,
    smtp: SmtpServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack.add_user("U0CM", display_name="Marie D.")
    slack.refuse["users.info"] = "missing_scope"  # an app installed before the scope
    alert = alerted(app, clock, slack)
    clock.advance(minutes=3)
    slack.human_reply(alert["ts"], "ack", user="U0CM")
    with caplog.at_level(logging.WARNING, logger="watchtower"):
        cycle(app, clock, seconds=30)

    asked = [c for c in slack.calls if c.method == "users.info"]
    assert [c.body.get("user") for c in asked] == ["U0CM"]
    [_, taken] = mails_to(smtp, "dircom@example.fr")  # in the same round: not held
    assert nb("✅ Pris en charge par @U0CM à 12:02 : pas d'escalade.") in nb(text_of(taken))
    [warning] = [r for r in caplog.records if "users.info" in r.getMessage()]
    assert "users:read" in warning.getMessage()
    assert len(bot_replies(slack, alert)) == 1
