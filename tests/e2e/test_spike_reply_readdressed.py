"""A spike's follow-up e-mail moved to another address by a reload is no reply there.

The « Retour au calme » answers the alert's e-mail (In-Reply-To, "Re: "). While
it waited for the mail server, the operator corrected the alert's address
(``[spikes] notify``) and reloaded: the calm-down went to the new address,
still threaded under, and titled as a reply to, an alert its new reader never
received. It now goes there as a message of its own; the reader the alert went
to still gets it in the alert's conversation. (A "taken by" e-mail is never
re-addressed: :mod:`watchtower.pipeline.readdress_routes`; its rendering
without a reply is checked in ``tests/unit/notify/test_email_reply_target.py``.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, base_config, make_app
from tests.e2e.test_escalation_taken_email import SPIKES, alerted, cycle, mails_to, text_of
from tests.e2e.test_spike_calm_threads import calm_down, is_calm
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.reload import Reloader

OLD = "dircom@example.fr"
NEW = "dircom.acme@example.fr"

#: The mail server's answer while the follow-up waits (a try-again-later).
BUSY = "451 4.3.0 try again later"


@pytest.fixture
def configure(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[str], Path]:
    """``configure(address)``: the config file, spikes to #crise and ``address``."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)

    def write(address: str) -> Path:
        notify = f'"slack:#crise", "email:{address}"'
        return write_config(base_config(database_url, slack, smtp, SPIKES.format(notify=notify)))

    return write


@pytest.fixture
def app(configure: Callable[[str], Path], slack: FakeSlack, clock: Clock) -> Iterator[App]:
    slack.clock = clock.timestamp
    started = make_app(configure(OLD), clock)
    yield started
    started.close()


def readdress(app: App, configure: Callable[[str], Path], address: str) -> None:
    """The operator writes ``address`` for the alert's e-mail; the daemon reloads."""
    configure(address)
    assert Reloader(app).reload(force=True) is not False


@pytest.mark.parametrize("address", [NEW, OLD])
def test_a_calm_down_moved_to_another_address_is_a_message_of_its_own(
    app: App,
    configure: Callable[[str], Path],
    clock: Clock,
    slack: FakeSlack,
    smtp: SmtpServer,
    address: str,
) -> None:
    alerted(app, clock, slack)
    [original] = mails_to(smtp, OLD)
    smtp.handler.refuse_with = BUSY
    calm_down(app, clock)  # the calm-down's e-mail waits for the server
    assert not [m for m in smtp.messages if is_calm(m)]

    readdress(app, configure, address)
    smtp.handler.refuse_with = None
    for _ in range(4):  # the outbox retries it
        cycle(app, clock, minutes=30)

    [calm] = [m for m in mails_to(smtp, address) if is_calm(m)]
    assert nb("✅ Retour au calme : Acmé") in nb(text_of(calm))
    if address == OLD:  # unchanged: in the alert's conversation, as before
        assert calm["Subject"] == f"Re: {original['Subject']}"
        assert calm["In-Reply-To"] == original["Message-ID"]
        assert calm["References"] == original["Message-ID"]
    else:  # its reader never got the alert: nothing to answer
        assert calm["In-Reply-To"] is None
        assert calm["References"] is None
        assert not calm["Subject"].startswith("Re:")
        assert nb(calm["Subject"]) == nb("[veille] ✅ Retour au calme : Acmé")
        assert not [m for m in mails_to(smtp, OLD) if is_calm(m)]
