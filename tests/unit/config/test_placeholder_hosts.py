"""A placeholder source is judged by the host its fetch would reach
(:mod:`watchtower.adapters.hosts`), however the address is written: case, a
trailing dot, user info, a port, an IDNA or ideographic dot, a subdomain; and a
host that only looks like a documentation domain is a real source."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchtower.adapters.base import SourceSettings
from watchtower.config import parse_config
from watchtower.placeholders import placeholder


def source_of(text: str, tmp_path: Path) -> SourceSettings:
    [source] = parse_config(f'[[sources]]\nname = "s"\n{text}\n', tmp_path / "w.toml").sources
    return source


def rss(url: str) -> str:
    return f'kind = "rss"\nurl = "{url}"'


def imap(host: str, username: str = "u") -> str:
    return f'kind = "imap"\nhost = "{host}"\nusername = "{username}"\npassword_env = "P"'


# (source, the host it is said to point at, whether it is the example's own value)
PLACEHOLDERS = [
    # A domain reserved for documentation, written every way a fetch still reaches it.
    (rss("https://EXAMPLE.COM/feed"), "example.com", False),
    (rss("https://example.com./feed"), "example.com", False),
    (rss("https://user@example.com/feed"), "example.com", False),
    (rss("https://user:secret@Example.Net:8443/feed"), "example.net", False),
    (rss("https://www.example.com/feed"), "www.example.com", False),
    (rss("https://forum.example.org/feed"), "forum.example.org", False),
    (rss("https://FORUM.Example.Org./feed"), "forum.example.org", False),
    (rss("https://example\u3002com/feed"), "example.com", False),  # ideographic full stop
    (rss("https://blog.example.com\uff0e/feed"), "blog.example.com", False),  # fullwidth dot
    (
        'kind = "discourse"\nbase_url = "https://user@forum.example.net:8080"',
        "forum.example.net",
        False,
    ),
    (imap("IMAP.EXAMPLE.COM."), "imap.example.com", False),
    (imap("imap.\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.org"), "imap.example.org", False),
    # config.example.toml's own addresses, written another way.
    (rss("https://www.example.fr./rss.xml"), "www.example.fr", True),
    (rss("https://veille@www.example.fr/rss.xml"), "www.example.fr", True),
    (rss("https://www.example.fr:443/rss.xml"), "www.example.fr", True),
    (rss("https://WWW.EXAMPLE.FR/rss.xml/"), "www.example.fr", True),
    (rss("https://www.google.com./alerts/feeds/00000/11111"), "www.google.com", True),
    ('preset = "phpbb"\nbase_url = "https://Forum.Example.FR./"', "forum.example.fr", True),
    (imap("IMAP.example.fr.", "Veille@Example.fr"), "imap.example.fr", True),
]


@pytest.mark.parametrize(("source", "host", "example"), PLACEHOLDERS)
def test_placeholders_however_written(
    tmp_path: Path, source: str, host: str, example: bool
) -> None:
    found = placeholder(source_of(source, tmp_path))
    assert found is not None, source
    assert (found.host, found.example) == (host, example)


REAL = [
    rss("https://example.community/feed"),
    rss("https://myexample.com/feed"),
    rss("https://example.com.acme.fr/feed"),
    rss("https://example.co/feed"),
    rss("https://ex%61mple.com/feed"),  # no such host: the fetch says so
    rss("https://ex\u00e4mple.com/feed"),  # IDNA: xn--exmple-cua.com, another domain
    rss("https://xn--exmple-cua.com/feed"),
    rss("https://[2001:db8::1]/feed"),
    rss("https://[::1]:8080/feed"),
    rss("https://192.0.2.10/feed"),  # an address is judged by the address guard
    # The example's hosts on another path, port or scheme: another address.
    rss("https://www.example.fr/autre.xml"),
    rss("https://www.example.fr:8443/rss.xml"),
    rss("http://www.example.fr/rss.xml"),
    imap("imap.example.fr", "moi@acme.fr"),
    imap("2001:db8::1"),
    imap("myexample.com"),
]


@pytest.mark.parametrize("source", REAL)
def test_hosts_that_only_look_like_a_placeholder(tmp_path: Path, source: str) -> None:
    assert placeholder(source_of(source, tmp_path)) is None
