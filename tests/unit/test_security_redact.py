"""Secrets in logs (security audit, second pass): tracebacks and JSON lines are
redacted like key=value fields; tokens in query strings, a raw "@" in a URL's
password and Google Alerts feed ids are hidden; redaction stays linear."""

from __future__ import annotations

import io
import json
import logging

import pytest

from tests.unit.adapters.test_security_fixes import assert_linear
from watchtower.logs import configure, kv
from watchtower.redact import redact_text

SECRET_URL = "https://bot:HUNTER2@feeds.example.fr/x.xml?token=TOKEN42"
APPRISE = "apprise:tgram://123456789:AAbbCCddEEff/987654"


@pytest.fixture(params=["text", "json"])
def log_output(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    configure("INFO", fmt=request.param)
    return stream


def _leaks(output: str) -> list[str]:
    return [s for s in ("HUNTER2", "TOKEN42", "AAbbCCddEEff") if s in output]


def test_a_traceback_never_shows_a_secret(log_output: io.StringIO) -> None:
    try:
        raise RuntimeError(f"cannot send to {APPRISE} after GET {SECRET_URL}")
    except RuntimeError:
        logging.getLogger("watchtower.poll").exception("adapter crashed", extra=kv(source="x"))
    output = log_output.getvalue()
    assert "RuntimeError" in output  # the traceback is still there
    assert _leaks(output) == []


def test_a_field_that_is_not_a_string_never_shows_a_secret(log_output: io.StringIO) -> None:
    logging.getLogger("watchtower.poll").warning(
        "source failed",
        extra=kv(error=ValueError(SECRET_URL), targets=[APPRISE], attempts=3, ok=False),
    )
    output = log_output.getvalue()
    assert _leaks(output) == []
    if output.startswith("{"):  # numbers and lists stay JSON types
        data = json.loads(output)
        assert (data["attempts"], data["ok"]) == (3, False)
        assert isinstance(data["targets"], list)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("GET https://u:p@ss@a.fr/x failed", "GET https://u:***@a.fr/x failed"),
        ("https://f.example/rss?token=ABC&lang=fr", "https://f.example/rss?token=***&lang=fr"),
        ("https://f.example/rss?lang=fr&api_key=XYZ#top", "https://f.example/rss?lang=fr&api_key=***#top"),
        ("https://s3.example/x?X-Amz-Signature=beef&X-Amz-Date=1", "https://s3.example/x?X-Amz-Signature=***&X-Amz-Date=1"),
        ("https://www.google.com/alerts/feeds/10442132936323431513/2469413410429553446 down",
         "https://www.google.com/alerts/feeds/… down"),
        # Kept: no secret there.
        ("https://a.fr/x?design=1&lang=fr https://user@host/ at 10:30@home",
         "https://a.fr/x?design=1&lang=fr https://user@host/ at 10:30@home"),
    ],
)  # fmt: skip
def test_secrets_in_urls_are_hidden(text: str, shown: str) -> None:
    assert redact_text(text) == shown


@pytest.mark.timeout(60)
def test_redaction_is_linear_on_many_dotted_words_before_a_url() -> None:
    # "a.a.a.…://x@": every "a" began a scheme that was scanned to the end (quadratic).
    assert_linear(lambda text: redact_text(text + "://x@"), "a.", 2_000)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # An IMAP XOAUTH2 login string, an Authorization header, a token request and its answer.
        ("user=veille@acme.fr\x01auth=Bearer ya29.a0AfH6SMBxxxxxxxx\x01\x01",
         "user=veille@acme.fr auth=Bearer ***  "),
        ("Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi.eyJzdWIi.sig",
         "Authorization: Bearer ***"),
        ("grant_type=refresh_token&refresh_token=1//0gAbCdEf&client_id=app&client_secret=s3cr3t",
         "grant_type=refresh_token&refresh_token=***&client_id=app&client_secret=***"),
        ('{"token_type": "Bearer", "access_token": "ya29.abc", "expires_in": 3599}',
         '{"token_type": "Bearer", "access_token": "***", "expires_in": 3599}'),
        # Kept: prose and a short word are not tokens.
        ("The bearer of bad news; Bearer token", "The bearer of bad news; Bearer token"),
    ],
)  # fmt: skip
def test_oauth_tokens_and_secrets_are_hidden(text: str, shown: str) -> None:
    assert redact_text(text) == shown
