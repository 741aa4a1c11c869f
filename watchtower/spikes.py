"""Crisis detection: mention volume against its own baseline, and escalation if unacknowledged.

For each brand (``[spikes]``) and each rule with ``spikes = true``, the number of
distinct items in the last ``window`` is compared with the same window at the
same time of day over the previous ``baseline_days`` days. It is a spike when
all of these hold, so a handful of mentions or the normal weekly rhythm never is:

- at least ``min_count`` mentions;
- at least ``min_ratio`` × the baseline mean;
- a Poisson tail ``P(X ≥ observed | λ = mean)`` below ``max_p``;
- a z-score ≥ 3 against the baseline's own spread (robust to bursty series).

A spike queues a critical alert (top sources, terms, examples, the on-call
people of ``escalate_to``) and a ``spike_alerts`` row, which
:mod:`watchtower.escalation` escalates when nobody acknowledges it.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchtower.config import Config, SpikesSection
from watchtower.durations import format_duration
from watchtower.logs import kv
from watchtower.notify._text import t
from watchtower.pipeline.normalise import normalise
from watchtower.pipeline.route import default_targets
from watchtower.storage.db import Database
from watchtower.storage.outbox_queries import enqueue_notice
from watchtower.storage.queries import insert_ignore
from watchtower.storage.tables import ItemRow, MentionRow, SourceRow, SpikeAlertRow

log = logging.getLogger("watchtower.spikes")

MIN_Z = 3.0
#: Days of history (same window, same time of day) needed before any spike is called.
MIN_HISTORY_DAYS = 2
TOP = 5


def poisson_tail(k: int, lam: float) -> float:
    """``P(X ≥ k)`` for ``X ~ Poisson(lam)``, computed in log space (no underflow)."""
    if k <= 0:
        return 1.0
    lam = max(lam, 1e-9)

    def log_term(i: int) -> float:
        return -lam + i * math.log(lam) - math.lgamma(i + 1)

    if k > lam:  # sum the upper tail directly: 1 - CDF would cancel to 0
        total, i = 0.0, k
        while i < k + 10_000:
            term = math.exp(log_term(i))
            total += term
            if term < total * 1e-16:
                break
            i += 1
        return min(1.0, total)
    cdf = sum(math.exp(log_term(i)) for i in range(k))
    return max(0.0, 1.0 - cdf)


@dataclass(frozen=True)
class Verdict:
    observed: int
    mean: float
    p: float
    z: float
    spike: bool


def assess(observed: int, history: list[int], settings: SpikesSection) -> Verdict:
    """Is ``observed`` a spike given the same window on previous days (``history``)?"""
    mean = sum(history) / len(history) if history else 0.0
    var = sum((h - mean) ** 2 for h in history) / max(1, len(history) - 1)
    p = poisson_tail(observed, max(mean, 0.5))
    z = (observed - mean) / math.sqrt(max(var, mean, 1.0))
    spike = (
        observed >= settings.min_count
        and observed >= settings.min_ratio * max(mean, 1.0)
        and p <= settings.max_p
        and z >= MIN_Z
    )
    return Verdict(observed, mean, p, z, spike)


def _watching_since(session: Session) -> datetime | None:
    """When watchtower stored its first item (what it listened to before is unknown)."""
    first: datetime | None = session.scalar(select(func.min(ItemRow.fetched_at)))
    if first is None:
        return None
    return first if first.tzinfo is not None else first.replace(tzinfo=UTC)


def _counts(session: Session, column: Any, start: datetime, end: datetime) -> Counter[str]:
    rows = session.execute(
        select(column, func.count(func.distinct(MentionRow.item_id)))
        .where(MentionRow.created_at >= start, MentionRow.created_at < end)
        .group_by(column)
    )
    return Counter({str(name): int(n) for name, n in rows if name})


@dataclass(frozen=True)
class Scope:
    kind: str  # brand | rule
    name: str
    targets: list[str]
    escalate_to: list[str]
    ack_timeout: timedelta
    escalate_notify: list[str]


def _scopes(config: Config) -> list[Scope]:
    out: list[Scope] = []
    section = config.spikes
    defaults = default_targets(config)
    if section is not None and section.enabled:
        out += [
            Scope(
                "brand",
                b.name,
                section.notify or defaults,
                section.escalate_to,
                section.ack_timeout,
                section.escalate_notify,
            )
            for b in config.brands
        ]
    out += [
        Scope("rule", r.name, r.notify or defaults, r.escalate_to, r.ack_timeout, r.escalate_notify)
        for r in config.rules
        if r.spikes
    ]
    return out


def check(db: Database, config: Config, now: datetime) -> int:
    """Look for spikes ending ``now``; queue an alert for each new one; return how many."""
    scopes = _scopes(config)
    if not scopes:
        return 0
    settings = config.spikes or SpikesSection()
    window = settings.window
    alerts = 0
    with db.session() as session:
        current = {
            "brand": _counts(session, MentionRow.brand, now - window, now),
            "rule": _counts(session, MentionRow.rule, now - window, now),
        }
        history: dict[str, list[Counter[str]]] = {"brand": [], "rule": []}
        watching_since = _watching_since(session)
        for day in range(1, settings.baseline_days + 1):
            end = now - timedelta(days=day)
            if watching_since is None or end - window < watching_since:
                break  # before watchtower listened: unknown, not zero
            history["brand"].append(_counts(session, MentionRow.brand, end - window, end))
            history["rule"].append(_counts(session, MentionRow.rule, end - window, end))
        if len(history["brand"]) < MIN_HISTORY_DAYS:
            # A new install has no "usual" yet: its first hour of mentions is not a crisis.
            return 0
        for scope in scopes:
            observed = current[scope.kind].get(scope.name, 0)
            if observed < settings.min_count:
                continue
            verdict = assess(
                observed, [c.get(scope.name, 0) for c in history[scope.kind]], settings
            )
            if not verdict.spike:
                continue
            recent = session.scalar(
                select(func.count())
                .select_from(SpikeAlertRow)
                .where(
                    SpikeAlertRow.scope == scope.kind,
                    SpikeAlertRow.name == scope.name,
                    SpikeAlertRow.created_at > now - settings.cooldown,
                )
            )
            if recent:
                continue
            alerts += _alert(session, scope, verdict, window, now, config.watchtower.language)
    return alerts


def _alert(
    session: Session,
    scope: Scope,
    verdict: Verdict,
    window: timedelta,
    now: datetime,
    language: str = "fr",
) -> int:
    key = f"spike:{scope.kind}:{scope.name}:{now.strftime('%Y%m%dT%H%M')}"[:200]
    session.execute(
        insert_ignore(session, SpikeAlertRow)
        .values(
            dedup_key=key,
            scope=scope.kind,
            name=scope.name,
            observed=verdict.observed,
            baseline=verdict.mean,
            escalate_notify=list(scope.escalate_notify),
            ack_timeout_s=scope.ack_timeout.total_seconds(),
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    column = MentionRow.brand if scope.kind == "brand" else MentionRow.rule
    rows = session.execute(
        select(
            SourceRow.name,
            ItemRow.title,
            # The link every other notification shows: tracking parameters gone.
            func.coalesce(func.nullif(ItemRow.canonical_url, ""), ItemRow.url),
            MentionRow.terms,
            MentionRow.surfaces,
            MentionRow.severity,
            ItemRow.id,
        )
        .join(ItemRow, ItemRow.id == MentionRow.item_id)
        .join(SourceRow, SourceRow.id == ItemRow.source_id)
        .where(
            column == scope.name, MentionRow.created_at >= now - window, MentionRow.created_at < now
        )
        .order_by(MentionRow.created_at.desc())
    ).all()
    sources: Counter[str] = Counter()
    terms: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    seen: set[int] = set()
    written: dict[str, str] = {}
    for source, title, url, item_terms, surfaces, severity, item_id in rows:
        terms.update(item_terms or [])
        for surface in surfaces or ():
            written.setdefault(normalise(surface).strip(), surface)
        if item_id in seen:
            continue
        seen.add(item_id)
        sources[source] += 1
        if len(examples) < 3:
            examples.append(
                {"title": title, "url": url, "source": source, "severity": severity, "brands": []}
            )
    spike = {
        "alert": key,
        "scope": scope.kind,
        "name": scope.name,
        "observed": verdict.observed,
        "baseline": round(verdict.mean, 2),
        "p": verdict.p,
        "window": format_duration(window),
        "top_sources": sources.most_common(TOP),
        # The words as written ("Acmé"), not their matching form ("acme").
        "top_terms": [(written.get(term, term), n) for term, n in terms.most_common(TOP)],
        "examples": examples,
        "escalate_to": list(scope.escalate_to),
        "escalation": False,
        "timeout": format_duration(scope.ack_timeout),
    }
    payload = {
        "kind": "spike",
        # Notifiers write their own heading; this one is for lists (outbox, logs).
        "title": t(language, "spike_title").format(name=scope.name),
        "url": "",
        "source": "",
        "brands": [scope.name] if scope.kind == "brand" else [],
        "terms": [],
        "rules": [scope.name] if scope.kind == "rule" else [],
        "severity": "critical",
        "spike": spike,
    }
    log.warning(
        "mention spike",
        extra=kv(
            scope=scope.kind, name=scope.name, observed=verdict.observed, baseline=verdict.mean
        ),
    )
    return 1 if enqueue_notice(session, key, scope.targets, payload, now, "critical") else 0
