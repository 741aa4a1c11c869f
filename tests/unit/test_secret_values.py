"""The secret values watchtower read from its environment are hidden wherever a
text quotes them, which no pattern can know: a password a server echoes in
plain words, an API key on an error page."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from watchtower import secret_values
from watchtower.config import parse_config
from watchtower.redact import redact_target, redact_text
from watchtower.secret_values import forget_all, hide, register, register_loaded, url_password

PASSWORD = "hunter2-Pa55/w+rd"


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    forget_all()
    yield
    forget_all()


def test_nothing_registered_leaves_the_text_as_it_is() -> None:
    text = "535 5.7.8 authentication failed for user veille, password hunter2-Pa55/w+rd"
    assert hide(text) is text
    assert secret_values._state is None


def test_a_registered_value_is_hidden_in_plain_words() -> None:
    register([PASSWORD])
    said = f"535 5.7.8 authentication failed for user veille, password {PASSWORD}"
    assert redact_text(said) == "535 5.7.8 authentication failed for user veille, password ***"


@pytest.mark.parametrize(
    "form",
    [
        quote(PASSWORD, safe=""),  # a query string, a form body
        quote(PASSWORD),
        base64.b64encode(PASSWORD.encode()).decode(),  # AUTH LOGIN's password line
    ],
)
def test_its_common_encodings_are_hidden_too(form: str) -> None:
    register([PASSWORD])
    assert form not in redact_text(f"the server said: {form}!")


def test_json_and_html_escapes_are_hidden() -> None:
    value = 'qu"ote<&>secret'
    register([value])
    assert redact_text('{"error": "bad key qu\\"ote<&>secret"}') == '{"error": "bad key ***"}'
    assert redact_text("<p>bad key qu&quot;ote&lt;&amp;&gt;secret</p>") == "<p>bad key ***</p>"


def test_short_and_empty_values_are_not_registered() -> None:
    """A password "acme" would erase the brand from every log line."""
    register(["acme", "veille", "1234567", "", None, "   short   "])
    assert secret_values._state is None
    text = "Acme: acme veille 1234567 short"
    assert redact_text(text) == text


def test_surrounding_spaces_are_not_part_of_the_value() -> None:
    register(["  long-enough-key\n"])
    assert redact_text("key long-enough-key refused") == "key *** refused"


def test_values_registered_before_stay_hidden() -> None:
    register(["old-secret-value"])
    register(["new-secret-value"])
    assert redact_text("old-secret-value, new-secret-value") == "***, ***"


def test_a_longer_value_containing_another_is_hidden_whole() -> None:
    register(["secret-value"])
    register(["secret-value-and-more"])
    assert redact_text("x secret-value-and-more y") == "x *** y"


def test_redacting_twice_changes_nothing() -> None:
    register([PASSWORD, "xoxb-1234567890-abcdefghij"])
    once = redact_text(f"token xoxb-1234567890-abcdefghij and {PASSWORD} at https://h/{PASSWORD}")
    assert PASSWORD not in once and "abcdefghij" not in once
    assert redact_text(once) == once


def test_a_target_cached_before_the_value_was_registered() -> None:
    target = "webhook:https://example.fr/notify/late-registered-key"
    assert "late-registered-key" in redact_target(target)
    register(["late-registered-key"])
    assert "late-registered-key" not in redact_target(target)


def test_registering_from_threads_loses_no_value() -> None:
    values = [f"thread-secret-{n:04d}" for n in range(40)]
    threads = [threading.Thread(target=register, args=([value],)) for value in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert redact_text(" ".join(values)) == " ".join(["***"] * len(values))


@pytest.mark.parametrize(
    ("url", "password"),
    [
        ("postgresql://wt:s3cr%2Fet-pass@db.example.fr/wt", "s3cr/et-pass"),
        ("postgresql://postgres:postgres@localhost/wt", None),  # its own user name
        ("postgresql://postgres@127.0.0.1:5432/test", None),
        ("sqlite:////var/lib/watchtower/watchtower.db", None),
        ("postgresql://u:p@[::1", None),  # invalid: nothing to find
    ],
)
def test_url_password(url: str, password: str | None) -> None:
    assert url_password(url) == password


def test_register_loaded_takes_every_secret_the_config_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "slack-bot-token-value")
    monkeypatch.setenv("SMTP_USERNAME", "veille@example.fr")
    monkeypatch.setenv("SMTP_PASSWORD", "smtp-password-value")
    monkeypatch.setenv("WT_UNIT_IMAP_PASSWORD", "imap-password-value")
    monkeypatch.setenv("WT_UNIT_FORUM_KEY", "forum-api-key-value")
    monkeypatch.setenv("WATCHTOWER_DATABASE_URL", "postgresql://wt:db-password-value@db/wt")
    text = """
[watchtower]
database_url = "sqlite:///wt.db"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "boite"
kind = "imap"
host = "imap.example.fr"
username = "veille"
password_env = "WT_UNIT_IMAP_PASSWORD"

[[sources]]
name = "forum"
kind = "discourse"
base_url = "https://forum.example.fr"
api_key_env = "WT_UNIT_FORUM_KEY"
api_username = "system"
"""
    loaded = parse_config(text, tmp_path / "watchtower.toml")
    register_loaded(loaded)
    said = (
        "slack-bot-token-value smtp-password-value imap-password-value "
        "forum-api-key-value db-password-value veille@example.fr"
    )
    assert redact_text(said) == "*** *** *** *** *** veille@example.fr"
