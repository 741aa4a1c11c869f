"""The notifiers look their host up within their own send timeout: a name server
that does not answer makes the target unreachable for now (retryable, its
reason naming the host), instead of holding the drain for glibc's minutes.

Real aiosmtpd (STARTTLS and implicit TLS with a certificate for a name), the
fake Slack Web API and a local JSON webhook for Apprise, all on 127.0.0.1; the
one stand-in is the system's name resolution (:mod:`tests.servers.name_server`),
which answers the test's names, hangs on the dead ones and refuses the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import apprise
import pytest

from tests.servers.loopback import guard_loopback
from tests.servers.name_server import NameServer
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from tests.servers.webhook import Webhook
from tests.unit.notify.test_email import notification
from watchtower.errors import DeliveryError, OutcomeUnknown, TargetDisabled, TargetUnreachable
from watchtower.notify.apprise import AppriseNotifier
from watchtower.notify.email import EmailNotifier
from watchtower.notify.slack import SlackNotifier

pytestmark = pytest.mark.timeout(60)

NAME = "smtp.watchtower.test"  # a relay whose name server answers
DEAD = "smtp.corp.local"  # a relay whose zone is down


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every TCP connection attempted; one outside loopback fails the test."""
    return guard_loopback(monkeypatch)


def name_server(monkeypatch: pytest.MonkeyPatch, **options: Any) -> Iterator[NameServer]:
    dns = NameServer(**options).install(monkeypatch)
    try:
        yield dns
    finally:
        dns.release.set()  # no lookup thread outlives the test


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[NameServer]:
    yield from name_server(
        monkeypatch,
        answers={NAME: "127.0.0.1", "slack.watchtower.test": "127.0.0.1"},
        hung=(DEAD, "slack.corp.local", "hooks.corp.local", "api.telegram.org"),
    )


def unreachable(send: Any) -> TargetUnreachable:
    with pytest.raises(DeliveryError) as raised:
        send()
    assert isinstance(raised.value, TargetUnreachable), raised.value.reason
    assert raised.value.retryable
    return raised.value


# ---------------------------------------------------------------- SMTP


def test_a_hung_smtp_name_fails_the_send_within_its_timeout_naming_the_host(
    dns: NameServer, smtp: SmtpServer, connections: list[tuple[str, int]]
) -> None:
    mailer = EmailNotifier(DEAD, smtp.port, "veille@example.fr", starttls=False, timeout=1.0)
    message = mailer.render(notification(), "dircom@example.fr")

    error = unreachable(lambda: mailer.send(message))

    assert error.reason == (
        f"cannot reach the SMTP server {DEAD}:{smtp.port} "
        f"(the DNS lookup of {DEAD} did not answer within 1s)"
    )
    assert dns.pending == {DEAD}  # the name server still has not answered
    assert connections == [] and smtp.messages == []


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_the_connection_goes_to_the_address_found_and_tls_checks_the_name(
    dns: NameServer, connections: list[tuple[str, int]], tls: str
) -> None:
    server = SmtpServer(tls=tls, cert_names=(NAME,)).start()  # type: ignore[arg-type]
    connections.clear()  # the server's own check that it is up
    try:
        mailer = EmailNotifier(
            NAME,
            server.port,
            "veille@example.fr",
            starttls=True,
            use_ssl=tls == "implicit",
            timeout=5.0,
            ssl_context=server.client_context(),
        )
        mailer.send(mailer.render(notification(), "dircom@example.fr"))
    finally:
        server.stop()
    [mail] = server.messages
    assert mail["To"] == "dircom@example.fr"
    assert dns.names() == [NAME]  # looked up once
    assert connections == [("127.0.0.1", server.port)]


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_a_certificate_for_the_address_only_is_refused_for_the_name(
    dns: NameServer, tls: str
) -> None:
    # Valid for 127.0.0.1, where the connection goes: checked against the address
    # it would pass. Checked against the name, as it must be: refused.
    server = SmtpServer(tls=tls, cert_names=("127.0.0.1",)).start()  # type: ignore[arg-type]
    try:
        mailer = EmailNotifier(
            NAME,
            server.port,
            "veille@example.fr",
            use_ssl=tls == "implicit",
            timeout=5.0,
            ssl_context=server.client_context(),
        )
        with pytest.raises(TargetDisabled) as raised:
            mailer.send(mailer.render(notification(), "dircom@example.fr"))
    finally:
        server.stop()
    assert raised.value.cause.code == "smtp_tls_certificate"
    assert NAME in raised.value.reason
    assert server.messages == []


def test_localhost_is_read_in_the_senders_thread(
    dns: NameServer, smtp: SmtpServer, connections: list[tuple[str, int]]
) -> None:
    mailer = EmailNotifier("localhost", smtp.port, "veille@example.fr", starttls=False)
    mailer.send(mailer.render(notification(), "dircom@example.fr"))
    assert len(smtp.messages) == 1
    assert dns.asked == [("localhost", threading.current_thread().name)]


def test_an_unknown_smtp_name_is_unreachable_as_before(dns: NameServer, smtp: SmtpServer) -> None:
    mailer = EmailNotifier("nowhere.watchtower.test", smtp.port, "v@example.fr", starttls=False)
    error = unreachable(lambda: mailer.send(mailer.render(notification(), "d@example.fr")))
    assert error.cause.code == "smtp_unreachable"
    assert "Name or service not known" in error.reason


# ---------------------------------------------------------------- Slack


def slack_notifier(slack: FakeSlack, host: str) -> SlackNotifier:
    port = slack.httpd.server_address[1]
    return SlackNotifier(
        slack.token, api_url=f"http://{host}:{port}/api/", timeout=1.0, channel_interval=0.0
    )


def test_a_hung_slack_name_fails_before_anything_is_sent(dns: NameServer, slack: FakeSlack) -> None:
    notifier = slack_notifier(slack, "slack.corp.local")
    message = notifier.render(notification(), "#crise")

    error = unreachable(lambda: notifier.send(message))

    # Nothing left: no need to look for the message in the channel before a retry.
    assert not isinstance(error, OutcomeUnknown)
    assert error.reason == (
        "cannot reach Slack (the DNS lookup of slack.corp.local did not answer within 1s)"
    )
    assert dns.pending == {"slack.corp.local"}
    assert slack.calls == []


def test_slack_at_a_name_that_answers_gets_the_message(dns: NameServer, slack: FakeSlack) -> None:
    notifier = slack_notifier(slack, "slack.watchtower.test")
    notifier.send(notifier.render(notification(), "#crise"))
    assert [post["channel"] for post in slack.posts()] == ["#crise"]


# ---------------------------------------------------------------- Apprise


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook().start()
    yield hook
    hook.stop()


def test_a_hung_apprise_service_fails_alone_and_the_next_target_gets_its_message(
    dns: NameServer, webhook: Webhook
) -> None:
    notifier = AppriseNotifier()
    dead = f"json://hooks.corp.local:{webhook.port}/hook?cto=1"
    alive = f"json://127.0.0.1:{webhook.port}/hook"

    error = unreachable(lambda: notifier.send(notifier.render(notification(), dead)))
    notifier.send(notifier.render(notification(), alive))

    assert error.reason == "the DNS lookup of hooks.corp.local did not answer within 1s"
    assert dns.pending == {"hooks.corp.local"}
    assert len(webhook.posts) == 1


def test_a_fixed_host_service_looks_up_its_api_never_the_token_in_its_url(
    dns: NameServer,
) -> None:
    notifier = AppriseNotifier()
    token = "123456789:AAbbCCddEEffGGhhIIjj"
    target = f"tgram://{token}/4242?cto=1"

    error = unreachable(lambda: notifier.send(notifier.render(notification(), target)))

    assert error.reason == "the DNS lookup of api.telegram.org did not answer within 1s"
    assert dns.names() == ["api.telegram.org"]
    assert token not in error.reason


def test_the_apprise_plugins_used_here_still_say_where_they_connect() -> None:
    """What :mod:`watchtower.notify.apprise_host` reads of a plugin (Apprise's
    template tokens and its fixed API address) is still there."""
    from watchtower.notify.apprise_host import connect_timeout, service_host

    def plugin(url: str) -> Any:
        found = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        assert found, url
        return found

    assert service_host(plugin("mmost://mm.corp.local/abcdefghijklmnop")) == ("mm.corp.local", 80)
    assert service_host(plugin("json://hooks.corp.local:8080/x")) == ("hooks.corp.local", 8080)
    assert service_host(plugin("workflows://prod.logic.azure.com:443/a/b")) == (
        "prod.logic.azure.com",
        443,
    )
    assert service_host(plugin("ntfys://ntfy.corp.local/veille")) == ("ntfy.corp.local", 443)
    assert service_host(plugin("ntfy://veille")) == ("ntfy.sh", 443)
    assert service_host(plugin("tgram://123456789:AAbbCCddEEffGGhhIIjj/4242")) == (
        "api.telegram.org",
        443,
    )
    assert service_host(plugin("discord://112233445566/AbCdEfGhIjKlMn")) == ("discord.com", 443)
    assert connect_timeout(plugin("json://hooks.corp.local/x")) == 4.0
    assert connect_timeout(plugin("json://hooks.corp.local/x?cto=2.5")) == 2.5
