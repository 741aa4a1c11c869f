"""A reload that fails (an exception, not a refused file) is tried again with a
capped backoff until it succeeds, without any new file event or SIGHUP; a
refused file is not retried.

The App, the reloader's worker thread and the database are real (SQLite, and
PostgreSQL when configured); the failure is real too: a second connection
renames a table the reload writes, as a migration or an operator would, then
puts it back.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy

from tests.servers.http import FeedServer
from watchtower.app import App
from watchtower.config import load_config
from watchtower.logs import _FIELDS as FIELDS
from watchtower.reload import Reloader
from watchtower.reload_retry import Backoff

GLOBEX = '\n[[brands]]\nname = "Globex"\nterms = ["Globex"]\n'
#: A brand with a misspelt key: the file is refused.
REFUSED = "\n[[brands]]\nnmae = 1\n"
#: Short delays: the test waits for outcomes, the product's are seconds.
QUICK = Backoff(first=0.02, cap=0.1)
FAILED = "reload failed; still running on the last good config"


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Poll ``check`` until it holds or ``timeout`` passes (the answer, not the time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


def config_text(database_url: str, feeds: FeedServer) -> str:
    return f"""
[watchtower]
database_url = "{database_url}"
ops_notify = ["console:"]

[[brands]]
name = "Acme"
terms = ["Acme"]

[[sources]]
name = "forum"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
every = "1h"
allow_private = true
"""


@pytest.fixture
def path(tmp_path: Path, database_url: str, feeds: FeedServer) -> Path:
    path = tmp_path / "watchtower.toml"
    path.write_text(config_text(database_url, feeds), "utf-8")
    return path


@pytest.fixture
def other(database_url: str) -> Iterator[sqlalchemy.Engine]:
    """A second, independent connection to the same database."""
    engine = sqlalchemy.create_engine(
        database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    )
    yield engine
    engine.dispose()


@dataclass
class Reloading:
    """An App on ``path`` and its reload worker (no file watcher: only the test
    asks for a reload, once), the reloader's log caught from INFO."""

    app: App
    reloader: Reloader
    path: Path
    caplog: pytest.LogCaptureFixture

    def edit(self, added: str) -> None:
        """Add ``added`` to the config file and ask for a reload."""
        edit(self.path, self.reloader, added)

    def messages(self, text: str) -> list[logging.LogRecord]:
        return messages(self.caplog, text)

    def brands(self) -> list[str]:
        return brands(self.app)


@pytest.fixture
def reloading(path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Reloading]:
    app = App(load_config(path), console=io.StringIO())
    app.start()
    reloader = Reloader(app, backoff=QUICK).start(watch=False)
    with caplog.at_level(logging.INFO, logger="watchtower.reload"):
        yield Reloading(app, reloader, path, caplog)
    reloader.stop()
    app.close()


def edit(path: Path, reloader: Reloader, added: str) -> None:
    """Add ``added`` to the config file at ``path`` and ask ``reloader`` for a reload."""
    path.write_text(path.read_text("utf-8") + added, "utf-8")
    reloader.request()


def rename(engine: sqlalchemy.Engine, old: str, new: str) -> None:
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"ALTER TABLE {old} RENAME TO {new}"))


def brands(app: App) -> list[str]:
    return [brand.name for brand in app.loaded.config.brands]


def messages(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(text)]


def ops_notices(engine: sqlalchemy.Engine) -> list[str]:
    with engine.connect() as connection:
        keys = connection.execute(
            sqlalchemy.text("SELECT dedup_key FROM outbox WHERE item_id IS NULL ORDER BY id")
        ).scalars()
        return [key.split(":")[0] for key in keys]


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (10_000, 60.0)],
)
def test_the_delay_doubles_from_a_second_up_to_a_minute(failures: int, delay: float) -> None:
    assert Backoff().delay(failures) == delay


def test_a_failed_reload_is_applied_once_the_cause_is_gone_without_a_new_event(
    reloading: Reloading, other: sqlalchemy.Engine
) -> None:
    rename(other, "sources", "sources_away")  # the reload's write now raises
    reloading.edit(GLOBEX)  # the one and only trigger
    assert wait_for(lambda: len(reloading.messages(FAILED)) >= 2), "the reload was not retried"
    assert reloading.brands() == ["Acme"]  # still the last good config meanwhile

    rename(other, "sources_away", "sources")
    assert wait_for(lambda: "Globex" in reloading.brands()), "the edit was never applied"
    assert wait_for(lambda: bool(reloading.messages("config reload succeeded on retry")))

    failed = [getattr(r, FIELDS) for r in reloading.messages(FAILED)]
    # Each failure once, numbered, with the next delay: 1, 2, 3…
    assert [fields["attempt"] for fields in failed] == list(range(1, len(failed) + 1))
    assert failed[0]["retry_in"] == "0.02s"
    assert failed[1]["retry_in"] == "0.04s"
    # SQLite: no such table; PostgreSQL: undefined table.
    assert {fields["error"] for fields in failed} <= {"OperationalError", "ProgrammingError"}
    succeeded = getattr(reloading.messages("config reload succeeded on retry")[0], FIELDS)
    assert succeeded["attempt"] == len(failed) + 1
    assert reloading.messages("config reloaded"), "applied as any reload"


def test_a_refused_file_is_not_retried(reloading: Reloading) -> None:
    reloading.edit(REFUSED)
    assert wait_for(lambda: bool(reloading.messages("config rejected")))
    # Many retry delays later (a retry would log a line at each): still one answer.
    reloading.reloader._stop.wait(QUICK.cap * 5)

    assert len(reloading.messages("config rejected")) == 1
    assert not reloading.messages("config file unchanged since it was refused")
    assert not reloading.messages(FAILED)
    assert reloading.brands() == ["Acme"]


def test_a_refusal_whose_notice_failed_is_told_by_the_retry_and_never_applied(
    reloading: Reloading, other: sqlalchemy.Engine
) -> None:
    rename(other, "outbox", "outbox_away")  # queueing the ops notice raises
    reloading.edit(REFUSED)
    assert wait_for(lambda: len(reloading.messages(FAILED)) >= 1), "the notice did not fail"

    rename(other, "outbox_away", "outbox")
    assert wait_for(lambda: ops_notices(other) == ["config-rejected"]), "never told"
    assert wait_for(lambda: bool(reloading.messages("config reload succeeded on retry")))
    assert reloading.brands() == ["Acme"]  # refused all along


def test_stop_is_prompt_while_a_retry_waits(
    path: Path, database_url: str, other: sqlalchemy.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    app = App(load_config(path), console=io.StringIO())
    app.start()
    reloader = Reloader(app, backoff=Backoff(first=3600, cap=3600)).start(watch=False)
    try:
        with caplog.at_level(logging.INFO, logger="watchtower.reload"):
            rename(other, "sources", "sources_away")
            edit(path, reloader, GLOBEX)
            assert wait_for(lambda: bool(messages(caplog, FAILED)))
        assert getattr(messages(caplog, FAILED)[0], FIELDS)["retry_in"] == "3600s"
    finally:
        reloader.stop()  # joins its threads for a second at most
        app.close()
    assert not any(thread.is_alive() for thread in reloader._threads), "stop waited the retry"
