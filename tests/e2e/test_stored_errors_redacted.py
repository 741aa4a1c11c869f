"""A copy of the database holds no credential a server quoted back.

One ``run --once`` against servers on 127.0.0.1 that echo the login they
refuse: an IMAP server quoting ``LOGIN user password`` (the source's error,
``sources.last_error``), an SMTP relay quoting the ``AUTH PLAIN`` line (the
e-mail's error, ``outbox.last_error``). Read back with plain SQL, as an
operator with ``sqlite3`` or a replica's reader would: the passwords are not
there; the server, the status and the kind of failure are, and ``status``
shows them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.echoing_setup import echoing_config
from tests.e2e.secret_urls import stored
from tests.servers.echoing import EchoingImap, EchoingSmtp
from tests.servers.http import FeedServer
from watchtower.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

SMTP_PASSWORD = "Smtp-Hunter2-Pa55"
IMAP_PASSWORD = "Imap-Hunter2-Pa55"


@pytest.fixture
def echoing_smtp() -> Iterator[EchoingSmtp]:
    server = EchoingSmtp().start()
    yield server
    server.stop()


@pytest.fixture
def echoing_imap() -> Iterator[EchoingImap]:
    server = EchoingImap().start()
    yield server
    server.stop()


def test_errors_quoting_a_login_are_stored_without_the_password(
    database_url: str,
    feeds: FeedServer,
    echoing_smtp: EchoingSmtp,
    echoing_imap: EchoingImap,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    path = echoing_config(
        database_url=database_url,
        feeds=feeds,
        smtp_port=echoing_smtp.port,
        imap_port=echoing_imap.port,
        smtp_password=SMTP_PASSWORD,
        imap_password=IMAP_PASSWORD,
        write_config=write_config,
        monkeypatch=monkeypatch,
    )
    main(["run", "--once", "--config", str(path)])
    assert echoing_smtp.logins, "the e-mail was tried"
    plain = base64.b64encode(f"\0veille\0{SMTP_PASSWORD}".encode()).decode()

    [source_error] = stored(database_url, "SELECT last_error FROM sources WHERE name = 'boite'")
    assert IMAP_PASSWORD not in source_error
    assert "refused the login" in source_error and "LOGIN" in source_error

    mail_errors = stored(
        database_url,
        "SELECT last_error FROM outbox WHERE target = 'email:dircom@example.fr'"
        " AND last_error IS NOT NULL",
    )
    assert mail_errors
    for error in mail_errors:
        assert SMTP_PASSWORD not in error and plain not in error
        assert "535" in error and f"127.0.0.1:{echoing_smtp.port}" in error

    capfd.readouterr()
    main(["status", "--config", str(path)])
    shown = capfd.readouterr()
    assert "refused the login" in shown.out
    assert IMAP_PASSWORD not in shown.out + shown.err
