"""``watchtower status`` for an operator at 3 a.m.: is the daemon running, what fails
and since when, what waits, how big the database is; ``--json`` for scripts; a
300-source config that still fits a screen (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.servers.http import FeedServer, Resource
from watchtower.cli import main
from watchtower.storage.db import Database
from watchtower.storage.tables import OutboxRow, SourceRow

ACME = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Acme ouvre une agence</title><link>https://a.example/1</link>
<guid>1</guid><description>Acme ouvre une agence.</description></item></channel></rss>"""


def config(database_url: str, feeds: FeedServer, extra: str = "") -> str:
    return f"""
[watchtower]
database_url = "{database_url}"
default_notify = ["console:"]
backlog = "all"
{extra}
[[brands]]
name = "Acme"
terms = ["Acme"]

[[sources]]
name = "a-good"
kind = "rss"
url = "{feeds.url("/ok.xml")}"
allow_private = true

[[sources]]
name = "b-gone"
kind = "rss"
url = "{feeds.url("/gone.xml")}"
allow_private = true

[[sources]]
name = "c-new"
kind = "rss"
url = "{feeds.url("/ok.xml")}?new"
allow_private = true
enabled = false
"""


def test_status_json_puts_failing_sources_first_with_their_error_and_the_database_size(
    database_url: str,
    feeds: FeedServer,
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    feeds.resources["/ok.xml"] = Resource(ACME)
    path = write_config(config(database_url, feeds))
    assert main(["run", "--once", "--config", str(path)]) == 1  # b-gone: 404
    capsys.readouterr()

    assert main(["status", "--json", "--config", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    states = [(s["name"], s["state"]) for s in report["sources"]]
    assert states == [("b-gone", "failing"), ("a-good", "ok"), ("c-new", "disabled")]
    gone = report["sources"][0]
    assert gone["last_error"] == "the page does not exist (404)"
    assert gone["failures"] == 1 and gone["last_error_at"] and gone["next_check"]
    assert report["outbox"]["counts"]["sent"] == 1 and report["outbox"]["waiting"] == 0
    assert report["database"]["schema"] == report["database"]["latest_schema"]
    assert report["database"]["size_bytes"] > 0
    assert report["daemon"]["live"] is None  # no [watchtower] http: cannot ask it
    assert report["daemon"]["last_fetch"] and report["daemon"]["last_delivery"]

    assert main(["status", "--config", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    # No [watchtower] http: the heartbeat of the `run --once` says what ran.
    assert lines[0].startswith("Daemon: not running; `run --once` last polled ")
    assert lines[1].startswith("  run --once on ") and "2 sources, 1 ok, 1 failed" in lines[1]
    assert lines[2].startswith("Database: ") and "schema " in lines[2]
    assert lines[3] == "Sources: 3 (1 failing, 1 ok, 1 disabled)"
    assert lines[4].startswith("  b-gone [rss] failing")
    assert lines[5].startswith("      last error (") and "the page does not exist (404)" in lines[5]
    assert lines[6].startswith("      failing since 20")


def test_status_with_300_sources_lists_those_needing_a_look(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'wt.db'}"
    sources = "".join(
        f'[[sources]]\nname = "s{i:03d}"\nkind = "rss"\nurl = "https://e{i}.example/f"\n'
        for i in range(300)
    )
    path = tmp_path / "watchtower.toml"
    path.write_text(
        f'[watchtower]\ndatabase_url = "{url}"\n[[brands]]\nname = "A"\nterms = ["A"]\n{sources}',
        "utf-8",
    )
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    now = datetime.now(UTC)
    db = Database(url)
    with db.session() as session:
        for i in range(300):
            failing = i in (7, 250)
            session.add(
                SourceRow(
                    name=f"s{i:03d}",
                    kind="rss",
                    url=f"https://e{i}.example/f",
                    next_check_at=now + timedelta(minutes=5),
                    last_success_at=None if failing else now,
                    consecutive_failures=3 if i == 250 else int(failing),
                    last_error="the site refused access (403)" if failing else None,
                    last_error_at=now if failing else None,
                )
            )
    db.dispose()
    capsys.readouterr()

    # No watchtower ever polled the database while the config has sources: status 1.
    assert main(["status", "--config", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Daemon: NOT SEEN: no watchtower has polled this database yet")
    assert len(out) < 15, out  # fits a terminal
    assert "Sources: 300 (2 failing, 298 ok); 298 not listed: --all lists them" in out
    listed = [line.split()[0] for line in out if line.startswith("  s")]
    assert listed == ["s250", "s007"]  # the most failures first

    assert main(["status", "--all", "--config", str(path)]) == 1
    assert len(capsys.readouterr().out.splitlines()) > 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_status_while_the_daemon_runs_asks_its_livez(
    tmp_path: Path, feeds: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds.resources["/ok.xml"] = Resource(ACME)
    port = _free_port()
    path = tmp_path / "watchtower.toml"
    path.write_text(
        config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, f'http = "0.0.0.0:{port}"'), "utf-8"
    )
    assert main(["status", "--live", "--config", str(path)]) == 1  # nothing runs yet
    assert "NOT LIVE" in capsys.readouterr().out
    daemon = subprocess.Popen(
        [sys.executable, "-m", "watchtower", "run", "--config", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=1).close()
                break
            except OSError:
                assert daemon.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        os.environ["http_proxy"] = "http://127.0.0.1:9"  # status goes direct to 127.0.0.1
        try:
            assert main(["status", "--live", "--config", str(path)]) == 0
            assert capsys.readouterr().out.startswith(f"live: http://127.0.0.1:{port}/livez")
            assert main(["status", "--config", str(path)]) == 0  # SQLite shared, not locked
            first = capsys.readouterr().out.splitlines()[0]
            assert first.startswith(f"Daemon: live: http://127.0.0.1:{port}/livez answering")
        finally:
            del os.environ["http_proxy"]
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
    assert main(["status", "--live", "--config", str(path)]) == 1


def test_status_live_without_http_is_a_usage_error(
    tmp_path: Path, feeds: FeedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "watchtower.toml"
    path.write_text(config(f"sqlite:///{tmp_path / 'none.db'}", feeds), "utf-8")
    assert main(["status", "--live", "--config", str(path)]) == 2
    assert "needs [watchtower] http" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()  # --live never opens the database


def test_status_names_paused_targets_since_when_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'wt.db'}"
    path = tmp_path / "watchtower.toml"
    brand = '[[brands]]\nname = "A"\nterms = ["A"]\n'
    path.write_text(f'[watchtower]\ndatabase_url = "{url}"\n{brand}', "utf-8")
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    now = datetime.now(UTC)
    hour_ago = now - timedelta(hours=1)
    db = Database(url)
    with db.session() as session:
        session.add_all(
            [
                OutboxRow(
                    dedup_key=f"ops:slack-paused:{hour_ago.date().isoformat()}",
                    target="console:",
                    status="sent",
                    payload={"title": "Slack is paused: invalid_auth"},
                    next_attempt_at=hour_ago,
                    created_at=hour_ago,
                ),
                OutboxRow(
                    dedup_key="m1", target="slack:#veille", next_attempt_at=now,
                    created_at=now - timedelta(minutes=50),
                ),
                OutboxRow(
                    dedup_key="m2", target="apprise:tgram://123456:SECRETTOKEN/42",
                    status="failed", last_error="Apprise: chat not found",
                    next_attempt_at=now, created_at=now,
                ),
            ]
        )  # fmt: skip
    db.dispose()
    capsys.readouterr()

    assert main(["status", "--json", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "SECRETTOKEN" not in out
    report = json.loads(out)
    [paused] = report["targets"]["paused"]
    assert paused["kind"] == "slack" and paused["reason"] == "Slack is paused: invalid_auth"
    assert datetime.fromisoformat(paused["since"]) == hour_ago.replace(microsecond=0)
    [failed] = report["targets"]["failed"]
    assert failed["failed"] == 1 and failed["last_error"] == "Apprise: chat not found"
    assert report["outbox"]["waiting"] == 1 and report["outbox"]["oldest_waiting"]

    assert main(["status", "--config", str(path)]) == 0
    text = capsys.readouterr().out
    assert "  1 to send, the oldest due since 20" in text and " (50m ago)\n" in text
    [paused_line] = [x for x in text.splitlines() if "paused since" in x]
    assert paused_line.startswith("  Slack paused since 20") and " (1h ago) " in paused_line
    assert paused_line.endswith(
        " (Slack is paused: invalid_auth): 1 notification waiting, next try at the next "
        "delivery round (ops were told)"
    )
    assert "  failed for apprise:tgram://" in text and "SECRETTOKEN" not in text
