"""The memory of rows handed back to another replica: bounded, each row said
once at INFO, each target reported once when a row stays (then a day later)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from watchtower.pipeline import readdress_left
from watchtower.pipeline.readdress_left import STUCK_AFTER, WARN_AGAIN, LeftRows

T0 = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
TARGET = "slack:#nouveau"


def said(caplog: pytest.LogCaptureFixture) -> list[tuple[str, object]]:
    return [(r.levelname, getattr(r, "wt_fields", {}).get("outbox_id")) for r in caplog.records]


def test_a_row_is_said_once_and_forgotten_beyond_the_bound(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(readdress_left, "REMEMBERED", 2)
    left = LeftRows()
    with caplog.at_level(logging.DEBUG, logger="watchtower.reload"):
        left.left(1, TARGET, T0)
        left.left(1, TARGET, T0 + timedelta(seconds=5))
        left.left(2, TARGET, T0)
        left.left(3, TARGET, T0)  # the bound: row 1, the oldest, is forgotten
        left.left(1, TARGET, T0 + timedelta(seconds=10))
        left.forget(3)  # re-addressed since
        left.left(3, TARGET, T0 + timedelta(seconds=10))
    assert said(caplog) == [
        ("INFO", 1), ("DEBUG", 1), ("INFO", 2), ("INFO", 3), ("INFO", 1), ("INFO", 3),
    ]  # fmt: skip


def test_a_target_whose_rows_stay_is_reported_once_then_a_day_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    left = LeftRows()
    with caplog.at_level(logging.WARNING, logger="watchtower.reload"):
        left.left(1, TARGET, T0)
        left.left(2, TARGET, T0)
        left.left(1, TARGET, T0 + STUCK_AFTER - timedelta(seconds=1))
        left.left(1, TARGET, T0 + STUCK_AFTER)
        left.left(2, TARGET, T0 + STUCK_AFTER)  # the same target: not again
        left.left(1, TARGET, T0 + STUCK_AFTER + WARN_AGAIN - timedelta(seconds=1))
        left.left(2, TARGET, T0 + STUCK_AFTER + WARN_AGAIN)
    assert said(caplog) == [("WARNING", 1), ("WARNING", 2)]
