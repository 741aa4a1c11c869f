"""Whether a target's service answers, asked without sending anything.

A notification the service answers a server error to (:class:`~watchtower.notify.base.ServerError`)
is a *suspect*: the service may be down, or choking on that one message. The
dispatcher tells the two apart by the target's other deliveries; when nothing
else waits for the target and the row has failed for :data:`CHECK_AFTER`, it
asks :func:`answers` instead: a service that
answers a check which exercises everything but the message itself is not down,
so the message's failures are its own (see
:meth:`~watchtower.pipeline.dispatch.Dispatcher`).

- Slack: ``auth.test`` with the bot's token (the Web API is up and serves
  authenticated calls);
- e-mail: the session a send opens (:meth:`~watchtower.notify.email.EmailNotifier.session`:
  EHLO, STARTTLS, login), ``MAIL FROM``, ``RCPT TO`` the reader, then ``RSET``:
  the server takes mail for that reader; no DATA, so nothing is delivered;
- anything else (an Apprise URL, the console): no check; ``None``, and the
  target is held as an outage until another notification gets through.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from watchtower.errors import DeliveryError
from watchtower.logs import kv
from watchtower.notify.base import Notifier

if TYPE_CHECKING:  # slack_sdk stays out of memory until Slack is used
    from watchtower.notify.email import EmailNotifier
    from watchtower.notify.slack import SlackNotifier

__all__ = ["CHECK_AFTER", "answers"]

log = logging.getLogger("watchtower.outbox")

#: How long a suspect row fails before a check may prove the failure its own:
#: a Slack that answers ``auth.test`` but not ``chat.postMessage`` for a minute
#: is a glitch, and its one message keeps its attempts; half of
#: :data:`~watchtower.pipeline.target_outages.TELL_OPS_AFTER`, so a row the
#: check proves at fault never has ops told that its target is unreachable.
CHECK_AFTER = timedelta(minutes=5)


def answers(notifier: Notifier, address: str) -> bool | None:
    """Whether the service of ``notifier`` answers for ``address`` now (see the
    module docstring); ``None``: it has no check. Never raises."""
    try:
        # By kind, not class: a test double or the console stands in for a kind.
        if notifier.kind == "slack" and hasattr(notifier, "api"):
            return _slack(cast("SlackNotifier", notifier))
        if notifier.kind == "email" and hasattr(notifier, "sender"):
            return _smtp(cast("EmailNotifier", notifier), address)
    except Exception:  # a check that crashes proves nothing: the target is held
        log.exception("target check crashed", extra=kv(kind=notifier.kind))
    return None


def _slack(notifier: SlackNotifier) -> bool:
    try:
        return bool(notifier.api.call("auth.test").get("ok", True))
    except DeliveryError as exc:
        log.info("Slack check failed", extra=kv(error=exc.reason))
        return False


def _smtp(notifier: EmailNotifier, address: str) -> bool:
    from watchtower.notify.email import ascii_address

    try:
        # The session a send opens (it refuses a password in clear, a missing STARTTLS).
        with notifier.session() as smtp:
            code, _ = smtp.mail(ascii_address(notifier.sender))
            if code != 250:
                return False
            code, _ = smtp.rcpt(ascii_address(address))
            if code not in (250, 251):
                return False
            smtp.rset()
            return True
    except DeliveryError as exc:
        log.info("SMTP check failed", extra=kv(error=exc.cause.code or exc.reason))
        return False
