"""Hot reload under a running daemon: valid edits apply, invalid ones are refused once, loudly."""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import sqlalchemy

from tests.conftest import ROOT
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from watchtower.app import App
from watchtower.config import load_config
from watchtower.reload import Reloader
from watchtower.storage.tables import SourceRow


def rss(*titles: str) -> bytes:
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>{title}</title><link>https://forum.example.fr/t/{i}</link>"
        f"<guid>post-{i}</guid><pubDate>{format_datetime(now - timedelta(minutes=i))}</pubDate>"
        f"<description>{title}</description></item>"
        for i, title in enumerate(titles, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Forum</title><link>https://forum.example.fr/</link>{items}"
        f"</channel></rss>"
    ).encode()


def config(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    extra_brand: str = "",
    typo: bool = False,
) -> str:
    brand = (
        f'\n[[brands]]\nname = "{extra_brand}"\nterms = ["{extra_brand}"]\n' if extra_brand else ""
    )
    severity = "sevrity" if typo else "severity"
    return f"""
[watchtower]
backlog = "all"  # the fixtures are real feeds from past years
database_url = "{database_url}"
ops_notify = ["slack:#ops"]
poll_interval = "1s"
drain_interval = "1s"

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"

[[brands]]
name = "Acmé"
terms = ["Acmé"]
{brand}
[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
every = "1s"
allow_private = true

[[rules]]
name = "crise"
query = "arnaque"
{severity} = "critical"
notify = ["slack:#crise"]
"""


def wait_for(check: Callable[[], bool], what: str, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def texts(slack: FakeSlack, channel: str) -> list[str]:
    return [m["text"] for m in slack.posts() if m["channel"] == channel]


def test_edit_config_under_a_running_daemon(
    tmp_path: Path,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str, str], Path],
) -> None:
    database_url = f"sqlite:///{tmp_path / 'wt.db'}"
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    path = write_config(config(database_url, feeds, slack), "watchtower.toml")
    log_path = tmp_path / "daemon.log"
    env = dict(os.environ, SLACK_BOT_TOKEN=slack.token, PYTHONPATH=str(ROOT))
    with log_path.open("wb") as log_file:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "watchtower", "run", "--config", str(path)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    log = lambda: log_path.read_text(encoding="utf-8")  # noqa: E731
    try:
        wait_for(lambda: any("Acmé ouvre" in t for t in texts(slack, "#veille")), "first post")

        # 1. A valid edit: a new brand, matched on the next poll.
        path.write_text(config(database_url, feeds, slack, extra_brand="Globex"), "utf-8")
        wait_for(lambda: "config reloaded" in log(), "the reload")
        feeds.resources["/forum.rss"] = Resource(
            rss("Acmé ouvre une agence", "Globex rachète un concurrent")
        )
        wait_for(lambda: any("Globex" in t for t in texts(slack, "#veille")), "Globex mention")

        # 2. An invalid edit: refused with file:line, one ops message, old config still works.
        bad = config(database_url, feeds, slack, extra_brand="Globex", typo=True)
        path.write_text(bad, "utf-8")
        wait_for(lambda: len(texts(slack, "#ops")) == 1, "the ops message")
        line = next(n for n, text in enumerate(bad.splitlines(), 1) if "sevrity" in text)
        assert f"{path}:{line}: rules[0].sevrity: unknown key" in log()
        ops = (
            slack.posts()[-1]
            if slack.posts()[-1]["channel"] == "#ops"
            else next(m for m in slack.posts() if m["channel"] == "#ops")
        )
        assert "sevrity" in str(ops["blocks"]) or "sevrity" in ops["text"]

        feeds.resources["/forum.rss"] = Resource(
            rss(
                "Acmé ouvre une agence",
                "Globex rachète un concurrent",
                "Arnaque chez Acmé ?",
                "Globex recrute",
            )
        )
        wait_for(lambda: any("Arnaque" in t for t in texts(slack, "#crise")), "crisis route")
        wait_for(
            lambda: any("Globex recrute" in t for t in texts(slack, "#veille")),
            "the last good config (with Globex) still in force",
        )

        # Saving the same broken file again (or SIGHUP) does not send a second message.
        path.write_text(bad, "utf-8")
        daemon.send_signal(signal.SIGHUP)
        time.sleep(3)
        assert len(texts(slack, "#ops")) == 1
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=30)
    assert code == 0, log()
    assert "Traceback" not in log()


def test_reload_keeps_source_state_and_queued_notifications(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str, str], Path],
) -> None:
    feeds.resources["/forum.rss"] = Resource(rss("Acmé ouvre une agence"))
    path = write_config(config(database_url, feeds, slack), "watchtower.toml")
    app = App(load_config(path), console=io.StringIO())
    try:
        app.start()
        app.poller.poll(all_sources=True)  # queues one notification, stores the ETag
        with app.db.session() as session:
            before = session.scalars(sqlalchemy.select(SourceRow)).one()
            etag, next_check = before.etag, before.next_check_at
        reloader = Reloader(app)

        assert reloader.reload() is None  # nothing changed on disk
        path.write_text(config(database_url, feeds, slack, extra_brand="Globex"), "utf-8")
        assert reloader.reload() is True
        assert [b.name for b in app.loaded.config.brands] == ["Acmé", "Globex"]

        with app.db.session() as session:
            after = session.scalars(sqlalchemy.select(SourceRow)).one()
            assert (after.etag, after.next_check_at) == (etag, next_check)
            pending = session.execute(
                sqlalchemy.text("SELECT count(*) FROM outbox WHERE status = 'pending'")
            ).scalar_one()
        assert pending == 1

        path.write_text(config(database_url, feeds, slack, typo=True), "utf-8")
        assert reloader.reload() is False
        assert reloader.reload() is False  # same content: refused again, but queued once
        assert [b.name for b in app.loaded.config.brands] == ["Acmé", "Globex"]
        with app.db.session() as session:
            ops = session.execute(
                sqlalchemy.text("SELECT target, payload FROM outbox WHERE target = 'slack:#ops'")
            ).all()
        assert len(ops) == 1
    finally:
        app.close()


@pytest.mark.parametrize("broken", ["[[brands]\n", "include = ['no-such-pack']\n"])
def test_unparseable_config_is_refused(
    tmp_path: Path,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str, str], Path],
    broken: str,
) -> None:
    path = write_config(config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack), "watchtower.toml")
    app = App(load_config(path), console=io.StringIO())
    try:
        app.start()
        reloader = Reloader(app)
        path.write_text(broken + path.read_text("utf-8"), "utf-8")
        assert reloader.reload() is False
        assert app.loaded.config.brands[0].name == "Acmé"
    finally:
        app.close()


def test_restart_is_asked_only_while_a_start_up_key_differs_from_the_running_value(
    tmp_path: Path,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str, str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack)
    path = write_config(text, "watchtower.toml")
    app = App(load_config(path), console=io.StringIO())
    try:
        app.start()
        reloader = Reloader(app)
        edited = text.replace('poll_interval = "1s"', 'poll_interval = "7s"')
        assert edited != text

        def restart_asked(new_text: str) -> str | None:
            caplog.clear()
            path.write_text(new_text, "utf-8")
            assert reloader.reload() is True
            asked = [r for r in caplog.records if "next restart" in r.getMessage()]
            return str(getattr(asked[0], "wt_fields", {}).get("keys")) if asked else None

        assert restart_asked(edited) == "poll_interval"
        # Back to the value the process runs with: nothing waits for a restart.
        assert restart_asked(text + "\n# reverted\n") is None
    finally:
        app.close()


def test_a_truncated_file_is_refused_and_the_fix_is_announced(
    tmp_path: Path,
    feeds: FeedServer,
    slack: FakeSlack,
    write_config: Callable[[str, str], Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An empty or cut file is valid TOML with no brands and no sources: applying it
    would silently stop all listening. Ops hear of the refusal, then of the fix."""
    text = config(f"sqlite:///{tmp_path / 'wt.db'}", feeds, slack)
    path = write_config(text, "watchtower.toml")
    app = App(load_config(path), console=io.StringIO())
    try:
        app.start()
        reloader = Reloader(app)
        path.write_text("", "utf-8")
        assert reloader.reload() is False
        assert [s.name for s in app.loaded.sources] == ["forum"]
        cut = text[: text.index("[[brands]]")]  # [watchtower] and [slack] only
        path.write_text(cut, "utf-8")
        assert reloader.reload() is False
        problems = [r.getMessage() for r in caplog.records if "no [[" in r.getMessage()]
        assert any("brands: no [[brands]] left: nothing would be matched" in m for m in problems)
        assert any("sources: no [[sources]] left: nothing would be polled" in m for m in problems)

        caplog.clear()
        path.write_text(text, "utf-8")  # back to the running config: nothing to apply
        with caplog.at_level(logging.INFO, logger="watchtower.reload"):
            assert reloader.reload() is None
        assert any(r.getMessage().startswith("config valid again") for r in caplog.records)
        with app.db.session() as session:
            rows = session.execute(
                sqlalchemy.text(
                    "SELECT dedup_key, severity FROM outbox WHERE target = 'slack:#ops' ORDER BY id"
                )
            ).all()
            kinds = [(key.split(":")[0], severity) for key, severity in rows]
        # The fix is good news: not shown as something to watch.
        assert kinds == [
            ("config-rejected", "warning"),
            ("config-rejected", "warning"),
            ("config-accepted", "info"),
        ]
        # A valid edit after a valid one announces nothing more.
        path.write_text(text + "\n# comment\n", "utf-8")
        assert reloader.reload() is True
        with app.db.session() as session:
            count = session.execute(
                sqlalchemy.text("SELECT count(*) FROM outbox WHERE target = 'slack:#ops'")
            ).scalar_one()
        assert count == 3
    finally:
        app.close()
