"""Where in the SMTP exchange a send fails decides whose fault it is.

Before DATA (connect, EHLO, login, MAIL FROM, RCPT TO) a server that does not
answer or hangs up is down: every e-mail waits for it, and nothing was sent
(plain :class:`TargetUnreachable`). Once it took the envelope, a server that
stops answering or hangs up during DATA may be choking on this one message (a
content filter, a huge message): :class:`ServerErrorMaybeSent`, which the outbox
probes with another message before it holds e-mail as a whole, and whose retry
may repeat a message the server kept (same Message-ID).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers.smtp import SmtpServer, silent_server
from tests.unit.notify.test_email_smtp import mailer, send
from watchtower.errors import OutcomeUnknown
from watchtower.notify.base import ServerError, ServerErrorMaybeSent, TargetUnreachable


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    s = SmtpServer().start()
    yield s
    s.stop()


def test_a_timeout_at_data_may_be_this_message_s_own(server: SmtpServer) -> None:
    server.handler.data_delay = 1.0
    with pytest.raises(ServerErrorMaybeSent) as caught:
        send(mailer(server, timeout=0.3))
    assert isinstance(caught.value, OutcomeUnknown)  # the server may have kept it
    assert "did not answer within 0.3 s to this message (DATA)" in caught.value.reason


def test_a_connection_cut_at_data_may_be_this_message_s_own(server: SmtpServer) -> None:
    server.handler.cut_data = True
    with pytest.raises(ServerErrorMaybeSent) as caught:
        send(mailer(server))
    assert "closed the connection while the message was being sent" in caught.value.reason


def test_a_timeout_at_rcpt_is_the_server_and_nothing_was_sent(
    server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def hang(*args: Any) -> str:
        await asyncio.sleep(1.0)
        return "250 OK"

    monkeypatch.setattr(server.handler, "handle_RCPT", hang)
    with pytest.raises(TargetUnreachable) as caught:
        send(mailer(server, timeout=0.3))
    assert not isinstance(caught.value, ServerError | OutcomeUnknown)
    assert "did not answer within 0.3 s" in caught.value.reason
    assert server.messages == []


def test_a_server_that_never_greets_is_down_not_the_message() -> None:
    # Guard: a timeout before the envelope stays an outage of the server.
    with silent_server() as port, pytest.raises(TargetUnreachable) as caught:
        send(mailer(None, port=port, timeout=0.3))
    assert not isinstance(caught.value, ServerError | OutcomeUnknown)


def test_an_odd_answer_to_quit_after_the_message_was_taken_is_a_send(
    server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def odd_quit(*args: Any) -> str:
        return "421 closing anyway"

    monkeypatch.setattr(server.handler, "handle_QUIT", odd_quit, raising=False)
    send(mailer(server))  # no error: a retry would deliver it twice
    assert len(server.messages) == 1
