"""A relay that refuses to relay for us pauses e-mail (every e-mail would be
refused alike); an address refused on its own fails that e-mail only.

The table is what real relays answer at RCPT TO; the last tests send through
a real aiosmtpd server whose RCPT handler refuses.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.smtp import SmtpServer
from tests.unit.notify.test_email import notification
from watchtower.errors import DeliveryError, TargetDisabled
from watchtower.notify.email import EmailNotifier
from watchtower.notify.smtp_errors import relay_refused

RELAY_REFUSALS = [
    (554, "5.7.1 <dircom@example.fr>: Relay access denied"),  # Postfix
    (550, "5.7.1 <dircom@example.fr>... Relaying denied"),  # Sendmail
    (550, "5.7.1 Unable to relay"),  # Exchange
    (550, "relay not permitted"),  # Exim, no enhanced code
    (550, "5.7.64 TenantAttribution; Relay Access Denied"),  # Microsoft 365
    (554, "5.7.1 <mx.client.example>: Client host rejected: Access denied"),  # this machine
    (550, b"5.7.1 <user@example.fr>: Client host rejected"),  # "user" in the address only
]
ADDRESS_REFUSALS = [
    (550, "5.1.1 <dircom@example.fr>: User unknown"),
    (550, "5.7.1 <dircom@example.fr>: Recipient address rejected: Access denied"),
    (552, "5.2.2 Mailbox full"),
    (450, "4.7.1 <dircom@example.fr>: Relay access denied, try again"),  # temporary: retried
    (554, "5.7.1 Mailbox disabled for this recipient"),
]


@pytest.mark.parametrize(("code", "reply"), RELAY_REFUSALS)
def test_the_relay_refusing_is_told_from_the_answer(code: int, reply: str | bytes) -> None:
    assert relay_refused([(code, reply)])
    assert relay_refused([(code, reply), (554, "5.7.1 Relay access denied")])


@pytest.mark.parametrize(("code", "reply"), ADDRESS_REFUSALS)
def test_an_address_refused_on_its_own_is_not_the_relay(code: int, reply: str) -> None:
    assert not relay_refused([(code, reply)])
    # one recipient refused among several for its own reason: not every recipient
    assert not relay_refused([(554, "5.7.1 Relay access denied"), (code, reply)])


def test_no_answer_is_no_refusal() -> None:
    assert not relay_refused([])


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    s = SmtpServer().start()
    yield s
    s.stop()


def _send(s: SmtpServer, address: str = "dircom@example.fr") -> None:
    mailer = EmailNotifier("127.0.0.1", s.port, "veille@example.fr", starttls=False, timeout=5.0)
    mailer.send(mailer.render(notification(), address))


def test_relay_access_denied_pauses_email_and_says_what_to_check(server: SmtpServer) -> None:
    server.handler.refuse_rcpt["dircom@example.fr"] = (
        "554 5.7.1 <dircom@example.fr>: Relay access denied"
    )
    with pytest.raises(TargetDisabled) as caught:
        _send(server)
    assert caught.value.kind == "email"
    assert caught.value.cause.code == "smtp_relay_denied"
    assert caught.value.reason == (
        f"the SMTP relay 127.0.0.1:{server.port} refuses to relay for this sender "
        "(SMTP error 554 (5.7.1 <dircom@example.fr>: Relay access denied)): check the relay "
        "rules of [email] smtp_host for this machine, or its login (SMTP_USERNAME, "
        "SMTP_PASSWORD, [email] login)"
    )
    server.handler.refuse_rcpt.clear()
    _send(server)  # the relay fixed: the next try goes
    assert len(server.messages) == 1


def test_a_recipient_rejected_by_policy_fails_its_row_only(server: SmtpServer) -> None:
    server.handler.refuse_rcpt["dircom@example.fr"] = (
        "550 5.7.1 <dircom@example.fr>: Recipient address rejected: Access denied"
    )
    with pytest.raises(DeliveryError) as caught:
        _send(server)
    assert not isinstance(caught.value, TargetDisabled)
    assert not caught.value.retryable
    assert caught.value.cause.code == "smtp_recipient_refused"
