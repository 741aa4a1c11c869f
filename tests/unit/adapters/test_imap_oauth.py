"""``auth = "oauth2"``: a Microsoft 365 or Google mailbox, read with AUTHENTICATE
XOAUTH2 and an access token from the token endpoint.

Real parts on loopback: the fake token server (``tests/servers/oauth.py``) issues
tokens and answers introspection; a real Dovecot with its ``oauth2`` passdb
accepts only the tokens that server says are active (``OAuthDovecot``).
"""

from __future__ import annotations

import imaplib
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from tests.french import nb
from tests.servers.oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    OAuthServer,
    sasl_xoauth2,
)
from tests.unit.adapters.dovecot import OAuthDovecot, dovecot_or_skip
from tests.unit.adapters.test_imap import plain_mail
from watchtower.adapters._http import HttpFetcher
from watchtower.adapters.base import FetchContext, FetchResult, SourceState
from watchtower.adapters.imap import ImapSettings, ImapSource
from watchtower.cli import main
from watchtower.errors import PermanentError, SourceError, TransientError

pytestmark = pytest.mark.timeout(60)

SECRET_ENV = "WT_TEST_OAUTH_SECRET"
REFRESH_ENV = "WT_TEST_OAUTH_REFRESH"


@pytest.fixture(scope="module")
def token_server() -> Iterator[OAuthServer]:
    server = OAuthServer().start()
    yield server
    server.stop()


@pytest.fixture
def oauth_dovecot(token_server: OAuthServer, tmp_path: Path) -> Iterator[OAuthDovecot]:
    # One per test: Dovecot slows down an address after each refused login (up
    # to 15 s, whatever auth_failure_delay says), and these tests refuse some.
    server = OAuthDovecot(dovecot_or_skip(), tmp_path, token_server.introspection_url)
    server.start()
    yield server
    server.stop()


class Box:
    """A fresh mailbox on the OAuth Dovecot, its token server reset for it."""

    def __init__(self, dovecot: OAuthDovecot, tokens: OAuthServer) -> None:
        self.dovecot, self.tokens = dovecot, tokens
        self.user = f"veille-{uuid.uuid4().hex[:8]}@example.fr"
        tokens.reset(self.user)
        self.now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
        self.source = ImapSource()  # one token cache, as the daemon's one instance

    def append(self, data: bytes) -> None:
        client = imaplib.IMAP4("127.0.0.1", self.dovecot.plain_port)
        try:
            token = self.tokens.mint()
            client.authenticate("XOAUTH2", lambda _: sasl_xoauth2(self.user, token))
            assert client.append("INBOX", None, None, data)[0] == "OK"
        finally:
            client.logout()

    def settings(self, **overrides: Any) -> ImapSettings:
        values: dict[str, Any] = {
            "name": "m365",
            "host": "127.0.0.1",
            "port": self.dovecot.tls_port,
            "tls": "implicit",
            "ca_file": str(self.dovecot.cert),
            "username": self.user,
            "auth": "oauth2",
            "token_url": self.tokens.token_url,
            "client_id": CLIENT_ID,
            "client_secret_env": SECRET_ENV,
            "scope": "https://outlook.office365.com/.default",
            "allow_private": True,
        }
        values.update(overrides)
        return ImapSettings(**values)

    def poll(self, settings: ImapSettings, state: SourceState) -> tuple[FetchResult, SourceState]:
        # Above Dovecot's slowing down after a refused login (2 s, 4 s…).
        fetcher = HttpFetcher(timeout=20)
        ctx = FetchContext(http=fetcher, now=lambda: self.now, log=logging.getLogger("t"))
        try:
            result = self.source.fetch(settings, state, ctx)
        finally:
            fetcher.close()
        return result, SourceState(cursor=result.cursor or {})

    def fails(self, settings: ImapSettings, state: SourceState) -> SourceError:
        with pytest.raises(SourceError) as caught:
            self.poll(settings, state)
        return caught.value


@pytest.fixture
def box(
    oauth_dovecot: OAuthDovecot, token_server: OAuthServer, monkeypatch: pytest.MonkeyPatch
) -> Box:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    monkeypatch.setenv(REFRESH_ENV, REFRESH_TOKEN)
    return Box(oauth_dovecot, token_server)


def grants(server: OAuthServer) -> list[str]:
    return [form.get("grant_type", "") for form in server.token_requests]


def logins(server: OAuthServer) -> list[str]:
    """The tokens Dovecot was asked about at watchtower's logins (not the test's APPENDs)."""
    return [token for token in server.introspections if not token.startswith("test-")]


def assert_no_secret(text: str, server: OAuthServer) -> None:
    for secret in (CLIENT_SECRET, REFRESH_TOKEN, *server.issued):
        assert secret not in text


# ------------------------------------------------------------------ logging in


def test_first_login_gets_a_token_and_reads_the_mailbox(box: Box) -> None:
    box.append(plain_mail("Avis Acme", 1))
    result, state = box.poll(box.settings(), SourceState())
    assert [i.title for i in result.items] == ["Avis Acme"]
    assert box.tokens.token_requests == [
        {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": "https://outlook.office365.com/.default",
        }
    ]
    # Dovecot checked the very token the server issued.
    assert logins(box.tokens) == box.tokens.issued
    assert state.cursor["last_uid"] == 1


def test_the_cached_token_is_reused_until_shortly_before_it_expires(box: Box) -> None:
    settings = box.settings()
    _, state = box.poll(settings, SourceState())
    box.append(plain_mail("Deuxième", 2))
    box.now += timedelta(minutes=58)  # expires_in 3600 s, renewed a minute before
    second, state = box.poll(settings, state)
    assert [i.title for i in second.items] == ["Deuxième"]
    assert len(box.tokens.issued) == 1
    assert logins(box.tokens) == [box.tokens.issued[0]] * 2

    box.now += timedelta(seconds=61)  # 59 min 1 s after it was issued
    box.poll(settings, state)
    assert len(box.tokens.issued) == 2
    assert logins(box.tokens)[-1] == box.tokens.issued[1]


def test_sources_of_one_app_share_its_token(box: Box) -> None:
    box.poll(box.settings(), SourceState())
    box.poll(box.settings(name="autre-dossier", folder="INBOX"), SourceState())
    assert len(box.tokens.issued) == 1


def test_a_token_the_server_no_longer_accepts_is_replaced_once(box: Box) -> None:
    settings = box.settings()
    _, state = box.poll(settings, SourceState())
    box.tokens.expire_tokens()  # dead before its expires_in (revoked, clock skew)
    box.append(plain_mail("Après expiration", 2))
    result, _ = box.poll(settings, state)
    assert [i.title for i in result.items] == ["Après expiration"]
    assert grants(box.tokens) == ["client_credentials"] * 2


def test_a_new_token_refused_by_the_mail_server_is_permanent(box: Box) -> None:
    # The token is valid, but not for this mailbox: the app lacks access to it.
    box.tokens.mailbox = "autre@example.fr"
    error = box.fails(box.settings(), SourceState())
    assert isinstance(error, PermanentError)
    assert "refused the access token" in error.message
    assert "Add-MailboxPermission" in error.message
    assert len(box.tokens.issued) == 1  # a fresh token is not asked for again
    assert_no_secret(error.message, box.tokens)


def test_a_cached_token_refused_twice_asks_for_one_new_token_only(box: Box) -> None:
    settings = box.settings()
    box.poll(settings, SourceState())
    box.tokens.mailbox = "autre@example.fr"  # access to the mailbox taken away
    error = box.fails(settings, SourceState())
    assert isinstance(error, PermanentError)
    assert len(box.tokens.issued) == 2
    # The refused token is forgotten: the next check asks for a new one at once.
    box.tokens.mailbox = box.user
    box.poll(settings, SourceState())
    assert len(box.tokens.issued) == 3


# ------------------------------------------------------------------ token endpoint failures


def test_a_revoked_client_is_permanent_and_says_what_to_fix(box: Box) -> None:
    settings = box.settings()
    box.poll(settings, SourceState())
    box.tokens.revoke_client()
    box.now += timedelta(hours=2)
    error = box.fails(settings, SourceState())
    assert isinstance(error, PermanentError)
    assert "invalid_client" in error.message and SECRET_ENV in error.message
    assert "Invalid client secret provided" in error.message  # the server's words
    assert_no_secret(error.message, box.tokens)
    # The ops alert, in French: what to fix, without the server's English.
    assert error.sentence("fr") == nb(
        "la messagerie (127.0.0.1) refuse l'application : vérifier client_id et son "
        f"secret (variable {SECRET_ENV}), peut-être expiré ou révoqué"
    )


def test_an_invalid_scope_is_permanent(box: Box) -> None:
    error = box.fails(box.settings(scope="invalid-scope"), SourceState())
    assert isinstance(error, PermanentError)
    assert error.message == (
        "the token server 127.0.0.1 refused to give an access token (400, invalid_scope: "
        "AADSTS70011: The provided scope is not valid.): check scope"
    )


def test_a_revoked_refresh_token_is_permanent(box: Box) -> None:
    settings = box.settings(
        client_secret_env=None, refresh_token_env=REFRESH_ENV, scope="https://mail.google.com/"
    )
    box.poll(settings, SourceState())
    assert box.tokens.token_requests[0] == {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "refresh_token": REFRESH_TOKEN,
        "scope": "https://mail.google.com/",
    }
    box.tokens.revoke_client()
    box.now += timedelta(hours=2)
    error = box.fails(settings, SourceState())
    assert isinstance(error, PermanentError)
    assert "invalid_grant" in error.message and REFRESH_ENV in error.message
    assert "create a new one" in error.message
    assert REFRESH_ENV in error.sentence("fr") and "révoqué ou expiré" in error.sentence("fr")
    assert_no_secret(error.message, box.tokens)


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_failing_token_server_is_transient(box: Box, status: int) -> None:
    box.tokens.status = status
    error = box.fails(box.settings(), SourceState())
    assert isinstance(error, TransientError)
    assert f"({status})" in error.message
    assert logins(box.tokens) == []  # no IMAP login was tried


def test_a_token_server_that_does_not_answer_is_transient(box: Box) -> None:
    box.tokens.delay = 2.5
    settings = box.settings()
    fetcher = HttpFetcher(timeout=1)
    ctx = FetchContext(http=fetcher, now=lambda: box.now, log=logging.getLogger("t"))
    try:
        with pytest.raises(TransientError, match="did not answer within 1s"):
            box.source.fetch(settings, SourceState(), ctx)
    finally:
        fetcher.close()


def test_an_unreachable_token_server_is_transient(box: Box) -> None:
    down = OAuthServer().start()
    down.stop()  # nothing listens on its port any more
    error = box.fails(box.settings(token_url=down.token_url), SourceState())
    assert isinstance(error, TransientError)
    assert "cannot reach the token server 127.0.0.1" in error.message


def test_a_token_server_on_loopback_needs_allow_private(box: Box) -> None:
    error = box.fails(box.settings(allow_private=False), SourceState())
    assert isinstance(error, PermanentError)
    assert box.tokens.token_requests == []


def test_an_unset_secret_variable_is_named(box: Box, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV)
    error = box.fails(box.settings(), SourceState())
    assert isinstance(error, PermanentError)
    assert SECRET_ENV in error.message
    assert box.tokens.token_requests == []


def test_no_secret_or_token_in_the_logs(box: Box, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = box.settings()
    box.poll(settings, SourceState())
    box.tokens.expire_tokens()
    box.poll(settings, SourceState())
    box.tokens.revoke_client()
    box.fails(settings, SourceState())
    assert_no_secret(caplog.text, box.tokens)


# ------------------------------------------------------------------ settings


def test_check_warns_about_unset_oauth_variables(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    monkeypatch.delenv(REFRESH_ENV, raising=False)
    path = write_config(
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
        '[[sources]]\nname = "m365"\nkind = "imap"\nhost = "outlook.office365.com"\n'
        'username = "veille@entreprise.fr"\nauth = "oauth2"\nprovider = "microsoft"\n'
        'tenant = "entreprise.onmicrosoft.com"\nclient_id = "app"\n'
        f'client_secret_env = "{SECRET_ENV}"\n'
        '[[sources]]\nname = "gmail"\nkind = "imap"\nhost = "imap.gmail.com"\n'
        'username = "veille@entreprise.fr"\nauth = "oauth2"\nprovider = "google"\n'
        f'client_id = "app"\nrefresh_token_env = "{REFRESH_ENV}"\n'
    )
    assert main(["check", "--config", str(path)]) == 0
    err = capsys.readouterr().err
    assert f"source 'm365': the environment variable {SECRET_ENV} is not set here" in err
    assert f"source 'gmail': the environment variable {REFRESH_ENV} is not set here" in err


def test_xoauth2_initial_response() -> None:
    from watchtower.adapters._oauth import xoauth2

    assert xoauth2("veille@entreprise.fr", "ya29.abc") == (
        b"user=veille@entreprise.fr\x01auth=Bearer ya29.abc\x01\x01"
    )


BASE = {"name": "m", "host": "outlook.office365.com", "username": "veille@entreprise.fr"}


def test_an_existing_password_config_is_unchanged() -> None:
    settings = ImapSettings(**BASE, password_env="IMAP_PASSWORD")
    assert settings.password_env == "IMAP_PASSWORD"
    assert getattr(settings, "auth", "password") == "password"


def test_provider_shortcuts_fill_token_url_and_scope() -> None:
    microsoft = ImapSettings(
        **BASE,
        auth="oauth2",
        provider="microsoft",
        tenant="entreprise.onmicrosoft.com",
        client_id="app",
        client_secret_env="M365_SECRET",
    )
    assert microsoft.oauth_token_url == (
        "https://login.microsoftonline.com/entreprise.onmicrosoft.com/oauth2/v2.0/token"
    )
    assert microsoft.oauth_scope == "https://outlook.office365.com/.default"
    assert microsoft.secret_envs == ("M365_SECRET",)
    google = ImapSettings(
        **{**BASE, "host": "imap.gmail.com"},
        auth="oauth2",
        provider="google",
        client_id="app.apps.googleusercontent.com",
        client_secret_env="GOOGLE_SECRET",
        refresh_token_env="GOOGLE_REFRESH",
    )
    assert google.oauth_token_url == "https://oauth2.googleapis.com/token"
    assert google.oauth_scope == "https://mail.google.com/"


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({}, "password_env is required"),
        ({"client_id": "app", "password_env": "P"}, 'only with auth = "oauth2"'),
        ({"auth": "oauth2", "password_env": "P", "client_id": "a"}, "password_env is not used"),
        ({"auth": "oauth2", "provider": "microsoft", "client_secret_env": "S"}, "needs client_id"),
        ({"auth": "oauth2", "client_id": "a", "client_secret_env": "S"}, "or token_url"),
        (
            {"auth": "oauth2", "provider": "microsoft", "client_id": "a", "client_secret_env": "S"},
            "needs tenant",
        ),
        (
            {"auth": "oauth2", "provider": "google", "client_id": "a", "client_secret_env": "S"},
            "needs refresh_token_env",
        ),
        (
            {"auth": "oauth2", "provider": "google", "tenant": "t", "client_id": "a"},
            'tenant: only with provider = "microsoft"',
        ),
        (
            {"auth": "oauth2", "token_url": "https://login.example/token", "client_id": "a"},
            "needs client_secret_env",
        ),
        ({"auth": "oauth2", "client_id": "a", "client_secret_env": "not a name"}, "pattern"),
        ({"auth": "oauth2", "token_url": "ftp://x/token", "client_id": "a"}, "URL"),
    ],
)
def test_invalid_oauth_settings_say_what_to_write(keys: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ImapSettings(**BASE, **keys)
    assert message in str(caught.value)


def test_secrets_and_tokens_stay_out_of_reprs() -> None:
    from watchtower.adapters._oauth import OAuthApp, Token

    app = OAuthApp("https://login.example/token", "app", CLIENT_SECRET, REFRESH_TOKEN, None)
    token = Token("ya29.secret-token", datetime(2026, 11, 26, tzinfo=UTC), fresh=True)
    shown = repr(app) + repr(token) + str(token)
    assert CLIENT_SECRET not in shown and REFRESH_TOKEN not in shown
    assert "ya29.secret-token" not in shown
