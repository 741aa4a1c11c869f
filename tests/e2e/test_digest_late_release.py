"""A morning digest released late counts the critical alerts of its own period.

What users met: the director's 08:30 digest went out late, at 09:10 (the tick
that releases digests did not run from 08:30 to 09:10, while alerts still went
out), and counted a critical alert sent at 08:50 — which the next morning's
digest, whose period starts at 08:30, counted again.

The real daemon (App: poll rounds against the local feed server, alerting ticks,
outbox drains, aiosmtpd) runs on an injected clock from Wednesday 08:31 to
Friday 08:31 in Paris.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, make_app
from tests.e2e.crisis_day import Article
from tests.e2e.test_digest_quiet_days import Daemons, config, serve
from tests.servers.http import FeedServer
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App

#: Wednesday 25 November 2026, 08:31 in Paris (UTC+1): just after a digest time.
START = datetime(2026, 11, 25, 7, 31, tzinfo=UTC)
#: Thursday 26 November, 08:30 in Paris: the digest's time.
DIGEST_TIME = datetime(2026, 11, 26, 7, 30, tzinfo=UTC)
#: Thursday 08:50 in Paris: a critical alert, after the digest's time.
AFTER = DIGEST_TIME + timedelta(minutes=20)
#: Thursday 09:10 in Paris: the digest is released, late.
LATE = DIGEST_TIME + timedelta(minutes=40)
#: Friday 27 November, 08:31 in Paris: the next digest is out.
NEXT_MORNING = datetime(2026, 11, 27, 7, 31, tzinfo=UTC)

WEDNESDAY_ALERT = "Piratage chez Banque Acmé : des données de clients en vente"
THURSDAY_ALERT = "Nouveau piratage : l'application de Banque Acmé fermée par précaution"


def article(at: datetime, slug: str, title: str) -> Article:
    return Article(at, "presse.example", slug, title, f"{title}.")


@pytest.fixture
def daemon(
    database_url: str,
    feeds: FeedServer,
    smtp: SmtpServer,
    slack: FakeSlack,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Daemons]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    clock = Clock(now=START)
    slack.clock = clock.timestamp
    app: App = make_app(write_config(config(database_url, feeds, smtp, slack)), clock)
    app.http.politeness_delay = 0.0
    yield Daemons([app], clock, smtp, slack)
    app.close()


def test_a_late_digest_counts_only_its_period_and_the_next_counts_the_rest_once(
    daemon: Daemons, feeds: FeedServer
) -> None:
    run, [app] = daemon, daemon.apps
    articles = [
        article(START + timedelta(hours=1), "agence", "Banque Acmé ouvre une agence à Lyon")
    ]
    serve(feeds, articles)
    run.until(START + timedelta(hours=13))  # 21:31 in Paris
    articles.append(article(run.clock.now, "piratage", WEDNESDAY_ALERT))
    serve(feeds, articles)
    run.until(DIGEST_TIME - timedelta(minutes=10))  # 08:20: the alert went out, nothing else
    assert run.digests() == []

    # 08:50: an alert goes out at once, but no tick releases the 08:30 digest yet.
    run.clock.now = AFTER
    articles.append(article(AFTER - timedelta(minutes=5), "piratage-appli", THURSDAY_ALERT))
    serve(feeds, articles)
    app.poller.poll(all_sources=True)
    app.outbox.drain()
    alerts = [m for m in run.smtp.messages if "CRITIQUE" in str(m["Subject"])]
    assert len(alerts) == 2
    assert run.digests() == []

    # 09:10: the digest goes, late; its period ended at 08:30.
    run.clock.now = LATE
    run.step()
    [first] = run.summaries()
    summary = first.payload["summary"]
    assert summary["count"] == 1  # the held mention
    assert summary["sent_apart"] == 1
    assert [a["title"] for a in summary["apart"]] == [WEDNESDAY_ALERT]
    [mail] = run.digests()
    assert "1 mention, 1 alerte critique" in str(mail["Subject"])
    assert THURSDAY_ALERT not in mail.as_string()

    # Friday's digest: its period (from Thursday 08:30) holds the 08:50 alert, once.
    articles.append(
        article(LATE + timedelta(hours=3), "agence-2", "Banque Acmé recrute 200 conseillers")
    )
    serve(feeds, articles)
    run.until(NEXT_MORNING)
    second = next(r for r in run.summaries() if r.id != first.id)
    summary = second.payload["summary"]
    assert summary["since"] == DIGEST_TIME.isoformat()
    assert summary["sent_apart"] == 1
    assert [a["title"] for a in summary["apart"]] == [THURSDAY_ALERT]
    assert len(run.digests()) == 2
    assert "1 mention, 1 alerte critique" in str(run.digests()[1]["Subject"])
