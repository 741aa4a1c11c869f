"""This machine's own name, which SMTP's EHLO carries, is looked up once per
process within a bound: a dead name server no longer holds each e-mail for
glibc's seconds before the relay even hears EHLO. Until the name is known the
client names itself by its address (``[127.0.0.1]``, RFC 5321 §4.1.3).

Real aiosmtpd on 127.0.0.1 and the real drain; the one stand-in is the
system's lookups of this machine's name (``socket.getfqdn``,
``gethostbyaddr``, ``gethostbyname``), which hang as a dead name server does.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, naming, queue, rows
from tests.e2e.scenario import targets
from tests.servers.loopback import guard_loopback
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from tests.unit.notify.test_email import notification
from watchtower.notify.email import EmailNotifier
from watchtower.pipeline.dispatch import DrainStats

pytestmark = pytest.mark.timeout(120)

#: How long this machine's name server takes to answer (longer than any timeout here).
HANG = 10.0
TIMEOUT = 4.0  # the e-mail target's timeout
#: What EHLO may carry: a dotted domain name, or an address literal.
VALID_EHLO = re.compile(
    r"^(\[(\d{1,3}\.){3}\d{1,3}\]|\[IPv6:[0-9A-Fa-f:.]+\]"
    r"|([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)$"
)


class OwnName:
    """The system's lookups of this machine's name: each waits for :attr:`release`
    (at most :data:`HANG` seconds), then answers ``name``."""

    def __init__(self, name: str = "vm") -> None:
        self.name = name
        self.release = threading.Event()
        self.asked: list[str] = []
        self._lock = threading.Lock()

    def _wait(self, call: str) -> None:
        with self._lock:
            self.asked.append(call)
        self.release.wait(HANG)

    def getfqdn(self, name: str = "") -> str:
        self._wait("getfqdn")
        return self.name

    def gethostbyaddr(self, name: str) -> Any:
        self._wait("gethostbyaddr")
        raise socket.herror(1, "Unknown host")

    def gethostbyname(self, name: str) -> str:
        self._wait("gethostbyname")
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


def own_name_server(
    monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, name: str = "vm"
) -> Iterator[OwnName]:
    """Install :class:`OwnName` once ``smtp`` is up: aiosmtpd names itself with
    ``getfqdn`` too (at each connection), so it is given its name here."""
    smtp.controller.SMTP_kwargs["hostname"] = "relais.watchtower.test"
    dns = OwnName(name)
    for call in ("getfqdn", "gethostbyaddr", "gethostbyname"):
        monkeypatch.setattr(socket, call, getattr(dns, call))
    try:  # a fresh lookup of this machine's name for this test
        from watchtower.notify import smtp_hello
    except ImportError:  # the tree before it: smtplib asks getfqdn at each session
        pass
    else:
        monkeypatch.setattr(smtp_hello, "LOCAL_NAME", smtp_hello.LocalName())
    try:
        yield dns
    finally:
        dns.release.set()  # no lookup thread outlives the test


@pytest.fixture
def own_name(monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer) -> Iterator[OwnName]:
    yield from own_name_server(monkeypatch, smtp)


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connection attempted; one outside loopback fails the test."""
    return guard_loopback(monkeypatch)


def ehlo_names(server: SmtpServer) -> list[str]:
    """The names the server heard in EHLO/HELO, one per envelope (read at MAIL FROM)."""
    heard: list[str] = []
    handle_mail = server.handler.handle_MAIL

    async def recording(
        srv: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        heard.append(str(session.host_name))
        return await handle_mail(srv, session, envelope, address, options)

    server.handler.handle_MAIL = recording  # type: ignore[method-assign]
    return heard


def mailer(smtp: SmtpServer) -> EmailNotifier:
    return EmailNotifier(
        "127.0.0.1", smtp.port, "veille@example.fr", starttls=False, timeout=TIMEOUT
    )


def test_a_hung_own_name_lookup_holds_no_send_and_ehlo_names_the_address(
    own_name: OwnName, smtp: SmtpServer, connections: list[tuple[str, int]]
) -> None:
    heard = ehlo_names(smtp)
    notifier = mailer(smtp)
    took = []
    for _ in range(3):
        started = time.monotonic()
        notifier.send(notifier.render(notification(), "dircom@example.fr"))
        took.append(time.monotonic() - started)

    assert max(took) < TIMEOUT, took
    assert len(smtp.messages) == 3
    assert heard == ["[127.0.0.1]"] * 3  # the address the server sees, a valid EHLO
    assert own_name.asked == ["getfqdn"]  # once for the process, not once per e-mail
    assert {host for host, _ in connections} == {"127.0.0.1"}


def test_once_the_own_name_answers_the_next_sessions_carry_it(
    monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer
) -> None:
    dns_gen = own_name_server(monkeypatch, smtp, "relais-client.watchtower.test")
    dns = next(dns_gen)
    try:
        heard = ehlo_names(smtp)
        notifier = mailer(smtp)
        started = time.monotonic()
        notifier.send(notifier.render(notification(), "dircom@example.fr"))
        assert time.monotonic() - started < TIMEOUT

        dns.release.set()  # the name server answers at last
        deadline = time.monotonic() + 5
        while len(heard) < 3 and time.monotonic() < deadline:
            notifier.send(notifier.render(notification(), "dircom@example.fr"))
            if heard[-1] != "[127.0.0.1]":
                break
            time.sleep(0.05)  # the lookup thread has not stored the answer yet
    finally:
        dns_gen.close()

    assert heard[0] == "[127.0.0.1]"
    assert heard[-1] == "relais-client.watchtower.test"
    assert all(VALID_EHLO.match(name) for name in heard), heard
    assert dns.asked == ["getfqdn"]


def test_an_own_name_that_answers_at_once_is_the_ehlo_name_from_the_first_e_mail(
    monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer
) -> None:
    dns_gen = own_name_server(monkeypatch, smtp, "veille.watchtower.test")
    dns = next(dns_gen)
    dns.release.set()  # a name server in good health
    try:
        heard = ehlo_names(smtp)
        notifier = mailer(smtp)
        notifier.send(notifier.render(notification(), "dircom@example.fr"))
        notifier.send(notifier.render(notification(), "dircom@example.fr"))
    finally:
        dns_gen.close()
    assert heard == ["veille.watchtower.test"] * 2


# ---------------------------------------------------------------- the drain


def config(database_url: str, slack: FakeSlack, smtp: SmtpServer) -> str:
    sections = targets(database_url, slack, smtp).replace(
        'smtp_host = "127.0.0.1"', f'smtp_host = "127.0.0.1"\ntimeout = "{TIMEOUT:g}s"'
    )
    brands = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
    return sections + brands + naming("email:dircom@example.fr")


def test_a_dead_name_server_for_this_machine_does_not_hold_the_email_drain(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    own_name: OwnName,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    heard = ehlo_names(smtp)
    app = make_app(write_config(config(database_url, slack, smtp)), clock)
    drained: list[DrainStats] = []
    drain = threading.Thread(target=lambda: drained.append(app.outbox.drain()), daemon=True)
    try:
        mails = queue(app, "email:dircom@example.fr", 3, key="mail")
        started = time.monotonic()
        drain.start()
        drain.join(30)
        took = time.monotonic() - started

        assert not drain.is_alive(), "the drain is held by the lookup of this machine's name"
        # Three sessions in about one bound (a quarter of the timeout), not one
        # HANG each: well within the timeout of a single e-mail.
        assert took < TIMEOUT, took
        [stats] = drained
        assert stats.sent == 3 and stats.failed == 0
        assert {row.status for row in rows(app) if row.id in mails} == {"sent"}
        assert len(smtp.messages) == 3
        assert heard == ["[127.0.0.1]"] * 3
        assert own_name.asked == ["getfqdn"]
    finally:
        own_name.release.set()
        drain.join(30)
        app.close()
