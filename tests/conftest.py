"""Shared fixtures: databases (SQLite always, PostgreSQL when configured) and local servers.

Set ``WATCHTOWER_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test`` to run
every database test on PostgreSQL too; each test gets its own schema.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy

from tests.servers.http import FeedServer
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.secret_values import forget_all

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
PG_URL = os.environ.get("WATCHTOWER_TEST_DATABASE_URL")


def _pg_schema_url(base: str) -> Iterator[str]:
    schema = "wt_" + uuid.uuid4().hex[:12]
    admin_url = base.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sqlalchemy.create_engine(admin_url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: SQLite file always; PostgreSQL schema when configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'watchtower.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL: set WATCHTOWER_TEST_DATABASE_URL to run")
    yield from _pg_schema_url(PG_URL)


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write a TOML config into the test's folder and return its path."""

    def write(text: str, name: str = "watchtower.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """``main()`` points the root logger at the test's captured stderr; put it back,
    or background threads of later tests (aiosmtpd) log to a closed stream."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _forget_secret_values() -> Iterator[None]:
    """A test's secrets, registered when it loads a config, are not hidden in the next."""
    yield
    forget_all()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SLACK_BOT_TOKEN",
        "SMTP_USERNAME",
        "SMTP_PASSWORD",
        "WATCHTOWER_CONFIG",
        "WATCHTOWER_DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
