"""Ops notices sent by the ``ops_notify`` notifiers themselves, not through the outbox.

Ops notices normally wait in the outbox table like any notification. When the
database cannot take a row (a full disk: :mod:`watchtower.database_full`; its
file deleted under the daemon: :mod:`watchtower.database_lost`), that is
exactly what cannot work, so those notices are rendered and sent here at once,
to each target in turn (Slack and e-mail need no disk). Nothing is recorded:
the caller decides how often to tell.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from watchtower.logs import kv
from watchtower.models import Notification
from watchtower.redact import redact_target

if TYPE_CHECKING:
    from watchtower.app import App

__all__ = ["send_direct"]

log = logging.getLogger("watchtower.database")


def send_direct(app: App, payload: dict[str, Any], about: str, reason: str) -> None:
    """Render and send ``payload`` to each ``ops_notify`` target of ``app``'s config;
    ``about`` starts the log line of each, ``reason`` is its ``error`` field."""
    from watchtower.notify.registry import split_target

    ops = app.loaded.config.watchtower.ops_notify
    extra: dict[str, Any] = {"kind": "ops", "verify": False}
    extra["created_at"] = app.clock().timestamp()
    for target in ops:
        kind, address = split_target(target)
        notification = Notification.from_payload(0, target, payload)
        notification = dataclasses.replace(notification, extra={**notification.extra, **extra})
        try:
            notifier = app.notifier_for(kind)
            notifier.send(notifier.render(notification, address))
        except Exception as exc:  # one target down must not keep the others from hearing
            log.warning(
                f"{about}: ops target not told",
                extra=kv(target=redact_target(target), error=type(exc).__name__),
            )
        else:
            log.warning(
                f"{about}: ops told directly (not through the outbox)",
                extra=kv(target=redact_target(target), error=reason),
            )
