"""What a failed Apprise send means for the outbox, read from what Apprise logged.

Apprise's ``notify()`` returns only a boolean, which cannot drive an outbox, so
a ``False`` becomes a *retryable* :class:`DeliveryError`: the outbox retries it
with backoff up to ``max_delivery_attempts`` and then records it as failed. When
what Apprise logged says the service is down (a connection error, a timeout, an
HTTP 5xx), it is a :class:`~watchtower.notify.base.TargetUnreachable` instead:
this target's notifications wait, no attempt spent, until it answers (a 5xx
is a :class:`~watchtower.notify.base.ServerError`: if the service takes the
other notifications, it is this one's own failure, retried then failed). The
reason is taken from what Apprise logged during that one send (captured, not
propagated) with the URL's secret parts cut out: Apprise URLs embed tokens, so
the URL itself never appears in a reason, a log line, a metric label or
``watchtower status`` (see :mod:`watchtower.redact`).

A service that refuses the URL itself (HTTP 401, 403, 404, 410: a revoked or
deleted webhook, a wrong token) is :class:`~watchtower.notify.base.AddressRefused`:
every message to it would be refused, so this target waits as when it is down
(nothing lost, no attempt spent, a probe now and then) and ops are told at
once to fix the URL. A service that refuses the message (another 4xx but 408
and 425) is a *permanent* failure of that row only: recorded as failed at once.
A 429 is :class:`~watchtower.errors.RateLimited`: it waits without spending an
attempt.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from watchtower.errors import DeliveryError, DeliveryReason, RateLimited
from watchtower.notify.base import AddressRefused, ServerError, TargetUnreachable
from watchtower.redact import redact_target

__all__ = ["RATE_LIMIT_WAIT", "failure", "scrub"]

# Apprise logs "…, error=404." when the service answered with that status.
_HTTP_STATUS = re.compile(r"\berror=(\d{3})\b")
# 4xx statuses worth another try: a timeout on the service's side, "too early".
_RETRYABLE_4XX = frozenset({408, 425})
_URL_REFUSED = frozenset({401, 403, 404, 410})
#: Seconds a 429 waits: Apprise does not pass the service's Retry-After on.
RATE_LIMIT_WAIT = 60.0
# What Apprise's plugins log when the service, not the message, is the problem:
# "A Connection error occurred sending …", a timeout, "…error=503.".
_SERVICE_DOWN = re.compile(
    r"connection error|timed out|timeout|\berror=5\d\d\b|\b5\d\d - ", re.IGNORECASE
)
# Of those, the service's own answer: it may choke on this one message only.
_SERVER_ERROR = re.compile(r"\berror=5\d\d\b|\b5\d\d - ")
_SECRET_PART = re.compile(r"[^/:@?&=#+,]{4,}")


def scrub(text: str, address: str) -> str:
    """Remove from ``text`` every part of ``address`` that could be a secret."""
    safe_parts = set(_SECRET_PART.findall(redact_target("apprise:" + address)))
    scheme = urlsplit(address).scheme
    for part in sorted(set(_SECRET_PART.findall(address)), key=len, reverse=True):
        if part not in safe_parts and part != scheme:
            text = text.replace(part, "****")
    return text.replace(address, redact_target("apprise:" + address))


def failure(log_text: str, address: str) -> DeliveryError:
    """The error a send to ``address`` that Apprise reported failed raises,
    from what Apprise logged during it (``log_text``), secrets cut out."""
    problems = [
        line.split(" - ", 2)[-1]
        for line in log_text.splitlines()
        if " - WARNING - " in line or " - ERROR - " in line
    ]
    detail = problems[-1] if problems else "the service did not accept the message"
    scheme = address.split("://", 1)[0]
    status = _HTTP_STATUS.search(detail)  # read before the URL's parts are cut out
    detail = scrub(detail, address)
    reason = DeliveryReason.of("apprise_failed", scheme=scheme, detail=detail)
    if any(_SERVICE_DOWN.search(line) for line in problems):
        if any(_SERVER_ERROR.search(line) for line in problems):
            return ServerError(reason)
        return TargetUnreachable(reason)
    code = int(status.group(1)) if status else 0
    if code == 429:
        return RateLimited(reason, retry_after=RATE_LIMIT_WAIT)
    if code in _URL_REFUSED:
        # Every message to this URL will be refused: the target waits, its
        # notifications kept, until the URL works again; ops hear what to do.
        return AddressRefused(
            DeliveryReason.of("apprise_url_refused", scheme=scheme, detail=detail, code=code)
        )
    if 400 <= code < 500 and code not in _RETRYABLE_4XX:
        # The same request will be refused again: no retry, and the reason says so.
        refused = DeliveryReason.of(
            "apprise_message_refused", scheme=scheme, detail=detail, code=code
        )
        return DeliveryError(refused, retryable=False)
    return DeliveryError(reason, retryable=True)
