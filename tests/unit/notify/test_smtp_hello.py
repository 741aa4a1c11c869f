"""The name EHLO carries: this machine's domain name, looked up once and waited
for within a bound, else the connection's own address (RFC 5321 §4.1.3)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from watchtower.notify.smtp_hello import LocalName, address_literal, hello_name

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected pair of TCP sockets on 127.0.0.1."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = socket.create_connection(listener.getsockname())
        server, _ = listener.accept()
    with client, server:
        yield client, server


@pytest.mark.parametrize(
    ("found", "name"),
    [
        ("mail.acme.fr", "mail.acme.fr"),
        ("mail.acme.fr.", "mail.acme.fr"),
        ("vm", None),  # getfqdn's fallback, the bare host name: smtplib refuses it too
        ("localhost", None),
        ("bad_name.acme.fr", None),
        ("-x.acme.fr", None),
        ("café.fr", None),
        ("", None),
    ],
)
def test_only_a_dotted_domain_name_is_kept(found: str, name: str | None) -> None:
    local = LocalName(lambda: found)
    assert local.get(5.0) == name


def test_a_lookup_that_fails_leaves_no_name() -> None:
    def broken() -> str:
        raise OSError("no name")

    assert LocalName(broken).get(5.0) is None


def test_only_the_first_window_waits_and_the_lookup_runs_once() -> None:
    release, calls = threading.Event(), []
    now = [100.0]

    def hung() -> str:
        calls.append(1)
        release.wait(10)
        return "veille.acme.fr"

    local = LocalName(hung, clock=lambda: now[0])
    try:
        assert local.get(0.05) is None  # waited its bound, no more
        now[0] += 1  # the lookup is older than the bound: the next sessions do not wait
        started = threading.Event()
        waiter = threading.Thread(target=lambda: (local.get(0.5), started.set()))
        waiter.start()
        assert started.wait(0.4), "a later session waited for the lookup again"
        waiter.join()
        release.set()
        local._done.wait(5)
        assert local.get(0.0) == "veille.acme.fr"
    finally:
        release.set()
    assert calls == [1]


def test_the_address_literal_is_the_connections_own(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    client, _ = pair
    assert address_literal(client) == "[127.0.0.1]"
    assert address_literal(None) == "[127.0.0.1]"


def test_an_ipv6_connection_is_written_as_rfc_5321_says() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        listener = socket.socket(socket.AF_INET6)
        listener.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with listener:
        listener.listen()
        with socket.create_connection(listener.getsockname()[:2]) as client:
            assert address_literal(client) == "[IPv6:::1]"


def test_hello_name_falls_back_to_the_address_until_the_name_is_known(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    client, _ = pair
    release = threading.Event()

    def hung() -> str:
        release.wait(10)
        return "veille.acme.fr"

    local = LocalName(hung)
    try:
        assert hello_name(client, 0.2, local=local) == "[127.0.0.1]"
        release.set()
        local._done.wait(5)
        assert hello_name(client, 0.2, local=local) == "veille.acme.fr"
    finally:
        release.set()
