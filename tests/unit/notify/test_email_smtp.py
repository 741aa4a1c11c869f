"""SMTP setups and failures against aiosmtpd's real TLS, STARTTLS and AUTH.

Each failure gives the operator one line to act on, never the password, and
the outbox the right outcome: retry (a 4xx about this message), every e-mail
waiting for the server (``TargetUnreachable``: network, no answer, 421), this
row failed (a 5xx about this message or recipient), or e-mail paused until
someone acts (``TargetDisabled``: login, TLS, sender).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.servers.smtp import SmtpServer, free_port, silent_server
from tests.unit.notify.test_email import notification
from watchtower.errors import DeliveryError, OutcomeUnknown, TargetDisabled
from watchtower.notify.base import TargetUnreachable, UnreachableMaybeSent
from watchtower.notify.email import EmailNotifier

PASSWORD = "s3cr3t-Pa55"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[SmtpServer]:
    tls, auth = request.param
    s = SmtpServer(tls=tls, auth=("veille", PASSWORD) if auth else None).start()
    yield s
    s.stop()


def mailer(s: SmtpServer | None, port: int | None = None, **kwargs: object) -> EmailNotifier:
    options: dict[str, object] = {"starttls": False, "timeout": 5.0}
    if s is not None:
        options["ssl_context"] = s.client_context()
    options.update(kwargs)
    return EmailNotifier(
        str(options.pop("host", "127.0.0.1")),
        port if port is not None else s.port if s else 25,
        "veille@example.fr",
        **options,  # type: ignore[arg-type]
    )


def send(m: EmailNotifier, address: str = "dircom@example.fr") -> None:
    m.send(m.render(notification(), address))


@pytest.mark.parametrize("server", [("implicit", True)], indirect=True)
def test_implicit_tls_on_465_with_login(server: SmtpServer) -> None:
    send(mailer(server, use_ssl=True, username="veille", password=PASSWORD))
    assert len(server.messages) == 1 and server.logins == [("veille", True)]


@pytest.mark.parametrize("server", [("starttls", True)], indirect=True)
def test_starttls_on_587_with_login(server: SmtpServer) -> None:
    send(mailer(server, starttls=True, username="veille", password=PASSWORD))
    assert len(server.messages) == 1 and server.logins == [("veille", True)]


@pytest.mark.parametrize("server", [("starttls", True)], indirect=True)
def test_wrong_password_pauses_email_and_never_shows_it(
    server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TargetDisabled) as caught:
        send(mailer(server, starttls=True, username="veille", password="wrong-" + PASSWORD))
    assert caught.value.kind == "email"
    assert "535" in caught.value.reason and "SMTP_PASSWORD" in caught.value.reason
    assert PASSWORD not in caught.value.reason and PASSWORD not in caplog.text
    assert server.messages == []


@pytest.mark.parametrize("server", [(None, True)], indirect=True)
def test_no_credentials_for_a_server_that_requires_them(server: SmtpServer) -> None:
    with pytest.raises(TargetDisabled) as caught:
        send(mailer(server))
    assert "requires a login" in caught.value.reason and "530" in caught.value.reason


@pytest.mark.parametrize("server", [("starttls", True)], indirect=True)
def test_login_offered_only_after_starttls(server: SmtpServer) -> None:
    """aiosmtpd offers AUTH only over TLS: with starttls = false, say so."""
    with pytest.raises(TargetDisabled) as caught:
        send(mailer(server, host="localhost", username="veille", password=PASSWORD))
    assert "starttls = true" in caught.value.reason
    assert server.logins == []


def test_password_never_sent_in_clear_to_another_host() -> None:
    """Refused before any connection (192.0.2.1 is a documentation address)."""
    m = mailer(None, host="192.0.2.1", port=25, username="veille", password=PASSWORD, timeout=0.5)
    with pytest.raises(TargetDisabled) as caught:
        send(m)
    assert "clear text" in caught.value.reason and PASSWORD not in caught.value.reason


def test_certificate_for_another_name() -> None:
    """The certificate (from a trusted CA) names mail.example.fr, not 127.0.0.1."""
    server = SmtpServer(tls="starttls", cert_names=("mail.example.fr",)).start()
    try:
        with pytest.raises(TargetDisabled) as caught:
            send(mailer(server, starttls=True))
    finally:
        server.stop()
    assert "certificate" in caught.value.reason and "smtp_host" in caught.value.reason
    assert server.messages == []


@pytest.mark.parametrize("server", [("starttls", False)], indirect=True)
def test_ssl_true_against_a_starttls_port(server: SmtpServer) -> None:
    with pytest.raises(TargetDisabled) as caught:
        send(mailer(server, use_ssl=True))
    assert "STARTTLS" in caught.value.reason and "ssl = false" in caught.value.reason


def test_tls_port_without_ssl_says_so() -> None:
    """A TLS port (465) waits for a handshake: a plain client hears nothing until its timeout."""
    with silent_server() as port, pytest.raises(DeliveryError) as caught:
        send(mailer(None, port=port, timeout=0.3))
    assert caught.value.retryable
    assert "did not answer within 0.3 s" in caught.value.reason
    assert "set ssl = true" in caught.value.reason


@pytest.mark.parametrize("server", [(None, False)], indirect=True)
def test_greylisting_4xx_at_rcpt_is_retried(server: SmtpServer) -> None:
    server.handler.refuse_rcpt["dircom@example.fr"] = "450 4.2.0 Greylisted, try again later"
    with pytest.raises(DeliveryError) as caught:
        send(mailer(server))
    assert caught.value.retryable and "Greylisted" in caught.value.reason


@pytest.mark.parametrize("server", [(None, False)], indirect=True)
def test_one_bad_address_among_three(server: SmtpServer) -> None:
    """One target per reader: the bad address fails its own row, the others get theirs."""
    server.handler.refuse_rcpt["ancien@example.fr"] = "550 5.1.1 User unknown"
    m = mailer(server)
    send(m, "pdg@example.fr")
    with pytest.raises(DeliveryError) as caught:
        send(m, "ancien@example.fr")
    send(m, "dircom@example.fr")
    assert not caught.value.retryable
    assert caught.value.reason == (
        "the SMTP server refused the recipient: SMTP error 550 (5.1.1 User unknown)"
    )
    assert [to for _, [to] in server.handler.envelopes] == ["pdg@example.fr", "dircom@example.fr"]


@pytest.mark.parametrize("server", [(None, False)], indirect=True)
def test_sender_refused_pauses_email(server: SmtpServer) -> None:
    server.handler.refuse_mail_from = "553 5.7.1 Sender address rejected: not owned by user"
    with pytest.raises(TargetDisabled) as caught:
        send(mailer(server))
    assert "veille@example.fr" in caught.value.reason and "[email] from" in caught.value.reason


@pytest.mark.parametrize("server", [(None, False)], indirect=True)
def test_connection_cut_during_data(server: SmtpServer) -> None:
    """The server may have stored it: retried as "outcome unknown" (same Message-ID)."""
    server.handler.cut_data = True
    with pytest.raises(UnreachableMaybeSent) as caught:
        send(mailer(server))
    assert isinstance(caught.value, OutcomeUnknown)
    assert "closed the connection while the message was being sent" in caught.value.reason


@pytest.mark.parametrize("server", [(None, False)], indirect=True)
def test_server_slow_to_answer_data(server: SmtpServer) -> None:
    """``[email] timeout`` applies to each wait for the server, DATA's answer included."""
    server.handler.data_delay = 1.0
    with pytest.raises(OutcomeUnknown) as caught:
        send(mailer(server, timeout=0.3))
    assert "did not answer within 0.3 s" in caught.value.reason


@pytest.mark.parametrize("server", [(None, False)], indirect=True)
def test_internationalised_domain_is_sent_as_idna(server: SmtpServer) -> None:
    """aiosmtpd, like many servers, does not offer SMTPUTF8: the domain goes as IDNA."""
    send(mailer(server), "dircom@société.fr")
    assert server.handler.envelopes[0][1] == ["dircom@xn--socit-esab.fr"]


def test_server_down_holds_every_email() -> None:
    """Nothing listens: not this message's fault, every e-mail waits for the server."""
    with pytest.raises(TargetUnreachable) as caught:
        send(mailer(None, port=free_port()))
    assert "cannot reach the SMTP server 127.0.0.1:" in caught.value.reason
    assert not isinstance(caught.value, OutcomeUnknown)  # nothing was sent


@pytest.mark.parametrize("server", [(None, False)], indirect=True)
@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_421_service_not_available_holds_every_email(server: SmtpServer, stage: str) -> None:
    reply = "421 4.3.2 Service shutting down"
    if stage == "rcpt":
        server.handler.refuse_rcpt["dircom@example.fr"] = reply
    else:
        server.handler.refuse_with = reply
    with pytest.raises(TargetUnreachable) as caught:
        send(mailer(server))
    assert "not available" in caught.value.reason and "Service shutting down" in caught.value.reason


@pytest.mark.parametrize("server", [(None, False)], indirect=True)
def test_a_refused_recipient_is_about_this_row_only(server: SmtpServer) -> None:
    server.handler.refuse_rcpt["dircom@example.fr"] = "550 5.1.1 User unknown"
    with pytest.raises(DeliveryError) as caught:
        send(mailer(server))
    assert not isinstance(caught.value, TargetUnreachable) and not caught.value.retryable
