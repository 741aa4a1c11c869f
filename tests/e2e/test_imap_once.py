"""``watchtower run --once`` reads all that waits in a mailbox, not one chunk.

A team runs watchtower from cron after a week-end with the daemon off. Before,
each ``run --once`` read ``max_messages`` e-mails of the backlog and stopped:
this morning's mention, the last e-mail, waited for as many runs as the backlog
had chunks. Now one run reads the mailbox chunk after chunk (each recorded on
its own), up to ``ONCE_MAX_READS`` reads; beyond that it says how many wait, and
the next run reads on.

Real parts on loopback: Dovecot (messages placed with IMAP APPEND), the fake
Slack, SQLite; the real CLI.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.e2e.test_imap_catch_up import ENV, append, mail
from tests.servers.slack import FakeSlack
from tests.unit.adapters.dovecot import PASSWORD, Dovecot, dovecot_or_skip
from watchtower.cli import main
from watchtower.poll import ONCE_MAX_READS
from watchtower.storage.engines import make_engine
from watchtower.storage.tables import ItemRow

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot(dovecot_or_skip(), Path(tempfile.mkdtemp(prefix="wt-e2e-dovecot-")))
    server.start()
    yield server
    server.stop()


def setup(tmp_path: Path, dovecot: Dovecot, slack: FakeSlack, max_messages: int) -> tuple[str, str]:
    """A config reading a fresh mailbox, after the first run read its one e-mail."""
    user = f"u{uuid.uuid4().hex[:10]}"
    database = f"sqlite:///{tmp_path / 'wt.db'}"
    path = tmp_path / "watchtower.toml"
    path.write_text(
        f"""
[watchtower]
database_url = "{database}"

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "veille-mail"
kind = "imap"
host = "127.0.0.1"
port = {dovecot.plain_port}
tls = "none"
username = "{user}"
password_env = "{ENV}"
allow_private = true
max_messages = {max_messages}
""",
        "utf-8",
    )
    append(dovecot, user, [mail(0, "Bienvenue", "Premier message.")])
    assert main(["run", "--once", "--config", str(path)]) == 0
    return str(path), user


def backlog(dovecot: Dovecot, user: str, count: int) -> None:
    """``count`` e-mails, the last one this morning's mention of Acmé."""
    waiting = [mail(n, f"Lettre {n}", "Rien à signaler.") for n in range(1, count)]
    waiting.append(mail(count, "Acmé : carte bloquée ce matin", "Client mécontent d'Acmé."))
    append(dovecot, user, waiting)


def items_stored(database: str) -> int:
    engine = make_engine(database)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(ItemRow)).scalar_one())
    finally:
        engine.dispose()


def mentioned(slack: FakeSlack) -> bool:
    return any("carte bloquée ce matin" in post["text"] for post in slack.posts())


def test_run_once_reads_the_whole_backlog(
    tmp_path: Path, dovecot: Dovecot, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, PASSWORD)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    path, user = setup(tmp_path, dovecot, slack, max_messages=10)
    backlog(dovecot, user, 45)  # five chunks of 10

    assert main(["run", "--once", "--config", path]) == 0

    assert items_stored(f"sqlite:///{tmp_path / 'wt.db'}") == 1 + 45  # each e-mail once
    assert mentioned(slack)  # the last e-mail of the backlog, in this run


def test_run_once_stops_at_its_cap_and_says_how_many_wait(
    tmp_path: Path,
    dovecot: Dovecot,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(ENV, PASSWORD)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    path, user = setup(tmp_path, dovecot, slack, max_messages=2)
    waiting = 2 * ONCE_MAX_READS + 5
    backlog(dovecot, user, waiting)
    database = f"sqlite:///{tmp_path / 'wt.db'}"
    capfd.readouterr()

    assert main(["run", "--once", "--config", path]) == 0
    assert items_stored(database) == 1 + 2 * ONCE_MAX_READS
    logged = capfd.readouterr().err.splitlines()
    warnings = [line for line in logged if " WARNING " in line]
    assert warnings[-2].endswith(
        'source warning source=veille-mail warning="5 more e-mails wait in INBOX: '
        '2 are read per check (max_messages)"'
    )
    assert warnings[-1].endswith(
        "run --once stopped catching up a source; the next run reads on "
        f"source=veille-mail reads={ONCE_MAX_READS}"
    )
    assert not mentioned(slack)

    assert main(["run", "--once", "--config", path]) == 0  # the next run reads on
    assert items_stored(database) == 1 + waiting
    assert mentioned(slack)
