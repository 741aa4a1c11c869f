"""A stand-in for the system's name resolution (``socket.getaddrinfo``), for the
notifiers' tests: it answers the test's names with loopback addresses, hangs on
the names whose server is "dead", reads IP addresses as numbers and
``localhost`` from ``/etc/hosts``, and refuses every other name, so no test
ever sends a DNS query off this machine.

Installed in place of ``socket.getaddrinfo`` (:meth:`NameServer.install`):
smtplib, slack-sdk (urllib), Apprise (requests) and watchtower's own lookups
all go through it, as they all go through the system's resolver.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

_REAL = socket.getaddrinfo


class NameServer:
    """``answers``: name → address; ``hung``: names that do not answer until
    :attr:`release` is set (or ``hang`` seconds, then glibc's EAI_AGAIN)."""

    def __init__(
        self, answers: dict[str, str] | None = None, hung: tuple[str, ...] = (), hang: float = 10.0
    ) -> None:
        self.answers = dict(answers or {})
        self.hung = set(hung)
        self.hang = hang
        self.release = threading.Event()
        self.asked: list[tuple[str, str]] = []  # (name, thread that asked)
        self.pending: set[str] = set()  # hung names whose question is not answered yet
        self._lock = threading.Lock()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> NameServer:
        monkeypatch.setattr(socket, "getaddrinfo", self)
        return self

    def names(self) -> list[str]:
        """The names asked, in order (addresses read as numbers are not questions)."""
        return [name for name, _ in self.asked]

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            return _REAL(name, port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
        except socket.gaierror:
            pass  # a name, not an address
        with self._lock:
            self.asked.append((name, threading.current_thread().name))
        if name == "localhost":
            return _REAL(name, port, *args, **kwargs)
        if name in self.hung:
            with self._lock:
                self.pending.add(name)
            answered = self.release.wait(self.hang)
            with self._lock:
                self.pending.discard(name)
            if not answered:
                raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if name in self.answers:
            return _REAL(self.answers[name], port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
