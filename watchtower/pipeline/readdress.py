"""After a reload, send what waited for a target the config no longer names
to where its rule or brand routes now.

A corrected webhook URL (an Apprise service that refused the old one), a
renamed Slack channel or a fixed e-mail address is a new target: the
notifications already queued name the old one. Each waiting row (``pending``
or ``held``: not sent, not failed for good, not claimed by a sender) of an
item, for a target no part of the config names any more, is queued again for
the targets :func:`~watchtower.pipeline.route.targets_now` gives for the rules
and brands it records, and the old row is ``skipped`` with where it went.

* Never twice: the copy keeps the row's ``dedup_key``, and a target that has
  that key already (the story queued there since, or a rule sending to both)
  is not given another; the old row is skipped all the same.
* Threads follow by themselves: a story's first message moves with its
  replies, which wait for it on the new target as they did on the old one; a
  reply whose first message went out on the old target finds no parent on the
  new one and goes out as a full message (the alerting hooks' lost parent), a
  counter-only sighting is skipped there.
* A row whose rule (or brand) is gone from the config is left as it is.
* One transaction; rows locked (``FOR UPDATE`` on PostgreSQL): replicas that
  reload the same file re-address each row once, the later ones find nothing.
* Ops notices (``kind = "ops"``: a source failing or back, a target down, a
  refused config…) go to the current ``[watchtower] ops_notify``, except the
  targets the notice is about (its payload's ``about``: a kind, or one
  target's digest, see :func:`~watchtower.pipeline.readdress_routes.about`):
  a notice says what broke through something else.
* Spike alerts go where the config sends a spike of their brand or rule now
  (``[spikes] notify`` and the brand's ``notify``, or the rule's targets); an
  escalation to the current ``escalate_notify``; a calm-down where its alert
  goes now, and its escalation if it was escalated (see
  :func:`~watchtower.pipeline.readdress_routes.spike_targets`).
  Open alerts that would escalate to a target no longer named escalate to the
  current ``escalate_notify`` instead (:func:`_escalate_now`).
* Summaries (grouping windows, quiet hours, digests) go where their rule
  routes now (a digest's or window's rule; the rules of a night's summary),
  except to a target that has some of the summed-up notifications already: it
  got them on its own (see :func:`~watchtower.pipeline.readdress_routes.summary_targets`).
* A spike alert or summary no route can be decided for (its brand or rule
  gone, ``[spikes]`` disabled, a ``[[digests]]`` target corrected: nothing says
  which of the current ones it was) goes to ``ops_notify`` instead of waiting
  for ever, recorded as such (the old row's ``last_error``, the copy's
  ``reason``, the log and the ops notice's count).
* A row a sender holds when the config changes (``sending``: it may be on
  its way) is not touched here but listed; that sender asks
  (:func:`readdress_row`) before it sends it and once a failed or parked
  outcome is written, and moves it then: a send that fails on the old target
  does not leave the row waiting for a target nobody names, and a row is
  never both sent to the old target and copied to the new one.
* A row queued for a dropped target after this looked (the spikes job's
  thread, or a replica not reloaded yet, still on the old config) is moved by
  its sender the same way, under its claim, when it finds the target unnamed.
* Unless another live replica's config names that target (replicas read their
  own copy of the file, updated one after the other: it may be the newer
  config's new target, or the older one's not changed there yet): the row is
  that replica's. Its sender here hands it back, no attempt spent, due after
  a drain interval (not claimed again at once here), and whoever claims it
  next asks again: once that replica has died or reloaded without it, the
  row is re-addressed (:meth:`~watchtower.heartbeat.Heartbeat.named_elsewhere`).
  Each row handed back is logged at INFO once (then at DEBUG), and reported
  if that replica does not take it (:mod:`~watchtower.pipeline.readdress_left`).
  A replica of 0.3.1 does not say what it names: its rule holds then (sent as
  addressed if it loaded its config after this one did).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from watchtower.config import Config
from watchtower.logs import kv
from watchtower.pipeline import outbox_rows
from watchtower.pipeline.delivery import Verdict
from watchtower.pipeline.readdress_left import left_rows
from watchtower.pipeline.readdress_routes import about, destination
from watchtower.pipeline.route import configured_targets
from watchtower.redact import redact_target
from watchtower.spike_calm import CALM_WITHIN
from watchtower.spikes import scopes as spike_scopes  # the one place that routes spikes
from watchtower.storage.db import Database
from watchtower.storage.outbox_queries import READDRESSED
from watchtower.storage.queries import insert_ignore
from watchtower.storage.tables import OutboxRow, SpikeAlertRow

if TYPE_CHECKING:
    from watchtower.heartbeat import Elsewhere

__all__ = ["Followed", "Readdressed", "about", "followed", "readdress", "readdress_row"]

log = logging.getLogger("watchtower.reload")

WAITING = ("pending", "held")

#: How a spike alert or summary sent to ``ops_notify`` for want of a route says so.
NO_ROUTE = "(no route for it now: sent to ops_notify)"

#: What :func:`readdress_row` did with a row it answered ``True`` for: ``moved``
#: (``skipped``, queued where it routes now) or ``left`` (handed back, waiting
#: for the replica whose config names its target).
Followed = Literal["moved", "left"]


@dataclass
class Readdressed:
    """What went from one old target to new ones."""

    old: str
    new: list[str] = field(default_factory=list)
    moved: int = 0  # notifications now queued for a new target
    already: int = 0  # copies not made: the new target had that notification already
    #: Spike alerts or summaries no route could be decided for: sent to ``ops_notify``.
    fallback: bool = False

    def describe(self) -> str:
        """``3 notifications from apprise:… to apprise:…`` (URLs redacted)."""
        to = ", ".join(redact_target(t) for t in self.new)
        text = f"{self.moved} notification{'s' if self.moved != 1 else ''} from "
        text += f"{redact_target(self.old)} to {to}"
        if self.fallback:
            text += f" {NO_ROUTE}"
        if self.already:
            text += f" ({self.already} already queued there)"
        return text


def readdress(session: Session, config: Config, now: datetime) -> list[Readdressed]:
    """Re-address the waiting notifications of targets ``config`` no longer names;
    return what moved, by old target (see the module docstring).

    The rows of such targets a sender holds now are remembered: the sender
    re-addresses them itself (:func:`readdress_row`) unless it delivers them."""
    known = configured_targets(config)
    with _lock:  # a sender asking about its row waits for this list
        held = session.scalars(
            select(OutboxRow.id).where(
                OutboxRow.status == "sending", OutboxRow.target.not_in(sorted(known))
            )
        )
        # Replaced, not added to: a row still claimed is listed again, the
        # others are sent, failed, or waiting (then moved just below).
        claimed = _claimed_of(session.get_bind())
        claimed.clear()
        claimed.update(held)
        moved = _readdress(session, config, known, now, None)
    _escalate_now(session, config, known, now)
    return moved


def readdress_row(
    db: Database,
    config: Config,
    now: datetime,
    row: int,
    *,
    claimed: bool,
    target: str | None = None,
    elsewhere: Callable[[str], Elsewhere] | None = None,
) -> bool:
    """Re-address row ``row`` if a sender held it when ``config`` dropped its
    target (:func:`readdress` could not touch it then), or if its ``target``
    is one ``config`` does not name (queued with an older config after
    :func:`readdress` looked); asked by that sender before the send
    (``claimed``: the row is still ``sending``, held by the caller) and once a
    failed or parked outcome is written. ``True``: not sent here; ``skipped``,
    queued where it goes now (or already there), or left for another replica
    (below; :func:`followed` says which).

    A row nobody listed, for a target the config names, costs no query; a
    listed one is asked about once. ``elsewhere``, asked only about a target
    the config does not name (in a row nobody listed): whether another live
    replica's config names it (:meth:`~watchtower.heartbeat.Heartbeat.named_elsewhere`).
    ``named``: the row is that replica's; ``claimed``, it is handed back (no
    attempt spent, due after ``drain_interval``) and ``True`` returned: not
    sent here. ``newer`` (a replica of 0.3.1 loaded its config later): sent
    as addressed, as that config wants."""
    known = _known(config)
    with _lock:
        claimed_there = _claimed_of(db.engine)
        listed = row in claimed_there
        claimed_there.discard(row)
    if not listed and (target is None or target in known):
        return False
    found = elsewhere(target or "") if not listed and elsewhere is not None else "nobody"
    if found == "named":
        if not claimed:  # waiting (an outcome written): whoever claims it asks again
            return False
        with db.writing() as session:
            delay = config.watchtower.drain_interval.total_seconds()
            outbox_rows.park(session, row, Verdict("defer", delay=delay), now)
        left_rows(db.engine).left(row, target or "", now)  # at INFO once: back each drain
        return True
    if found == "newer":
        log.info(
            "notification for a target this config does not name, "
            "but another replica runs a newer config: sent as addressed",
            extra=kv(outbox_id=row, target=redact_target(target or "")),
        )
        return False
    with db.writing() as session:
        moved = _readdress(session, config, known, now, row, claimed=claimed)
    if moved:
        left_rows(db.engine).forget(row)
    if moved and not listed:
        # Not the reload's doing: say where such a late row came from.
        log.info(
            "notification queued for a target the config no longer names: re-addressed",
            extra=kv(outbox_id=row, target=redact_target(moved[0].old)),
        )
    return bool(moved)


def followed(db: Database, row: int) -> Followed:
    """What :func:`readdress_row` did with ``row`` when it answered ``True``, read
    from the row (the delivery hook answers only whether): a re-addressed row is
    ``skipped`` for good, one left for another replica waits."""
    with db.session() as session:
        status = session.scalar(select(OutboxRow.status).where(OutboxRow.id == row))
    return "moved" if status == "skipped" else "left"


def _claimed_of(bind: Engine | Connection) -> set[int]:
    """The rows listed for the database of ``bind`` (under ``_lock``)."""
    engine = bind if isinstance(bind, Engine) else bind.engine
    return _claimed.setdefault(engine, set())


def _known(config: Config) -> frozenset[str]:
    """:func:`configured_targets` of ``config``, worked out once per config: it is
    asked about every row sent."""
    global _targets_of
    cached = _targets_of
    if cached is None or cached[0] is not config:
        cached = _targets_of = (config, frozenset(configured_targets(config)))
    return cached[1]


#: Rows a sender held (``sending``) when the last :func:`readdress` ran, for a
#: target it no longer names, by database (row ids are its own); guarded by
#: ``_lock``, which :func:`readdress` holds while it looks, so a sender asking
#: after it wrote an outcome either finds its row listed or was seen waiting
#: (and moved).
_claimed: weakref.WeakKeyDictionary[Engine, set[int]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
#: The last config :func:`_known` was asked about, and the targets it names.
_targets_of: tuple[Config, frozenset[str]] | None = None


def _readdress(
    session: Session,
    config: Config,
    known: AbstractSet[str],
    now: datetime,
    only: int | None,
    *,
    claimed: bool = False,
) -> list[Readdressed]:
    """Move the waiting rows (``only`` that one; ``claimed``: ``sending`` too) of
    targets not in ``known``."""
    query = select(OutboxRow).where(
        OutboxRow.status.in_((*WAITING, "sending") if claimed else WAITING),
        OutboxRow.target.not_in(sorted(known)),
    )
    if only is not None:
        query = query.where(OutboxRow.id == only)
    query = query.order_by(OutboxRow.id)  # copies keep the queue's order among equals
    if session.get_bind().dialect.name == "postgresql":
        # Wait for another replica doing the same: its committed change takes
        # the row out of this query (the target no longer matches).
        query = query.with_for_update(of=OutboxRow)
    out: dict[tuple[str, bool], Readdressed] = {}
    for row in session.scalars(query).all():
        payload: dict[str, Any] = dict(row.payload or {})
        found = destination(session, config, row, payload)
        if found is None:
            continue  # its rule is gone, nowhere to tell ops: left where it is
        new, fallback = found
        done = out.setdefault((row.target, fallback), Readdressed(row.target, fallback=fallback))
        note = f" {NO_ROUTE}" if fallback else ""
        copied = [t for t in new if _copy(session, row, t, payload, now, note)]
        done.moved += bool(copied)
        done.already += not copied
        done.new.extend(t for t in new if t not in done.new)
        row.status = "skipped"
        row.claimed_until = None
        where = ", ".join(redact_target(t) for t in new) or "the targets it has gone to"
        row.last_error = (
            f"re-addressed to {where}{note} {READDRESSED}"
            if copied
            else f"already queued for {where} {READDRESSED}"
        )
    for done in out.values():
        log.info(f"re-addressed {done.describe()}", extra=kv(target=redact_target(done.old)))
    return list(out.values())


def _escalate_now(session: Session, config: Config, known: set[str], now: datetime) -> None:
    """Point the open spike alerts that would escalate (or tell their end) to a
    target the config no longer names at the current ``escalate_notify`` of
    their brand or rule (the targets still named kept); with no such scope left,
    at ``ops_notify``: an escalation queued later must not wait for a target
    nobody names."""
    scopes = {(scope.kind, scope.name): scope for scope in spike_scopes(config)}
    # Not escalated yet, or recent enough for its calm-down to be told there.
    open_alerts = select(SpikeAlertRow).where(
        SpikeAlertRow.acked_at.is_(None),
        SpikeAlertRow.escalated_at.is_(None) | (SpikeAlertRow.created_at > now - CALM_WITHIN),
    )
    for alert in session.scalars(open_alerts):
        old = list(alert.escalate_notify or [])
        if all(target in known for target in old):
            continue
        scope = scopes.get((alert.scope, alert.name))
        kept = [target for target in old if target in known]
        current = scope.escalate_notify if scope else kept or config.watchtower.ops_notify
        alert.escalate_notify = list(dict.fromkeys([*kept, *current]))
        log.info(
            "spike alert escalates to the targets the config names now",
            extra=kv(
                alert=alert.dedup_key,
                to=",".join(redact_target(t) for t in alert.escalate_notify) or "-",
            ),
        )


def _copy(
    session: Session,
    row: OutboxRow,
    target: str,
    payload: dict[str, Any],
    now: datetime,
    note: str = "",
) -> bool:
    """Queue ``row`` again for ``target``, untried and due now (the new target's own
    quiet hours, digest and grouping apply); ``False``: it has this notification."""
    inserted = session.scalar(
        insert_ignore(session, OutboxRow)
        .values(
            item_id=row.item_id,
            dedup_key=row.dedup_key,
            target=target,
            status="pending",
            severity=row.severity,
            reason=f"{row.reason}; re-addressed from {redact_target(row.target)}{note}",
            payload=payload,
            attempts=0,
            next_attempt_at=now,
            created_at=row.created_at,
            outcome_unknown=False,
        )
        .on_conflict_do_nothing(index_elements=["dedup_key", "target"])
        .returning(OutboxRow.id)
    )
    return inserted is not None
