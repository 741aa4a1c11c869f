"""What the outbox asks before and tells after each send (the alerting hooks).

The outbox stays the one place that sends and retries; these hooks only decide,
for a claimed row, whether to send it now (possibly as a thread reply), hold it
for a window (quiet hours, a grouping window, a digest), defer it (its story's
parent message is not sent yet) or skip it — and record what a send produced
(the Slack ``ts`` of a story's parent, of a spike alert) or what went wrong for
a whole target (paused, back, failing for good), so ops hear of it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from watchtower.errors import DeliveryReason
from watchtower.models import Notification
from watchtower.notify.base import Message, Receipt
from watchtower.storage.tables import OutboxRow

#: Payload keys (besides the item fields) that notifiers read from ``Notification.extra``.
PAYLOAD_EXTRAS = (
    *("kind", "story", "summary", "spike", "chart"),
    *("rating", "rating_count", "author", "reviewed", "app_version"),  # a review's
)


@dataclass(frozen=True)
class Claimed:
    """A row the outbox claimed, detached from its session."""

    id: int
    target: str
    payload: dict[str, Any]
    attempts: int
    severity: str
    created_at: datetime
    outcome_unknown: bool = False
    hold_reason: str | None = None

    @classmethod
    def of(cls, row: OutboxRow) -> Claimed:
        return cls(
            id=row.id,
            target=row.target,
            payload=dict(row.payload or {}),
            attempts=row.attempts,
            severity=row.severity,
            created_at=row.created_at,
            outcome_unknown=bool(row.outcome_unknown),
            hold_reason=row.hold_reason,
        )

    @property
    def kind(self) -> str:
        return str(self.payload.get("kind") or "item")

    @property
    def story(self) -> dict[str, Any] | None:
        story = self.payload.get("story")
        return story if isinstance(story, dict) and story.get("id") is not None else None


@dataclass(frozen=True)
class Verdict:
    """What to do with a claimed row now."""

    action: Literal["send", "hold", "defer", "skip"] = "send"
    extra: dict[str, Any] = field(default_factory=dict)  # merged into Notification.extra
    hold_reason: str | None = None
    group_key: str | None = None
    until: datetime | None = None
    delay: float = 0.0
    reason: str = ""


SEND = Verdict()


class DeliveryHooks(Protocol):
    """Implemented by :class:`watchtower.pipeline.alerting.Alerting`."""

    def before_send(self, row: Claimed) -> Verdict: ...

    def after_send(self, row: Claimed, message: Message, receipt: Receipt) -> None: ...

    def target_disabled(
        self, kind: str, reason: str | DeliveryReason, *, down: bool = False
    ) -> None:
        """Every row of ``kind`` waits; ops are told why: a refusal to fix (a token,
        a login) or, with ``down``, an outage that ends by itself.

        Every ``reason`` here is the error's :class:`DeliveryReason` (its code said
        in the reader's language) or, from an older caller, its English text."""

    def target_back(self, kind: str) -> None:
        """``kind`` delivered again after :meth:`target_disabled`."""

    def service_down(
        self, target: str, reason: str | DeliveryReason, *, refused: bool = False
    ) -> None:
        """One service of its own (an Apprise URL) has been unreachable for a while:
        its notifications wait; tell ops through the other targets. ``refused``:
        it refuses its address (a revoked webhook), which does not end by itself;
        ``reason`` is only shown, never read for that."""

    def service_back(self, target: str) -> None:
        """``target`` delivers again after :meth:`service_down`."""

    def delivery_failed(self, target: str, reason: str | DeliveryReason) -> None:
        """Notifications to ``target`` failed for good (``reason``: the last error)."""

    def readdress(self, row: Claimed, *, claimed: bool = False) -> bool:
        """A reload dropped ``row``'s target while the row was claimed (a corrected
        URL), or the row was queued for a target the config no longer names (by
        an older config): queue it where it routes now and return ``True`` (it
        is not sent here); ``False``: its target is named and no such reload
        came, or the row stays (its rule is gone).
        ``claimed``: asked before the send or before a failure is recorded, the
        row still ``sending``; else once a failed or parked outcome is written."""


def notification_for(row: Claimed, verdict: Verdict) -> Notification:
    """The notification to render: the payload's item fields, plus what the hooks add."""
    notification = Notification.from_payload(row.id, row.target, row.payload)
    extra = dict(notification.extra)
    extra.update({k: row.payload[k] for k in PAYLOAD_EXTRAS if k in row.payload})
    extra["verify"] = row.outcome_unknown
    extra["created_at"] = row.created_at.timestamp()
    extra.update(verdict.extra)
    return dataclasses.replace(notification, extra=extra)
