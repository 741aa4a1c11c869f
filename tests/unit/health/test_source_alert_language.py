"""The ops alert of a failing source says the error in the configured language;
the source row (logs, ``status``, metrics) keeps the English sentence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.french import nb
from tests.servers.http import FeedServer, Resource
from watchtower import source_alerts
from watchtower.app import App
from watchtower.config import load_config
from watchtower.errors import PermanentError, SourceError, TransientError
from watchtower.storage.tables import OutboxRow, SourceRow

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def make_app(
    database_url: str, feeds: FeedServer, write_config: Callable[[str], Path], extra: str
) -> App:
    path = write_config(f"""
[watchtower]
database_url = "{database_url}"
ops_notify = ["console:#ops"]
source_alert_after = 1
{extra}

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "forum-conso"
kind = "rss"
url = "{feeds.url("/f.xml")}"
every = "1h"
allow_private = true
""")
    app = App(load_config(path), clock=lambda: NOW)
    app.start()
    return app


@pytest.fixture
def apps(
    database_url: str, feeds: FeedServer, write_config: Callable[[str], Path]
) -> Iterator[Callable[[str], App]]:
    made: list[App] = []

    def build(extra: str = "") -> App:
        made.append(make_app(database_url, feeds, write_config, extra))
        return made[-1]

    yield build
    for app in made:
        app.close()


def record_failure(app: App, failure: SourceError, **kwargs: Any) -> dict[str, Any]:
    """What poll_record.py's ``_record_failure`` does with a failure, then the ops payload."""
    with app.db.writing() as session:
        row = session.scalars(select(SourceRow)).one()
        row.consecutive_failures += 1
        row.last_error = failure.message
        row.last_error_at = NOW
        source_alerts.after_failure(session, app.loaded.config, row, NOW, **kwargs)
    return payload(app)


def payload(app: App) -> dict[str, Any]:
    with app.db.session() as session:
        found: dict[str, Any] = session.scalars(
            select(OutboxRow.payload).where(OutboxRow.dedup_key.like("ops:source:%:down:%"))
        ).one()
        return found


def last_error(app: App) -> str | None:
    with app.db.session() as session:
        return session.scalars(select(SourceRow.last_error)).one()


def test_the_alert_says_the_error_in_french(apps: Callable[[str], App]) -> None:
    app = apps("")
    error = PermanentError(code="http_forbidden", params={"status": 403})
    sent = record_failure(app, error, error=error)
    assert (sent["title"], sent["excerpt"]) == (
        nb("Source en panne : forum-conso"),
        nb("La vérification a échoué. Dernière erreur : le site a refusé l'accès (403)"),
    )
    assert last_error(app) == "the site refused access (403)"  # status and logs: English


def test_the_alert_says_a_timeout_in_french_seconds(apps: Callable[[str], App]) -> None:
    app = apps("")
    error = TransientError(code="timeout", params={"seconds": 30.0})
    sent = record_failure(app, error, error=error)
    assert sent["excerpt"] == nb(
        "La vérification a échoué. Dernière erreur : le site n'a pas répondu dans les 30 s"
    )
    assert last_error(app) == "the server did not answer within 30s"


def test_the_alert_speaks_english_when_configured(apps: Callable[[str], App]) -> None:
    app = apps('language = "en"')
    error = PermanentError(code="feed_is_html")
    sent = record_failure(app, error, error=error)
    assert (sent["title"], sent["excerpt"]) == (
        "Source down: forum-conso",
        "The check failed. Last error: the page is an HTML page, not an RSS/Atom feed",
    )


def test_an_error_without_a_code_is_quoted_in_english(apps: Callable[[str], App]) -> None:
    app = apps("")
    error = PermanentError("port 993 expects TLS from the first byte")
    sent = record_failure(app, error, error=error)
    # The English sentence is a value: the template's colon is spaced, not its words.
    assert sent["excerpt"] == (
        "La vérification a échoué. Dernière erreur\u00a0: port 993 expects TLS from the first byte"
    )


def test_without_the_error_the_alert_quotes_the_stored_sentence(
    apps: Callable[[str], App],
) -> None:
    """What poll.py calls today: the alert is as before, English inside French."""
    app = apps("")
    sent = record_failure(app, PermanentError(code="http_forbidden", params={"status": 403}))
    assert sent["excerpt"] == nb(
        "La vérification a échoué. Dernière erreur : the site refused access (403)"
    )


def test_an_address_in_the_localized_sentence_is_redacted(apps: Callable[[str], App]) -> None:
    app = apps("")
    error = PermanentError(
        code="dns", params={"host": "https://veille:s3cret@flux.acme.fr", "reason": "x"}
    )
    sent = record_failure(app, error, error=error)
    assert "s3cret" not in sent["excerpt"]


def test_through_the_poller_the_alert_is_in_french(
    apps: Callable[[str], App], feeds: FeedServer
) -> None:
    app = apps("")
    feeds.resources["/f.xml"] = Resource(b"interdit", status=403)
    app.poller.poll(all_sources=True)
    assert payload(app)["excerpt"] == nb(
        "La vérification a échoué. Dernière erreur : le site a refusé l'accès (403)"
    )

    assert last_error(app) == "the site refused access (403)"
