"""A server that quotes a password in plain words, as no pattern can recognise
it: the value is hidden because watchtower knows it is its secret.

One ``run --once`` against servers on 127.0.0.1: an SMTP relay refusing the
login with ``535 5.7.8 authentication failed for user veille, password …``, an
IMAP server answering ``NO wrong password …``. Neither password shows in the
log, in ``status`` nor in the database (read back with plain SQL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.echoing_setup import echoing_config
from tests.e2e.secret_urls import stored
from tests.servers.echoing import EchoingImap, EchoingSmtp
from tests.servers.http import FeedServer
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.redact import redact_text
from watchtower.secret_values import forget_all

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

SMTP_PASSWORD = "Plain-Hunter2-Smtp"
IMAP_PASSWORD = "Plain-Hunter2-Imap"


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    forget_all()
    yield
    forget_all()


@pytest.fixture
def smtp_echo() -> Iterator[EchoingSmtp]:
    server = EchoingSmtp(in_words=True).start()
    yield server
    server.stop()


@pytest.fixture
def imap_echo() -> Iterator[int]:
    server = EchoingImap(in_words=True).start()
    yield server.port
    server.stop()


def test_a_password_quoted_in_plain_words_is_hidden_everywhere(
    database_url: str,
    feeds: FeedServer,
    smtp_echo: EchoingSmtp,
    imap_echo: int,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    path = echoing_config(
        database_url=database_url,
        feeds=feeds,
        smtp_port=smtp_echo.port,
        imap_port=imap_echo,
        smtp_password=SMTP_PASSWORD,
        imap_password=IMAP_PASSWORD,
        write_config=write_config,
        monkeypatch=monkeypatch,
    )
    main(["run", "--once", "--config", str(path)])
    # smtplib tries PLAIN, then LOGIN: the real password each time.
    assert set(smtp_echo.passwords) == {SMTP_PASSWORD}, "the server did quote the real password"
    main(["status", "--config", str(path)])
    shown = capfd.readouterr()
    for secret in (SMTP_PASSWORD, IMAP_PASSWORD):
        assert secret not in shown.out + shown.err
    assert "password ***" in shown.err  # the log says what the server said, but the value
    assert "wrong password ***" in shown.out  # status: the source's last error

    [source_error] = stored(database_url, "SELECT last_error FROM sources WHERE name = 'boite'")
    assert IMAP_PASSWORD not in source_error and "wrong password ***" in source_error
    mail_errors = stored(database_url, "SELECT last_error FROM outbox WHERE last_error IS NOT NULL")
    assert mail_errors
    for error in mail_errors:
        assert SMTP_PASSWORD not in error
        assert "535" in error and "password ***" in error


def test_a_reload_hides_the_new_value_and_keeps_the_old_one_hidden(
    write_config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WT_TEST_OLD_KEY", "old-forum-api-key")
    monkeypatch.setenv("WT_TEST_NEW_KEY", "new-forum-api-key")
    source = """
[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum"
kind = "discourse"
base_url = "https://forum.example.fr"
api_key_env = "{}"
"""
    path = write_config(source.format("WT_TEST_OLD_KEY"))
    load_config(path)
    assert redact_text("key old-forum-api-key refused") == "key *** refused"
    assert "new-forum-api-key" in redact_text("new-forum-api-key")

    write_config(source.format("WT_TEST_NEW_KEY"))  # the key rotated into another variable
    load_config(path)  # what a reload reads
    assert redact_text("old-forum-api-key new-forum-api-key") == "*** ***"
