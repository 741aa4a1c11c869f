"""What ``watchtower status`` (another process, reading the database) shows about the
daemon's life: each process's heartbeat and last poll round, a config it refused,
since when a source fails, what a source's last fetch warned about — and exit 1 when
nobody polls the configured sources (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.clock import Clock
from tests.servers.http import FeedServer, Resource
from watchtower.app import App
from watchtower.cli import main
from watchtower.cli_db import _iso
from watchtower.config import load_config
from watchtower.heartbeat import FORGET_AFTER, Heartbeat
from watchtower.reload import Reloader
from watchtower.status_daemons import daemon_liveness
from watchtower.status_report import status_report
from watchtower.status_text import render_report
from watchtower.storage.daemons import daemon_rows
from watchtower.storage.db import Database
from watchtower.storage.tables import SourceRow

NOW = datetime(2026, 11, 25, 13, 2, tzinfo=UTC)  # 14:02 in Paris

EMPTY_FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
</channel></rss>"""


def html_page(*dates: str) -> bytes:
    articles = "".join(
        f'<article><h2><a href="/a{n}">Acmé {n}</a></h2><span class="date">{d}</span></article>'
        for n, d in enumerate(dates)
    )
    return f"<html><body>{articles}</body></html>".encode()


def config(database_url: str, feeds: FeedServer, *, forum_url: str | None = None) -> str:
    return f"""
[watchtower]
database_url = "{database_url}"
default_notify = ["console:"]
backlog = "all"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum"
kind = "rss"
url = "{forum_url or feeds.url("/f.xml")}"
allow_private = true

[[sources]]
name = "actus"
kind = "html"
url = "{feeds.url("/actus.html")}"
item = "article"
title = "h2"
date = "span.date"
allow_private = true
"""


@pytest.fixture
def setup(
    database_url: str, feeds: FeedServer, write_config: Callable[[str], Path]
) -> Iterator[tuple[Path, Callable[..., App]]]:
    feeds.resources["/f.xml"] = Resource(EMPTY_FEED)
    feeds.resources["/actus.html"] = Resource(html_page("25 nov. 2026"), "text/html")
    path = write_config(config(database_url, feeds))
    apps: list[App] = []

    def build(clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> App:
        app = App(load_config(path), clock=clock, console=io.StringIO())
        app.start()
        apps.append(app)
        return app

    yield path, build
    for app in apps:
        app.close()


def report_of(app: App, now: datetime) -> dict[str, Any]:
    with app.db.session() as session:
        report = status_report(session, app.loaded, now)
    report["daemon"].update(daemon_liveness(None))  # as the command adds it
    return report


def source(report: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [s for s in report["sources"] if s["name"] == name]
    return dict(found)


def status(path: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["status", *args, "--config", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ failing since
def test_failing_since_is_the_first_failure_of_the_run_and_a_success_clears_it(
    setup: tuple[Path, Callable[..., App]], feeds: FeedServer
) -> None:
    _, build = setup
    clock = Clock(NOW)
    app = build(clock)
    feeds.resources["/f.xml"] = Resource(b"boom", status=500)
    app.poller.poll(all_sources=True)
    clock.now = NOW + timedelta(hours=1)
    app.poller.poll(all_sources=True)  # a second failure: the run began at the first

    report = report_of(app, NOW + timedelta(hours=3))
    forum = source(report, "forum")
    assert forum["failures"] == 2 and forum["failing_since"] == NOW
    assert '"failing_since": "2026-11-25T13:02:00+00:00"' in json.dumps(report, default=_iso)
    text = render_report(report, NOW + timedelta(hours=3))
    assert "      failing since 2026-11-25 14:02 CET (3h ago)" in text.splitlines()

    feeds.resources["/f.xml"] = Resource(EMPTY_FEED)  # a quiet success (no items)
    app.poller.poll(all_sources=True)
    forum = source(report_of(app, NOW + timedelta(hours=3)), "forum")
    assert forum["state"] == "ok" and forum["failing_since"] is None
    with app.db.session() as session:
        row = session.query(SourceRow).filter_by(name="forum").one()
        assert row.failing_since is None

    feeds.resources["/f.xml"] = Resource(b"boom", status=500)
    clock.now = NOW + timedelta(days=1)
    app.poller.poll(all_sources=True)  # a new run of failures starts anew
    assert source(report_of(app, clock.now), "forum")["failing_since"] == clock.now


# ------------------------------------------------------------------ source warning
def test_a_fetch_warning_is_the_source_last_warning_until_a_fetch_has_none(
    setup: tuple[Path, Callable[..., App]], feeds: FeedServer
) -> None:
    _, build = setup
    app = build(Clock(NOW))
    feeds.resources["/actus.html"] = Resource(html_page("25 nov. 2026", "Acme"), "text/html")
    app.poller.poll(all_sources=True)

    actus = source(report_of(app, NOW), "actus")
    warning = "date = 'span.date': 1 of 2 entries have no readable date (such as 'Acme')"
    assert actus["state"] == "ok" and actus["last_warning"] == warning
    assert f"      last warning (0s ago): {warning}" in render_report(report_of(app, NOW), NOW)

    feeds.resources["/actus.html"] = Resource(
        html_page("25 nov. 2026", "24 nov. 2026"), "text/html"
    )
    app.poller.poll(all_sources=True)
    assert source(report_of(app, NOW), "actus")["last_warning"] is None
    assert "last warning" not in render_report(report_of(app, NOW), NOW)


# ------------------------------------------------------------------------ heartbeat
def test_a_polling_daemon_is_running_with_its_host_pid_version_and_last_round(
    setup: tuple[Path, Callable[..., App]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, build = setup
    app = build()
    app.poller.poll()  # a daemon's round: both sources are due

    code, out, _ = status(path, capsys, "--json")
    assert code == 0
    daemon = json.loads(out)["daemon"]
    assert daemon["seen"] is True
    [me] = daemon["instances"]
    assert (me["mode"], me["state"], me["pid"]) == ("daemon", "running", os.getpid())
    assert me["host"] == socket.gethostname() and me["version"]
    assert (me["round_sources"], me["round_ok"], me["round_failed"]) == (2, 2, 0)
    assert datetime.fromisoformat(me["seen_at"]) <= datetime.now(UTC)

    code, out, _ = status(path, capsys)
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("Daemon: running (1 instance, last heartbeat ")
    assert lines[1].startswith(f"  {socket.gethostname()} pid {os.getpid()} · watchtower ")
    # Real time passes between the round and the status (a loaded machine: seconds).
    assert re.search(r"last round with fetches [0-2]s ago: 2 sources, 2 ok, 0 failed", lines[1])


def test_a_daemon_without_heartbeat_for_a_few_ticks_is_not_seen_and_status_fails(
    setup: tuple[Path, Callable[..., App]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, build = setup
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    build(Clock(an_hour_ago)).poller.poll()  # poll_interval 30s: its heartbeat is stale

    code, out, err = status(path, capsys)
    assert code == 1  # the exit table's "a failure"
    assert out.splitlines()[0].startswith("Daemon: NOT SEEN since ")
    assert " · NOT SEEN since " in out.splitlines()[1] and "(1h ago)" in out.splitlines()[1]
    assert "no watchtower seen polling recently" in err

    code, out, _ = status(path, capsys, "--json")
    assert code == 1
    daemon = json.loads(out)["daemon"]
    assert daemon["seen"] is False and daemon["instances"][0]["state"] == "not seen"


def test_a_clean_stop_shows_stopped(
    setup: tuple[Path, Callable[..., App]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, build = setup
    app = build()
    app.poller.poll()
    app.poller.heartbeat.stopped(app.db, app.clock())

    code, out, _ = status(path, capsys)
    assert code == 1  # stopped cleanly, but nobody polls
    assert " · stopped " in out.splitlines()[1]


def test_nobody_polling_a_config_without_enabled_sources_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "watchtower.toml"
    path.write_text(
        f'[watchtower]\ndatabase_url = "sqlite:///{tmp_path / "wt.db"}"\n'
        '[[brands]]\nname = "A"\nterms = ["A"]\n'
        '[[sources]]\nname = "f"\nkind = "rss"\nurl = "https://e.example/f"\nenabled = false\n',
        "utf-8",
    )
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    code, out, _ = status(path, capsys)
    assert code == 0 and out.startswith("Daemon: NOT SEEN: no watchtower has polled")


def test_run_once_keeps_one_row_per_host_and_counts_as_recent(
    setup: tuple[Path, Callable[..., App]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, build = setup
    for _ in range(3):  # a cron job: one row, not one per run
        app = build()
        app.poller.poll(all_sources=True)
        app.close()
    with app.db.session() as session:
        rows = daemon_rows(session)
    assert [(r.id, r.mode) for r in rows] == [(f"once@{socket.gethostname()}", "once")]
    code, out, _ = status(path, capsys)
    assert code == 0 and out.startswith("Daemon: not running; `run --once` last polled ")


def test_rows_of_processes_gone_for_long_are_pruned(
    setup: tuple[Path, Callable[..., App]],
) -> None:
    _, build = setup
    app = build()
    long_ago = datetime.now(UTC) - FORGET_AFTER - timedelta(hours=1)
    dead = Heartbeat("old.toml", timedelta(seconds=30), long_ago)
    dead.start(app.db, long_ago)
    recent = Heartbeat("other.toml", timedelta(seconds=30), datetime.now(UTC))
    recent.start(app.db, datetime.now(UTC) - timedelta(hours=5))  # dead, not for long

    app.poller.poll()  # this process starts: it prunes
    with app.db.session() as session:
        ids = {r.id for r in daemon_rows(session)}
    assert ids == {app.poller.heartbeat.id, recent.id}


def test_status_on_a_schema_without_heartbeats_cannot_tell_and_does_not_fail(
    setup: tuple[Path, Callable[..., App]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, build = setup
    app = build()
    app.poller.poll()
    app.close()  # not a Daemon's stop: its heartbeat still says it runs, hence --force
    assert main(["db", "downgrade", "0005", "--force", "--config", str(path)]) == 0

    code, out, err = status(path, capsys)
    assert code == 0
    assert out.startswith("Daemon: unknown (set [watchtower] http to ask it)")
    assert "the database schema 0005 is older than this watchtower" in err


# ------------------------------------------------------------------- reload outcome
def test_a_refused_config_shows_until_a_reload_succeeds_without_its_secret(
    setup: tuple[Path, Callable[..., App]],
    feeds: FeedServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, build = setup
    clock = Clock(datetime.now(UTC))
    app = build(clock)
    app.poller.poll()
    reloader = Reloader(app)
    good = path.read_text("utf-8")
    broken = config(
        app.loaded.database_url, feeds, forum_url="ftp://veille:s3cret@flux.example.fr/"
    )
    path.write_text(broken, "utf-8")
    assert reloader.reload() is False

    # status reads the same refused file: it says so (exit 2, the problems on
    # stderr) and shows what the database says, the running daemon first.
    code, out, err = status(path, capsys)
    assert code == 2
    assert out.startswith("Daemon: running (1 instance, ")
    [line] = [x for x in out.splitlines() if x.startswith("    config: refused at ")]
    assert f"{path}:" in line and "sources[0].url" in line and "ftp://veille:***@" in line
    assert "; running the config loaded at " in line
    assert "config file refused (see above)" in err and "sources[0].url" in err
    assert "s3cret" not in out + err
    code, out, _ = status(path, capsys, "--json")
    [me] = json.loads(out)["daemon"]["instances"]
    assert me["config_refused_at"] and "s3cret" not in me["config_refused"]
    loaded_at = me["config_loaded_at"]

    clock.now += timedelta(minutes=1)
    path.write_text(good.replace('name = "Acmé"', 'name = "Acmé"\nexclude = ["Acme Corp"]'))
    assert reloader.reload() is True
    code, out, _ = status(path, capsys, "--json")
    assert code == 0
    [me] = json.loads(out)["daemon"]["instances"]
    assert me["config_refused_at"] is None and me["config_refused"] is None
    assert me["config_loaded_at"] > loaded_at
    assert "config: refused" not in status(path, capsys)[1]


def test_an_undone_edit_clears_the_refusal_and_keeps_the_load_time(
    setup: tuple[Path, Callable[..., App]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, build = setup
    app = build()
    app.poller.poll()
    reloader = Reloader(app)
    good = path.read_text("utf-8")
    path.write_text("[[brands]\n" + good, "utf-8")
    assert reloader.reload() is False
    code, out, err = status(path, capsys)  # not even TOML: its database cannot be known
    assert (code, out) == (2, "") and "watchtower.toml:1" in err
    path.write_text(good.replace("terms =", "termz ="), "utf-8")
    assert reloader.reload() is False
    loaded_at = json.loads(status(path, capsys, "--json")[1])["daemon"]["instances"][0][
        "config_loaded_at"
    ]
    path.write_text(good, "utf-8")
    assert reloader.reload() is None  # the running config again: nothing to apply
    [me] = json.loads(status(path, capsys, "--json")[1])["daemon"]["instances"]
    assert me["config_refused_at"] is None and me["config_loaded_at"] == loaded_at


def test_a_database_that_fails_the_record_does_not_fail_the_reload(
    setup: tuple[Path, Callable[..., App]], caplog: pytest.LogCaptureFixture
) -> None:
    path, build = setup
    app = build()
    reloader = Reloader(app)
    path.write_text("[[brands]\n" + path.read_text("utf-8"), "utf-8")
    app.db.dispose()
    app.db = Database(app.db.url, readonly=True)  # writes refused from now on
    assert reloader.reload() is False
    assert "could not record the reload outcome for status" in caplog.text


def test_on_a_terminal_processes_and_failing_since_are_in_their_places(
    setup: tuple[Path, Callable[..., App]],
    feeds: FeedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, build = setup
    app = build()
    feeds.resources["/f.xml"] = Resource(b"boom", status=500)
    app.poller.poll()
    capsys.readouterr()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # tables, as in a terminal

    assert main(["status", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    process = next(i for i, line in enumerate(lines) if f"pid {os.getpid()} · watchtower" in line)
    assert lines[process].startswith(f"  {socket.gethostname()} pid ")
    assert "2 sources, 1 ok, 1 failed" in out
    # Under the daemon line, before the tables; failing since under the source's error.
    assert process < next(i for i, line in enumerate(lines) if "Sources: " in line)
    error = next(i for i, line in enumerate(lines) if line.startswith("  forum ("))
    assert lines[error + 1].startswith("      failing since ")
