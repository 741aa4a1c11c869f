"""The one HTTP client every adapter shares, and the one place fetch failures are classified.

Caps and timeouts: connect/read timeouts and an overall deadline per request,
enforced on every socket read (a server trickling one byte at a time, even in
its headers, cannot hold a worker); a cap on *decoded* bytes, enforced while
decompressing (a gzip bomb stops at the cap, memory stays bounded); redirects
followed by hand so each hop is re-checked (http/https only); private, loopback
and link-local addresses refused where the connection is made unless the
source allows them (:mod:`watchtower.adapters._net`); a per-host concurrency
limit and politeness delay; a User-Agent naming watchtower; cookies kept for
one fetch (its redirects) only; a URL the client cannot request (a redirect to
"http://[::1", an octal IPv4 host) refused as a plain error. Every failure
becomes a :class:`TransientError` or :class:`PermanentError` carrying a plain
sentence for the operator, as Miniflux's ``response_handler.go`` does.
"""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import SplitResult, urljoin, urlsplit

import httpx

from watchtower import __version__
from watchtower.adapters._net import (
    GuardedBackend,
    IPNetwork,
    ResolveError,
    Resolver,
    address_refusal,
    deadline_scope,
)
from watchtower.adapters._transport import OriginPoolTransport
from watchtower.errors import PermanentError, SourceError, TransientError

USER_AGENT = f"watchtower/{__version__} (+https://github.com/watchtower-veille/watchtower)"
MAX_REDIRECTS = 5
RETRY_AFTER_MAX = 30 * 86_400.0  # seconds


@dataclass
class Response:
    """A fetched body, already decoded from gzip/deflate and capped."""

    url: str
    status: int
    headers: httpx.Headers
    content: bytes

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class _Inflater:
    """Decodes ``Content-Encoding`` without ever producing more than ``budget`` bytes."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self._z: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj(32 + zlib.MAX_WBITS)  # zlib or gzip header
        elif encoding in ("", "identity"):
            self._z = None
        else:
            # The header is the server's words: shown, but never at any length.
            shown = encoding if len(encoding) <= 100 else encoding[:100] + "…"
            raise PermanentError(code="unsupported_compression", params={"encoding": shown})
        self._raw_deflate = encoding == "deflate"

    def feed(self, chunk: bytes, budget: int) -> Iterator[bytes]:
        if self._z is None:
            yield chunk
            return
        try:
            data = self._z.decompress(chunk, budget + 1)
        except zlib.error:
            if not self._raw_deflate:
                raise
            # Some servers send raw deflate without the zlib header.
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            data = self._z.decompress(chunk, budget + 1)
        self._raw_deflate = False  # the format is settled after the first chunk
        yield data
        while self._z.unconsumed_tail:
            budget -= len(data)
            data = self._z.decompress(self._z.unconsumed_tail, max(budget, 0) + 1)
            yield data


@dataclass
class HttpFetcher:
    """A shared, thread-safe client with per-host concurrency limits and politeness.

    ``trusted_networks`` are always reachable, whatever a source's
    ``allow_private`` says (an intranet proxy; tests trust loopback so they can
    watch a redirect to a private address being refused). ``resolver`` replaces
    DNS in tests.
    """

    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_bytes: int = 10_000_000
    per_host: int = 2
    politeness_delay: float = 0.25
    user_agent: str = USER_AGENT
    trusted_networks: Iterable[str] = ()
    resolver: Resolver = socket.getaddrinfo
    sleep: Callable[[float], None] = time.sleep
    _trusted: tuple[IPNetwork, ...] = field(init=False, repr=False)
    _clients: dict[bool, httpx.Client] = field(init=False, repr=False)
    _hosts: dict[str, threading.BoundedSemaphore] = field(init=False, repr=False)
    _next_at: dict[str, float] = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._trusted = tuple(ipaddress.ip_network(n) for n in self.trusted_networks)
        # One client per address policy, so a pooled connection made for an
        # allow_private source is never reused by a source without it.
        self._clients = {
            allow: httpx.Client(
                transport=OriginPoolTransport(
                    GuardedBackend(
                        allow_private=allow, trusted=self._trusted, resolver=self.resolver
                    ),
                    per_origin=self.per_host,
                ),
                timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                cookies=CookieJar(policy=_NO_COOKIES),
                follow_redirects=False,
                event_hooks={"response": [_check_location]},
                headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            )
            for allow in (False, True)
        }
        self._hosts = defaultdict(lambda: threading.BoundedSemaphore(self.per_host))
        self._next_at = {}

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    @contextmanager
    def _host_slot(self, host: str, deadline: float) -> Iterator[float]:
        """Hold one of the host's ``per_host`` slots, after its politeness delay;
        yield how long that delay was.

        Waiting for a slot counts against the request's deadline: a fetch stuck
        behind hung fetches of the same site fails as ``host_busy`` (not as a
        slow answer of a server it never asked) when its time is up. The
        politeness delay is ours, not the server's: the caller moves the
        deadline by it.
        """
        with self._lock:
            slot = self._hosts[host]
        if not slot.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise TransientError(code="host_busy", params={"seconds": self.timeout})
        try:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_at.get(host, now))
                self._next_at[host] = start + self.politeness_delay
            if start > now:
                self.sleep(start - now)
            yield max(0.0, start - now)
        finally:
            slot.release()

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
        allow_private: bool = False,
        credentials: Mapping[str, str] | None = None,
    ) -> Response:
        """GET ``url`` with conditional headers; raise ``SourceError`` on any failure.

        ``credentials`` (headers such as Discourse's ``Api-Key``) go only to
        ``url``'s origin: a redirect elsewhere is followed without them.
        """
        headers = {"Accept": accept, **(credentials or {})}
        origin = _parse_url(url)[0][:2]
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = time.monotonic() + self.timeout
        # Cookies live as long as one fetch: a cookie-check redirect works, but no
        # site grows a jar kept for the daemon's life, nor follows it across sources.
        cookies = httpx.Cookies()
        seen: list[str] = []
        for hop in range(MAX_REDIRECTS + 1):
            try:
                check_url(url, allow_private=allow_private, trusted=self._trusted)
                seen.append(url)
                host = urlsplit(url).hostname or ""
                with self._host_slot(host, deadline) as polite:
                    deadline += polite
                    response = self._get_once(url, headers, deadline, allow_private, cookies)
            except PermanentError as exc:
                if hop and exc.code in _REDIRECTED:
                    # The same English message; the ops alert says it was a redirect.
                    raise PermanentError(code=_REDIRECTED[exc.code], params=exc.params) from None
                raise
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise PermanentError(
                        code="redirect_nowhere", params={"status": response.status}
                    )
                url = _redirect_target(url, location)
                if credentials and urlsplit(url)[:2] != origin:
                    headers = {k: v for k, v in headers.items() if k not in credentials}
                if url in seen:
                    raise PermanentError(code="redirect_loop")
                continue
            return classify(response)
        raise PermanentError(code="redirect_too_many", params={"limit": MAX_REDIRECTS})

    def _get_once(
        self,
        url: str,
        headers: dict[str, str],
        deadline: float,
        allow_private: bool,
        cookies: httpx.Cookies,
    ) -> Response:
        client = self._clients[allow_private]
        try:
            request = client.build_request("GET", url, headers=headers)
            cookies.set_cookie_header(request)
            with deadline_scope(deadline), _streamed(client.send(request, stream=True)) as response:
                cookies.extract_cookies(response)
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise self._too_big()
                inflater = _Inflater(response.headers.get("content-encoding", ""))
                chunks: list[bytes] = []
                size = raw_size = 0
                for raw in response.iter_raw():
                    raw_size += len(raw)
                    for chunk in inflater.feed(raw, self.max_bytes - size):
                        size += len(chunk)
                        if size > self.max_bytes or raw_size > self.max_bytes:
                            raise self._too_big()
                        chunks.append(chunk)
                return Response(
                    str(response.url), response.status_code, response.headers, b"".join(chunks)
                )
        except SourceError:
            raise
        except httpx.TimeoutException:
            code = "timeout_total" if time.monotonic() >= deadline else "timeout"
            raise TransientError(code=code, params={"seconds": self.timeout}) from None
        except zlib.error:
            raise PermanentError(code="bad_compression") from None
        except httpx.ConnectError as exc:
            params = {"reason": _reason(exc), "host": urlsplit(url).hostname or ""}
            raise TransientError(code=_connect_code(exc), params=params) from None
        except httpx.InvalidURL as exc:
            # The request's URL was checked: httpx choked on a Location ("http:x")
            # that _check_location let through.
            raise _invalid_url(exc, redirect=True) from None
        except httpx.HTTPError as exc:
            network = _network_code(exc)
            if network is None:
                raise TransientError(f"network error ({_reason(exc)})") from None
            raise TransientError(code=network, params={"reason": _reason(exc)}) from None

    def _too_big(self) -> PermanentError:
        return PermanentError(code="too_large", params={"limit": self.max_bytes})


#: The shared clients store no cookie: :meth:`HttpFetcher.get` keeps its own per fetch.
_NO_COOKIES = DefaultCookiePolicy(allowed_domains=[])


@contextmanager
def _streamed(response: httpx.Response) -> Iterator[httpx.Response]:
    """Close a streamed response (its connection back to the pool) however reading ends."""
    try:
        yield response
    finally:
        response.close()


def _check_location(response: httpx.Response) -> None:
    """A response hook: refuse a redirect's ``Location`` before httpx reads it.

    httpx builds the next request of every redirect, followed or not, and a
    Location such as ``javascript:alert(1)``, ``mailto:`` or ``data:`` raised
    ``InvalidURL`` (no ``httpx.HTTPError``) there: the adapter crashed.
    """
    location = response.headers.get("location")
    if response.has_redirect_location and location:
        _redirect_target(str(response.request.url), location)


def _redirect_target(url: str, location: str) -> str:
    """Where a redirect from ``url`` to ``location`` leads; :class:`PermanentError`
    when it is not an http(s) URL the client can request."""
    try:
        target = urljoin(url, location.strip())
    except ValueError as exc:  # "http://[::1": urllib raises on a bad IPv6 host
        raise _invalid_url(exc, redirect=True) from None
    parts, hostname = _parse_url(target, redirect=True)
    if parts.scheme not in ("http", "https"):
        raise PermanentError(code="scheme_refused", params={"scheme": parts.scheme or "a"})
    if not hostname:
        raise _invalid_url(ValueError("no host name"), redirect=True)
    return target


# An address refused on a redirect's hop, rather than the source's own URL.
_REDIRECTED = {
    "url_address_refused": "redirect_url_refused",
    "host_address_refused": "redirect_host_refused",
}


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


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.split("\n")[0][:200]


def check_url(url: str, *, allow_private: bool = False, trusted: Iterable[IPNetwork] = ()) -> None:
    """Refuse, before any connection, non-http(s) URLs and hosts written as refused addresses.

    Names are checked again after resolution, where the connection is made
    (:class:`~watchtower.adapters._net.GuardedBackend`).
    """
    parts, hostname = _parse_url(url)
    if parts.scheme not in ("http", "https"):
        raise PermanentError(code="scheme_refused", params={"scheme": parts.scheme or "a"})
    if not hostname:
        raise _invalid_url(ValueError("no host name"))
    try:
        address = ipaddress.ip_address(hostname)
    except ValueError:
        return
    refusal = address_refusal(address, allow_private=allow_private, trusted=trusted)
    if refusal is not None:
        shown, problem = refusal
        raise PermanentError(
            code="url_address_refused", params={"url": url, "problem": problem, "address": shown}
        )


def _parse_url(url: str, *, redirect: bool = False) -> tuple[SplitResult, str | None]:
    """``url`` split, and its host name; :class:`PermanentError` if the client could
    not request it.

    httpx refuses octal IPv4 hosts ("0177.0.0.1"), invalid IDNA ("ⓛⓞⓒⓐⓛⓗⓞⓢⓣ"),
    bad ports and control characters with ``InvalidURL``, which is no
    ``httpx.HTTPError``: left to the request, a source's URL or a redirect's
    ``Location`` would crash the adapter.
    """
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
        if parts.scheme in ("http", "https"):
            httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise _invalid_url(exc, redirect=redirect) from None
    return parts, hostname


def _invalid_url(exc: Exception, *, redirect: bool = False) -> PermanentError:
    """A URL the client cannot request, as a plain sentence without the URL itself
    (a redirect's is the server's words, a source's may carry a token)."""
    reason = _reason(exc)
    if redirect:
        return PermanentError(f"the server redirected to an invalid URL ({reason})")
    return PermanentError(f"the address is not a valid URL ({reason})")


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse ``Retry-After`` as seconds or an HTTP-date; ``None`` if absent or invalid.

    At most 30 days: the number is the server's, of any length, and "9" * 30
    seconds overflowed the scheduler's ``timedelta`` (which caps it lower again).
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
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
