"""``watchtower db copy FROM_URL``: a SQLite instance moved to another database
(PostgreSQL when configured, SQLite always) announces nothing again, and its Slack
threads carry on; the copy is refused before anything is written when the target
holds rows, the source's schema is older, or a daemon runs on either side.

From review H (moving a year-old SQLite instance to PostgreSQL for two replicas):
pointing ``database_url`` at an empty database made every source's next poll a
first poll, announcing its backlog and undated items again, and lost held
digests, Slack threads, spike cooldowns and forum or mailbox cursors.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import sqlalchemy

from tests.conftest import ROOT
from tests.e2e.scenario import ACME_FR, config_text
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from tests.unit.storage.copy_rows import add_daemon
from watchtower.cli import main
from watchtower.storage.db import Database, head_revision, revisions
from watchtower.storage.tables import SourceRow

TABLES = ("sources", "items", "stories", "mentions", "outbox")


def _feed(count: int) -> bytes:
    now = datetime.now(UTC)
    entries = "".join(
        f"<item><title>Acme article {n}</title><link>http://127.0.0.1/a{n}</link>"
        f"<guid>http://127.0.0.1/a{n}</guid>"
        f"<description>Acme annonce sa nouveauté numéro {n} (sujet {n * 7919}).</description>"
        f"<pubDate>{format_datetime(now - timedelta(hours=count - n))}</pubDate></item>"
        for n in range(count)
    )
    undated = (
        "<item><title>Acme sans date</title><link>http://127.0.0.1/undated</link>"
        "<description>Acme, un article que son flux ne date pas.</description></item>"
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<link>http://127.0.0.1/</link><description>d</description>{entries}{undated}"
        "</channel></rss>"
    ).encode()


def _cli(config: Path, *args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), WATCHTOWER_DATABASE_URL=database_url)
    env.pop("SLACK_BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "watchtower", *args, "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _new(run: subprocess.CompletedProcess[str]) -> int:
    found = re.search(r"run finished .*? new=(\d+)", run.stderr + run.stdout)
    assert found, run.stderr[-2000:]
    return int(found.group(1))


def _counts(url: str) -> dict[str, int]:
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return {
                t: int(conn.execute(sqlalchemy.text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in TABLES
            }
    finally:
        engine.dispose()


def test_moving_the_database_announces_nothing_already_announced(
    tmp_path: Path, feeds: FeedServer, database_url: str
) -> None:
    """After copying the SQLite database, the first run on the new one finds nothing
    new (dated or not), the tables hold the same rows, and the next new article is
    announced once, with ids that do not collide with copied ones."""
    feeds.resources["/feed.xml"] = Resource(_feed(5))
    config = tmp_path / "watchtower.toml"
    config.write_text(
        "[watchtower]\n"
        'language = "en"\n'
        'default_notify = ["console:"]\n'
        "[[brands]]\n"
        'name = "Acme"\n'
        'terms = ["Acme"]\n'
        "[[sources]]\n"
        'name = "presse"\n'
        'kind = "rss"\n'
        f'url = "{feeds.url("/feed.xml")}"\n'
        "allow_private = true\n",
        encoding="utf-8",
    )
    sqlite_url = f"sqlite:///{tmp_path / 'old.db'}"
    first = _cli(config, "run", "--once", database_url=sqlite_url)
    assert first.returncode == 0, first.stderr[-2000:]
    assert _new(first) == 6

    copied = _cli(config, "db", "copy", sqlite_url, database_url=database_url)
    assert copied.returncode == 0, copied.stderr[-2000:]
    assert re.search(r"^  items +6 +6$", copied.stdout, re.M), copied.stdout
    assert _counts(database_url) == _counts(sqlite_url)

    again = _cli(config, "run", "--once", database_url=database_url)
    assert again.returncode == 0, again.stderr[-2000:]
    assert _new(again) == 0, "the move announced the feed's articles again"

    feeds.resources["/feed.xml"] = Resource(_feed(6))
    later = _cli(config, "run", "--once", database_url=database_url)
    assert later.returncode == 0, later.stderr[-2000:]
    assert _new(later) == 1
    assert _counts(database_url)["outbox"] == 7


def test_slack_threads_carry_on_after_the_move(
    tmp_path: Path,
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A story posted from the SQLite database, seen after the move on another
    site: a reply in its thread, not a second top-level post."""
    feeds.resources["/forum.rss"] = Resource(ACME_FR, "application/rss+xml")
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    config = tmp_path / "watchtower.toml"
    # The forum source only (the Google Alerts one is not served here).
    text = re.sub(
        r'\[\[sources\]\]\nname = "alertes-slack".*?\n\n',
        "",
        config_text(database_url, feeds, slack, smtp),
        flags=re.S,
    )
    config.write_text(text, encoding="utf-8")
    old = f"sqlite:///{tmp_path / 'old.db'}"
    monkeypatch.setenv("WATCHTOWER_DATABASE_URL", old)
    assert main(["run", "--once", "--config", str(config)]) == 0
    posted = {m["ts"] for m in slack.posts()}
    assert len(posted) == 2 and not slack.replies()  # #crise and #veille
    monkeypatch.delenv("WATCHTOWER_DATABASE_URL")  # the config's: the new database

    assert main(["db", "copy", old, "--config", str(config)]) == 0

    # The same forum's posts, mirrored on another site: later sightings.
    mirror = ACME_FR.replace(b"forum.example.fr", b"miroir.example.net")
    feeds.resources["/miroir.rss"] = Resource(mirror, "application/rss+xml")
    config.write_text(
        text + f'[[sources]]\nname = "miroir"\nkind = "rss"\nurl = "{feeds.url("/miroir.rss")}"\n'
        "allow_private = true\n",
        encoding="utf-8",
    )
    count = len(slack.posts())
    assert main(["run", "--once", "--config", str(config)]) == 0
    assert len(slack.posts()) == count, "the move lost the story's Slack message"
    assert {r["thread_ts"] for r in slack.replies()} == posted


# ---------------------------------------------------------------- refusals


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    path = tmp_path / "watchtower.toml"
    path.write_text(
        f'[watchtower]\ndatabase_url = "{database_url}"\n'
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def old(tmp_path: Path) -> Iterator[Database]:
    """The SQLite database to move: one source."""
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    db.upgrade()
    _add_source(db, "presse")
    yield db
    db.dispose()


def _add_source(db: Database, name: str) -> None:
    with db.session() as session:
        session.add(SourceRow(name=name, kind="rss", cursor={}, next_check_at=datetime.now(UTC)))


def _target_revision(url: str) -> str | None:
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            if not sqlalchemy.inspect(conn).has_table("alembic_version"):
                return None
            return str(conn.execute(sqlalchemy.text("SELECT * FROM alembic_version")).scalar())
    finally:
        engine.dispose()


def test_a_target_holding_rows_is_refused_untouched(
    old: Database, config: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = Database(database_url)
    target.upgrade()
    _add_source(target, "déjà-là")
    target.dispose()

    assert main(["db", "copy", old.url, "--config", str(config)]) == 2

    assert "the target" in capsys.readouterr().err
    assert _counts(database_url)["sources"] == 1


def test_a_target_of_an_older_schema_holding_rows_is_not_migrated(
    old: Database, config: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = Database(database_url)
    target.upgrade()
    _add_source(target, "déjà-là")
    target.downgrade("0010")
    target.dispose()

    assert main(["db", "copy", old.url, "--config", str(config)]) == 2

    assert "not empty (sources 1)" in capsys.readouterr().err
    assert _target_revision(database_url) == "0010"


def test_a_source_of_an_older_schema_is_refused(
    tmp_path: Path, config: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    older = revisions()[-2]
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    db.upgrade()
    db.downgrade(older)
    db.dispose()

    assert main(["db", "copy", db.url, "--config", str(config)]) == 2

    err = capsys.readouterr().err
    assert f"schema {older}, older than this watchtower's {head_revision()}" in err
    assert "watchtower db upgrade" in err
    assert _target_revision(database_url) is None  # nothing created


def test_a_source_of_a_newer_schema_is_refused(
    old: Database, config: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with old.engine.begin() as conn:
        conn.execute(sqlalchemy.text("UPDATE alembic_version SET version_num = '9999'"))

    assert main(["db", "copy", old.url, "--config", str(config)]) == 3

    assert "newer than this watchtower" in capsys.readouterr().err
    assert _target_revision(database_url) is None


@pytest.mark.parametrize("side", ["source", "target"])
def test_a_running_daemon_is_refused_unless_forced(
    side: str,
    old: Database,
    config: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if side == "target":
        target = Database(database_url)
        target.upgrade()
        add_daemon(target, datetime.now(UTC))  # heartbeats are not rows the copy minds
        target.dispose()
    else:
        add_daemon(old, datetime.now(UTC))

    assert main(["db", "copy", old.url, "--config", str(config)]) == 1

    err = capsys.readouterr().err
    assert "1 watchtower daemon(s) still run on" in err and "replica-1 pid 4242" in err
    assert _target_revision(database_url) == (head_revision() if side == "target" else None)
    assert main(["db", "copy", old.url, "--config", str(config), "--force"]) == 0
    assert _counts(database_url)["sources"] == 1


def test_a_daemon_gone_for_long_is_not_in_the_way(
    old: Database, config: Path, database_url: str
) -> None:
    add_daemon(old, datetime.now(UTC) - timedelta(days=1))

    assert main(["db", "copy", old.url, "--config", str(config)]) == 0


def test_the_configured_database_itself_is_refused(
    config: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = Database(database_url)
    db.upgrade()
    db.dispose()

    assert main(["db", "copy", database_url, "--config", str(config)]) == 2

    assert "is the configured database itself" in capsys.readouterr().err


def test_no_database_at_the_source_is_refused(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.db"

    assert main(["db", "copy", f"sqlite:///{missing}", "--config", str(config)]) == 2

    assert "no watchtower database at" in capsys.readouterr().err
    assert not missing.exists()


def test_the_docs_give_the_steps() -> None:
    page = (ROOT / "docs" / "moving-to-postgresql.md").read_text(encoding="utf-8")
    assert re.search(r"^# .*SQLite to PostgreSQL", page, re.M)
    assert "watchtower db copy sqlite:///" in page


def test_the_help_lists_its_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["db", "copy", "--help"])
    table = capsys.readouterr().out.split("exit status:")[1]
    assert [int(c) for c in re.findall(r"^  (\d)  ", table, re.M)] == [0, 1, 2, 3]


def test_a_password_in_from_url_is_never_printed(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Nothing listens on 127.0.0.1:9: the source cannot be read, and says so.
    source = "postgresql://watchtower:s3cret-pw@127.0.0.1:9/watchtower?connect_timeout=3"

    assert main(["db", "copy", source, "--config", str(config)]) == 1

    out = capsys.readouterr()
    assert "cannot read postgresql://watchtower:***@127.0.0.1:9/watchtower" in out.err
    assert "s3cret-pw" not in out.out + out.err
