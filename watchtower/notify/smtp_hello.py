"""The name this machine gives in EHLO, looked up once per process within a bound.

smtplib names the client with ``socket.getfqdn()`` when it is given no
``local_hostname``: a reverse lookup (``gethostbyaddr``) of this machine's name
with no timeout, for every SMTP session. A dead name server held the e-mail
drain for glibc's 5 s per attempt, per name server, on every e-mail, before the
server's own name (bounded in :mod:`watchtower.notify.lookups`) was even asked.

So the name is looked up once, in a daemon thread of its own
(:class:`LocalName`); the first sessions wait for it at most
:data:`LOOKUP_WAIT` seconds after it started (less when the send's timeout is
shorter), later ones not at all. Until it answers with a domain name, or when
it answers none (a name without a dot, as smtplib also refuses, or not a valid
domain), a session names itself by its own address as RFC 5321 §4.1.3 writes
it, ``[192.0.2.10]`` or ``[IPv6:2001:db8::10]``: the address the server sees
the connection come from, without another lookup (smtplib would look the
machine's name up again with ``gethostbyname``).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable

__all__ = ["LOCAL_NAME", "LOOKUP_WAIT", "LocalName", "address_literal", "hello_name"]

#: Seconds the first sessions wait, at most, for this machine's name.
LOOKUP_WAIT = 2.0

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _domain(name: str) -> str | None:
    """``name`` when it is a dotted domain name EHLO may carry, else ``None``."""
    name = name.rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    return name


def _fqdn() -> str:
    """``socket.getfqdn()``, read at each call (a test's stand-in covers it)."""
    return socket.getfqdn()


class LocalName:
    """This machine's domain name, looked up by ``find`` (``socket.getfqdn``) in
    one thread, started by the first :meth:`get`; thread-safe."""

    def __init__(
        self,
        find: Callable[[], str] = _fqdn,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.find = find
        self.clock = clock
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._started: float | None = None
        self._name: str | None = None

    def get(self, wait: float) -> str | None:
        """The domain name, or ``None`` while it is not known (or never will be).

        Waits only while the lookup is less than ``wait`` seconds old: once a
        session has waited that long in vain, the others do not wait again.
        """
        with self._lock:
            if self._started is None:
                self._started = self.clock()
                threading.Thread(target=self._run, name="ehlo name", daemon=True).start()
            remaining = self._started + wait - self.clock()
        if remaining > 0:
            self._done.wait(remaining)
        return self._name if self._done.is_set() else None

    def _run(self) -> None:
        try:
            self._name = _domain(self.find())
        except Exception:  # a lookup error: no name, the address stands in
            self._name = None
        finally:
            self._done.set()


#: The one lookup of the process.
LOCAL_NAME = LocalName()


def address_literal(sock: socket.socket | None) -> str:
    """The connection's own address as EHLO writes one (RFC 5321 §4.1.3);
    the loopback's when there is no connection to read it from."""
    if sock is None:
        return "[127.0.0.1]"
    try:
        host = str(sock.getsockname()[0])
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except (OSError, ValueError, IndexError, TypeError):
        return "[127.0.0.1]"
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return f"[{address.ipv4_mapped}]"
        return f"[IPv6:{address}]"
    return f"[{address}]"


def hello_name(
    sock: socket.socket | None, timeout: float | None, *, local: LocalName | None = None
) -> str:
    """What EHLO names this machine as on ``sock``: its domain name when known
    within a bound (:data:`LOOKUP_WAIT`, at most a quarter of ``timeout``),
    else the connection's own address."""
    bound = LOOKUP_WAIT if timeout is None else min(LOOKUP_WAIT, timeout / 4)
    name = (LOCAL_NAME if local is None else local).get(bound)
    return name or address_literal(sock)
