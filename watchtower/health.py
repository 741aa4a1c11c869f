"""Source health and outbox state, in plain words for ``watchtower status``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchtower.redact import redact_target, redact_text
from watchtower.sanitise import printable
from watchtower.storage import outbox_queries
from watchtower.storage.tables import OUTBOX_STATUSES, SourceRow


@dataclass(frozen=True)
class SourceHealth:
    name: str
    kind: str
    enabled: bool
    state: str  # ok | failing | never checked | disabled
    last_success: datetime | None
    failures: int
    last_error: str | None
    next_check: datetime | None
    items: int


def ago(when: datetime | None, now: datetime) -> str:
    """``"5m ago"``, ``"in 3m"``, ``"never"``."""
    if when is None:
        return "never"
    delta = now - when
    future = delta < timedelta(0)
    seconds = abs(int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            text = f"{seconds // size}{unit}"
            break
    else:
        text = f"{seconds}s"
    return f"in {text}" if future else f"{text} ago"


def source_health(session: Session) -> list[SourceHealth]:
    out = []
    for row in session.scalars(select(SourceRow).order_by(SourceRow.name)):
        if not row.enabled:
            state = "disabled"
        elif row.consecutive_failures:
            state = "failing"
        elif row.last_success_at is None:
            state = "never checked"
        elif row.alert_reason == "silent":
            state = "silent"
        else:
            state = "ok"
        out.append(
            SourceHealth(
                row.name,
                row.kind,
                row.enabled,
                state,
                row.last_success_at,
                row.consecutive_failures,
                row.last_error,
                row.next_check_at,
                row.items_total,
            )
        )
    return out


def render_status(session: Session, now: datetime) -> str:
    """The text of ``watchtower status``."""
    lines = ["Sources:"]
    health = source_health(session)
    if not health:
        lines.append("  (none yet: run `watchtower run` once)")
    for h in health:
        lines.append(
            f"  {h.name} [{h.kind}] {h.state} · last success {ago(h.last_success, now)} · "
            f"errors {h.failures} · next check {ago(h.next_check, now) if h.enabled else '-'}"
            f" · items {h.items}"
        )
        if h.last_error and h.failures:  # quotes the server: no terminal control
            lines.append(f"      last error: {printable(h.last_error, keep='')}")
    counts = outbox_queries.outbox_counts(session)
    oldest = outbox_queries.oldest_pending(session)
    summary = ", ".join(f"{status} {counts.get(status, 0)}" for status in OUTBOX_STATUSES)
    lines.append(f"Outbox: {summary}")
    if oldest is not None:
        lines.append(f"  oldest unsent notification queued {ago(oldest, now)}")
    lines += [f"  {line}" for line in delivery_problems(session)]
    return "\n".join(lines)


def delivery_problems(session: Session) -> list[str]:
    """Paused target kinds and targets with lost notifications, one line each.

    What an operator must act on: a revoked token, a typo'd channel, a full mailbox.
    """
    lines = [
        f"{kind.capitalize()} paused: its notifications wait (ops were told)"
        for kind in sorted(outbox_queries.paused_kinds(session))
    ]
    for failed in outbox_queries.failed_targets(session):
        lines.append(
            f"failed for {redact_target(failed.target)}: {failed.count} · "
            f"last error: {printable(redact_text(failed.last_error or '-'), keep='')}"
        )
    return lines
