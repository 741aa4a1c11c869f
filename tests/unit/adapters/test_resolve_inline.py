"""``Lookups(inline=…)``: the names given are read in the caller's thread, as IP
addresses are (the notifiers' ``localhost``); the sources give none, so their
``localhost`` still gets a thread of its own, bounded like any name."""

from __future__ import annotations

import socket
import threading
from typing import Any

from watchtower.adapters._resolve import Lookups


class Recorder:
    """Answers every name with 127.0.0.1 and notes the thread that asked."""

    def __init__(self) -> None:
        self.threads: list[str] = []

    def __call__(self, host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        self.threads.append(threading.current_thread().name)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]


def test_an_inline_name_is_read_in_the_callers_thread_whatever_its_case() -> None:
    resolver = Recorder()
    lookups = Lookups(resolver, inline=("localhost",))
    lookups.resolve("LocalHost", 25, 1.0)
    assert resolver.threads == [threading.current_thread().name]
    assert lookups.running == 0


def test_without_inline_names_localhost_is_looked_up_in_a_thread_as_before() -> None:
    resolver = Recorder()
    Lookups(resolver).resolve("localhost", 25, 5.0)
    assert resolver.threads == ["dns localhost"]
