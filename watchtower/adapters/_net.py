"""The socket layer under the shared HTTP client: address guard and overall deadline.

Checking a URL's host before the request is not enough: a public name can
resolve to ``169.254.169.254`` (or be re-bound between the check and the
connect), and a redirect can point anywhere. So the check happens where the
connection is made: :class:`GuardedBackend` is the httpcore network backend; it
resolves the name itself, refuses non-public addresses unless allowed, and
connects to the very address it checked. Its streams also clamp every read and
write to the request's overall deadline, so a server trickling bytes (even
inside the headers) cannot hold a worker past it.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpcore

from watchtower.errors import PermanentError

__all__ = ["GuardedBackend", "address_problem", "deadline_scope"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

_state = threading.local()


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


def address_problem(
    address: IPAddress, *, allow_private: bool, trusted: Iterable[IPNetwork] = ()
) -> str | None:
    """Why connecting to ``address`` is refused, or ``None`` when it is allowed."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if any(address in network for network in trusted):
        return None
    if address.is_multicast or address.is_unspecified:
        return f"{address} is not a host address"
    if address.is_global or allow_private:
        return None
    if address.is_loopback:
        label = "a loopback"
    elif address.is_link_local:
        label = "a link-local"
    else:
        label = "a private or reserved"
    return f"{address} is {label} address (set allow_private = true on the source to permit it)"


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
    """httpcore's socket backend, with the address guard and the deadline clamp."""

    def __init__(
        self,
        *,
        allow_private: bool,
        trusted: Iterable[IPNetwork] = (),
        resolver: Resolver = socket.getaddrinfo,
    ) -> None:
        self.allow_private = allow_private
        self.trusted = tuple(trusted)
        self.resolver = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _clamp(timeout)
        try:
            infos = self.resolver(host, port, 0, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from None
        allowed: list[str] = []
        refused: str | None = None
        for _family, _type, _proto, _name, sockaddr in infos:
            text = str(sockaddr[0])
            problem = address_problem(
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
            raise PermanentError(f"refused to connect to {host}: {refused or 'no address'}")
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
