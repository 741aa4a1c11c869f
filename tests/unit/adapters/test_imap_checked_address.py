"""The IMAP source connects to the address it checked, not to the name again
(DNS rebinding), and TLS still checks the certificate against the host name.

Against a real Dovecot on 127.0.0.1; the only stand-in is the name server: the
fetcher's ``resolver`` answers the test's names (and counts the questions).
"""

from __future__ import annotations

import logging
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.servers.loopback import guard_loopback
from tests.unit.adapters.dovecot import PASSWORD, Dovecot, dovecot_or_skip
from tests.unit.adapters.test_imap import Mailbox, plain_mail
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, FetchResult, SourceState
from watchtower.adapters.imap import ImapSettings, ImapSource
from watchtower.errors import PermanentError, SourceError, TransientError

pytestmark = pytest.mark.timeout(60)

NAME = "mail.watchtower.test"
PUBLIC = "93.184.216.34"


class DNS:
    """Answers ``answers[name]`` one address per question, the last one again once
    used up; hangs on a name answered ``None``; counts the questions."""

    def __init__(self, answers: dict[str, list[str | None]]) -> None:
        self.answers = answers
        self.asked: list[str] = []
        self.release = threading.Event()

    def __call__(self, host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        self.asked.append(host)
        queue = self.answers[host]
        address = queue.pop(0) if len(queue) > 1 else queue[0]
        if address is None:
            self.release.wait(20)
            address = "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


class NamedDovecot(Dovecot):
    """The test Dovecot, with a certificate for :data:`NAME` too, given to a client
    that names it (SNI); the others get the default one, for 127.0.0.1."""

    def _write_config(self) -> Path:
        config = super()._write_config()
        self.named_cert = self.root / "named-cert.pem"
        key = self.root / "named-key.pem"
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
                *("-subj", f"/CN={NAME}", "-addext", f"subjectAltName=DNS:{NAME}"),
                *("-keyout", str(key), "-out", str(self.named_cert)),
            ],
            check=True,
            capture_output=True,
        )
        key.chmod(0o644)
        block = f"local_name {NAME} {{\n  ssl_cert = <{self.named_cert}\n  ssl_key = <{key}\n}}\n"
        config.write_text(config.read_text("utf-8") + block, "utf-8")
        return config


@pytest.fixture(scope="module")
def named_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NamedDovecot]:
    server = NamedDovecot(dovecot_or_skip(), tmp_path_factory.mktemp("dovecot-named"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(named_server: NamedDovecot, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv("WT_TEST_IMAP_PASSWORD", PASSWORD)
    return Mailbox(named_server)


def fetch(settings: ImapSettings, dns: DNS, timeout: float = 10.0) -> FetchResult:
    fetcher = HttpFetcher(timeout=timeout, resolver=dns)
    ctx = FetchContext(http=fetcher, now=lambda: datetime.now(UTC), log=logging.getLogger("t"))
    try:
        return ImapSource().fetch(settings, SourceState(), ctx)
    finally:
        fetcher.close()
        dns.release.set()


@pytest.mark.parametrize("tls", ["implicit", "starttls", "none"])
def test_a_name_is_resolved_once_and_tls_checks_the_name(
    mailbox: Mailbox, named_server: NamedDovecot, connections: list[tuple[str, int]], tls: str
) -> None:
    mailbox.append(plain_mail("Acme au journal", 1))
    port = named_server.tls_port if tls == "implicit" else named_server.plain_port
    settings = mailbox.settings(host=NAME, port=port, tls=tls, ca_file=str(named_server.named_cert))
    dns = DNS({NAME: ["127.0.0.1", "192.0.2.1"]})  # a second question would get nowhere
    connections.clear()  # the APPEND's
    result = fetch(settings, dns)
    assert [i.title for i in result.items] == ["Acme au journal"]
    assert dns.asked == [NAME]
    assert connections == [("127.0.0.1", port)]


@pytest.mark.parametrize("tls", ["implicit", "starttls"])
def test_a_certificate_for_the_address_only_is_refused_for_the_name(
    mailbox: Mailbox, named_server: NamedDovecot, tls: str
) -> None:
    # The default certificate is valid for 127.0.0.1, where the connection goes:
    # checked against the address, it would pass. Checked against the name: refused.
    port = named_server.tls_port if tls == "implicit" else named_server.plain_port
    settings = mailbox.settings(host=NAME, port=port, tls=tls, ca_file=str(named_server.cert))
    with pytest.raises(PermanentError) as raised:
        fetch(settings, DNS({NAME: ["127.0.0.1"]}))
    assert raised.value.code == "imap_tls_failed"


def test_a_rebinding_name_server_cannot_point_the_source_at_loopback(
    mailbox: Mailbox, named_server: NamedDovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A public address to the check, then 127.0.0.1 to whoever asks again.
    attempts = guard_loopback(monkeypatch, refuse=ConnectionRefusedError)
    port = named_server.tls_port
    settings = mailbox.settings(host=NAME, port=port, allow_private=False)
    dns = DNS({NAME: [PUBLIC, "127.0.0.1"]})
    with pytest.raises(TransientError) as raised:
        fetch(settings, dns)
    assert raised.value.code == "imap_connect_refused"  # the guard refused the public address
    assert dns.asked == [NAME]
    assert attempts == [(PUBLIC, port)]  # never 127.0.0.1


def test_a_private_answer_is_refused_before_any_connection(
    mailbox: Mailbox, connections: list[tuple[str, int]]
) -> None:
    settings = mailbox.settings(host=NAME, allow_private=False)
    with pytest.raises(PermanentError) as raised:
        fetch(settings, DNS({NAME: ["127.0.0.1"]}))
    assert raised.value.code == "host_address_refused"
    assert connections == []


def test_a_hung_lookup_fails_within_the_request_timeout(
    mailbox: Mailbox, connections: list[tuple[str, int]]
) -> None:
    settings = mailbox.settings(host=NAME, allow_private=True)
    began = time.monotonic()
    with pytest.raises(SourceError) as raised:
        fetch(settings, DNS({NAME: [None]}), timeout=1.0)
    assert time.monotonic() - began < 3.0
    assert raised.value.code == "dns_timeout"
    assert raised.value.message == f"the DNS lookup of {NAME} did not answer within 1s"
    assert connections == []
