"""The one HTTP client every adapter shares.

Caps and timeouts: connect/read timeouts and an overall deadline per request,
enforced on every socket read (a server trickling one byte at a time, even in
its headers, cannot hold a worker); a cap on *decoded* bytes, enforced while
decompressing (a gzip bomb stops at the cap, memory stays bounded); redirects
followed by hand so each hop is re-checked (:mod:`watchtower.adapters._urls`:
http/https only, a URL the client cannot request refused as a plain error);
private, loopback and link-local addresses refused where the connection is
made unless the source allows them (:mod:`watchtower.adapters._net`); a
per-host concurrency limit and politeness delay (a fetch that waits too long
for its site's slot is put off, not failed: :meth:`HttpFetcher._host_slot`); a
User-Agent naming watchtower; cookies kept for one fetch (its redirects) only.
Every failure becomes a :class:`TransientError` or :class:`PermanentError`
carrying a plain sentence for the operator, classified in one place
(:mod:`watchtower.adapters._http_errors`). A form POST (an OAuth token request)
goes through the same guards, deadline, cap and error mapping
(:meth:`HttpFetcher.post_form`).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urlsplit

import httpx

from watchtower import __version__
from watchtower.adapters._http_errors import (
    REQUEST_FAILURES,
    classify,
    request_error,
    retry_after_seconds,
)
from watchtower.adapters._inflate import Inflater
from watchtower.adapters._net import GuardedBackend, IPNetwork, deadline_scope
from watchtower.adapters._resolve import Lookups, Resolver
from watchtower.adapters._transport import OriginPoolTransport
from watchtower.adapters._urls import (
    check_location,
    check_url,
    parse_url,
    redirect_target,
    redirected,
)
from watchtower.errors import PermanentError, TransientError
from watchtower.logs import kv

# classify and retry_after_seconds are imported from here by the adapters.
__all__ = [
    "MAX_REDIRECTS",
    "USER_AGENT",
    "HttpFetcher",
    "Response",
    "classify",
    "retry_after_seconds",
]

USER_AGENT = f"watchtower/{__version__} (+https://github.com/watchtower-veille/watchtower)"
MAX_REDIRECTS = 5

log = logging.getLogger("watchtower.http")


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


@dataclass
class HttpFetcher:
    """A shared, thread-safe client with per-host concurrency limits and politeness.

    ``trusted_networks`` are always reachable, whatever a source's
    ``allow_private`` says (an intranet proxy; tests trust loopback so they can
    watch a redirect to a private address being refused). ``resolver`` replaces
    DNS in tests; :attr:`lookups` bounds it by each request's deadline.
    ``host_wait`` bounds the wait for a site's slot (``None``: twice
    ``timeout``, see :meth:`_host_slot`).
    """

    timeout: float = 30.0
    connect_timeout: float = 10.0
    max_bytes: int = 10_000_000
    per_host: int = 2
    politeness_delay: float = 0.25
    host_wait: float | None = None
    user_agent: str = USER_AGENT
    trusted_networks: Iterable[str] = ()
    resolver: Resolver = socket.getaddrinfo
    sleep: Callable[[float], None] = time.sleep
    #: Name lookups bounded by each request's deadline, shared with the IMAP source.
    lookups: Lookups = field(init=False, repr=False)
    _trusted: tuple[IPNetwork, ...] = field(init=False, repr=False)
    _clients: dict[bool, httpx.Client] = field(init=False, repr=False)
    _hosts: dict[str, threading.BoundedSemaphore] = field(init=False, repr=False)
    _next_at: dict[str, float] = field(init=False, repr=False)
    #: Per host: fetches holding or waiting for one of its slots; its episode of
    #: fetches put off (``host_busy``), until none is left.
    _active: dict[str, int] = field(init=False, repr=False, default_factory=dict)
    _busy: dict[str, _BusySite] = field(init=False, repr=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._trusted = tuple(ipaddress.ip_network(n) for n in self.trusted_networks)
        self.lookups = Lookups(self.resolver)
        # One client per address policy, so a pooled connection made for an
        # allow_private source is never reused by a source without it.
        self._clients = {
            allow: httpx.Client(
                transport=OriginPoolTransport(
                    GuardedBackend(
                        allow_private=allow, trusted=self._trusted, lookups=self.lookups
                    ),
                    per_origin=self.per_host,
                ),
                timeout=httpx.Timeout(self.timeout, connect=self.connect_timeout),
                cookies=CookieJar(policy=_NO_COOKIES),
                follow_redirects=False,
                event_hooks={"response": [check_location]},
                headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
            )
            for allow in (False, True)
        }
        self._hosts = defaultdict(lambda: threading.BoundedSemaphore(self.per_host))
        self._next_at = {}

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    @property
    def slot_wait(self) -> float:
        """Seconds a fetch waits for one of its site's slots before it is put off."""
        return 2 * self.timeout if self.host_wait is None else self.host_wait

    @contextmanager
    def _host_slot(self, host: str, url: str) -> Iterator[float]:
        """Hold one of the host's ``per_host`` slots, after its politeness delay;
        yield how long the fetch waited for both.

        Neither wait counts against the request's deadline (the caller moves it
        by the yielded seconds): the deadline bounds how long *the server* takes,
        and the time spent queued behind our own fetches of the same site is not
        the server's. The wait for a slot has its own bound, :attr:`slot_wait`
        (twice the request timeout by default): every fetch holding a slot gives
        it back within its own deadline, so a fetch queued behind one wave of
        hung fetches, and behind the fast ones queued with it, gets its turn;
        and the bound stays short, because a waiting fetch holds a poll worker
        that the sources of other sites need (waiting up to a source's interval,
        an hour, would starve them). Past it the fetch raises ``host_busy``: it
        never asked the server, and the poll puts the source off to its next
        round instead of counting a failure (:mod:`watchtower.poll_deferral`).
        The first fetch put off logs a warning for the host; when no fetch of it
        is left, one line says how many sources waited (:meth:`_left`).
        """
        began = time.monotonic()
        with self._lock:
            slot = self._hosts[host]
            self._active[host] = self._active.get(host, 0) + 1
        try:
            if not slot.acquire(timeout=self.slot_wait):
                self._put_off(host, url)
                raise TransientError(
                    code="host_busy", params={"seconds": self.slot_wait, "host": host}
                )
            try:
                with self._lock:
                    now = time.monotonic()
                    start = max(now, self._next_at.get(host, now))
                    self._next_at[host] = start + self.politeness_delay
                if start > now:
                    self.sleep(start - now)
                yield max(0.0, start - began)
            finally:
                slot.release()
        finally:
            self._left(host)

    def _put_off(self, host: str, url: str) -> None:
        """Count a fetch of ``host`` put off; the first of an episode is logged."""
        with self._lock:
            busy = self._busy.get(host)
            if busy is None:
                busy = self._busy[host] = _BusySite(time.monotonic())
            first = not busy.urls
            busy.urls.add(url)  # in memory only: a feed's URL may carry a token
            busy.put_off += 1
        if first:
            log.warning(
                "fetches waited too long for other fetches of the same site: "
                "put off to the next round, not counted as failures",
                extra=kv(host=host, waited=f"{self.slot_wait:g}s", per_host=self.per_host),
            )

    def _left(self, host: str) -> None:
        """A fetch of ``host`` is done with its slot; the last one ends its episode."""
        with self._lock:
            self._active[host] -= 1
            if self._active[host]:
                return
            del self._active[host]
            busy = self._busy.pop(host, None)
        if busy is not None:
            log.info(
                "site free again after fetches waited for it",
                extra=kv(
                    host=host,
                    sources=len(busy.urls),
                    put_off=busy.put_off,
                    lasted=f"{time.monotonic() - busy.since:.0f}s",
                ),
            )

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
        origin = parse_url(url)[0][:2]
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
                with self._host_slot(host, url) as waited:
                    deadline += waited
                    response = self._send(
                        "GET", url, headers, deadline, allow_private, cookies=cookies
                    )
            except PermanentError as exc:
                moved = redirected(exc) if hop else None
                if moved is not None:
                    raise moved from None
                raise
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise PermanentError(
                        code="redirect_nowhere", params={"status": response.status}
                    )
                url = redirect_target(url, location)
                if credentials and urlsplit(url)[:2] != origin:
                    headers = {k: v for k, v in headers.items() if k not in credentials}
                if url in seen:
                    raise PermanentError(code="redirect_loop")
                continue
            return classify(response)
        raise PermanentError(code="redirect_too_many", params={"limit": MAX_REDIRECTS})

    def post_form(
        self,
        url: str,
        data: Mapping[str, str],
        *,
        accept: str = "*/*",
        allow_private: bool = False,
        max_bytes: int | None = None,
    ) -> Response:
        """POST ``data`` form-encoded to ``url``, once; its response, whatever its status.

        The same guards, deadline, cap (``max_bytes``, the fetcher's by default)
        and error mapping as :meth:`get`, but the status is the caller's to read
        (a token endpoint says what is wrong in a 400's body), and no redirect is
        followed: the form may carry a secret, which a 307 would send on.
        """
        check_url(url, allow_private=allow_private, trusted=self._trusted)
        deadline = time.monotonic() + self.timeout
        with self._host_slot(urlsplit(url).hostname or "", url) as waited:
            return self._send(
                "POST",
                url,
                {"Accept": accept},
                deadline + waited,
                allow_private,
                data=data,
                max_bytes=max_bytes,
            )

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        deadline: float,
        allow_private: bool,
        *,
        cookies: httpx.Cookies | None = None,
        data: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> Response:
        """One request, its body read under the cap; every failure a ``SourceError``."""
        client = self._clients[allow_private]
        limit = self.max_bytes if max_bytes is None else max_bytes
        too_big = PermanentError(code="too_large", params={"limit": limit})
        try:
            request = client.build_request(method, url, headers=headers, data=data)
            if cookies is not None:
                cookies.set_cookie_header(request)
            with deadline_scope(deadline), _streamed(client.send(request, stream=True)) as response:
                if cookies is not None:
                    cookies.extract_cookies(response)
                declared = response.headers.get("content-length", "")
                # isascii: "²" (byte 0xB2 read as latin-1) is a digit to isdigit(), not to int()
                if declared.isascii() and declared.isdigit() and int(declared) > limit:
                    raise too_big
                inflater = Inflater(response.headers.get("content-encoding", ""))
                chunks: list[bytes] = []
                size = raw_size = 0
                for raw in response.iter_raw():
                    raw_size += len(raw)
                    for chunk in inflater.feed(raw, limit - size):
                        size += len(chunk)
                        if size > limit or raw_size > limit:
                            raise too_big
                        chunks.append(chunk)
                return Response(
                    str(response.url), response.status_code, response.headers, b"".join(chunks)
                )
        except REQUEST_FAILURES as exc:
            raise request_error(exc, url=url, deadline=deadline, timeout=self.timeout) from None


@dataclass
class _BusySite:
    """An episode of a site whose fetches were put off (``host_busy``)."""

    since: float  # time.monotonic()
    urls: set[str] = field(default_factory=set)
    put_off: int = 0


#: The shared clients store no cookie: :meth:`HttpFetcher.get` keeps its own per fetch.
_NO_COOKIES = DefaultCookiePolicy(allowed_domains=[])


@contextmanager
def _streamed(response: httpx.Response) -> Iterator[httpx.Response]:
    """Close a streamed response (its connection back to the pool) however reading ends."""
    try:
        yield response
    finally:
        response.close()
