"""An ack check does not wait for a stalled ``users.info``.

The ack check names whoever took the alert (``users.info``) for the e-mail
readers; Slack answering the check's own calls but not that one used to hold
the check for the client's whole timeout (15 s in production), and the whole
escalation round with it. The name now waits :data:`~watchtower.notify.slack_names.WAIT`
seconds at most: the e-mail shows the id, the late answer is kept for the next
ack, a failure is not.

Against the fake Slack Web API, with only ``users.info`` stalled (a subclass
here: ``tests/servers/slack.py`` stalls every call or none).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from slack_sdk import WebClient

from tests.french import nb
from tests.servers.slack import Answer, FakeSlack
from tests.unit.notify.spikes import spike_notification
from watchtower.errors import DeliveryReason
from watchtower.notify import slack_names
from watchtower.notify.base import TargetUnreachable
from watchtower.notify.email import EmailNotifier
from watchtower.notify.slack_api import SlackApi
from watchtower.notify.slack_names import UserNames

# The client's timeout in production; the guard is well under it, not a speed test.
CLIENT_TIMEOUT = 15
BOUND = 8.0


@dataclass
class StallingSlack(FakeSlack):
    """The fake Slack, whose ``users.info`` answers only once ``release`` is set."""

    release: threading.Event = field(default_factory=threading.Event)
    stalled: list[str] = field(default_factory=list)  # users.info asked, before the stall

    def answer(self, method: str, body: dict[str, Any], token: str | None) -> Answer:
        if method == "users.info":
            with self._lock:
                self.stalled.append(str(body.get("user")))
            self.release.wait(60)
        return super().answer(method, body, token)

    def stop(self) -> None:
        self.release.set()
        super().stop()


@pytest.fixture
def stalling() -> Iterator[StallingSlack]:
    server = StallingSlack()
    server.start()
    yield server
    server.stop()


def api_for(slack: FakeSlack) -> SlackApi:
    client = WebClient(token=slack.token, base_url=slack.api_url, timeout=CLIENT_TIMEOUT)
    return SlackApi(client, interval=0)


def taken_email_text(user: str, name: str) -> str:
    """The plain part of the "taken" e-mail for an ack by ``user`` named ``name``."""
    ack = {"user": user, "name": name, "via": "reply", "at": "2026-02-22T11:02:00+00:00"}
    notifier = EmailNotifier(
        "127.0.0.1", 25, "veille@example.fr", starttls=False, timeout=10, language="fr"
    )
    n = spike_notification("email:dircom@example.fr", ack=ack)
    built = notifier.build(notifier.render(n, "dircom@example.fr"))
    assert isinstance(built, EmailMessage)
    body = built.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_a_stalled_users_info_does_not_hold_the_ack_check(stalling: StallingSlack) -> None:
    stalling.add_user("U0CM", "Marie D.")
    api = api_for(stalling)
    posted = api.post("#crise", text="Pic", blocks=None, outbox_id=1)
    stalling.human_reply(posted.ts, "je prends", user="U0CM")

    started = time.monotonic()
    ack = api.acknowledged(posted.channel, posted.ts)
    took = time.monotonic() - started

    assert took < BOUND  # a guard against the client's 15 s, not a measure of speed
    assert ack is not None and (ack.user, ack.name) == ("U0CM", "")
    said = nb("✅ Pris en charge par @U0CM à 12:02 : pas d'escalade.")
    assert said in nb(taken_email_text(ack.user, ack.name))


def test_a_late_answer_names_the_next_ack(stalling: StallingSlack) -> None:
    stalling.add_user("U0CM", "Marie D.")
    api = api_for(stalling)
    names = api.names
    names.wait = 0.2
    assert names.name("U0CM") == ""
    stalling.release.set()  # Slack answers, after the ack check gave up
    deadline = time.monotonic() + BOUND
    while names.name("U0CM") != "Marie D." and time.monotonic() < deadline:
        time.sleep(0.05)
    assert names.name("U0CM") == "Marie D."
    asked = [c for c in stalling.calls if c.method == "users.info"]
    assert len(asked) == 1  # asked once: the stalled lookup was shared, then kept


def test_asking_again_while_slack_stalls_asks_once_and_warns_once(
    stalling: StallingSlack, caplog: pytest.LogCaptureFixture
) -> None:
    names = api_for(stalling).names
    names.wait = 0.1
    with caplog.at_level(logging.DEBUG, logger="watchtower"):
        assert [names.name("U0CM") for _ in range(5)] == [""] * 5
    time.sleep(0.2)  # let a second request (if any) reach the server
    assert stalling.stalled == ["U0CM"]
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "users.info" in warning.getMessage()


class Gate:
    """A ``call`` standing in for SlackApi.call: answers (or fails) once opened."""

    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self.answer = answer
        self.open = threading.Event()
        self.asked = 0

    def __call__(self, method: str, **kwargs: Any) -> dict[str, Any]:
        self.asked += 1
        self.open.wait(10)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def settle() -> None:
    """Wait for the lookups under way to end."""
    for thread in threading.enumerate():
        if thread.name.startswith("users.info "):
            thread.join(10)


def test_a_late_failure_is_not_kept() -> None:
    gate = Gate(TargetUnreachable(DeliveryReason.of("slack_timeout", detail="timed out")))
    names = UserNames(gate, wait=0.05)
    assert names.name("U0CM") == ""
    gate.open.set()
    settle()
    gate.answer = {"ok": True, "user": {"profile": {"display_name": "Marie D."}}}
    assert names.name("U0CM") == "Marie D."  # asked again: the failure was not remembered
    assert gate.asked == 2


def test_too_many_stalled_lookups_start_no_more() -> None:
    gate = Gate({"ok": True, "user": {"name": "x"}})
    names = UserNames(gate, wait=0.01)
    users = [f"U{i:04d}" for i in range(slack_names.PENDING_MAX + 3)]
    assert [names.name(u) for u in users] == [""] * len(users)
    assert gate.asked <= slack_names.PENDING_MAX
    gate.open.set()
    settle()


def test_a_bug_in_the_lookup_still_reaches_the_caller() -> None:
    gate = Gate(KeyError("boom"))
    gate.open.set()
    with pytest.raises(KeyError):
        UserNames(gate).name("U0CM")


def test_the_wait_is_short() -> None:
    assert 0 < slack_names.WAIT <= 5 < CLIENT_TIMEOUT
