"""One SMTP session opener for a send and for the check that sends nothing.

:meth:`EmailNotifier.session` connects, secures (implicit TLS or STARTTLS,
which fails closed) and logs in as configured. A send and the target check
(:func:`watchtower.pipeline.target_checks.answers`: up to ``RCPT TO``, then
``RSET``) both open it, so a setup a send refuses is one the check fails,
and one a send goes through is one the check answers — and the check never
delivers anything. Real aiosmtpd with its TLS, STARTTLS and AUTH on loopback.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers.loopback import guard_loopback
from tests.servers.smtp import SmtpServer
from tests.unit.notify.test_email_smtp import PASSWORD, mailer, send
from watchtower.errors import DeliveryError, TargetDisabled
from watchtower.pipeline.target_checks import answers

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

READER = "dircom@example.fr"
LOGIN = {"username": "veille", "password": PASSWORD}


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[SmtpServer]:
    tls, auth = request.param
    s = SmtpServer(tls=tls, auth=("veille", PASSWORD) if auth else None).start()
    yield s
    s.stop()


# (server's TLS, server requires AUTH), the notifier's settings, whether it goes through
SETUPS = [
    pytest.param((None, False), {}, True, id="plain"),
    pytest.param(("implicit", True), {"use_ssl": True, **LOGIN}, True, id="tls-login"),
    pytest.param(("starttls", True), {"starttls": True, **LOGIN}, True, id="starttls-login"),
    pytest.param(
        ("starttls", True),
        {"starttls": True, "username": "veille", "password": "wrong-" + PASSWORD},
        False,
        id="wrong-password",
    ),
    pytest.param((None, False), {"starttls": True}, False, id="no-starttls-offered"),
    pytest.param(("starttls", False), {"use_ssl": True}, False, id="ssl-on-starttls-port"),
    pytest.param(
        ("starttls", True), {"host": "localhost", **LOGIN}, False, id="login-needs-starttls"
    ),
]


@pytest.mark.parametrize(("server", "settings", "goes_through"), SETUPS, indirect=["server"])
def test_the_check_answers_where_a_send_goes_through_and_delivers_nothing(
    server: SmtpServer, settings: dict[str, Any], goes_through: bool
) -> None:
    m = mailer(server, **settings)

    assert answers(m, READER) is goes_through
    assert server.messages == []  # no DATA: the check delivers nothing

    try:
        send(m, READER)
    except DeliveryError:
        sent = False
    else:
        sent = True
    assert sent is goes_through
    assert len(server.messages) == int(goes_through)


@pytest.mark.parametrize("server", [(None, False)], indirect=True)
def test_the_check_fails_closed_without_starttls_as_a_send_does(
    server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="watchtower")
    m = mailer(server, starttls=True)
    with pytest.raises(TargetDisabled) as caught:
        send(m)
    assert caught.value.cause.code == "smtp_no_starttls"

    assert answers(m, READER) is False
    [line] = [r for r in caplog.records if r.getMessage() == "SMTP check failed"]
    assert getattr(line, "wt_fields", None) == {"error": "smtp_no_starttls"}
    assert not any(r.exc_info for r in caplog.records)  # a failed check, not a crash


def test_the_check_never_sends_a_password_in_clear_to_another_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Refused before any connection (192.0.2.1 is a documentation address)."""
    attempts = guard_loopback(monkeypatch)
    m = mailer(None, 25, host="192.0.2.1", timeout=0.5, username="veille", password=PASSWORD)
    assert answers(m, READER) is False
    with pytest.raises(TargetDisabled):
        send(m)
    assert attempts == []


@pytest.mark.parametrize("server", [("starttls", True)], indirect=True)
def test_a_session_is_secured_and_logged_in_then_quits(server: SmtpServer) -> None:
    m = mailer(server, starttls=True, username="veille", password=PASSWORD)
    with m.session() as smtp:
        assert isinstance(smtp.sock, ssl.SSLSocket)
        assert server.logins == [("veille", True)]
        assert smtp.noop()[0] == 250
    assert smtp.sock is None  # QUIT, then closed


@pytest.mark.parametrize("server", [(None, False)], indirect=True)
def test_a_failure_in_the_session_is_mapped_by_its_stage(server: SmtpServer) -> None:
    server.handler.refuse_rcpt[READER] = "550 5.1.1 mailbox unknown"
    m = mailer(server)
    with pytest.raises(DeliveryError) as caught, m.session() as smtp:
        smtp.sendmail("veille@example.fr", [READER], b"Subject: x\r\n\r\nx\r\n")
    assert not caught.value.retryable
    assert "550" in caught.value.reason and "mailbox unknown" in caught.value.reason
