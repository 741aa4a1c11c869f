"""A password written in a source's URL never shows: not in the log, not in
``watchtower status``, not in what is stored or sent to ops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy

from tests.servers.http import FeedServer
from watchtower.cli import main
from watchtower.redact import redact_text
from watchtower.storage.engines import make_engine


def test_redact_text_hides_url_passwords_only() -> None:
    assert redact_text("GET https://bot:s3cr%2Fet@feeds.example.fr/x.xml failed") == (
        "GET https://bot:***@feeds.example.fr/x.xml failed"
    )
    kept = "https://a.fr/x?mail=a@b.fr https://user@host/ mailto:x@y.fr at 10:30@home"
    assert redact_text(kept) == kept


def test_a_failing_source_with_a_password_in_its_url(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    capfd: pytest.CaptureFixture[str],
) -> None:
    # Loopback without allow_private: refused, and the refusal quotes the URL.
    url = feeds.url("/private.xml").replace("http://", "http://feeduser:HUNTER2PASS@")
    path = write_config(
        f"""
[watchtower]
database_url = "{database_url}"
ops_notify = ["console:#ops"]

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "prive"
kind = "rss"
url = "{url}"
"""
    )
    assert main(["run", "--once", "--config", str(path)]) == 1
    assert main(["status", "--config", str(path)]) == 0
    output = capfd.readouterr()
    assert "feeduser:***@" in output.out + output.err
    assert "HUNTER2PASS" not in output.out + output.err
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            [error] = conn.execute(sqlalchemy.text("SELECT last_error FROM sources")).scalars()
    finally:
        engine.dispose()
    assert "feeduser:***@" in error and "HUNTER2PASS" not in error
