"""Who took an alert, by name: ``users.info`` on the fake Slack Web API.

The display name, else the real name, else the user name; cached; and never in
the way: without ``users:read`` (or Slack down) the name is "" and the reader
sees the id, with one warning saying how to grant the scope, not one per ack.
"""

from __future__ import annotations

import logging

import pytest
from slack_sdk import WebClient

from tests.servers.slack import FakeSlack
from watchtower.notify.slack_api import SlackApi
from watchtower.notify.slack_names import NAME_MAX, name_of


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def api_for(slack: FakeSlack, ticks: Ticks | None = None) -> SlackApi:
    client = WebClient(token=slack.token, base_url=slack.api_url, timeout=5)
    return SlackApi(client, interval=0, monotonic=ticks or Ticks())


def lookups(slack: FakeSlack) -> list[str]:
    return [str(c.body.get("user")) for c in slack.calls if c.method == "users.info"]


@pytest.mark.parametrize(
    ("profile", "shown"),
    [
        (("Marie D.", "Marie Dupont", "mdupont"), "Marie D."),
        (("", "Marie Dupont", "mdupont"), "Marie Dupont"),
        (("", "", "mdupont"), "mdupont"),
        (("", "", ""), ""),
        (("  ", "\u202eMarie\u202c", "m"), "Marie"),  # blank display name; bidi dropped
        (("Zoé\r\nBcc: x@evil.example", "", ""), "Zoé Bcc: x@evil.example"),  # one line
    ],
)
def test_the_name_slack_shows(slack: FakeSlack, profile: tuple[str, str, str], shown: str) -> None:
    slack.add_user("U0CM", *profile)
    assert api_for(slack).names.name("U0CM") == shown


def test_a_long_name_is_cut() -> None:
    name = name_of({"profile": {"display_name": "x" * 300}})
    assert len(name) == NAME_MAX and name.endswith("…")


def test_an_acknowledgement_carries_the_name(slack: FakeSlack) -> None:
    slack.add_user("U0CM", "Marie D.", "Marie Dupont", "mdupont")
    api = api_for(slack)
    posted = api.post("#crise", text="Pic", blocks=None, outbox_id=1)
    slack.human_reply(posted.ts, "je prends", user="U0CM")
    ack = api.acknowledged(posted.channel, posted.ts)
    assert ack is not None and (ack.user, ack.name) == ("U0CM", "Marie D.")


def test_names_are_cached_for_an_hour(slack: FakeSlack) -> None:
    slack.add_user("U0CM", "Marie D.")
    ticks = Ticks()
    api = api_for(slack, ticks)
    assert [api.names.name("U0CM") for _ in range(3)] == ["Marie D."] * 3
    assert lookups(slack) == ["U0CM"]
    slack.add_user("U0CM", "Marie (congés)")
    ticks.now += 3601
    assert api.names.name("U0CM") == "Marie (congés)"
    assert lookups(slack) == ["U0CM", "U0CM"]


def test_without_the_scope_the_id_stays_and_one_warning_says_how_to_grant_it(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.add_user("U0CM", "Marie D.")
    slack.add_user("U0AB", "Paul")
    slack.refuse["users.info"] = "missing_scope"
    api = api_for(slack)
    with caplog.at_level(logging.DEBUG, logger="watchtower"):
        assert [api.names.name(u) for u in ("U0CM", "U0AB", "U0CM")] == ["", "", ""]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "users:read" in warnings[0].getMessage()
    assert lookups(slack) == ["U0CM", "U0AB", "U0CM"]  # a refusal is not remembered

    del slack.refuse["users.info"]  # the scope granted: names at once, no restart
    assert api.names.name("U0CM") == "Marie D."


@pytest.mark.parametrize("refusal", [500, "not_authed", "user_not_found"])
def test_any_other_failure_keeps_the_id(
    slack: FakeSlack, caplog: pytest.LogCaptureFixture, refusal: int | str
) -> None:
    slack.add_user("U0CM", "Marie D.")
    slack.refuse["users.info"] = refusal
    api = api_for(slack)
    with caplog.at_level(logging.DEBUG, logger="watchtower"):
        assert api.names.name("U0CM") == api.names.name("U0CM") == ""
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1


def test_slack_unreachable_keeps_the_id(slack: FakeSlack) -> None:
    api = api_for(slack)
    slack.stop()  # nothing listens on its port any more
    assert api.names.name("U0CM") == ""


def test_no_id_no_lookup(slack: FakeSlack) -> None:
    api = api_for(slack)
    assert api.names.name("") == api.names.name("<@U0CM>") == ""
    assert lookups(slack) == []
