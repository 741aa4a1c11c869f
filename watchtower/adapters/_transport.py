"""The HTTP transport under the shared client: one small connection pool per origin.

httpcore 1.0's connection pool walks every connection it holds, several times
over, each time a request starts or ends (quadratic in the number of
connections: encode/httpcore#1035). A daemon polling hundreds of feed hosts
keeps hundreds of connections, so one shared pool spent more CPU on its own
bookkeeping than on HTTP: one request after another to 250 local hosts cost
2.7 ms of CPU each with 100 connections kept alive, against 0.45 ms here
(``docs/polling.md``). Requests to one origin only ever need that origin's
connections, so each origin gets its own pool of at most ``per_origin``
connections (the fetcher never runs more at once per host), and the cost of a
request no longer grows with the number of hosts.

Pools are kept for the ``max_origins`` most recently used origins; beyond that,
the least recently used pool with no request in flight is closed, which bounds
idle sockets to ``max_origins × per_origin``.
"""

from __future__ import annotations

import ssl
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator

import httpcore
import httpx

__all__ = ["OriginPoolTransport"]

Origin = tuple[bytes, bytes, int | None]


class _OriginTransport(httpx.HTTPTransport):
    """httpx's transport (request/response mapping, errors) over a given httpcore pool."""

    def __init__(self, pool: httpcore.ConnectionPool, ssl_context: ssl.SSLContext) -> None:
        # httpx's constructor has no network backend argument: build it light (the
        # shared SSL context, no new one) and put our pool in place of its own.
        super().__init__(verify=ssl_context)
        self._pool = pool


class _ReleasingStream(httpx.SyncByteStream):
    """A response body that tells the transport when it is closed (request over)."""

    def __init__(self, inner: httpx.SyncByteStream, release: Callable[[], None]) -> None:
        self._inner = inner
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> Iterator[bytes]:
        yield from self._inner

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()


class OriginPoolTransport(httpx.BaseTransport):
    """An httpx transport with one httpcore pool per (scheme, host, port).

    ``backend`` makes every connection (the address guard and deadline of
    :mod:`watchtower.adapters._net`); thread-safe like httpcore's pool.
    """

    def __init__(
        self,
        backend: httpcore.NetworkBackend,
        *,
        per_origin: int,
        max_origins: int = 128,
        keepalive_expiry: float = 5.0,
    ) -> None:
        self._backend = backend
        self._per_origin = max(1, per_origin)
        self._max_origins = max(1, max_origins)
        self._keepalive_expiry = keepalive_expiry
        self._ssl_context = httpx.create_ssl_context()
        self._transports: OrderedDict[Origin, _OriginTransport] = OrderedDict()
        self._in_flight: dict[Origin, int] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        origin: Origin = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        transport = self._checkout(origin)
        try:
            response = transport.handle_request(request)
        except BaseException:
            self._checkin(origin)
            raise
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _ReleasingStream(response.stream, lambda: self._checkin(origin))
        return response

    @property
    def origins(self) -> int:
        """How many origins have a pool now."""
        with self._lock:
            return len(self._transports)

    def close(self) -> None:
        with self._lock:
            transports = list(self._transports.values())
            self._transports.clear()
        for transport in transports:
            transport.close()

    def _checkout(self, origin: Origin) -> _OriginTransport:
        evicted: list[_OriginTransport] = []
        with self._lock:
            transport = self._transports.get(origin)
            if transport is None:
                pool = httpcore.ConnectionPool(
                    ssl_context=self._ssl_context,
                    max_connections=self._per_origin,
                    max_keepalive_connections=self._per_origin,
                    keepalive_expiry=self._keepalive_expiry,
                    network_backend=self._backend,
                )
                transport = self._transports[origin] = _OriginTransport(pool, self._ssl_context)
            else:
                self._transports.move_to_end(origin)
            # Counted before evicting, so the pool just made is never the one dropped.
            self._in_flight[origin] = self._in_flight.get(origin, 0) + 1
            evicted = self._evict()
        for old in evicted:
            old.close()
        return transport

    def _checkin(self, origin: Origin) -> None:
        with self._lock:
            left = self._in_flight.get(origin, 0) - 1
            if left > 0:
                self._in_flight[origin] = left
            else:
                self._in_flight.pop(origin, None)

    def _evict(self) -> list[_OriginTransport]:
        """Drop least recently used idle pools beyond the limit (caller holds the lock)."""
        surplus = len(self._transports) - self._max_origins
        evicted: list[_OriginTransport] = []
        if surplus <= 0:
            return evicted
        for origin in list(self._transports):
            if len(evicted) >= surplus:
                break
            if origin not in self._in_flight:
                evicted.append(self._transports.pop(origin))
        return evicted
