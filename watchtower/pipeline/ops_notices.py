"""What the outbox tells ``[watchtower] ops_notify`` about delivery: a target kind
paused (refused credentials, or unreachable) and back, an Apprise service down
and back, notifications lost to a failing target — each once a day at most
(the notice's outbox key), never through the target concerned. Also the hook
that sends a claimed row elsewhere when a reload dropped its target meanwhile
(:meth:`OpsNotices.readdress`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from watchtower.config import LoadedConfig
from watchtower.errors import DeliveryReason
from watchtower.heartbeat import Elsewhere
from watchtower.logs import kv
from watchtower.notify.base import Notifier
from watchtower.notify.delivery_reason_text import reason_text
from watchtower.notify.registry import split_target
from watchtower.pipeline.delivery import Claimed
from watchtower.pipeline.readdress import about as about_scope
from watchtower.pipeline.readdress import readdress_row
from watchtower.redact import redact_target, redact_text
from watchtower.storage.db import Database
from watchtower.storage.ops_keys import notice_key
from watchtower.storage.outbox_queries import (
    BACK_KEY,
    PAUSED_KEY,
    enqueue_notice,
    failed_targets,
    notice_payload,
    paused_kinds,
)
from watchtower.storage.tables import OutboxRow

__all__ = ["AppLike", "OpsNotices"]

log = logging.getLogger("watchtower.alerting")

_WAITING = ("pending", "sending", "held")


class AppLike(Protocol):
    """What the hooks need from :class:`watchtower.app.App`."""

    db: Database
    loaded: LoadedConfig
    clock: Callable[[], datetime]

    def notifier_for(self, kind: str) -> Notifier: ...

    def named_elsewhere(self, target: str) -> Elsewhere:
        """Whether another live replica's config names ``target``."""
        ...


class OpsNotices:
    """The ops notices of the delivery hooks (see the module docstring)."""

    def __init__(self, app: AppLike) -> None:
        self.app = app

    def target_disabled(
        self, kind: str, reason: str | DeliveryReason, *, down: bool = False
    ) -> None:
        """Keep every row of ``kind`` waiting and tell ops through another kind (once
        a day): what to fix after a refusal, or, with ``down``, that it is unreachable
        and its notifications will go out by themselves once it answers."""
        now = self.app.clock()
        ops = self._ops_outside(kind)
        with self.app.db.session() as session:
            session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.status == "pending",
                    OutboxRow.target.like(f"{kind}:%"),
                    OutboxRow.next_attempt_at < now + timedelta(minutes=10),
                )
                .values(next_attempt_at=now + timedelta(minutes=10))
            )
            if not ops:
                log.error(
                    "no ops_notify target outside the paused kind: nobody is told",
                    extra=kv(kind=kind, error=redact_text(str(reason))),
                )
                return
            key = PAUSED_KEY.format(kind=kind, day=now.date().isoformat())
            cause = "ops_down" if down else "ops_auth"
            text = cause if kind == "slack" else f"{cause}_{kind}"  # what to fix differs
            self._notice(session, key, ops, text, "critical", about=kind, reason=reason)

    def target_back(self, kind: str) -> None:
        """Tell ops a paused kind delivers again: once per pause (its notice's key)."""
        with self.app.db.session() as session:
            paused = paused_kinds(session).get(kind)
            ops = self._ops_outside(kind)
            if paused is None or not ops:  # nobody was told it was paused
                return
            key = BACK_KEY.format(kind=kind, day=paused.rpartition(":")[2])
            text = "ops_back" if kind == "slack" else f"ops_back_{kind}"
            if self._notice(session, key, ops, text, "info", about=kind, kind=kind.capitalize()):
                log.info("target kind delivers again: ops notified", extra=kv(kind=kind))

    def service_down(
        self, target: str, reason: str | DeliveryReason, *, refused: bool = False
    ) -> None:
        """Tell ops (once a day per service) that an Apprise service is unreachable
        and its notifications wait; never through ``target`` itself.

        A service that refuses its URL (``refused``: a revoked webhook, as the
        dispatcher classified the error; ``reason`` is only quoted) does not come
        back by itself: the notice says so, how many notifications wait, and
        that a reload with the corrected URL sends them there
        (:mod:`watchtower.pipeline.readdress`)."""
        if refused:
            with self.app.db.session() as session:
                count = session.scalar(
                    select(func.count()).where(
                        OutboxRow.target == target, OutboxRow.status.in_(_WAITING)
                    )
                )
            # A Slack channel refuses the bot: fixed in Slack (/invite), not by a new URL.
            channel = split_target(target)[0] == "slack"
            self._service_notice(
                target,
                "ops_down_service",
                "critical",
                wording="ops_refused_channel" if channel else "ops_refused_service",
                reason=reason,
                count=str(count or 0),
            )
            return
        self._service_notice(target, "ops_down_service", "critical", reason=reason)

    def service_back(self, target: str) -> None:
        """Tell ops a service told as down delivers again (once a day, as the down)."""
        self._service_notice(target, "ops_back_service", "info")

    def _service_notice(
        self,
        target: str,
        text: str,
        severity: str,
        *,
        wording: str = "",
        **fields: str | DeliveryReason,
    ) -> None:
        """``text``: the notice's key (what ``status`` reads back); ``wording``: its
        strings when they differ from the key's."""
        now = self.app.clock()
        ops = [o for o in self.app.loaded.config.watchtower.ops_notify if o != target]
        shown = redact_target(target)  # an Apprise URL carries its tokens
        if not ops:
            log.error(
                "no ops_notify target for an unreachable service: nobody is told",
                extra=kv(target=shown),
            )
            return
        # Once a day per target. The key names it by digest: an Apprise URL
        # carries its tokens, and a cut target could be another's.
        key = notice_key(text, now.date().isoformat(), target)
        with self.app.db.session() as session:
            self._notice(
                session, key, ops, wording or text, severity, about=target, target=shown, **fields
            )

    def delivery_failed(self, target: str, reason: str | DeliveryReason) -> None:
        """Tell ops (once a day per target) that notifications to ``target`` are lost.

        Never to ``target`` itself: it is the one failing.
        """
        now = self.app.clock()
        ops = [o for o in self.app.loaded.config.watchtower.ops_notify if o != target]
        # An Apprise target carries its tokens: the notice and the log name it redacted.
        shown, error = redact_target(target), redact_text(str(reason))
        with self.app.db.session() as session:
            failed = failed_targets(session, target)
            count = failed[0].count if failed else 1
            if not ops:
                log.error(
                    "no ops_notify target for a failing target: nobody is told",
                    extra=kv(target=shown, failed=count, error=error),
                )
                return
            key = notice_key("delivery-failed", now.date().isoformat(), target)
            if self._notice(
                session,
                key,
                ops,
                "ops_failed",
                "warning",
                about=target,
                target=shown,
                count=count,
                reason=reason,
            ):
                log.warning(
                    "failing target: ops notified",
                    extra=kv(target=shown, failed=count, error=error),
                )

    def readdress(self, row: Claimed, *, claimed: bool = False) -> bool:
        """Send ``row`` where its rule (or ``ops_notify``) routes now if a reload
        dropped its target while a sender held the row, or the config no longer
        names its target (:func:`readdress_row`).
        ``True``: it moved; the caller must not send or record it."""
        return readdress_row(
            self.app.db,
            self.app.loaded.config,
            self.app.clock(),
            row.id,
            claimed=claimed,
            target=row.target,
            elsewhere=self.app.named_elsewhere,
        )

    def _ops_outside(self, kind: str) -> list[str]:
        return [
            t for t in self.app.loaded.config.watchtower.ops_notify if split_target(t)[0] != kind
        ]

    def _notice(
        self,
        session: Session,
        key: str,
        ops: list[str],
        text: str,
        severity: str,
        *,
        about: str,
        **fields: object,
    ) -> int:
        """Queue the ops notice ``<text>_subject``/``_body``; skipped if ``key`` is known.
        Its ``reason``, a delivery reason, is said in the configured language
        (:func:`~watchtower.notify.delivery_reason_text.reason_text`: from its
        code, else read back from its English text), without a secret.

        ``about``: the kind or the target the notice is about; if its ops target
        leaves the config, the notice follows ``ops_notify`` but never there
        (:mod:`watchtower.pipeline.readdress`)."""
        from watchtower.notify._text import t

        section = self.app.loaded.config.watchtower
        lang = section.language
        reason = fields.get("reason")
        if isinstance(reason, str | DeliveryReason):
            # The logs keep the notifiers' English; the reader gets the notice's
            # language when the catalogue knows the reason. An Apprise URL in it
            # carries its tokens: cut out of what is shown.
            fields["reason"] = redact_text(reason_text(reason, lang, section.timezone))
        payload = notice_payload(
            t(lang, f"{text}_subject").format(**fields),
            t(lang, f"{text}_body").format(**fields),
            severity,
            about=about_scope(about),
        )
        return enqueue_notice(session, key, ops, payload, self.app.clock(), severity=severity)
