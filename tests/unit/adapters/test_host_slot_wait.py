"""The wait for a site's slot: its own bound, not the request's deadline, and one log
line per episode of fetches put off (``host_busy``), not one per fetch."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.unit.adapters.conftest import ScriptedServer, reply
from watchtower.adapters._http import HttpFetcher
from watchtower.errors import SourceError, TransientError

RSS = b"<rss/>"


def fetcher(**overrides: Any) -> HttpFetcher:
    values: dict[str, Any] = {
        "timeout": 3.0,
        "connect_timeout": 2.0,
        "per_host": 1,
        "politeness_delay": 0.0,
        "trusted_networks": ["127.0.0.0/8"],
    }
    values.update(overrides)
    return HttpFetcher(**values)


def after(wait: Callable[[], object]) -> Callable[[BaseHTTPRequestHandler], None]:
    """A route that answers once ``wait`` returns (a server hung until then)."""
    answer = reply(RSS)

    def route(handler: BaseHTTPRequestHandler) -> None:
        wait()
        answer(handler)

    return route


class Hung:
    """A fetch of ``url`` running in a thread, holding its site's slot while the
    server hangs; what it ended with, once joined."""

    def __init__(self, http: HttpFetcher, url: str) -> None:
        self.error: SourceError | None = None
        self.thread = threading.Thread(target=self._run, args=(http, url), daemon=True)

    def _run(self, http: HttpFetcher, url: str) -> None:
        try:
            http.get(url)
        except SourceError as exc:
            self.error = exc

    def start(self, server: ScriptedServer, path: str) -> None:
        """Start the fetch; return once the server has it (it holds the slot)."""
        self.thread.start()
        while path not in server.hits:  # bounded by the test's timeout
            self.thread.join(0.01)
            assert self.thread.is_alive(), self.error


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # a hung server thread never outlives the test


@pytest.mark.timeout(30)
def test_a_fetch_queued_behind_a_hung_fetch_of_its_site_gets_its_own_full_time(
    server: ScriptedServer, release: threading.Event
) -> None:
    """The hung fetch times out on its own deadline; the fetch that waited for its
    slot meanwhile still has a whole request timeout for its server, which answers
    in less than that (counted from the start of the wait, it would have failed)."""
    server.routes["/hung"] = after(lambda: release.wait(20))
    server.routes["/slow"] = after(lambda: threading.Event().wait(0.8))
    http = fetcher(timeout=1.5)
    try:
        hung = Hung(http, server.url("/hung"))
        hung.start(server, "/hung")
        response = http.get(server.url("/slow"))  # queued about 1.5 s, answered in 0.8 s
        hung.thread.join()
    finally:
        http.close()
    assert response.status == 200 and response.content == RSS
    assert hung.error is not None and hung.error.code == "timeout_total"


def test_the_slot_wait_is_twice_the_request_timeout_unless_set() -> None:
    assert fetcher(timeout=30.0).slot_wait == 60.0
    assert fetcher(timeout=30.0, host_wait=5.0).slot_wait == 5.0


@pytest.mark.timeout(30)
def test_fetches_put_off_are_logged_once_per_site_then_how_many_sources_waited(
    server: ScriptedServer, release: threading.Event, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes["/hung"] = after(lambda: release.wait(20))
    for path in ("/a", "/b", "/c"):
        server.routes[path] = reply(RSS)
    http = fetcher(timeout=10.0, host_wait=0.2)
    caplog.set_level(logging.INFO, logger="watchtower.http")
    errors: list[TransientError] = []
    try:
        hung = Hung(http, server.url("/hung"))
        hung.start(server, "/hung")
        for path in ("/a", "/b", "/c", "/a"):  # /a put off twice: one source
            with pytest.raises(TransientError) as caught:
                http.get(server.url(path))
            errors.append(caught.value)
        said_while_busy = [r for r in caplog.records if r.name == "watchtower.http"]
        release.set()
        hung.thread.join()
        assert hung.error is None  # the hung fetch itself was answered in time
        assert http.get(server.url("/a")).status == 200  # the site's slot is free again
    finally:
        http.close()

    assert {e.code for e in errors} == {"host_busy"}
    assert {e.params["host"] for e in errors} == {"127.0.0.1"}
    assert errors[0].message == "waited 0.2s for other fetches from the same site to finish"
    assert server.hits.count("/a") == 1  # the ones put off never asked the server
    assert [(r.levelno, fields(r)) for r in said_while_busy] == [
        (logging.WARNING, {"host": "127.0.0.1", "waited": "0.2s", "per_host": 1})
    ]
    ended = [r for r in caplog.records if r.name == "watchtower.http"][1:]
    assert [(r.levelno, r.getMessage()) for r in ended] == [
        (logging.INFO, "site free again after fetches waited for it")
    ]
    assert {k: v for k, v in fields(ended[0]).items() if k != "lasted"} == {
        "host": "127.0.0.1",
        "sources": 3,
        "put_off": 4,
    }


@pytest.mark.timeout(30)
def test_a_new_episode_is_logged_again(
    server: ScriptedServer, release: threading.Event, caplog: pytest.LogCaptureFixture
) -> None:
    """Once no fetch of the site is left, the episode is over: the next fetch put
    off warns again (one line per episode, not one for the daemon's life)."""
    server.routes["/a"] = reply(RSS)
    http = fetcher(timeout=10.0, host_wait=0.2)
    caplog.set_level(logging.INFO, logger="watchtower.http")
    try:
        for n in range(2):
            gate = threading.Event()
            server.routes[f"/hung{n}"] = after(lambda gate=gate: gate.wait(20))
            hung = Hung(http, server.url(f"/hung{n}"))
            hung.start(server, f"/hung{n}")
            with pytest.raises(TransientError):
                http.get(server.url("/a"))
            gate.set()
            hung.thread.join()
    finally:
        http.close()
    levels = [r.levelno for r in caplog.records if r.name == "watchtower.http"]
    assert levels == [logging.WARNING, logging.INFO] * 2


def fields(record: logging.LogRecord) -> dict[str, Any]:
    return dict(getattr(record, "wt_fields", {}))
