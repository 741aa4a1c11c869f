"""End to end: what a hostile server's headers can do to a poll round.

A ``Retry-After`` of thirty nines overflowed the scheduler when the failure was
recorded: the source was never rescheduled nor its error stored, and the round
ended in an error. The daemon must record the failure, reschedule the source
within its own cap and deliver the other sources' mentions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy

from tests.servers.http import FeedServer, Resource
from watchtower.cli import main
from watchtower.storage.engines import make_engine

GOOD = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Forum</title>
<item><title>Arnaque Banque Acme</title><link>https://forum.example.fr/t/1</link>
<guid>1</guid></item></channel></rss>"""


def test_a_huge_retry_after_is_a_recorded_failure(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    capfd: pytest.CaptureFixture[str],
) -> None:
    feeds.resources["/busy.xml"] = Resource(b"", status=429, headers={"Retry-After": "9" * 30})
    feeds.resources["/forum.xml"] = Resource(GOOD)
    path = write_config(
        f"""
[watchtower]
database_url = "{database_url}"

[[brands]]
name = "Acme"
terms = ["Acme"]

[[sources]]
name = "busy"
kind = "rss"
url = "{feeds.url("/busy.xml")}"
allow_private = true

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/forum.xml")}"
allow_private = true

[[rules]]
name = "crise"
brands = ["Acme"]
query = "arnaque"
notify = ["console:#crise"]
"""
    )
    assert main(["run", "--once", "--config", str(path)]) == 1  # one source failed
    output = capfd.readouterr()
    assert "Arnaque Banque Acme" in output.out
    assert "OverflowError" not in output.out + output.err
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sqlalchemy.text(
                    "SELECT name, consecutive_failures, last_error, last_error_at, next_check_at"
                    " FROM sources ORDER BY name"
                )
            ).all()
    finally:
        engine.dispose()
    busy = rows[0]
    assert busy.name == "busy" and busy.consecutive_failures == 1
    assert "slow down" in busy.last_error
    waited = _as_datetime(busy.next_check_at) - _as_datetime(busy.last_error_at)
    assert timedelta(hours=23) < waited <= timedelta(hours=24, seconds=1)


def _as_datetime(value: object) -> datetime:
    """SQLite hands back text, PostgreSQL a datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value
