"""Where a waiting notification goes under the current config, by its kind:
the rules :mod:`watchtower.pipeline.readdress` applies to a row whose target
the config no longer names (an item by its rule, an ops notice to
``ops_notify`` but never what it is about, a spike alert as the spikes job
routes it, a summary by its rule)."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchtower.config import Config
from watchtower.notify.registry import split_target
from watchtower.pipeline.route import targets_now
from watchtower.spikes import scopes as spike_scopes  # the one place that routes spikes
from watchtower.storage.tables import OutboxRow, SpikeAlertRow

__all__ = ["about", "destination", "spike_targets", "summary_targets"]


def destination(
    session: Session, config: Config, row: OutboxRow, payload: dict[str, Any]
) -> tuple[list[str], bool] | None:
    """Where row ``row`` goes under ``config``, and whether that is ``ops_notify``
    for want of a route (a spike alert, a summary); ``None``: it stays.

    An empty list: the targets it routes to have its notifications already."""
    kind = payload.get("kind") or "item"
    rules = [str(r) for r in payload.get("rules") or []]
    brands = [str(b) for b in payload.get("brands") or []]
    if kind == "item":
        found = targets_now(config, rules, brands)
        return (found, False) if found else None
    if kind == "ops":
        concerned = str(payload.get("about") or "")
        ops = [t for t in config.watchtower.ops_notify if not _concerns(t, concerned)]
        return (ops, False) if ops else None
    if kind == "spike" and (payload.get("spike") or {}).get("ack"):
        # "Taken by …" answers one Slack message in its thread: it means nothing
        # anywhere else, and must not reach the alert's current targets.
        return None
    if kind == "spike":
        found = spike_targets(session, config, row, payload)
    elif kind == "summary":
        found = summary_targets(session, config, row, payload)
    else:
        return None
    if found is not None:
        return found, False
    # What it was for is gone, or nothing says which current target it was
    # for: ops get it rather than nobody, the old target never.
    ops = [t for t in config.watchtower.ops_notify if t != row.target]
    return (ops, True) if ops else None


def spike_targets(
    session: Session, config: Config, row: OutboxRow, payload: dict[str, Any]
) -> list[str] | None:
    """Where a spike alert (or its escalation, or its calm-down) goes now, as
    :mod:`watchtower.spikes` would send it; ``None``: no route (its brand or
    rule gone, ``[spikes]`` disabled, no ``escalate_notify`` left).

    A brand's alert tells the rules folded into it (``rules``) too, so it goes
    to their targets as well. A calm-down goes where its alert goes now, and
    where its escalation does if it was escalated."""
    spike: dict[str, Any] = payload.get("spike") or {}
    scopes = {(scope.kind, scope.name): scope for scope in spike_scopes(config)}
    rules = [str(r) for r in payload.get("rules") or []]
    if spike.get("scope") == "brand":
        names = [("brand", str(b)) for b in payload.get("brands") or []]
        names += [("rule", r) for r in rules]
    else:
        names = [("rule", r) for r in rules[:1]]
    if not names or names[0] not in scopes:
        return None
    found = [scopes[name] for name in names if name in scopes]
    alerted = not spike.get("escalation")
    escalated = not alerted
    if spike.get("calm"):
        alert = session.scalars(
            select(SpikeAlertRow).where(SpikeAlertRow.dedup_key == spike.get("alert"))
        ).first()
        # Where the alert went, and its escalation if any; the copies already
        # queued there keep the calm-down told once.
        escalated = alert is not None and alert.escalated_at is not None
    targets = [
        target
        for scope in found
        for target in [
            *(scope.targets if alerted else []),
            *(scope.escalate_notify if escalated else []),
        ]
    ]
    return list(dict.fromkeys(targets)) or None


def summary_targets(
    session: Session, config: Config, row: OutboxRow, payload: dict[str, Any]
) -> list[str] | None:
    """Where a summary goes now: where its rule routes (a grouping window's or
    digest's rule), or the rules and brands it sums up (quiet hours); without
    the targets that have some of its notifications already (they got them on
    their own). ``None``: no route (its rule gone, or a ``[[digests]]``
    target's digest: which current target it was is not known)."""
    summary: dict[str, Any] = payload.get("summary") or {}
    brands = [str(b) for b in payload.get("brands") or []]
    if summary.get("reason") in ("group", "digest"):
        rule = str(summary.get("what") or "")
        if not rule:  # a [[digests]] target's own digest: no rule to route by
            return None
        found = targets_now(config, [rule], brands)
    else:
        rules = [str(r) for r in payload.get("rules") or []]
        found = targets_now(config, rules, brands) if rules or brands else None
    if not found:
        return None
    summed = select(OutboxRow.dedup_key).where(OutboxRow.parent_id == row.id)
    have = set(
        session.scalars(
            select(OutboxRow.target).where(
                OutboxRow.target.in_(found), OutboxRow.dedup_key.in_(summed)
            )
        )
    )
    return [target for target in found if target not in have]


def about(scope: str) -> str:
    """What an ops notice records it is about: a kind (``slack``) as it is, one
    target as a digest (an Apprise URL carries its token; payloads hold none)."""
    if ":" not in scope:
        return scope
    return "sha256:" + hashlib.sha256(scope.encode()).hexdigest()


def _concerns(target: str, concerned: str) -> bool:
    """Whether an ops notice :func:`about` ``concerned`` concerns ``target``."""
    if not concerned:
        return False
    if concerned.startswith("sha256:"):
        return about(target) == concerned
    return split_target(target)[0] == concerned
