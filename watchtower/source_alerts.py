"""Tell operators when a source breaks or goes quiet — once — and when it heals.

A source that failed ``source_alert_after`` times in a row, or that has
published nothing for ``silence_factor`` times its usual gap between items,
gets one message to ``[watchtower] ops_notify`` through the outbox (so the
message itself is retried and never lost); ``sources.alert_reason`` remembers
that it was sent, so polls that keep failing say nothing more. The first
success (or new item, for a silent source) sends one recovery message.
"""

from __future__ import annotations

import itertools
import logging
import statistics
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchtower.config import Config
from watchtower.errors import SourceError
from watchtower.logs import kv
from watchtower.notify._text import duration_text, is_singular, local_time_text, plural_keys, t
from watchtower.redact import redact_text
from watchtower.storage.outbox_queries import enqueue_notice, notice_payload
from watchtower.storage.tables import ItemRow, SourceRow

log = logging.getLogger("watchtower.source_alerts")

#: Fewer new items than this in the look-back and a source has no known rhythm.
MIN_ITEMS_FOR_RHYTHM = 5
RHYTHM_LOOKBACK = timedelta(days=30)


def _payload(config: Config, key: str, body: str, severity: str, **values: Any) -> dict[str, Any]:
    lang = config.watchtower.language
    title, text = t(lang, key).format(**values), t(lang, body).format(**values)
    return notice_payload(title, text, severity)


def _notify(
    session: Session,
    config: Config,
    row: SourceRow,
    state: str,
    payload: dict[str, Any],
    now: datetime,
    severity: str,
) -> None:
    targets = list(config.watchtower.ops_notify)
    log.warning(
        "source health changed",
        extra=kv(source=row.name, state=state, told=",".join(targets) or "log only"),
    )
    if targets:
        key = f"ops:source:{row.name}:{state}:{now.isoformat(timespec='seconds')}"
        enqueue_notice(session, key, targets, payload, now, severity)


def after_failure(
    session: Session,
    config: Config,
    row: SourceRow,
    now: datetime,
    error: SourceError | None = None,
) -> None:
    """Call after recording a failure on ``row`` (in the same transaction).

    ``error`` is the failure just recorded: the alert says it in the configured
    language when it has a code (:mod:`watchtower.source_errors_text`), else it
    quotes ``row.last_error``, the English sentence ``status`` and logs show.
    """
    if (
        row.alert_reason == "failing"
        or row.consecutive_failures < config.watchtower.source_alert_after
    ):
        return
    row.alert_reason = "failing"
    row.alerting = True
    lang = config.watchtower.language
    one, other = plural_keys("source_down_body")
    payload = _payload(
        config,
        "source_down",
        one if is_singular(lang, row.consecutive_failures) else other,
        "warning",
        name=row.name,
        failures=row.consecutive_failures,
        error=_error_text(config, row, error),
    )
    _notify(session, config, row, "down", payload, now, "warning")


def _error_text(config: Config, row: SourceRow, error: SourceError | None) -> str:
    if error is None or error.code is None:
        return row.last_error or "?"
    # Redacted as the stored message is: a refused URL may carry a password.
    return redact_text(error.sentence(config.watchtower.language))


def after_success(
    session: Session, config: Config, row: SourceRow, new_items: int, now: datetime
) -> None:
    """Call after recording a success; a failing source (or a silent one with news) recovers."""
    if row.alert_reason is None or (row.alert_reason == "silent" and not new_items):
        return
    row.alert_reason = None
    row.alerting = False
    payload = _payload(config, "source_up", "source_up_body", "info", name=row.name)
    _notify(session, config, row, "up", payload, now, "info")


def usual_gap(session: Session, source_id: int, now: datetime) -> timedelta | None:
    """Median time between new items of a source over the last 30 days."""
    times = list(
        session.scalars(
            select(ItemRow.fetched_at)
            .where(ItemRow.source_id == source_id, ItemRow.fetched_at >= now - RHYTHM_LOOKBACK)
            .order_by(ItemRow.fetched_at)
        )
    )
    # Items fetched in the same poll arrive together; the rhythm is between polls.
    distinct = sorted({when.replace(microsecond=0) for when in times})
    if len(distinct) < MIN_ITEMS_FOR_RHYTHM:
        return None
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(distinct)]
    return timedelta(seconds=statistics.median(gaps))


def check_silence(session: Session, config: Config, now: datetime) -> int:
    """Flag healthy sources that stopped publishing; return how many were flagged."""
    flagged = 0
    section = config.watchtower
    rows = session.scalars(
        select(SourceRow).where(
            SourceRow.enabled.is_(True),
            SourceRow.alert_reason.is_(None),
            SourceRow.last_item_at.is_not(None),
        )
    )
    for row in rows:
        assert row.last_item_at is not None
        quiet = now - row.last_item_at
        if quiet < section.silence_min:
            continue
        gap = usual_gap(session, row.id, now)
        if gap is None or quiet < gap * section.silence_factor:
            continue
        row.alert_reason = "silent"
        row.alerting = True
        lang = section.language
        # In the configured zone, with its name: a UTC time read as local is an hour off.
        since = local_time_text(row.last_item_at, lang, section.timezone)
        payload = _payload(
            config,
            "source_silent",
            "source_silent_body",
            "warning",
            name=row.name,
            since=since,
            gap=duration_text(gap, lang),
        )
        _notify(session, config, row, "silent", payload, now, "warning")
        flagged += 1
    return flagged
