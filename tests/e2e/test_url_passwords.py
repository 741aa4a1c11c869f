"""A password written in a source's URL never shows: not in the log, not in
``watchtower status``, not in what is stored or sent to ops."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.secret_urls import refused_source_config, run_once_then_status, stored
from tests.servers.http import FeedServer
from watchtower.redact import redact_text


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
    path = write_config(refused_source_config(database_url, url))
    out, err = run_once_then_status(path, capfd)
    assert "feeduser:***@" in out + err
    assert "HUNTER2PASS" not in out + err
    [error] = stored(database_url, "SELECT last_error FROM sources")
    assert "feeduser:***@" in error and "HUNTER2PASS" not in error
