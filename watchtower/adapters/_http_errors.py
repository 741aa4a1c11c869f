"""The one place fetch failures are classified, for the shared HTTP client.

A failed request (timeout, refused connection, bad TLS, broken compression, a
``Location`` httpx could not read) and an answer's error status each become a
:class:`TransientError` or :class:`PermanentError` with a catalogue code and a
plain sentence for the operator, as Miniflux's ``response_handler.go`` does;
``Retry-After`` is read here too, bounded.
"""

from __future__ import annotations

import email.utils
import socket
import ssl
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from watchtower.adapters._net import ResolveError
from watchtower.adapters._urls import invalid_url, reason
from watchtower.errors import PermanentError, SourceError, TransientError

if TYPE_CHECKING:
    from watchtower.adapters._http import Response

__all__ = [
    "REQUEST_FAILURES",
    "RETRY_AFTER_MAX",
    "classify",
    "request_error",
    "retry_after_seconds",
]

RETRY_AFTER_MAX = 30 * 86_400.0  # seconds

#: What :func:`request_error` classifies; anything else is a bug, left to crash.
REQUEST_FAILURES = (httpx.HTTPError, httpx.InvalidURL, zlib.error)


def request_error(exc: Exception, *, url: str, deadline: float, timeout: float) -> SourceError:
    """The source error for ``exc``, one of :data:`REQUEST_FAILURES` raised while
    requesting ``url`` (its overall ``deadline``, monotonic, after ``timeout`` seconds)."""
    if isinstance(exc, httpx.TimeoutException):
        code = "timeout_total" if time.monotonic() >= deadline else "timeout"
        return TransientError(code=code, params={"seconds": timeout})
    if isinstance(exc, zlib.error):
        return PermanentError(code="bad_compression")
    if isinstance(exc, httpx.ConnectError):
        params = {"reason": reason(exc), "host": urlsplit(url).hostname or ""}
        return TransientError(code=_connect_code(exc), params=params)
    if isinstance(exc, httpx.InvalidURL):
        # The request's URL was checked: httpx choked on a Location ("http:x")
        # that check_location let through.
        return invalid_url(exc, redirect=True)
    network = _network_code(exc) if isinstance(exc, httpx.HTTPError) else None
    if network is None:
        return TransientError(f"network error ({reason(exc)})")
    return TransientError(code=network, params={"reason": reason(exc)})


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions under it (httpx wraps httpcore, which wraps the OS error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _connect_code(exc: httpx.ConnectError) -> str:
    """Which of the catalogue's connection failures ``exc`` is."""
    for cause in _causes(exc):
        if isinstance(cause, ResolveError | socket.gaierror):
            return "dns"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return "tls_certificate"
        if isinstance(cause, ssl.SSLError):
            return "tls_failed"
        if isinstance(cause, ConnectionRefusedError):
            return "connect_refused"
        if isinstance(cause, ConnectionResetError | BrokenPipeError):
            return "connect_reset"
    return "connect_failed"


def _network_code(exc: httpx.HTTPError) -> str | None:
    """Which of the catalogue's network failures ``exc`` is, or ``None`` for a rare one."""
    for cause in _causes(exc):
        if isinstance(cause, ConnectionResetError | BrokenPipeError):
            return "network_reset"
    if isinstance(exc, httpx.RemoteProtocolError) and "disconnected" in str(exc).lower():
        return "network_closed"
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return "network_error"
    return None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse ``Retry-After`` as seconds or an HTTP-date; ``None`` if absent or invalid.

    At most 30 days: the number is the server's, of any length, and "9" * 30
    seconds overflowed the scheduler's ``timedelta`` (which caps it lower again).
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to isdigit(), not to float()
        return min(float(value), RETRY_AFTER_MAX)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return min(max(0.0, (when - now).total_seconds()), RETRY_AFTER_MAX)


_STATUS_CODES = {
    400: "http_bad_request",
    401: "http_unauthorized",
    403: "http_forbidden",
    404: "http_not_found",
    408: "http_timeout",
    410: "http_gone",
    429: "http_rate_limited",
}


def classify(response: Response) -> Response:
    """Return successful responses; raise the right ``SourceError`` for the others."""
    status = response.status
    if status < 300 or status == 304:
        return response
    retry_after = retry_after_seconds(response.headers.get("retry-after"))
    params = {"status": status}
    if status == 429 or status == 408:
        raise TransientError(code=_STATUS_CODES[status], params=params, retry_after=retry_after)
    if status >= 500:
        raise TransientError(code="http_server_error", params=params, retry_after=retry_after)
    code = _STATUS_CODES.get(status, "http_status")
    raise PermanentError(code=code, params=params, retry_after=retry_after)
