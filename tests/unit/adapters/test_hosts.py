"""The host a source's address leads to (:mod:`watchtower.adapters.hosts`): the
one the shared HTTP client connects to for a URL, the one the resolver is asked
for a mail server's name."""

from __future__ import annotations

import pytest

from watchtower.adapters.hosts import server_host, url_host


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://EXAMPLE.com/x", "example.com"),
        ("https://example.com./x", "example.com"),
        ("https://u:p@example.com:8443/x", "example.com"),
        ("https://[2001:DB8::1]:8443/x", "2001:db8::1"),
        ("https://ex\u00e4mple.com/", "xn--exmple-cua.com"),
        ("https://example\u3002com/", "example.com"),
        ("https://exa\u00admple.com/", ""),  # the client refuses it: no host reached
        ("https://[::1/", ""),
        ("not a url", ""),
    ],
)
def test_url_host_is_the_host_the_client_connects_to(url: str, host: str) -> None:
    assert url_host(url) == host


@pytest.mark.parametrize(
    ("name", "host"),
    [
        ("IMAP.Example.COM.", "imap.example.com"),
        ("exa\u00admple.com", "example.com"),  # IDNA 2003, as getaddrinfo encodes it
        ("ex\u00e4mple.com", "xn--exmple-cua.com"),
        ("2001:DB8::1", "2001:db8::1"),
        ("a..b\u00e4", ""),
    ],
)
def test_server_host_is_the_name_the_resolver_is_asked(name: str, host: str) -> None:
    assert server_host(name) == host
