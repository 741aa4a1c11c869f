"""A notifier whose host name is not looked up in time says so wholly in the
reader's language: the lookup's own sentence, nested in the notifier's
("impossible de joindre le serveur SMTP … (la recherche du nom … (DNS) …)"),
from the reason's codes and when read back from the English queued as text.
The English is unchanged.

No server is reached: the name server is a stand-in that never answers (the
notifiers' own :class:`~watchtower.notify.lookups.Lookups`), so the send fails
before any connection.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient

from tests.unit.notify.test_email import notification
from watchtower.errors import DeliveryError, TargetUnreachable
from watchtower.notify.apprise import AppriseNotifier
from watchtower.notify.delivery_reason_text import reason_in, reason_text
from watchtower.notify.email import EmailNotifier
from watchtower.notify.lookups import Lookups
from watchtower.notify.slack_api import SlackApi

pytestmark = pytest.mark.timeout(30)

DEAD = "smtp.corp.local"


@pytest.fixture
def hung(monkeypatch: pytest.MonkeyPatch) -> Iterator[Lookups]:
    """Lookups whose name server never answers (released after the test); any
    connection attempt fails the test."""
    release = threading.Event()

    def resolver(*args: Any) -> Any:
        release.wait(20)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    def no_connection(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("nothing may connect: the lookup did not answer")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    monkeypatch.setattr(socket.socket, "connect", no_connection)
    yield Lookups(resolver)
    release.set()


def _failure(send: Any) -> DeliveryError:
    with pytest.raises(DeliveryError) as raised:
        send()
    assert isinstance(raised.value, TargetUnreachable), raised.value.reason
    return raised.value


def _said(error: DeliveryError, language: str) -> str:
    """What an ops notice says: from the codes, and the same read back from the text."""
    said = reason_text(error.cause, language, "Europe/Paris")
    assert reason_in(error.reason, language, "Europe/Paris") == said
    return said


def test_an_smtp_name_not_looked_up_in_time_reads_wholly_in_french(hung: Lookups) -> None:
    mailer = EmailNotifier(
        DEAD, 587, "veille@example.fr", starttls=False, timeout=0.3, lookups=hung
    )
    error = _failure(lambda: mailer.send(mailer.render(notification(), "dircom@example.fr")))

    assert error.reason == (
        f"cannot reach the SMTP server {DEAD}:587 "
        f"(the DNS lookup of {DEAD} did not answer within 0.3s)"
    )
    assert _said(error, "en") == error.reason
    assert _said(error, "fr") == (
        f"impossible de joindre le serveur SMTP {DEAD}:587 "
        f"(la recherche du nom {DEAD} (DNS) n'a pas abouti dans les 0,3 s)"
    )


def test_a_slack_name_not_looked_up_in_time_reads_wholly_in_french(hung: Lookups) -> None:
    client = WebClient(token="xoxb-test", base_url="https://slack.corp.local/api/", timeout=1)
    api = SlackApi(client, interval=0.0, lookups=hung)

    error = _failure(lambda: api.call("auth.test"))

    assert error.reason == (
        "cannot reach Slack (the DNS lookup of slack.corp.local did not answer within 1s)"
    )
    assert _said(error, "fr") == (
        "impossible de joindre Slack (la recherche du nom slack.corp.local (DNS) "
        "n'a pas abouti dans les 1 s)"
    )


def test_an_apprise_service_not_looked_up_in_time_reads_in_french(hung: Lookups) -> None:
    notifier = AppriseNotifier(lookups=hung)
    target = "json://hooks.corp.local:8080/hook?cto=0.5"

    error = _failure(lambda: notifier.send(notifier.render(notification(), target)))

    assert error.reason == "the DNS lookup of hooks.corp.local did not answer within 0.5s"
    assert error.cause.code == "dns_timeout"
    assert _said(error, "fr") == (
        "la recherche du nom hooks.corp.local (DNS) n'a pas abouti dans les 0,5 s"
    )
