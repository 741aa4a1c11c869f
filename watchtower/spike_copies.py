"""Where a spike alert's copies went, for the notices that answer them.

The "taken by" reply (:mod:`watchtower.spike_taken`) and the calm-down
(:mod:`watchtower.spike_calm`) follow the alert where it was read: in the Slack
thread of each copy that was posted, in the conversation of each e-mail.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchtower.notify.registry import split_target
from watchtower.storage.tables import OutboxRow

__all__ = ["NOT_DELIVERED", "email_replies", "slack_threads"]

#: Copies that never reached their reader (failed for good, or moved to another
#: target by a reload): there is nothing of theirs to answer.
NOT_DELIVERED = ("failed", "skipped")


def email_replies(session: Session, dedup_key: str) -> dict[str, dict[str, Any]]:
    """``target`` → the ``reply_to`` of the e-mail copy ``dedup_key`` sent it (the first).

    A ``reply_to`` names the e-mail answered: its Message-ID once sent, else its
    outbox row, from which the notifier derives the same id
    (:meth:`watchtower.notify.email.EmailNotifier.message_id`: a copy still
    waiting for the SMTP server is answered in its thread all the same). And
    the ``target`` that e-mail went to: a reload may move the answer to another
    address, whose reader never got the alert (it then goes on its own).
    """
    rows = session.execute(
        select(OutboxRow.id, OutboxRow.target, OutboxRow.created_at, OutboxRow.provider_message_id)
        .where(
            OutboxRow.dedup_key == dedup_key,
            OutboxRow.target.like("email:%"),
            OutboxRow.status.not_in(NOT_DELIVERED),
        )
        .order_by(OutboxRow.id)
    ).all()
    replies: dict[str, dict[str, Any]] = {}
    for outbox_id, target, created_at, message_id in rows:
        replies.setdefault(
            str(target),
            {
                "message_id": str(message_id or ""),
                "outbox_id": int(outbox_id),
                "created_at": created_at.timestamp(),
                "target": str(target),
            },
        )
    return replies


def slack_threads(
    session: Session, dedup_key: str, recorded: tuple[str | None, str | None] = (None, None)
) -> dict[str, dict[str, str]]:
    """``target`` → ``{"channel", "ts"}`` of the Slack copy ``dedup_key`` posted there.

    Only copies Slack took (``sent``, with their ``ts`` as ``provider_message_id``):
    one not posted yet has no thread to answer in. The outbox keeps no channel
    id: the copy at ``recorded`` (an alert's ``channel``, ``ts``) gets its id,
    the others the channel their target names ("" for the notifier's default
    channel: :class:`~watchtower.notify.slack.SlackNotifier` then uses the
    channel it posts in).
    """
    rows = session.execute(
        select(OutboxRow.target, OutboxRow.provider_message_id)
        .where(
            OutboxRow.dedup_key == dedup_key,
            OutboxRow.status == "sent",
            OutboxRow.target.like("slack:%"),
            OutboxRow.provider_message_id.is_not(None),
        )
        .order_by(OutboxRow.id)
    ).all()
    channel_id, recorded_ts = recorded
    threads: dict[str, dict[str, str]] = {}
    for target, ts in rows:
        if not ts:
            continue
        channel = channel_id if channel_id and ts == recorded_ts else split_target(target)[1]
        threads.setdefault(str(target), {"channel": channel or "", "ts": str(ts)})
    return threads
