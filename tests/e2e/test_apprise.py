"""``apprise:`` targets: local delivery through Apprise, failures, no leaked secrets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy

from tests.e2e.scenario import ACME_FR
from tests.servers.http import FeedServer, Resource
from tests.servers.webhook import Webhook
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.errors import ConfigError
from watchtower.redact import redact_target, redact_text
from watchtower.storage.engines import make_engine

SECRET = "s3cr3t-t0ken"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    server = Webhook().start()
    yield server
    server.stop()


def config(database_url: str, feeds: FeedServer, target: str, attempts: int = 12) -> str:
    return f"""
[watchtower]
backlog = "all"  # the fixtures are real feeds from past years
database_url = "{database_url}"
default_notify = ["{target}"]
max_delivery_attempts = {attempts}

[[brands]]
name = "Acmé"
terms = ["Acmé", "Banque Acmé"]
exclude = ["Acme Corporation"]

[[sources]]
name = "forum-conso"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
allow_private = true
"""


def test_apprise_json_target_receives_each_mention(
    database_url: str,
    feeds: FeedServer,
    webhook: Webhook,
    write_config: Callable[[str, str], Path],
) -> None:
    feeds.resources["/forum.rss"] = Resource(ACME_FR, "application/rss+xml")
    target = f"apprise:json://user:{SECRET}@127.0.0.1:{webhook.port}/hook"
    path = write_config(config(database_url, feeds, target), "watchtower.toml")

    assert main(["run", "--once", "--config", str(path)]) == 0

    engine = make_engine(load_config(path).database_url)
    with engine.connect() as conn:
        sent = conn.execute(
            sqlalchemy.text("SELECT count(*) FROM outbox WHERE status = 'sent'")
        ).scalar_one()
    engine.dispose()
    assert sent >= 2 and len(webhook.posts) == sent  # one POST per notification, none lost
    assert any("Banque Acmé" in p["title"] for p in webhook.posts)
    body = webhook.posts[0]["message"]
    assert "forum-conso" in body
    # The "<!channel>" in a title is defused: it cannot ping anyone.
    assert all("<!channel>" not in p["title"] + p["message"] for p in webhook.posts)


def test_apprise_failure_is_retried_then_recorded_without_secrets(
    database_url: str,
    feeds: FeedServer,
    webhook: Webhook,
    write_config: Callable[[str, str], Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    feeds.resources["/forum.rss"] = Resource(ACME_FR, "application/rss+xml")
    webhook.fail_next, webhook.fail_status = 100, 400  # the service refuses these messages
    target = f"apprise:json://user:{SECRET}@127.0.0.1:{webhook.port}/{SECRET}"
    path = write_config(config(database_url, feeds, target, attempts=1), "watchtower.toml")

    assert main(["run", "--once", "--config", str(path)]) == 1  # notifications given up

    engine = make_engine(load_config(path).database_url)
    with engine.connect() as conn:
        rows = conn.execute(sqlalchemy.text("SELECT status, last_error FROM outbox")).all()
    engine.dispose()
    assert rows and {r.status for r in rows} == {"failed"}
    assert all("Apprise json" in r.last_error for r in rows)
    assert all(SECRET not in r.last_error for r in rows)
    assert main(["status", "--config", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "notification failed" in err
    assert SECRET not in out + err


def test_apprise_config_errors_never_show_the_url(write_config: Callable[[str, str], Path]) -> None:
    text = f"""
[[rules]]
name = "r"
notify = ["apprise:nosuchservice://{SECRET}/x"]
"""
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(text, "watchtower.toml"))
    message = str(caught.value)
    assert "nosuchservice://" in message and SECRET not in message


def test_redaction_keeps_where_not_what() -> None:
    shown = redact_target(f"apprise:json://user:{SECRET}@example.org/path")
    assert shown.startswith("apprise:json://") and "example.org" in shown
    assert SECRET not in shown
    assert SECRET[:8] not in redact_target(f"apprise:tgram://123456789:{SECRET}/42")
    assert redact_target("slack:#crise") == "slack:#crise"
    assert SECRET not in redact_text(f"target=apprise:json://u:{SECRET}@h/ next")
