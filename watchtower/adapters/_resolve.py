"""Host name lookups that end by the fetch's deadline.

``getaddrinfo`` is a blocking C call that no timeout reaches: a dead name
server, or a firewall dropping UDP port 53, holds it for glibc's 5 s per
attempt, per name server, per search domain, well past a source's deadline, and
enough such sources take every poll worker. So each lookup runs in a thread of
its own and the fetch waits for it at most its remaining time
(:meth:`Lookups.resolve`); past it the fetch fails with ``dns_timeout`` naming
the host, and the lookup is left to end on its own.

A lookup left running still holds its thread, so they are bounded: fetches of
one name (and port) while its lookup runs wait for that lookup rather than start
another (a name whose server is dead keeps one thread however many rounds ask
for it), and at most ``limit`` lookups run at once. Past the limit a fetch
fails at once with ``dns_stuck`` instead of starting a thread: with that many
lookups unanswered, name resolution is broken for now, and waiting would only
hold a poll worker. Lookup threads are daemon threads, so a stuck one never
delays the daemon's exit.

An IP address needs no query and is read in the caller's thread, as are the
names given as ``inline`` (the notifiers' ``localhost``, which ``/etc/hosts``
answers; the sources give none).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from watchtower.errors import TransientError
from watchtower.logs import kv

__all__ = ["DEFAULT_LIMIT", "Lookups", "Resolver"]

Resolver = Callable[..., Sequence[tuple[Any, ...]]]

#: Lookups running at once, at most (the poll runs 20 workers by default).
DEFAULT_LIMIT = 32

log = logging.getLogger("watchtower.dns")


class _Lookup:
    """One running lookup; every fetch of its name waits on ``done``."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.started = time.monotonic()
        self.answer: Sequence[tuple[Any, ...]] = ()
        self.error: BaseException | None = None


class Lookups:
    """``resolver`` (``socket.getaddrinfo`` by default, a stub in tests) bounded in
    time by each caller, and in threads by ``limit``; thread-safe. The names in
    ``inline`` (any case) are looked up in the caller's thread, as IP addresses are."""

    def __init__(
        self,
        resolver: Resolver = socket.getaddrinfo,
        *,
        limit: int = DEFAULT_LIMIT,
        inline: Iterable[str] = (),
    ):
        self.resolver = resolver
        self.limit = max(1, limit)
        self.inline = frozenset(name.lower() for name in inline)
        self._running: dict[tuple[str, int], _Lookup] = {}
        self._lock = threading.Lock()
        self._full = False  # an episode of lookups refused at the limit is logged once

    @property
    def running(self) -> int:
        """Lookups running now, answered or not yet abandoned."""
        with self._lock:
            return len(self._running)

    def resolve(self, host: str, port: int, timeout: float | None) -> Sequence[tuple[Any, ...]]:
        """``getaddrinfo(host, port, 0, SOCK_STREAM)`` within ``timeout`` seconds
        (``None``: no bound); its own errors (``socket.gaierror``) as they are.

        Raise :class:`TransientError` ``dns_timeout`` when the answer takes longer,
        ``dns_stuck`` when ``limit`` lookups already run.
        """
        if _is_address(host) or host.lower() in self.inline:
            return self.resolver(host, port, 0, socket.SOCK_STREAM)
        key = (host, port)
        with self._lock:
            lookup = self._running.get(key)
            if lookup is None:
                if len(self._running) >= self.limit:
                    full, self._full = self._full, True
                    if not full:
                        log.warning(
                            "DNS lookups are not answering: new ones fail until one ends",
                            extra=kv(running=self.limit, host=host),
                        )
                    params = {"host": host, "count": self.limit}
                    raise TransientError(code="dns_stuck", params=params)
                lookup = self._running[key] = _Lookup()
                threading.Thread(
                    target=self._run, args=(key, lookup), name=f"dns {host}", daemon=True
                ).start()
        if not lookup.done.wait(timeout):
            assert timeout is not None
            params = {"host": host, "seconds": round(timeout, 1)}
            raise TransientError(code="dns_timeout", params=params)
        if lookup.error is not None:
            raise lookup.error
        return lookup.answer

    def _run(self, key: tuple[str, int], lookup: _Lookup) -> None:
        try:
            lookup.answer = self.resolver(key[0], key[1], 0, socket.SOCK_STREAM)
        except BaseException as exc:  # handed to the waiting fetches, raised there
            lookup.error = exc
        finally:
            with self._lock:
                del self._running[key]
                if self._full and len(self._running) < self.limit:
                    self._full = False
                    log.info(
                        "DNS lookups answer again",
                        extra=kv(host=key[0], took=f"{time.monotonic() - lookup.started:.1f}s"),
                    )
            lookup.done.set()


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True
