"""Slack's and Apprise's bounded pre-check of their host name is not repeated
for a minute after it answered: a second send within the window does no lookup
first, one after it does; a failed lookup is not remembered, so a name server
that is fixed is seen at the next send. The clock is the test's own.

Slack and Apprise go to the fake Slack Web API and a JSON webhook on
127.0.0.1; their names are answered by :mod:`tests.servers.name_server`, which
refuses every other name, and a guard fails any connection outside loopback.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers.loopback import guard_loopback
from tests.servers.name_server import NameServer
from tests.servers.slack import FakeSlack
from tests.servers.webhook import Webhook
from tests.unit.notify.test_email import notification
from watchtower.errors import TargetUnreachable
from watchtower.notify.apprise import AppriseNotifier
from watchtower.notify.lookup_cache import TTL, RecentAnswers, answered_for
from watchtower.notify.lookups import Lookups, precheck, system_resolver
from watchtower.notify.slack import SlackNotifier

pytestmark = pytest.mark.timeout(60)

SLACK = "slack.watchtower.test"
HOOKS = "hooks.watchtower.test"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Resolver:
    """A name server stand-in for :class:`Lookups`: answers 127.0.0.1, or an error
    while :attr:`broken`; counts the questions."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.broken = False

    def __call__(self, host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        self.asked.append(host)
        if self.broken:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]


# ------------------------------------------------------------ the cache alone


def test_an_answer_is_fresh_for_the_ttl_then_forgotten() -> None:
    clock = Clock()
    answers = RecentAnswers(ttl=60.0, clock=clock)
    assert not answers.fresh("slack.com", 443)
    answers.note("Slack.com", 443)
    clock.now += 59.9
    assert answers.fresh("slack.com", 443)
    assert not answers.fresh("slack.com", 80)  # another port, another lookup
    clock.now += 0.1
    assert not answers.fresh("slack.com", 443)
    assert len(answers) == 0  # a stale answer is dropped when met


def test_the_cache_keeps_the_most_recent_answers_only() -> None:
    clock = Clock()
    answers = RecentAnswers(size=2, clock=clock)
    answers.note("a.test", 443)
    answers.note("b.test", 443)
    answers.note("a.test", 443)  # answered again: the newest
    answers.note("c.test", 443)
    assert len(answers) == 2
    assert answers.fresh("a.test", 443) and answers.fresh("c.test", 443)
    assert not answers.fresh("b.test", 443)


def test_each_lookups_has_its_own_answers() -> None:
    one, other = Lookups(Resolver()), Lookups(Resolver())
    assert answered_for(one) is answered_for(one)
    assert answered_for(one) is not answered_for(other)


# ------------------------------------------------------------ precheck


def test_a_precheck_within_the_window_does_no_lookup_and_one_after_it_does() -> None:
    resolver, clock = Resolver(), Clock()
    lookups = Lookups(resolver)
    answers = RecentAnswers(clock=clock)

    precheck(SLACK, 443, 1.0, lookups=lookups, answered=answers)
    clock.now += TTL - 1
    precheck(SLACK, 443, 1.0, lookups=lookups, answered=answers)
    assert resolver.asked == [SLACK]

    clock.now += 1
    precheck(SLACK, 443, 1.0, lookups=lookups, answered=answers)
    assert resolver.asked == [SLACK, SLACK]


def test_a_failed_lookup_is_not_remembered() -> None:
    resolver, clock = Resolver(), Clock()
    lookups = Lookups(resolver)
    answers = RecentAnswers(clock=clock)
    resolver.broken = True

    precheck(SLACK, 443, 1.0, lookups=lookups, answered=answers)  # left to the library
    precheck(SLACK, 443, 1.0, lookups=lookups, answered=answers)
    assert resolver.asked == [SLACK, SLACK]

    resolver.broken = False  # the name server is fixed: seen at once
    precheck(SLACK, 443, 1.0, lookups=lookups, answered=answers)
    precheck(SLACK, 443, 1.0, lookups=lookups, answered=answers)
    assert resolver.asked == [SLACK, SLACK, SLACK]


def test_a_lookup_that_did_not_answer_in_time_is_not_remembered() -> None:
    release = threading.Event()
    asked: list[str] = []

    def hung(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        asked.append(host)
        release.wait(10)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    lookups = Lookups(hung)
    answers = RecentAnswers(clock=Clock())
    try:
        with pytest.raises(TargetUnreachable):
            precheck(SLACK, 443, 0.05, lookups=lookups, answered=answers)
        release.set()  # answered, but too late for that send
        while lookups.running:
            threading.Event().wait(0.01)
        assert not answers.fresh(SLACK, 443)
        precheck(SLACK, 443, 1.0, lookups=lookups, answered=answers)
    finally:
        release.set()
    assert asked == [SLACK, SLACK]
    assert answers.fresh(SLACK, 443)


# ------------------------------------------------------------ Slack, Apprise


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[NameServer]:
    guard_loopback(monkeypatch)
    server = NameServer(answers={SLACK: "127.0.0.1", HOOKS: "127.0.0.1"}).install(monkeypatch)
    yield server
    server.release.set()


def prechecks(dns: NameServer) -> list[str]:
    """The names looked up first (in a lookup thread), not by the library itself."""
    return [name for name, thread in dns.asked if thread.startswith("dns ")]


def test_a_second_slack_send_within_a_minute_is_not_looked_up_first(
    dns: NameServer, slack: FakeSlack
) -> None:
    lookups, clock = Lookups(system_resolver), Clock()
    answered_for(lookups).clock = clock
    port = slack.httpd.server_address[1]
    notifier = SlackNotifier(
        slack.token,
        api_url=f"http://{SLACK}:{port}/api/",
        timeout=5.0,
        channel_interval=0.0,
        lookups=lookups,
    )

    notifier.send(notifier.render(notification(), "#crise"))
    clock.now += 30
    notifier.send(notifier.render(notification(), "#crise"))
    assert prechecks(dns) == [SLACK]

    clock.now += TTL
    notifier.send(notifier.render(notification(), "#crise"))
    assert prechecks(dns) == [SLACK, SLACK]
    assert len(slack.posts()) == 3


def test_a_second_apprise_send_within_a_minute_is_not_looked_up_first(
    dns: NameServer,
) -> None:
    hook = Webhook().start()
    try:
        lookups, clock = Lookups(system_resolver), Clock()
        answered_for(lookups).clock = clock
        notifier = AppriseNotifier(lookups=lookups)
        target = f"json://{HOOKS}:{hook.port}/hook"

        notifier.send(notifier.render(notification(), target))
        clock.now += 30
        notifier.send(notifier.render(notification(), target))
        assert prechecks(dns) == [HOOKS]

        clock.now += TTL
        notifier.send(notifier.render(notification(), target))
        assert prechecks(dns) == [HOOKS, HOOKS]
        assert len(hook.posts) == 3
    finally:
        hook.stop()
