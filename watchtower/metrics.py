"""Prometheus metrics: the metric objects and the one-line hooks poll and drain call.

Two kinds of numbers:

* **Events** (items fetched, mentions, notifications sent/failed/retried, poll
  duration, publication-to-notification latency) are counted in this process by
  the hooks below, called from :mod:`watchtower.poll` and
  :mod:`watchtower.pipeline.outbox`.
* **State** (outbox depth and oldest age, each source's last success and error
  count) is read from the database at scrape time by :class:`DatabaseCollector`,
  so it is right after a restart and across replicas. The oldest age counts
  from when a notification became deliverable
  (:func:`~watchtower.storage.outbox_queries.oldest_deliverable`): one released
  from quiet hours does not look stuck since the evening before.
* **Build**: ``watchtower_build_info{version, python}``, always 1: which code
  answers the scrape (two versions across replicas: a rolling upgrade).

Hooks also notify *listeners* (``add_listener``): the terminal progress display
of ``run --once`` follows a run through them without poll or drain knowing it.
Target labels go through :func:`watchtower.redact.redact_target`, so an Apprise
URL's token never reaches a scrape.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import platform
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from watchtower import __version__
from watchtower.outage import outage_reason
from watchtower.redact import redact_target

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

    from watchtower.adapters.base import SourceSettings
    from watchtower.models import Notification
    from watchtower.storage.db import Database

__all__ = [
    "BUILD_INFO",
    "DatabaseCollector",
    "PollEvent",
    "add_listener",
    "build_registry",
    "forget_sources",
    "notification_failed",
    "notification_retried",
    "notification_sent",
    "poll_started",
    "remove_listener",
    "source_failed",
    "source_ok",
    "source_put_off",
]

log = logging.getLogger("watchtower.metrics")

# No ``*_created`` sample beside each counter and histogram series: it doubled the
# per-source series (1,561 lines for 150 sources) and Prometheus does not need it.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Not registered in prometheus-client's global registry: each HTTP endpoint
# builds its own registry (build_registry), so tests can run several apps.
ITEMS_FETCHED = Counter(
    "watchtower_items_fetched",
    "Items returned by sources (new or not).",
    ["source"],
    registry=None,
)
NEW_ITEMS = Counter(
    "watchtower_new_items", "Items seen for the first time.", ["source"], registry=None
)
MENTIONS = Counter("watchtower_mentions", "Brand mentions found.", ["source"], registry=None)
POLLS = Counter(
    "watchtower_polls",
    "Source fetches by outcome (ok, failed, put_off: it waited too long for other "
    "fetches of its site and goes to the next round, not counted as a failure).",
    ["source", "outcome"],
    registry=None,
)
SENT = Counter(
    "watchtower_notifications_sent", "Notifications delivered.", ["target"], registry=None
)
FAILED = Counter(
    "watchtower_notifications_failed", "Notifications given up.", ["target"], registry=None
)
RETRIED = Counter(
    "watchtower_notifications_retried",
    "Delivery attempts that will be retried.",
    ["target"],
    registry=None,
)
POLL_SECONDS = Histogram(
    "watchtower_poll_duration_seconds",
    "Time to fetch and process one source.",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=None,
)
LATENCY_SECONDS = Histogram(
    "watchtower_notification_latency_seconds",
    "From an item's publication date to its notification being delivered.",
    buckets=(30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 24 * 3600, 7 * 24 * 3600),
    registry=None,
)
#: Always 1; its labels say which code answers the scrape. Summed over replicas by
#: version, it shows a rolling upgrade (two versions) and one left behind.
BUILD_INFO = Gauge(
    "watchtower_build_info",
    "The watchtower version (and Python) this process runs; the value is always 1.",
    ["version", "python"],
    registry=None,
)
BUILD_INFO.labels(__version__, platform.python_version()).set(1)
EVENT_METRICS = (
    ITEMS_FETCHED,
    NEW_ITEMS,
    MENTIONS,
    POLLS,
    SENT,
    FAILED,
    RETRIED,
    POLL_SECONDS,
    LATENCY_SECONDS,
)


@dataclass(frozen=True)
class PollEvent:
    """One source polled, as listeners see it."""

    source: str
    kind: str
    ok: bool
    seconds: float
    items: int = 0
    new_items: int = 0
    mentions: int = 0
    error: str | None = None


Listener = Callable[[str, Any], None]  # (event name, PollEvent | target string)
_listeners: list[Listener] = []
_started = threading.local()


def add_listener(listener: Listener) -> None:
    """Call ``listener(event, data)`` on each ``poll``, ``put_off`` (a :class:`PollEvent`
    whose ``error`` says why), ``sent``, ``retried``, ``failed`` (a target)."""
    _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _emit(event: str, data: Any) -> None:
    for listener in list(_listeners):
        listener(event, data)


# ------------------------------------------------------------------- poll hooks
def poll_started() -> None:
    """Mark the start of one source's fetch (poll threads each have their own)."""
    _started.at = time.perf_counter()


def _elapsed() -> float:
    start = getattr(_started, "at", None)
    return time.perf_counter() - start if start is not None else 0.0


@functools.lru_cache(maxsize=4096)
def _counted(source: str) -> tuple[Counter, Counter, Counter, Counter]:
    """A source's children of the per-source counters (items, new, mentions, ok polls).

    ``labels()`` checks and hashes its arguments and takes a lock on each call;
    with four counters a source, that was 2% of a first poll's CPU.
    """
    return (
        ITEMS_FETCHED.labels(source),
        NEW_ITEMS.labels(source),
        MENTIONS.labels(source),
        POLLS.labels(source, "ok"),
    )


def source_ok(settings: SourceSettings, items: int, new_items: int, mentions: int) -> None:
    seconds = _elapsed()
    fetched, new, found, polls = _counted(settings.name)
    fetched.inc(items)
    new.inc(new_items)
    found.inc(mentions)
    polls.inc()
    POLL_SECONDS.labels(settings.kind).observe(seconds)
    _emit(
        "poll", PollEvent(settings.name, settings.kind, True, seconds, items, new_items, mentions)
    )


def forget_sources(names: Iterable[str]) -> None:
    """Drop the series of sources a reload removed from the config: a daemon
    running for months would otherwise export every source it ever had."""
    names = list(names)
    if not names:
        return
    _counted.cache_clear()  # its children of removed series would count into nothing
    for name in names:
        for counter in (ITEMS_FETCHED, NEW_ITEMS, MENTIONS):
            with contextlib.suppress(KeyError):
                counter.remove(name)
        for outcome in ("ok", "failed", "put_off"):
            with contextlib.suppress(KeyError):
                POLLS.remove(name, outcome)


def source_failed(settings: SourceSettings, error: str) -> None:
    seconds = _elapsed()
    POLLS.labels(settings.name, "failed").inc()
    POLL_SECONDS.labels(settings.kind).observe(seconds)
    _emit("poll", PollEvent(settings.name, settings.kind, False, seconds, error=error))


def source_put_off(settings: SourceSettings, note: str) -> None:
    """A fetch put off behind other fetches of its site (``note`` says which):
    counted by source as the other outcomes are, not as a failure. Per source,
    not per host: the sources are the config's, a site's name is whatever their
    URLs (and redirects) say."""
    seconds = _elapsed()
    POLLS.labels(settings.name, "put_off").inc()
    _emit("put_off", PollEvent(settings.name, settings.kind, False, seconds, error=note))


# ------------------------------------------------------------------ drain hooks
def notification_sent(
    target: str, notification: Notification | None = None, now: datetime | None = None
) -> None:
    label = redact_target(target)
    SENT.labels(label).inc()
    if notification is not None and notification.published is not None:
        delay = (now or datetime.now(notification.published.tzinfo)) - notification.published
        if delay.total_seconds() >= 0:  # a feed dated in the future says nothing useful
            LATENCY_SECONDS.observe(delay.total_seconds())
    _emit("sent", label)


def notification_retried(target: str) -> None:
    label = redact_target(target)
    RETRIED.labels(label).inc()
    _emit("retried", label)


def notification_failed(target: str) -> None:
    label = redact_target(target)
    FAILED.labels(label).inc()
    _emit("failed", label)


# ------------------------------------------------------------- state at scrape
class DatabaseCollector(Collector):
    """Outbox depth/age and per-source health, read from the database per scrape."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        from watchtower.storage.outbox_queries import oldest_deliverable
        from watchtower.storage.tables import OUTBOX_STATUSES, OutboxRow, SourceRow

        depth = GaugeMetricFamily(
            "watchtower_outbox_depth", "Notifications in the outbox by status.", labels=["status"]
        )
        oldest = GaugeMetricFamily(
            "watchtower_outbox_oldest_age_seconds",
            "How long the oldest notification waiting for delivery has been deliverable: "
            "since it was queued, or since the quiet hours, digest or grouping window that "
            "held it ended; held ones do not count, ones waiting for a retry do (0: none).",
        )
        success = GaugeMetricFamily(
            "watchtower_source_last_success_timestamp_seconds",
            "When each source was last fetched successfully.",
            labels=["source"],
        )
        errors = GaugeMetricFamily(
            "watchtower_source_errors", "Consecutive failures of each source.", labels=["source"]
        )
        try:
            with self.db.session() as session:
                counts = dict(
                    session.execute(
                        select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
                    ).all()
                )
                first = oldest_deliverable(session)
                sources = session.execute(
                    select(
                        SourceRow.name, SourceRow.last_success_at, SourceRow.consecutive_failures
                    ).where(SourceRow.enabled.is_(True))
                ).all()
        except Exception as exc:
            # The database is gone: /readyz says so; the rest is still scraped. Any
            # other error is a bug, and these gauges would vanish without a word.
            if outage_reason(exc) is None:
                log.exception("cannot read the outbox and source state for /metrics")
            return
        # Every status, 0 included (an alert on held > N needs the series to exist),
        # then any this version does not know (written by a newer replica).
        for status in (*OUTBOX_STATUSES, *sorted(set(counts) - set(OUTBOX_STATUSES))):
            depth.add_metric([status], counts.get(status, 0))
        age = (self.clock() - first).total_seconds() if first is not None else 0.0
        oldest.add_metric([], max(age, 0.0))
        for name, last_success, failures in sources:
            if last_success is not None:
                success.add_metric([name], last_success.timestamp())
            errors.add_metric([name], failures)
        yield from (depth, oldest, success, errors)


def build_registry(db: Database, clock: Callable[[], datetime]) -> CollectorRegistry:
    """A registry with the build info, every event metric and the database state,
    for one endpoint."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(BUILD_INFO)
    for metric in EVENT_METRICS:
        registry.register(metric)
    registry.register(DatabaseCollector(db, clock))
    return registry
