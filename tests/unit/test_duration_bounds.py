"""Security review S19: huge numbers in the config are errors, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from watchtower.config import parse_config
from watchtower.errors import ConfigError
from watchtower.poll_timing import next_check

CONFIG = """\
[watchtower]
database_url = "sqlite:///state/wt.db"

[[brands]]
name = "Acme"
terms = ["Acme"]

[[sources]]
name = "feed"
kind = "rss"
url = "https://feeds.example.com/a.xml"
every = {every}

[[rules]]
name = "crise"
brands = ["Acme"]
severity = "critical"
notify = ["console:"]
"""


@pytest.mark.parametrize("every", ['"99999999999999999999d"', "inf", "1e300"])
def test_a_huge_interval_is_a_config_error(every: str, tmp_path: Path) -> None:
    # timedelta() raises OverflowError, which pydantic does not turn into a
    # validation error: `watchtower check` and every reload end in a traceback.
    with pytest.raises(ConfigError, match="every"):
        parse_config(CONFIG.format(every=every), tmp_path / "watchtower.toml")


@pytest.mark.parametrize("failures", [0, 20])
@pytest.mark.parametrize("every", ["999999999d", "36500d"])
def test_an_accepted_interval_can_be_scheduled(every: str, failures: int, tmp_path: Path) -> None:
    # Whatever the config accepts, the poller must be able to schedule: a
    # timedelta near its maximum passes validation, then "now + every" overflows.
    try:
        loaded = parse_config(CONFIG.format(every=f'"{every}"'), tmp_path / "watchtower.toml")
    except ConfigError:
        return  # refused with a message: fine
    [source] = loaded.config.sources
    now = datetime(2026, 11, 27, tzinfo=UTC)
    # After failures the interval is doubled (up to a cap): that must not overflow either.
    assert next_check(source.every, now, failures=failures) > now
