"""An edit of the config saved while the daemon is starting is applied.

The daemon reads its config, then starts (migrations, sources) before its
reloader exists. The reloader used to hash the file *then*, taking an edit saved
meanwhile for the running config: it was never applied unless someone sent
SIGHUP. Here a real daemon's start-up waits on a database another process
holds locked; the config is edited meanwhile; once started, the daemon applies
the edit on its own and matches the new brand.
"""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import watchtower
from tests.e2e.test_reload import config, rss, texts, wait_for
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.config import load_config
from watchtower.reload import Reloader
from watchtower.storage.db import Database

# The tree the tests import (also when they are run against an older one).
TREE = Path(watchtower.__file__).resolve().parents[1]


def opened(pid: int, database: Path) -> bool:
    """The process has the database open: it has read its config and is starting."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(database):
                return True
        except OSError:
            continue
    return False


def test_an_edit_saved_during_a_slow_start_is_applied(
    tmp_path: Path,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str, str], Path],
) -> None:
    database = tmp_path / "wt.db"
    database_url = f"sqlite:///{database}"
    Database(database_url).upgrade()  # an existing database, as after the first start
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    path = write_config(config(database_url, feeds, slack), "watchtower.toml")
    log_path = tmp_path / "daemon.log"
    env = dict(os.environ, SLACK_BOT_TOKEN=slack.token, PYTHONPATH=str(TREE))
    # Another process writes (a `db vacuum`, a backup being restored): the daemon's
    # migration step waits for it (busy timeout) after reading its config.
    locker = sqlite3.connect(database, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")
    with log_path.open("wb") as log_file:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "watchtower", "run", "--config", str(path)],
            env=env,
            cwd=tmp_path,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    log = lambda: log_path.read_text(encoding="utf-8")  # noqa: E731
    try:
        wait_for(lambda: opened(daemon.pid, database), "the daemon to open its database")
        time.sleep(0.5)
        assert "watchtower ready" not in log()
        path.write_text(config(database_url, feeds, slack, extra_brand="Globex"), "utf-8")
        locker.execute("COMMIT")
        wait_for(lambda: "watchtower ready" in log(), "the start-up", timeout=30)
        wait_for(lambda: "config reloaded" in log(), "the edit applied", timeout=15)
        feeds.resources["/forum.rss"] = Resource(
            rss("Acmé ouvre une agence", "Globex rachète un concurrent")
        )
        wait_for(lambda: any("Globex" in t for t in texts(slack, "#veille")), "Globex mention")
    finally:
        locker.close()  # rolls back, if the test failed before the commit
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
    assert code == 0, log()
    assert "Traceback" not in log()
    assert log().count("config reloaded") == 1


def test_an_edit_saved_before_the_watch_is_in_place_is_applied(
    tmp_path: Path,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str, str], Path],
) -> None:
    """The watcher thread takes a moment to watch the folder: an edit saved in
    that moment raises no event, and is caught by one check once it watches."""
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    database_url = f"sqlite:///{tmp_path / 'wt.db'}"
    path = write_config(config(database_url, feeds, slack), "watchtower.toml")
    app = App(load_config(path), console=io.StringIO())
    app.start()
    reloader = Reloader(app)
    try:
        path.write_text(config(database_url, feeds, slack, extra_brand="Globex"), "utf-8")
        reloader.start()
        wait_for(
            lambda: [b.name for b in app.loaded.config.brands] == ["Acmé", "Globex"],
            "the edit applied",
            timeout=10,
        )
    finally:
        reloader.stop()
        app.close()
