"""Crisis detection: mention volume against its own baseline, and escalation if unacknowledged.

For each brand (``[spikes]``) and each rule with ``spikes = true``, the number of
distinct items in the last ``window`` is compared with the same window at the
same time of day over the previous ``baseline_days`` days. It is a spike when
all of these hold, so a handful of mentions or the normal weekly rhythm never is:

- at least ``min_count`` mentions;
- at least ``min_ratio`` × the baseline mean;
- a Poisson tail ``P(X ≥ observed | λ = mean)`` below ``max_p``;
- a z-score ≥ 3 against the baseline's own spread (robust to bursty series).

A spike queues a critical alert (:mod:`watchtower.spike_alert`: top sources,
terms, examples, the on-call people of ``escalate_to``), which
:mod:`watchtower.escalation` escalates when nobody acknowledges it. A rule
that spikes in the same check as a brand holding all its items is told by
that brand's alert ("Banque Acmé · crisis-fr"): one crisis, one page. When
the volume falls back, :mod:`watchtower.spike_calm` tells the same people.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchtower.config import Config, SpikesSection
from watchtower.pipeline.route import default_targets
from watchtower.spike_alert import queue_alert, record_alert
from watchtower.spike_calm import CALM_WITHIN, calm, is_calm
from watchtower.storage.db import Database
from watchtower.storage.tables import ItemRow, MentionRow, SpikeAlertRow
from watchtower.timewindows import days_before

__all__ = [
    "CALM_WITHIN",
    "MIN_HISTORY_DAYS",
    "MIN_Z",
    "Scope",
    "Verdict",
    "assess",
    "calm",
    "check",
    "is_calm",
    "poisson_tail",
    "scopes",
]

MIN_Z = 3.0
#: Days of history (same window, same time of day) needed before any spike is called.
MIN_HISTORY_DAYS = 2


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
    #: Rules whose spike in the same check this alert also tells (see :func:`_merged`).
    rules: tuple[str, ...] = ()
    #: A rule's ``brands``: its spike folds only into one of these brands' alerts.
    brands: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        """The alert's name for people: "Banque Acmé · crisis-fr" when it tells a rule too."""
        return " · ".join((self.name, *self.rules))


def _union(*lists: list[str]) -> list[str]:
    return list(dict.fromkeys(x for values in lists for x in values))


def _items(session: Session, scope: Scope, start: datetime, end: datetime) -> set[int]:
    column = MentionRow.brand if scope.kind == "brand" else MentionRow.rule
    return set(
        session.scalars(
            select(MentionRow.item_id)
            .where(
                column == scope.name, MentionRow.created_at >= start, MentionRow.created_at < end
            )
            .distinct()
        )
    )


def _merged(
    session: Session, spiking: list[tuple[Scope, Verdict]], start: datetime, end: datetime
) -> tuple[list[tuple[Scope, Verdict]], list[tuple[Scope, Verdict]]]:
    """Fold each rule spike into a brand spike of the same check that holds all its items.

    A crisis makes the brand's volume and its crisis rule's volume jump in the
    same minute: two alerts, two pages and two escalations for one event drown
    the channel. Such a rule spike is told by the brand's alert (which goes to
    the rule's targets and escalates to its people too); returns the alerts to
    send and the folded rule spikes (recorded for their cooldown only).
    """
    brands = [(s, v, _items(session, s, start, end)) for s, v in spiking if s.kind == "brand"]
    alerts: dict[str, tuple[Scope, Verdict]] = {s.name: (s, v) for s, v, _ in brands}
    folded: list[tuple[Scope, Verdict]] = []
    rest: list[tuple[Scope, Verdict]] = []
    for scope, verdict in spiking:
        if scope.kind != "rule":
            continue
        items = _items(session, scope, start, end)
        # Only into a brand the rule is about: a client's crisis rule whose
        # items all name another client too must not page that other client.
        home = next(
            (
                b
                for b, _, held in brands
                if items <= held and (scope.brands is None or b.name in scope.brands)
            ),
            None,
        )
        if home is None:
            rest.append((scope, verdict))
            continue
        brand, brand_verdict = alerts[home.name]
        alerts[home.name] = (
            Scope(
                brand.kind,
                brand.name,
                _union(brand.targets, scope.targets),
                _union(brand.escalate_to, scope.escalate_to),
                min(brand.ack_timeout, scope.ack_timeout),
                _union(brand.escalate_notify, scope.escalate_notify),
                (*brand.rules, scope.name),
            ),
            brand_verdict,
        )
        folded.append((scope, verdict))
    return [*alerts.values(), *rest], folded


def _brands_targets(config: Config, brands: list[str] | None) -> list[str]:
    """The brands' own ``notify`` for a rule without one, when every brand it
    is limited to has one (else the defaults)."""
    if not brands:
        return []
    own = [b.notify for b in config.brands if b.name in brands]
    if len(own) < len(set(brands)) or not all(own):
        return []
    return _union(*own)


def scopes(config: Config) -> list[Scope]:
    """What spikes are watched under ``config`` and where each one's alert goes."""
    out: list[Scope] = []
    section = config.spikes
    defaults = default_targets(config)
    if section is not None and section.enabled:
        out += [
            Scope(
                "brand",
                b.name,
                # The client's own channel too (brand ``notify``), never another's.
                _union(section.notify, b.notify) or defaults,
                # The client's own on-call too, never another client's.
                _union(section.escalate_to, b.escalate_to),
                section.ack_timeout,
                _union(section.escalate_notify, b.escalate_notify),
            )
            for b in config.brands
        ]
    out += [
        Scope(
            "rule",
            r.name,
            r.notify or _brands_targets(config, r.brands) or defaults,
            r.escalate_to,
            r.ack_timeout,
            r.escalate_notify,
            brands=tuple(r.brands) if r.brands is not None else None,
        )
        for r in config.rules
        if r.spikes
    ]
    return out


def check(db: Database, config: Config, now: datetime) -> int:
    """Look for spikes ending ``now``; queue an alert for each new one; return how many."""
    scopes_now = scopes(config)
    if not scopes_now:
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
            # The same clock time on the team's previous days: after a change of
            # summer time, ``now - 24h`` would compare 09:00 with yesterday's 08:00.
            end = days_before(now, day, config.watchtower.timezone)
            if watching_since is None or end - window < watching_since:
                break  # before watchtower listened: unknown, not zero
            history["brand"].append(_counts(session, MentionRow.brand, end - window, end))
            history["rule"].append(_counts(session, MentionRow.rule, end - window, end))
        calm(session, current, settings, now, config.watchtower.language)
        if len(history["brand"]) < MIN_HISTORY_DAYS:
            # A new install has no "usual" yet: its first hour of mentions is not a crisis.
            return 0
        spiking: list[tuple[Scope, Verdict]] = []
        for scope in scopes_now:
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
            spiking.append((scope, verdict))
        to_send, folded = _merged(session, spiking, now - window, now)
        for scope, verdict in folded:
            record_alert(session, scope, verdict, now, escalate=False)
        for scope, verdict in to_send:
            alerts += queue_alert(session, scope, verdict, window, now, config.watchtower.language)
    return alerts
