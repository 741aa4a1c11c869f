"""An operator's review of the daemon's lifecycle: defects found, each reproduced.

Every test here runs the real daemon (a ``watchtower run`` process, or an
:class:`App` with its scheduler, HTTP endpoint and poller) against real local
servers: the feed server, the fake Slack Web API, a TCP proxy in front of
PostgreSQL, a trickling IMAP server. Each asserts what an operator running
watchtower as a service expects, and is marked ``xfail(strict=True)`` until the
defect named in its reason is fixed (a fix turns it into an XPASS failure:
remove the marker then).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from tests.conftest import ROOT
from tests.servers.http import FeedServer, Resource, answering_after
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.cli import build_parser, main
from watchtower.config import load_config
from watchtower.health import render_status
from watchtower.logs import configure
from watchtower.reload import Reloader
from watchtower.scheduler import Daemon
from watchtower.storage.tables import SourceRow
from watchtower.web import StatusServer

PG_URL = os.environ.get("WATCHTOWER_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


# --------------------------------------------------------------------- helpers
def rss(*titles: str, words: int = 0) -> bytes:
    now = datetime.now(UTC)
    filler = " blabla" * words
    items = "".join(
        f"<item><title>{title}</title><link>https://forum.example.fr/t/{i}</link>"
        f"<guid>post-{i}</guid><pubDate>{format_datetime(now - timedelta(minutes=i))}</pubDate>"
        f"<description>{title}{filler}</description></item>"
        for i, title in enumerate(titles, start=1)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Forum</title><link>https://forum.example.fr/</link>{items}</channel></rss>"
    ).encode()


def config(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    *,
    every: str = "1h",
    watchtower: str = "",
    slack_extra: str = "",
    extra: str = "",
) -> str:
    return f"""
[watchtower]
backlog = "all"
database_url = "{database_url}"
language = "fr"
ops_notify = ["slack:#ops"]
poll_interval = "1s"
drain_interval = "1s"
{watchtower}

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"
{slack_extra}

[[brands]]
name = "Acmé"
terms = ["Acmé", "Banque Acmé"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
every = "{every}"
allow_private = true
{extra}
"""


class Process:
    """A ``watchtower`` process whose combined output goes to a file."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log_path = log
        full_env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
        with log.open("ab") as out:
            self.popen = subprocess.Popen(args, env=full_env, stdout=out, stderr=subprocess.STDOUT)

    @classmethod
    def watchtower(cls, config_path: Path, log: Path, env: dict[str, str] | None = None) -> Process:
        args = [sys.executable, "-m", "watchtower", "run", "--config", str(config_path)]
        return cls(args, log, env)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        self.popen.send_signal(sig)

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if still running after ``timeout`` seconds."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.alive():
            self.popen.kill()
            self.popen.wait(timeout=10)


def wait_for(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def http_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def fetches(feeds: FeedServer, path: str = "/forum.rss") -> int:
    return sum(1 for p, _, _ in feeds.requests if p == path)


class TcpProxy:
    """127.0.0.1:port → target; ``cut()`` drops every connection and refuses new ones
    (a PostgreSQL restart or a network blip, as the daemon sees it)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.up = True
        self.connections: list[socket.socket] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        for s in self.connections:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        self.connections = []

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.sock.close()


class TricklingServer:
    """Accepts connections and sends ``* OK`` then one byte every ``every`` seconds,
    never ending the line: a mail server that answers, too slowly to be useful."""

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self.stopped = threading.Event()
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        try:
            conn.sendall(b"* OK")
            while not self.stopped.wait(self.every):
                conn.sendall(b".")
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self) -> None:
        self.stopped.set()
        self.sock.close()


def imap_source(server: TricklingServer) -> str:
    return f"""
[[sources]]
name = "boite"
kind = "imap"
host = "127.0.0.1"
port = {server.port}
tls = "none"
allow_private = true
username = "veille"
password_env = "REVIEW_IMAP_PASSWORD"
every = "1s"
"""


# ------------------------------------------------------------- start and stop
def opened(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open (it got past its imports into its work)."""
    folder = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) == str(path) for fd in folder.iterdir())
    except OSError:
        return False


def test_sighup_during_start_up_does_not_kill_the_daemon(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack
) -> None:
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc")
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    db = tmp_path / "wt.db"
    path = tmp_path / "watchtower.toml"
    path.write_text(config(f"sqlite:///{db}", feeds, slack), "utf-8")
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    # A slow start: someone holds the write lock (a backup, a sqlite3 shell), so
    # App.start waits in its first write. PostgreSQL slow to answer looks the same.
    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    daemon = Process.watchtower(path, tmp_path / "daemon.log", {"SLACK_BOT_TOKEN": slack.token})
    try:
        wait_for(lambda: opened(daemon.popen.pid, db), "the daemon opening its database")
        time.sleep(0.5)
        assert "watchtower ready" not in daemon.log()
        daemon.signal(signal.SIGHUP)  # `systemctl reload watchtower` (ExecReload=kill -HUP)
        time.sleep(0.5)
        locker.execute("COMMIT")
        time.sleep(0.5)
        assert daemon.alive(), f"killed by SIGHUP (exit {daemon.popen.returncode})"
        wait_for(lambda: slack.posts(), "the first notification")
    finally:
        locker.close()
        daemon.signal(signal.SIGTERM)
        if daemon.wait(20) is None:
            daemon.kill()


def test_sigterm_while_slack_hangs_exits_promptly_and_keeps_notifications(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack
) -> None:
    feeds.resources["/forum.rss"] = Resource(rss(*(f"Acmé nouvelle {i}" for i in range(30))))
    db = tmp_path / "wt.db"
    path = tmp_path / "watchtower.toml"
    path.write_text(
        config(
            f"sqlite:///{db}",
            feeds,
            slack,
            watchtower="max_delivery_attempts = 2",
            slack_extra='timeout = "200ms"',
        ),
        "utf-8",
    )
    slack.block = threading.Event()  # Slack accepts connections and never answers
    daemon = Process.watchtower(path, tmp_path / "daemon.log", {"SLACK_BOT_TOKEN": slack.token})
    try:
        wait_for(lambda: "target unreachable" in daemon.log(), "the first failed delivery")
        daemon.signal(signal.SIGTERM)  # systemctl stop / docker stop
        started = time.monotonic()
        code = daemon.wait(4.0)
        elapsed = time.monotonic() - started
    finally:
        daemon.kill()
    with sqlite3.connect(db) as conn:
        failed = conn.execute("SELECT count(*) FROM outbox WHERE status = 'failed'").fetchone()[0]
    assert code == 0 and elapsed < 3.0, f"still running {elapsed:.1f}s after SIGTERM"
    assert failed == 0, f"{failed} notifications lost for good during shutdown"


def test_kill_9_mid_poll_then_restart_polls_the_source_again(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack
) -> None:
    fetching = threading.Event()
    body = rss("Acmé ouvre une agence")

    def slow() -> None:
        fetching.set()
        time.sleep(3)

    feeds.handlers["/forum.rss"] = answering_after(slow, body)
    path = tmp_path / "watchtower.toml"
    path.write_text(config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack, every="1m"), "utf-8")
    daemon = Process.watchtower(path, tmp_path / "daemon.log", {"SLACK_BOT_TOKEN": slack.token})
    try:
        wait_for(fetching.is_set, "the first fetch")
    finally:
        daemon.kill()  # kill -9 (OOM killer, host crash) while the poll round runs
    del feeds.handlers["/forum.rss"]
    feeds.resources["/forum.rss"] = Resource(body)

    app = App(load_config(path), console=io.StringIO())  # the restart, as `run` does it
    try:
        app.start()
        stats = app.poller.poll()  # the daemon's first poll round
        with app.db.session() as session:
            row = session.scalars(sqlalchemy.select(SourceRow)).one()
            status = render_status(session, datetime.now(UTC))
    finally:
        app.close()
    assert stats.sources == 1, f"source not polled after the restart:\n{status}"
    assert row.last_success_at is not None


# ------------------------------------------------------------------- polling
@pytest.fixture(scope="module")
def stalled_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A daemon with an RSS feed checked every second and an IMAP source whose
    server trickles its greeting (answers, never finishes)."""
    folder = tmp_path_factory.mktemp("stalled")
    feeds, slack, imap = FeedServer().start(), FakeSlack().start(), TricklingServer()
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    path = folder / "watchtower.toml"
    path.write_text(
        config(f"sqlite:///{folder / 'wt.db'}", feeds, slack, every="1s", extra=imap_source(imap)),
        "utf-8",
    )
    env = {"SLACK_BOT_TOKEN": slack.token, "REVIEW_IMAP_PASSWORD": "imap-secret"}
    daemon = Process.watchtower(path, folder / "daemon.log", env)
    try:
        wait_for(lambda: imap.connections and fetches(feeds) >= 1, "both sources polled")
        yield {"daemon": daemon, "feeds": feeds, "imap": imap}
    finally:
        imap.stop()
        daemon.kill()
        feeds.stop()
        slack.stop()


def test_a_hung_imap_server_does_not_stop_the_other_sources(
    stalled_daemon: dict[str, Any],
) -> None:
    feeds = stalled_daemon["feeds"]
    before = fetches(feeds)
    time.sleep(3.0)  # the RSS feed is due every second
    assert fetches(feeds) > before, "the RSS feed was not fetched for 3 s while IMAP hangs"


def test_sigterm_with_a_hung_source_exits_promptly(stalled_daemon: dict[str, Any]) -> None:
    daemon: Process = stalled_daemon["daemon"]
    assert daemon.alive()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(4.0) == 0, "still running 4 s after SIGTERM"


def test_livez_fails_when_the_poll_round_is_stuck(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    imap = TricklingServer()
    monkeypatch.setenv("REVIEW_IMAP_PASSWORD", "imap-secret")
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    path = tmp_path / "watchtower.toml"
    path.write_text(
        config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack, extra=imap_source(imap)),
        "utf-8",
    )
    app = App(load_config(path), console=io.StringIO())
    app.start()
    daemon = Daemon(app)
    server = StatusServer(
        app, "127.0.0.1:0", lambda: daemon.last_tick, stale_after=timedelta(seconds=2)
    ).start()
    thread = threading.Thread(target=daemon.run_forever, daemon=True)
    thread.start()
    try:
        wait_for(lambda: imap.connections, "the IMAP connection")
        time.sleep(3.0)  # the poll round has been stuck longer than stale_after
        status, body = http_get(server.url + "/livez")
        assert status == 503, f"/livez says {body!r} while no poll round has ended for 3 s"
    finally:
        daemon.stop.set()
        imap.stop()  # the trickle ends: the stuck fetch fails and the round ends
        thread.join(timeout=30)
        server.stop()
        app.close()


def test_a_shorter_every_applies_at_reload(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack
) -> None:
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    path = tmp_path / "watchtower.toml"
    text = config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack, every="6h")
    path.write_text(text, "utf-8")
    app = App(load_config(path), console=io.StringIO())
    try:
        app.start()
        app.poller.poll()
        reloader = Reloader(app)
        path.write_text(text.replace('every = "6h"', 'every = "1m"'), "utf-8")
        assert reloader.reload() is True
        with app.db.session() as session:
            row = session.scalars(sqlalchemy.select(SourceRow)).one()
        next_check = row.next_check_at.replace(tzinfo=row.next_check_at.tzinfo or UTC)
    finally:
        app.close()
    assert next_check - datetime.now(UTC) <= timedelta(minutes=1, seconds=10)


def test_a_backward_clock_jump_does_not_stop_polling(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack
) -> None:
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    path = tmp_path / "watchtower.toml"
    path.write_text(config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack, every="1s"), "utf-8")
    launcher = tmp_path / "jump.py"
    launcher.write_text(
        "import sys, threading\n"
        "from datetime import UTC, datetime, timedelta\n"
        "import time_machine\n"
        "from watchtower.cli import main\n"
        "from pathlib import Path\n"
        "import time\n"
        "def jump():\n"
        f"    while not Path({str(tmp_path / 'jump')!r}).exists():\n"
        "        time.sleep(0.05)\n"
        "    time_machine.travel(datetime.now(UTC) - timedelta(hours=1), tick=True).start()\n"
        "    print('CLOCK JUMPED', file=sys.stderr, flush=True)\n"
        "threading.Thread(target=jump, daemon=True).start()\n"
        "sys.exit(main(sys.argv[1:]))\n",
        "utf-8",
    )
    daemon = Process(
        [sys.executable, str(launcher), "run", "--config", str(path)],
        tmp_path / "daemon.log",
        {"SLACK_BOT_TOKEN": slack.token},
    )
    try:
        wait_for(lambda: fetches(feeds) >= 2, "the daemon polling every second")
        (tmp_path / "jump").touch()  # the wall clock goes back one hour
        wait_for(lambda: "CLOCK JUMPED" in daemon.log(), "the clock jump")
        before = fetches(feeds)
        wait_for(lambda: fetches(feeds) > before, "a fetch after the jump", timeout=3.0)
    finally:
        daemon.signal(signal.SIGTERM)
        if daemon.wait(20) is None:
            daemon.kill()


# --------------------------------------------------------------- the database
def test_status_on_a_missing_database_fails_instead_of_creating_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "data" / "watchtower.db"
    path = tmp_path / "watchtower.toml"
    path.write_text(
        f'[watchtower]\ndatabase_url = "sqlite:///{db}"\ndefault_notify = ["console:"]\n'
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
        '[[sources]]\nname = "forum"\nkind = "rss"\nurl = "https://forum.example.fr/feed"\n',
        "utf-8",
    )
    code = main(["status", "--config", str(path)])
    out = capsys.readouterr().out
    assert not db.exists(), f"status created {db} and printed:\n{out}"
    assert code == 1


def test_a_database_from_a_newer_version_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "wt.db"
    path = tmp_path / "watchtower.toml"
    path.write_text(
        f'[watchtower]\ndatabase_url = "sqlite:///{db}"\ndefault_notify = ["console:"]\n'
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
        '[[sources]]\nname = "forum"\nkind = "rss"\nurl = "https://forum.example.fr/feed"\n',
        "utf-8",
    )
    assert main(["db", "upgrade", "--config", str(path)]) == 0
    with sqlite3.connect(db) as conn:  # what the next release's migration leaves behind
        conn.execute("UPDATE alembic_version SET version_num = '0099_next_release'")
    done = subprocess.run(
        [sys.executable, "-m", "watchtower", "run", "--config", str(path)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3  # its own code: systemd does not restart it (deploy/)
    assert "Traceback" not in done.stderr, done.stderr[-400:]
    assert len(done.stderr.strip().splitlines()) <= 2


def test_a_database_outage_is_logged_without_tracebacks(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack
) -> None:
    try:
        admin = sqlalchemy.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
        with admin.begin() as conn:
            schema = "review_ops_" + uuid.uuid4().hex[:8]
            conn.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    except sqlalchemy.exc.OperationalError:
        pytest.skip("PostgreSQL is not reachable")
    url = sqlalchemy.engine.make_url(PG_URL)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    proxied += f"?options=-csearch_path%3D{schema}"
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    path = tmp_path / "watchtower.toml"
    path.write_text(config(proxied, feeds, slack, every="1s"), "utf-8")
    daemon = Process.watchtower(path, tmp_path / "daemon.log", {"SLACK_BOT_TOKEN": slack.token})
    try:
        wait_for(lambda: len(slack.posts()) == 1, "the first notification")
        mark = len(daemon.log())
        proxy.cut()  # PostgreSQL restarts
        time.sleep(2.0)
        outage = daemon.log()[mark:]
        proxy.restore()
    finally:
        daemon.signal(signal.SIGTERM)
        if daemon.wait(20) is None:
            daemon.kill()
        proxy.close()
        with admin.begin() as conn:
            conn.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    lines = outage.splitlines()
    assert "Traceback" not in outage, f"{outage.count('Traceback')} tracebacks, {len(lines)} lines"
    assert len(lines) <= 10


def test_a_full_disk_makes_readyz_fail(tmp_path: Path, feeds: FeedServer, slack: FakeSlack) -> None:
    small = tmp_path / "small"
    small.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a small tmpfs")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(small)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
        path = tmp_path / "watchtower.toml"
        path.write_text(config(f"sqlite:///{small / 'wt.db'}", feeds, slack, every="1s"), "utf-8")
        app = App(load_config(path), console=io.StringIO())
        server = None
        try:
            app.start()
            app.poller.poll()
            time.sleep(1.1)
            feeds.resources["/forum.rss"] = Resource(
                rss(*(f"Acmé nouvelle {i}" for i in range(150)), words=300)
            )
            try:
                app.poller.poll()  # fills the disk: nothing of this round can be stored
            except sqlalchemy.exc.OperationalError as exc:
                assert "full" in str(exc)
            server = StatusServer(app, "127.0.0.1:0", lambda: datetime.now(UTC)).start()
            ready, body = http_get(server.url + "/readyz")
            with app.db.session() as session:
                status = render_status(session, datetime.now(UTC))
        finally:
            if server is not None:
                server.stop()
            app.close()
        # The poll did fail, on the database: the source is not blamed for it
        # (a full disk is an outage: "database full", once), /readyz says so.
        assert "forum [rss] ok" in status and "errors 0" in status
        assert ready == 503, f"/readyz: {body!r}"
    finally:
        subprocess.run(["umount", "-l", str(small)], capture_output=True)


# ------------------------------------------------------- metrics, logs, reload
def test_outbox_depth_metric_counts_held_notifications(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    feeds.resources["/forum.rss"] = Resource(rss("Acmé un", "Acmé deux", "Acmé trois"))
    path = tmp_path / "watchtower.toml"
    quiet = '[[quiet_hours]]\ntargets = ["slack:#veille"]\nwindows = ["daily"]\ntimezone = "UTC"\n'
    path.write_text(config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack, extra=quiet), "utf-8")
    app = App(load_config(path), console=io.StringIO())
    server = None
    try:
        app.start()
        app.poller.poll()
        app.outbox.drain()  # the quiet hours hold all three
        server = StatusServer(app, "127.0.0.1:0", lambda: datetime.now(UTC)).start()
        status, body = http_get(server.url + "/metrics")
        with app.db.session() as session:
            shown = render_status(session, datetime.now(UTC))
    finally:
        if server is not None:
            server.stop()
        app.close()
    assert status == 200 and "held 3" in shown
    assert 'watchtower_outbox_depth{status="held"} 3.0' in body.decode(), shown


def test_a_slack_timeout_is_one_warning_not_an_error(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    path = tmp_path / "watchtower.toml"
    path.write_text(
        config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack, slack_extra='timeout = "200ms"'),
        "utf-8",
    )
    configure("INFO")  # as the daemon does
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logging.getLogger().addHandler(handler)
    slack.block = threading.Event()
    app = App(load_config(path), console=io.StringIO())
    try:
        app.start()
        app.poller.poll()
        stats = app.outbox.drain()
    finally:
        app.close()
        logging.getLogger().removeHandler(handler)
    assert stats.retried == 1
    errors = [f"{r.name}: {r.getMessage()}" for r in records if r.levelno >= logging.ERROR]
    assert errors == []


def test_a_delivery_lease_change_is_applied_or_waits_for_a_restart_loudly(
    tmp_path: Path, feeds: FeedServer, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "watchtower.toml"
    text = config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack)
    path.write_text(text, "utf-8")
    app = App(load_config(path), console=io.StringIO())
    try:
        app.start()
        reloader = Reloader(app)
        edited = text.replace('language = "fr"', 'language = "fr"\ndelivery_lease = "30m"')
        path.write_text(edited, "utf-8")
        with caplog.at_level(logging.INFO, logger="watchtower.reload"):
            assert reloader.reload() is True
        restart = any("next restart" in r.getMessage() for r in caplog.records)
        assert app.outbox.lease == timedelta(minutes=30) or restart
    finally:
        app.close()


def test_db_upgrade_help_explains_itself(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["db", "upgrade", "--help"])
    text = capsys.readouterr().out
    assert "apply database migrations" in text
    assert "WATCHTOWER_CONFIG" in text
