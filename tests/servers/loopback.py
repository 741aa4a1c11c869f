"""A guard that stops every TCP connection outside loopback before a packet is sent."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest


def guard_loopback(
    monkeypatch: pytest.MonkeyPatch, refuse: type[Exception] = AssertionError
) -> list[tuple[str, int]]:
    """Patch ``socket.socket.connect`` (so httpcore, imaplib and anything else are
    covered): a non-loopback address raises ``refuse``; every attempt is recorded."""
    attempts: list[tuple[str, int]] = []
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            attempts.append((host, int(address[1])))
            if not ipaddress.ip_address(host.split("%", 1)[0]).is_loopback:
                raise refuse(f"a test tried to connect outside loopback: {address}")
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts
