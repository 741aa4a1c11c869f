"""URL checks (``adapters/_urls.py``) and the shared client's form POST.

A URL the client cannot request has a catalogue code, so the French ops alert
says it in French; the English message of logs and ``status`` is unchanged. The
form POST (an OAuth token request) has the guards, deadline, cap and error
mapping of a GET, and follows no redirect. Real loopback servers throughout.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest

from tests.french import nb
from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters._oauth import OAuthApp, request_token
from watchtower.errors import PermanentError, TransientError

FRENCH_INVALID = nb(
    "l'adresse de la source n'est pas une URL valide : à corriger dans la configuration"
)
FRENCH_REDIRECT = "le site redirige vers une adresse invalide"


@pytest.fixture
def fetcher() -> Iterator[HttpFetcher]:
    f = HttpFetcher(
        timeout=3.0, connect_timeout=2.0, politeness_delay=0.0, trusted_networks=["127.0.0.0/8"]
    )
    yield f
    f.close()


# ------------------------------------------------------- codes for invalid URLs


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://0177.0.0.1/feed", "Invalid IPv4 address"),
        ("http://[::1/feed", "Invalid IPv6 URL"),
        ("http://a\x00b/", "Invalid non-printable ASCII character"),
        ("https:///flux", "no host name"),
    ],
)
def test_a_source_url_the_client_cannot_request_is_said_in_french(
    fetcher: HttpFetcher, connections: list[tuple[str, int]], url: str, reason: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        fetcher.get(url)
    error = caught.value
    assert error.code == "url_invalid"
    assert error.message.startswith(f"the address is not a valid URL ({reason}")
    assert error.sentence("fr") == FRENCH_INVALID
    assert connections == []


@pytest.mark.timeout(10)
@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://[::1", "Invalid IPv6 URL"),  # refused by urllib
        ("http://0177.0.0.1/", "Invalid IPv4 address"),  # refused by httpx
        ("https:", "no host name"),
        ("http:x", "path must"),  # let through by the Location check, refused by httpx
    ],
)
def test_a_redirect_to_an_invalid_url_is_said_in_french(
    fetcher: HttpFetcher, server: ScriptedServer, location: str, reason: str
) -> None:
    server.routes["/go"] = reply(b"", status=302, headers={"Location": location})
    with pytest.raises(PermanentError) as caught:
        fetcher.get(server.url("/go"))
    error = caught.value
    assert error.code == "redirect_invalid"
    assert error.message.startswith("the server redirected to an invalid URL (")
    assert reason in error.message
    assert error.sentence("fr") == FRENCH_REDIRECT
    assert "[::1" not in error.sentence("fr")  # the server's words stay out of the alert


# ------------------------------------------------------------- the form POST


def test_post_form_sends_the_form_and_returns_any_status(
    fetcher: HttpFetcher, server: ScriptedServer
) -> None:
    server.routes["/token"] = reply(b'{"error": "invalid_client"}', status=401)
    response = fetcher.post_form(
        server.url("/token"), {"grant_type": "client_credentials", "scope": "a b"}
    )
    assert (response.status, response.content) == (401, b'{"error": "invalid_client"}')
    assert [parse_qs(body.decode()) for body in server.posted] == [
        {"grant_type": ["client_credentials"], "scope": ["a b"]}
    ]


def test_post_form_follows_no_redirect(fetcher: HttpFetcher, server: ScriptedServer) -> None:
    # A 307 would send the form (an OAuth client secret) on to wherever it points.
    server.routes["/token"] = reply(b"", status=307, headers={"Location": "/elsewhere"})
    server.routes["/elsewhere"] = reply(b"{}")
    assert fetcher.post_form(server.url("/token"), {"a": "b"}).status == 307
    assert server.hits == ["/token"]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("location", ["javascript:alert(1)", "http://[::1"])
def test_post_form_answered_with_a_hostile_location_is_a_plain_error(
    fetcher: HttpFetcher, server: ScriptedServer, location: str
) -> None:
    server.routes["/token"] = reply(b"", status=302, headers={"Location": location})
    with pytest.raises(PermanentError):
        fetcher.post_form(server.url("/token"), {"a": "b"})


@pytest.mark.timeout(10)
def test_post_form_answers_are_capped_even_compressed(
    fetcher: HttpFetcher, server: ScriptedServer
) -> None:
    server.routes["/big"] = reply(b"x" * 5_000)
    server.routes["/bomb"] = reply(
        gzip.compress(b"\0" * 5_000_000), headers={"Content-Encoding": "gzip"}
    )
    for path in ("/big", "/bomb"):
        with pytest.raises(PermanentError) as caught:
            fetcher.post_form(server.url(path), {"a": "b"}, max_bytes=1_000)
        assert caught.value.code == "too_large"


def test_post_form_refuses_a_private_address_before_connecting(
    connections: list[tuple[str, int]],
) -> None:
    fetcher = HttpFetcher(timeout=3.0, politeness_delay=0.0)
    try:
        with pytest.raises(PermanentError) as caught:
            fetcher.post_form("http://127.0.0.1:9/token", {"a": "b"})
    finally:
        fetcher.close()
    assert caught.value.code == "url_address_refused"
    assert connections == []


@pytest.mark.timeout(10)
def test_post_form_has_the_overall_deadline(server: ScriptedServer) -> None:
    server.routes["/slow"] = lambda handler: time.sleep(3)
    fetcher = HttpFetcher(timeout=0.5, politeness_delay=0.0, trusted_networks=["127.0.0.0/8"])
    started = time.monotonic()
    try:
        with pytest.raises(TransientError) as caught:
            fetcher.post_form(server.url("/slow"), {"a": "b"})
    finally:
        fetcher.close()
    assert caught.value.code in ("timeout", "timeout_total")
    assert time.monotonic() - started < 2.0


# ----------------------------------------------- the OAuth token request on it


def _app(url: str) -> OAuthApp:
    return OAuthApp(
        token_url=url,
        client_id="app",
        client_secret="s3cr3t",
        refresh_token=None,
        scope="https://outlook.office365.com/.default",
        allow_private=True,
    )


NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("location", ["javascript:alert(1)", "data:,x", "http://0177.0.0.1/"])
def test_a_token_endpoint_redirecting_to_a_hostile_location_is_a_plain_error(
    fetcher: HttpFetcher, server: ScriptedServer, location: str
) -> None:
    # The token request's own client had no Location check: httpx's InvalidURL
    # (no httpx.HTTPError) crashed the IMAP adapter.
    server.routes["/token"] = reply(b"", status=302, headers={"Location": location})
    with pytest.raises(PermanentError) as caught:
        request_token(_app(server.url("/token")), fetcher, NOW)
    assert "s3cr3t" not in caught.value.message


def test_a_token_endpoint_redirect_says_to_write_its_final_address(
    fetcher: HttpFetcher, server: ScriptedServer
) -> None:
    server.routes["/token"] = reply(b"", status=301, headers={"Location": "/v2/token"})
    with pytest.raises(PermanentError) as caught:
        request_token(_app(server.url("/token")), fetcher, NOW)
    assert caught.value.code == "oauth_bad_answer"
    assert "write its final address as token_url" in caught.value.message
    assert server.hits == ["/token"]


@pytest.mark.timeout(10)
def test_a_token_endpoints_compressed_bomb_is_an_oversized_answer(
    fetcher: HttpFetcher, server: ScriptedServer
) -> None:
    server.routes["/token"] = reply(
        gzip.compress(b" " * 20_000_000), headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(PermanentError) as caught:
        request_token(_app(server.url("/token")), fetcher, NOW)
    assert caught.value.code == "oauth_bad_answer"
    assert "oversized answer" in caught.value.message


def test_a_token_is_read_from_the_answer(fetcher: HttpFetcher, server: ScriptedServer) -> None:
    server.routes["/token"] = reply(
        b'{"access_token": "ya29.abc", "expires_in": 3600}', content_type="application/json"
    )
    token = request_token(_app(server.url("/token")), fetcher, NOW)
    assert token.value == "ya29.abc" and token.fresh
    assert parse_qs(server.posted[0].decode())["client_secret"] == ["s3cr3t"]
