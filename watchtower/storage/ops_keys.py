"""The outbox keys of the ops notices about one target (an Apprise service or a
Slack channel down or back, notifications lost to a target): once a day per
target, the target written as its digest.

An Apprise target carries its tokens (``apprise:tgram://BOTTOKEN/CHATID``): a key
holding it stored the secret in the outbox's key column, and a key cut at 200
characters made two long targets sharing their start one (the first notice
silenced the other's). The digest is the one the notice's payload records as
what it is ``about`` (:func:`watchtower.pipeline.readdress_routes.about`).

Readers that need the target back (``status``: which service is paused) match
the digest against the targets of the outbox rows (:func:`told_targets`); a key
written before the digest (the raw target, perhaps cut) is read as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from watchtower.storage.tables import OutboxRow

__all__ = ["DIGEST_PREFIX", "notice_key", "outbox_targets", "target_digest", "told_targets"]

#: How a target's digest starts, in a key and in a payload's ``about``.
DIGEST_PREFIX = "sha256:"
#: Keys were cut there before the digest (see :func:`told_targets`).
_OLD_KEY_MAX = 200
_WAITING = ("pending", "sending", "held")


def target_digest(target: str) -> str:
    """``sha256:<hex>`` of ``target``: names it without its tokens."""
    return DIGEST_PREFIX + hashlib.sha256(target.encode()).hexdigest()


def notice_key(text: str, day: str, target: str) -> str:
    """``ops:TEXT:DAY:sha256:HEX``, the key of the notice ``text`` about ``target``
    on ``day`` (ISO date): one a day per target, however long the target."""
    return f"ops:{text}:{day}:{target_digest(target)}"


def told_targets(session: Session, told: Mapping[str, datetime]) -> dict[str, datetime]:
    """``told`` (what follows the day in each notice's key → when) by full target,
    the latest when two keys name the same target (one written before the digest,
    one after).

    A digest is matched against the targets of the outbox rows (the notified
    target's own notifications, waiting or re-addressed); one no row holds any
    more is left out, as nothing waits for it. An older key's raw target is kept;
    one cut at 200 characters is matched back to a waiting row's full target.
    """
    digests = {name for name in told if name.startswith(DIGEST_PREFIX)}
    known: dict[str, str] = {}
    if digests:
        known = {d: t for t in outbox_targets(session) if (d := target_digest(t)) in digests}
    out: dict[str, datetime] = {}
    for name, when in told.items():
        if name in digests:
            if name in known:
                _latest(out, known[name], when)
            continue
        if len(f"ops:ops_down_service:0000-00-00:{name}") >= _OLD_KEY_MAX:  # cut
            full = session.scalar(
                select(OutboxRow.target)
                .where(OutboxRow.target.startswith(name, autoescape=True))
                .where(OutboxRow.status.in_(_WAITING))
                .limit(1)
            )
            name = full or name
        _latest(out, name, when)
    return out


def outbox_targets(session: Session) -> list[str]:
    """Every target the outbox holds a row for, in order.

    One probe of ``ix_outbox_target`` per target (a loose index scan written as
    a recursive query: neither SQLite nor PostgreSQL skips through an index for
    ``DISTINCT``), so the cost follows the few targets the configs named, not the
    outbox's rows."""
    return [t for t in session.scalars(_TARGETS) if t is not None]


def _targets_query() -> Select[str | None]:
    first, later = aliased(OutboxRow), aliased(OutboxRow)
    smallest = select(first.target).order_by(first.target).limit(1).scalar_subquery()
    found = select(smallest.label("target")).cte("targets", recursive=True)
    following = (
        select(later.target).where(later.target > found.c.target).order_by(later.target).limit(1)
    )
    found = found.union_all(
        select(following.scalar_subquery().label("target")).where(found.c.target.is_not(None))
    )
    return select(found.c.target)


_TARGETS = _targets_query()


def _latest(out: dict[str, datetime], target: str, when: datetime) -> None:
    if target not in out or when > out[target]:
        out[target] = when
