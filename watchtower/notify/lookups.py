"""The notifiers' host name lookups, bounded by each send's own timeout.

``getaddrinfo`` is a blocking C call that no timeout reaches (glibc: 5 s per
attempt, per name server, per search domain). The SMTP, Slack and Apprise
libraries resolve in the outbox's drain thread, so one target whose name server
is dead (a relay ``smtp.corp.local`` whose zone is down) would hold that
thread for as long as glibc tries, every row, and every Apprise target behind
it in the same worker. So a notifier looks its host up here first, through
:data:`NOTIFIER_LOOKUPS` (a :class:`~watchtower.adapters._resolve.Lookups` of
their own: a source whose name is stuck never takes the notifiers' threads, nor
the other way round), and waits at most its send timeout. Past it the send
fails as :class:`~watchtower.notify.base.TargetUnreachable` ("the DNS lookup of
smtp.corp.local did not answer within 30s", the sources' sentence): the
outbox holds that target and probes it with backoff, no attempt spent, and the
other targets go on.

The failure's reason carries the lookup's own (code ``dns_timeout`` or
``dns_stuck``, its host and seconds): a notifier that wraps it ("cannot reach
the SMTP server …") quotes it as a nested reason, so an ops notice says the
whole sentence in the reader's language.

SMTP then connects to the addresses found here (:mod:`watchtower.notify.email`);
slack-sdk and Apprise offer no clean way to connect to a given address, so
:func:`precheck` only bounds the wait: once it answers, the library resolves
again, which the name server (or its cache) answers at once. A name whose
pre-check answered within the last minute is not looked up first again
(:mod:`watchtower.notify.lookup_cache`).

IP addresses and ``localhost`` need no thread: read in the caller's.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from typing import Any

from watchtower.adapters._resolve import Lookups
from watchtower.errors import DeliveryReason, TransientError
from watchtower.notify.base import TargetUnreachable
from watchtower.notify.lookup_cache import RecentAnswers, answered_for

__all__ = [
    "NOTIFIER_LOOKUPS",
    "Lookups",
    "Reason",
    "addresses",
    "connect_first",
    "lookup_reason",
    "precheck",
    "system_resolver",
]


def system_resolver(*args: Any) -> Sequence[tuple[Any, ...]]:
    """``socket.getaddrinfo``, read at each call: a stand-in put there (a test's
    hung name server, a guard refusing names) covers the notifiers' lookups too."""
    return socket.getaddrinfo(*args)


#: The one instance every notifier shares (SMTP, Slack, Apprise).
NOTIFIER_LOOKUPS = Lookups(system_resolver, inline=("localhost",))

#: The reason a notifier gives, from the lookup's own (code ``dns_timeout``:
#: "the DNS lookup of HOST did not answer within 30s", or ``dns_stuck``).
Reason = Callable[[DeliveryReason], DeliveryReason]


def _as_is(said: DeliveryReason) -> DeliveryReason:
    return said


def lookup_reason(exc: TransientError) -> DeliveryReason:
    """The reason of a lookup that failed in time (``dns_timeout``, ``dns_stuck``),
    with its code and params: said in the reader's language where it is quoted."""
    if exc.code is None:  # pragma: no cover - both are raised by code
        return DeliveryReason(exc.message)
    return DeliveryReason.of(exc.code, **exc.params)


def addresses(
    host: str,
    port: int,
    timeout: float,
    *,
    lookups: Lookups = NOTIFIER_LOOKUPS,
    reason: Reason = _as_is,
) -> list[str]:
    """The addresses of ``host`` (in the resolver's order, each once), looked up
    within ``timeout`` seconds.

    Raise :class:`TargetUnreachable` with ``reason`` of the lookup's reason
    (:func:`lookup_reason`) when the lookup does not answer in time, or when
    too many lookups are stuck to start another
    (:mod:`watchtower.adapters._resolve`); a name that does not exist raises
    ``socket.gaierror`` as ``getaddrinfo`` does.
    """
    try:
        infos = lookups.resolve(host, port, timeout)
    except TransientError as exc:  # dns_timeout, dns_stuck
        raise TargetUnreachable(reason(lookup_reason(exc))) from None
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))


def precheck(
    host: str,
    port: int,
    timeout: float,
    *,
    lookups: Lookups = NOTIFIER_LOOKUPS,
    reason: Reason = _as_is,
    answered: RecentAnswers | None = None,
) -> None:
    """Fail as :func:`addresses` does when ``host`` cannot be looked up in time,
    for a library that resolves it again on its own.

    A lookup that answers an error (an unknown name) raises nothing: the
    library meets it in turn and reports it as it always has. A name that
    answered within the last minute is not looked up again (``answered``:
    those of ``lookups`` by default, :func:`~watchtower.notify.lookup_cache.answered_for`);
    only an answer is remembered.
    """
    recent = answered_for(lookups) if answered is None else answered
    if recent.fresh(host, port):
        return
    try:
        addresses(host, port, timeout, lookups=lookups, reason=reason)
    except (socket.gaierror, UnicodeError):
        return
    recent.note(host, port)


def connect_first(found: Sequence[str], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of ``found`` (IP addresses) that answers, as
    ``socket.create_connection`` tries each address of a name."""
    error: OSError | None = None
    for address in found:
        try:
            # An IP address: create_connection reads it as a number, no DNS query.
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
    if error is None:
        raise OSError(f"no address to connect to on port {port}")
    raise error
