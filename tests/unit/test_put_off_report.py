"""How a source put off behind other fetches of its site reads: under it in
``status`` (dated by when it was put off, never by a success), in the round's
figures and status's "last round" line, in the ``run --once`` table, and as a
metric by source."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rich.console import Console

from watchtower import metrics
from watchtower.adapters.base import SourceSettings
from watchtower.poll_deferral import WAITING, put_off_site
from watchtower.poll_outcome import PollStats
from watchtower.progress import RunSummary, summary_table
from watchtower.status_text import instance_lines, source_lines
from watchtower.storage.queries import Claim

NOW = datetime(2026, 11, 26, 20, 7, tzinfo=UTC)
NOTE = WAITING.format(host="www.google.com")


def source(**fields: Any) -> dict[str, Any]:
    return {
        "name": "alerte-acme",
        "state": "never checked",
        "last_success": None,
        "last_warning": NOTE,
        "put_off_at": NOW - timedelta(minutes=3),
    } | fields


def test_status_dates_the_put_off_note_by_when_it_was_put_off() -> None:
    assert source_lines(source(), NOW, "Europe/Paris") == [
        "waiting for other fetches of www.google.com: put off to the next round at "
        "2026-11-26 21:04 CET (3m ago), not counted as a failure"
    ]


def test_a_source_that_succeeded_before_is_not_dated_by_that_success() -> None:
    lines = source_lines(source(state="ok", last_success=NOW - timedelta(days=2)), NOW)
    assert lines == [
        "waiting for other fetches of www.google.com: put off to the next round at "
        "2026-11-26 20:04 UTC (3m ago), not counted as a failure"
    ]


def test_without_the_time_the_note_reads_alone() -> None:
    """A row read from JSON of an older version, say: no "(never)"."""
    assert source_lines(source(put_off_at=None), NOW) == [NOTE]
    assert NOTE == (
        "waiting for other fetches of www.google.com: put off to the next round, "
        "not counted as a failure"
    )


def test_another_warning_is_still_a_last_warning() -> None:
    lines = source_lines(source(last_warning="2 items without a link", put_off_at=None), NOW)
    assert lines == ["last warning (never): 2 items without a link"]


@pytest.mark.parametrize(
    ("warning", "site"),
    [
        (NOTE, "www.google.com"),
        (WAITING.format(host="::1"), "::1"),
        ("waiting for other fetches of x", None),
        ("the feed says: " + NOTE, None),
        (None, None),
    ],
)
def test_the_put_off_note_is_told_from_other_warnings(
    warning: str | None, site: str | None
) -> None:
    assert put_off_site(warning) == site


def instance(**fields: Any) -> dict[str, Any]:
    return {
        "host": "veille",
        "pid": 42,
        "version": "0.3.0",
        "mode": "daemon",
        "state": "running",
        "started_at": NOW - timedelta(hours=1),
        "seen_at": NOW,
        "round_at": NOW,
        "round_sources": 5,
        "round_ok": 2,
        "round_failed": 1,
        "round_put_off": 2,
        "config_refused_at": None,
    } | fields


def test_status_last_round_counts_the_sources_put_off() -> None:
    [line] = instance_lines({"daemon": {"instances": [instance()]}}, NOW)
    assert line.endswith("last round with fetches 0s ago: 5 sources, 2 ok, 1 failed, 2 put off")
    [line] = instance_lines({"daemon": {"instances": [instance(round_put_off=0)]}}, NOW)
    assert line.endswith(": 5 sources, 2 ok, 1 failed")  # none: not said


def claim(n: int) -> Claim:
    return Claim(
        id=n,
        name=f"s{n}",
        etag=None,
        last_modified=None,
        cursor={},
        alert_reason=None,
        consecutive_failures=0,
        first_poll=True,
    )


def test_the_round_summary_counts_sources_put_off_apart() -> None:
    stats = PollStats(sources=4, ok=1, failed=1)
    assert "put_off" not in stats.summary()  # none: the line stays as it was
    stats.note_put_off(claim(1))
    stats.note_put_off(claim(2))
    assert stats.summary() == {
        "sources": 4,
        "ok": 1,
        "failed": 1,
        "put_off": 2,
        "new": 0,
        "mentions": 0,
        "queued": 0,
    }
    assert [c.id for c in stats.take_put_off()] == [1, 2]  # tried again: counted anew
    assert (stats.put_off, stats.take_put_off()) == (0, [])


def event(name: str, ok: bool = True, **fields: Any) -> metrics.PollEvent:
    return metrics.PollEvent(name, "google_alerts", ok, 0.5, **fields)


def rendered(summary: RunSummary) -> str:
    out = io.StringIO()
    Console(file=out, width=250, color_system=None).print(summary_table(summary))
    return out.getvalue()


def row(text: str, name: str) -> str:
    [line] = [line for line in text.splitlines() if f" {name} " in line]
    return " ".join(line.split())


def test_run_once_table_says_what_became_of_sources_put_off() -> None:
    summary = RunSummary()
    for name in ("fetched", "still", "broken"):
        summary.on_event("put_off", event(name, ok=False, error=NOTE))
    summary.on_event("poll", event("fetched", items=3, new_items=3))
    summary.on_event("put_off", event("still", ok=False, error=NOTE))  # put off again
    summary.on_event("poll", event("broken", ok=False, error="the server refused access (403)"))
    summary.on_event("poll", event("plain", items=1))
    text = rendered(summary)
    assert (
        "ok on retry (put off first: waiting for other fetches of www.google.com) │ 3 │ 3"
        in row(text, "fetched")
    )
    assert (
        "put off: still waiting for other fetches of www.google.com when tried again; "
        "not counted as a failure, the next run fetches it" in row(text, "still")
    )
    assert (
        "failed on retry (put off first: waiting for other fetches of www.google.com): "
        "the server refused access (403)" in row(text, "broken")
    )
    assert "│ ok │ 1 │" in row(text, "plain")  # a source never put off: as before
    assert "sources: 2 ok, 1 failed, 1 put off · items 4" in " ".join(text.split())


def test_a_source_put_off_and_not_tried_again_says_so() -> None:
    """A stop, or another replica claimed it: put off once, no retry."""
    summary = RunSummary()
    summary.on_event("put_off", event("alerte", ok=False, error=NOTE))
    assert (
        "put off: waiting for other fetches of www.google.com; not counted as a failure, "
        "the next run fetches it" in row(rendered(summary), "alerte")
    )
    assert "sources: 0 ok, 0 failed, 1 put off" in " ".join(rendered(summary).split())


def settings(name: str) -> SourceSettings:
    return SourceSettings(name=name, kind="rss")


def polls(name: str, outcome: str) -> float:
    for family in metrics.POLLS.collect():
        for sample in family.samples:
            if sample.name == "watchtower_polls_total" and sample.labels == {
                "source": name,
                "outcome": outcome,
            }:
                return sample.value
    return 0.0


def test_a_put_off_is_counted_by_source_and_forgotten_with_it() -> None:
    seen: list[tuple[str, Any]] = []

    def listener(event: str, data: Any) -> None:
        seen.append((event, data))

    metrics.add_listener(listener)
    try:
        metrics.source_put_off(settings("alerte-put-off"), NOTE)
        metrics.source_put_off(settings("alerte-put-off"), NOTE)
    finally:
        metrics.remove_listener(listener)
    assert polls("alerte-put-off", "put_off") == 2
    assert polls("alerte-put-off", "failed") == 0  # not a failure
    assert [(e, d.source, d.error) for e, d in seen] == [("put_off", "alerte-put-off", NOTE)] * 2
    metrics.forget_sources(["alerte-put-off"])
    assert polls("alerte-put-off", "put_off") == 0
