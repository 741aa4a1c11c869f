"""``/metrics`` and ``/healthz`` on a running daemon: counters move, health follows the database."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.scenario import ACME_FR
from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.scheduler import Daemon
from watchtower.web import StatusServer


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def samples(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, body = get(base + "/metrics")
    assert status == 200
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.fixture
def running(
    tmp_path: Path, feeds: FeedServer, write_config: Callable[[str, str], Path]
) -> Iterator[tuple[App, StatusServer, Path]]:
    feeds.resources["/forum.rss"] = Resource(ACME_FR, "application/rss+xml")
    db_path = tmp_path / "wt.db"
    path = write_config(
        f"""
[watchtower]
backlog = "all"  # the fixtures are real feeds from past years
database_url = "sqlite:///{db_path}"
default_notify = ["console:#veille"]
poll_interval = "1s"
drain_interval = "1s"
http = "127.0.0.1:0"

[[brands]]
name = "Acmé"
terms = ["Acmé", "Banque Acmé"]

[[sources]]
name = "forum-conso"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
every = "1h"
allow_private = true
""",
        "watchtower.toml",
    )
    app = App(load_config(path), console=io.StringIO())
    app.start()
    daemon = Daemon(app)
    server = StatusServer(app, "127.0.0.1:0", lambda: daemon.last_tick).start()
    thread = threading.Thread(target=daemon.run_forever, daemon=True)
    thread.start()
    try:
        yield app, server, db_path
    finally:
        daemon.stop.set()
        thread.join(timeout=30)
        server.stop()
        app.close()


def test_metrics_move_as_a_run_delivers(running: tuple[App, StatusServer, Path]) -> None:
    _, server, _ = running
    target = "console:#veille"

    def delivered() -> bool:
        found = samples(server.url)
        return (
            value(found, "watchtower_outbox_depth", status="sent") >= 2
            and value(found, "watchtower_outbox_depth", status="pending") == 0
        )

    wait_until(delivered)
    found = samples(server.url)
    assert value(found, "watchtower_items_fetched_total", source="forum-conso") >= 4
    assert value(found, "watchtower_mentions_total", source="forum-conso") >= 2
    assert value(found, "watchtower_notifications_sent_total", target=target) >= 2
    assert value(found, "watchtower_poll_duration_seconds_count", kind="rss") >= 1
    assert value(found, "watchtower_notification_latency_seconds_count") >= 2
    assert (
        value(found, "watchtower_source_last_success_timestamp_seconds", source="forum-conso")
        > time.time() - 120
    )
    assert value(found, "watchtower_source_errors", source="forum-conso") == 0
    assert ("watchtower_outbox_oldest_age_seconds", ()) in found

    status, body = get(server.url + "/healthz")
    assert status == 200, body
    assert json.loads(body) | {"live": True, "ready": True, "status": "ok"} == json.loads(body)


def test_healthz_turns_unhealthy_when_the_database_is_gone(
    running: tuple[App, StatusServer, Path],
) -> None:
    _, server, db_path = running
    wait_until(lambda: get(server.url + "/healthz")[0] == 200)

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)

    status, body = get(server.url + "/healthz")
    assert status == 503
    data = json.loads(body)
    assert data["ready"] is False and data["database"] == "file deleted or replaced"
    assert str(db_path) in data["error"]
    assert data["live"] is True  # the scheduler itself still ticks
    assert get(server.url + "/readyz")[0] == 503
    assert get(server.url + "/livez")[0] == 200
    assert not db_path.exists()  # the probe never creates an empty database


def test_liveness_fails_when_the_scheduler_stops_ticking(
    running: tuple[App, StatusServer, Path],
) -> None:
    app, _, _ = running
    from datetime import UTC, datetime, timedelta

    stale = StatusServer(app, "127.0.0.1:0", lambda: datetime.now(UTC) - timedelta(hours=1)).start()
    try:
        status, body = get(stale.url + "/livez")
        assert status == 503 and json.loads(body)["live"] is False
    finally:
        stale.stop()


def test_an_address_in_use_stops_the_start_with_one_line(
    running: tuple[App, StatusServer, Path],
    write_config: Callable[[str, str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, server, db_path = running
    taken = server.url.removeprefix("http://")
    path = write_config(
        f'[watchtower]\ndatabase_url = "sqlite:///{db_path}"\nhttp = "{taken}"\n'
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n',
        "second.toml",
    )
    assert main(["run", "--config", str(path)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(lines)
    assert (
        f'ERROR watchtower.cli cannot start error="cannot serve [watchtower] http on {taken}'
        in lines[-1]
    )


def test_readyz_refuses_a_database_file_put_in_the_place_of_its_own(
    running: tuple[App, StatusServer, Path],
) -> None:
    # A valid database copied over the file (a restore done while running) would
    # answer the probe's fresh connection: readiness asks which file it is.
    _, server, db_path = running
    wait_until(lambda: get(server.url + "/readyz")[0] == 200)
    other = db_path.with_name("other.db")
    with sqlite3.connect(db_path) as source, sqlite3.connect(other) as copy:
        source.backup(copy)
    os.replace(other, db_path)

    status, body = get(server.url + "/readyz")
    assert status == 503
    data = json.loads(body)
    assert data["database"] == "file deleted or replaced"
    assert str(db_path) in data["error"]
