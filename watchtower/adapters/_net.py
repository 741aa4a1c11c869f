"""The socket layer under the shared HTTP client: address guard and overall deadline.

Checking a URL's host before the request is not enough: a public name can
resolve to ``169.254.169.254`` (or be re-bound between the check and the
connect), and a redirect can point anywhere. So the check happens where the
connection is made: :class:`GuardedBackend` is the httpcore network backend; it
resolves the name itself, refuses non-public addresses unless allowed, and
connects to the very address it checked; the lookup ends by the request's
deadline (:mod:`watchtower.adapters._resolve`). Its streams also clamp every read and
write to the request's overall deadline, so a server trickling bytes (even
inside the headers) cannot hold a worker past it.

An IPv6 address that carries an IPv4 one is judged by the IPv4 address, where
the packets end up: IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible
``::a.b.c.d``, 6to4 ``2002:AABB:CCDD::/48`` and NAT64 ``64:ff9b::a.b.c.d``
(``[64:ff9b::a9fe:a9fe]`` is the cloud metadata address through the host's
NAT64 gateway).

Every other address is judged by ``ipaddress``'s ``is_global``, whose tables
depend on the interpreter's patch release (CPython corrected them in 2024,
gh-113171, and unpatched 3.11 builds remain) and predate some IANA blocks. Two
rules refuse what one build or another calls global: an IPv6 address outside
``2000::/3``, the only block IANA allocates for global unicast, is never
global (local-use NAT64 ``64:ff9b:1::/48``, site-local ``fec0::/10``, SIIT's
IPv4-translated ``::ffff:0:a.b.c.d``, SRv6 ``5f00::/16``), nor is
``192.0.0.0/24`` (IETF protocol assignments, global past ``192.0.0.7`` to an
unpatched build).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from typing import Any

import httpcore

from watchtower.adapters._resolve import Lookups, Resolver
from watchtower.errors import PermanentError

__all__ = [
    "GuardedBackend",
    "ResolveError",
    "Resolver",
    "address_problem",
    "address_refusal",
    "deadline_scope",
    "embedded_ipv4",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_state = threading.local()

# Where an IPv6 address carries an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291, deprecated
# The IPv6 global unicast space; IANA has allocated nothing global outside it.
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
# Not globally reachable, yet global to unpatched interpreters (before gh-113171).
_PRIVATE_V4 = ipaddress.IPv4Network("192.0.0.0/24")


class deadline_scope:
    """Set the monotonic deadline of the request running in this thread."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline

    def __enter__(self) -> None:
        self.previous = getattr(_state, "deadline", None)
        _state.deadline = self.deadline

    def __exit__(self, *exc: object) -> None:
        _state.deadline = self.previous


def _clamp(timeout: float | None) -> float | None:
    deadline: float | None = getattr(_state, "deadline", None)
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise httpcore.ReadTimeout("the overall deadline of the request has passed")
    return remaining if timeout is None else min(timeout, remaining)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a connection to ``address`` reaches, if it carries one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):  # not :: or ::1
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


class ResolveError(httpcore.ConnectError):
    """The host name could not be resolved (the error code ``dns``, not a refused connection)."""


def address_problem(
    address: IPAddress, *, allow_private: bool, trusted: Iterable[IPNetwork] = ()
) -> str | None:
    """Why connecting to ``address`` is refused, or ``None`` when it is allowed."""
    refusal = address_refusal(address, allow_private=allow_private, trusted=trusted)
    return None if refusal is None else refusal[1]


def address_refusal(
    address: IPAddress, *, allow_private: bool, trusted: Iterable[IPNetwork] = ()
) -> tuple[str, str] | None:
    """``(address as shown, why it is refused)``, or ``None`` when it is allowed."""
    shown = str(address)
    if isinstance(address, ipaddress.IPv6Address):
        ipv4 = embedded_ipv4(address)
        if ipv4 is not None:
            shown = str(ipv4) if address.ipv4_mapped else f"{address} ({ipv4})"
            address = ipv4
    if any(address in network for network in trusted):
        return None
    if address.is_multicast or address.is_unspecified:
        return shown, f"{shown} is not a host address"
    if allow_private or (address.is_global and _globally_routed(address)):
        return None
    if address.is_loopback:
        label = "a loopback"
    elif address.is_link_local:
        label = "a link-local"
    else:
        label = "a private or reserved"
    return shown, (
        f"{shown} is {label} address (set allow_private = true on the source to permit it)"
    )


def _globally_routed(address: IPAddress) -> bool:
    """False in the blocks that ``is_global`` calls global on some builds only."""
    if isinstance(address, ipaddress.IPv6Address):
        return address in _GLOBAL_UNICAST_V6
    return address not in _PRIVATE_V4


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every operation ends by the request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, with the address guard and the deadline clamp.

    ``lookups`` resolves names within the deadline (:mod:`._resolve`); by
    default its own, over ``resolver``.
    """

    def __init__(
        self,
        *,
        allow_private: bool,
        trusted: Iterable[IPNetwork] = (),
        resolver: Resolver = socket.getaddrinfo,
        lookups: Lookups | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.trusted = tuple(trusted)
        # Shared by the fetcher's backends, so one bound holds for all of them.
        self.lookups = Lookups(resolver) if lookups is None else lookups

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            # Bounded by the deadline too: getaddrinfo itself has no timeout.
            infos = self.lookups.resolve(host, port, _clamp(timeout))
        except (socket.gaierror, UnicodeError) as exc:
            raise ResolveError(f"cannot resolve {host} ({exc})") from None
        timeout = _clamp(timeout)  # what the lookup left of it
        allowed: list[str] = []
        refused: tuple[str, str] | None = None
        for _family, _type, _proto, _name, sockaddr in infos:
            text = str(sockaddr[0])
            problem = address_refusal(
                ipaddress.ip_address(text.split("%", 1)[0]),
                allow_private=self.allow_private,
                trusted=self.trusted,
            )
            if problem is None:
                allowed.append(text)
            else:
                refused = refused or problem
        if not allowed:
            # Refused before any socket exists: nothing left the machine but a DNS query.
            if refused is None:
                raise PermanentError(code="host_no_address", params={"host": host})
            shown, why = refused
            raise PermanentError(
                code="host_address_refused", params={"host": host, "problem": why, "address": shown}
            )
        error: httpcore.ConnectError | None = None
        for address in dict.fromkeys(allowed):
            try:
                # Connect to the address that was checked; an IP literal is never re-resolved.
                stream = super().connect_tcp(
                    address,
                    port,
                    timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                error = exc
                continue
            return _DeadlineStream(stream)
        raise error or httpcore.ConnectError(f"cannot connect to {host}")
