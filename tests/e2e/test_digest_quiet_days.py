"""The director's morning digest on the days nothing was held for it.

What users met: a night of critical alerts only (each sent at once, as a
crisis skips `[[digests]]`) sent no morning digest at all, though the director
reads it as her summary of the night; and an empty day sent nothing, so she
could not tell "nothing happened" from "watchtower is down".

The real daemon (App: poll rounds against the local feed server, alerting ticks,
outbox drains, aiosmtpd, the fake Slack) runs from just after yesterday's 08:30
digest to just after today's; replicas share one database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.crisis_day import Article, rss
from tests.e2e.digest_day import CRISIS, DIRECTOR, MORNING, START, Rounds, delivery, plain_of
from tests.french import nb, readable
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.storage.tables import OutboxRow


def config(
    database_url: str,
    feeds: FeedServer,
    smtp: SmtpServer,
    slack: FakeSlack,
    *,
    lang: str = "fr",
    target: str = DIRECTOR,
    digest: str = "daily 08:30",
    when_empty: str = "",
) -> str:
    return f"""
[watchtower]
database_url = "{database_url}"
language = "{lang}"
timezone = "Europe/Paris"
default_notify = ["{target}"]
{delivery(smtp, slack)}
[[brands]]
name = "Banque Acmé"
terms = ["Banque Acmé"]

[[sources]]
name = "presse-eco"
kind = "rss"
url = "{feeds.url("/presse-eco.rss")}"
allow_private = true

# A feed that has gone: the quiet day's digest says one source is down.
[[sources]]
name = "blog-disparu"
kind = "rss"
url = "{feeds.url("/gone.rss")}"
allow_private = true

[[rules]]
name = "piratage"
query = "piratage"
severity = "critical"
notify = ["{target}"]

[[digests]]
targets = ["{target}"]
digest = "{digest}"
{when_empty}
"""


def serve(feeds: FeedServer, articles: list[Article]) -> None:
    feeds.resources["/presse-eco.rss"] = Resource(
        rss("presse-eco", articles), "application/rss+xml"
    )


def crisis(at: datetime) -> list[Article]:
    return [
        Article(at + timedelta(minutes=i), "bfmtv.example", f"piratage-{i}", title, f"{title}.")
        for i, title in enumerate(CRISIS)
    ]


def unrelated(at: datetime) -> list[Article]:
    """What the feed lists on a quiet day: nothing about the brand."""
    return [Article(at, "zonebourse.example", "cac40", "Le CAC 40 finit stable", "Séance calme.")]


@dataclass
class Daemons(Rounds):
    """One or more watchtower replicas on one database, with one clock."""

    slack: FakeSlack

    def summaries(self) -> list[OutboxRow]:
        with self.apps[0].db.session() as session:
            found = session.query(OutboxRow).filter(OutboxRow.hold_reason == "digest").all()
            return [r for r in found if r.payload.get("kind") == "summary"]


@pytest.fixture
def daemons(
    database_url: str,
    feeds: FeedServer,
    smtp: SmtpServer,
    slack: FakeSlack,
    write_config: Callable[[str], Path],
    polling_app: Callable[[Path, Clock], App],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., Daemons]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)

    def build(replicas: int = 1, start: datetime = START, **options: str) -> Daemons:
        clock = Clock(now=start)
        slack.clock = clock.timestamp
        path = write_config(config(database_url, feeds, smtp, slack, **options))
        return Daemons([polling_app(path, clock) for _ in range(replicas)], clock, smtp, slack)

    return build


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(("html",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def test_a_night_of_critical_alerts_only_still_gets_its_morning_digest(
    daemons: Callable[..., Daemons], feeds: FeedServer
) -> None:
    serve(feeds, unrelated(START - timedelta(hours=1)))
    run = daemons()
    night = START + timedelta(hours=14)  # 22:31 in Paris: the crisis breaks
    run.until(night)
    serve(feeds, unrelated(START - timedelta(hours=1)) + crisis(night - timedelta(minutes=20)))
    # Not before its time: 08:29 in Paris, the alerts are out, no digest yet.
    run.until(MORNING - timedelta(minutes=2), every=timedelta(hours=1))
    alerts = [m for m in run.smtp.messages if "CRITIQUE" in str(m["Subject"])]
    assert len(alerts) == 5  # the crises went out at once, during the night
    assert run.digests() == []

    run.until(MORNING)
    [mail] = run.digests()
    assert str(mail["Subject"]) == (
        nb("[veille] Résumé quotidien : 0 mention, 5 alertes critiques — 26 novembre")
    )
    text = plain_of(mail)
    lines = [line for line in text.splitlines() if line.strip()]
    # The period ends at the digest time (08:30), not when the tick sent it.
    assert lines[1] == (
        "Du 25 novembre à 08:30 au 26 novembre à 08:30 · 0 mention · 5 alertes critiques"
    )
    assert "🚨 5 alertes critiques envoyées dès leur arrivée." in lines
    assert "En plus" not in text  # there is nothing else to add them to
    for title in CRISIS:
        assert sum(title in line for line in lines) == 1
    assert "watchtower veille toujours\u00a0: 2 sources suivies, dont 1 en panne." in lines
    assert "🚨 5 alertes critiques envoyées dès leur arrivée." in html_of(mail)

    # Once per period: later ticks of the same day send no other.
    run.until(MORNING + timedelta(hours=2), every=timedelta(minutes=30))
    assert len(run.digests()) == 1


def test_an_empty_day_says_nothing_to_report_once_with_two_replicas(
    daemons: Callable[..., Daemons], feeds: FeedServer
) -> None:
    serve(feeds, unrelated(START - timedelta(hours=1)))
    run = daemons(replicas=2)
    # Started after yesterday's digest time: no digest for a period nobody watched.
    run.step()
    assert run.digests() == []
    run.until(MORNING - timedelta(minutes=2))
    assert run.digests() == []
    run.until(MORNING)
    run.until(MORNING + timedelta(hours=1), every=timedelta(minutes=15))

    [mail] = run.digests()
    assert str(mail["Subject"]) == nb("[veille] Résumé quotidien : rien à signaler — 26 novembre")
    lines = [line for line in plain_of(mail).splitlines() if line.strip()]
    assert lines == [
        "Résumé quotidien\u00a0: rien à signaler",
        "Du 25 novembre à 08:30 au 26 novembre à 08:30 · 0 mention · 0 alerte critique",
        "watchtower veille toujours\u00a0: 2 sources suivies, dont 1 en panne.",
    ]
    assert "cid:" not in html_of(mail)  # no chart of nothing
    assert len(run.summaries()) == 1


def test_an_empty_day_in_english(daemons: Callable[..., Daemons], feeds: FeedServer) -> None:
    serve(feeds, unrelated(START - timedelta(hours=1)))
    run = daemons(lang="en")
    run.until(MORNING)
    [mail] = run.digests()
    assert str(mail["Subject"]) == "[watchtower] Daily digest: nothing to report — November 26"
    text = plain_of(mail)
    assert "From November 25 at 08:30 to November 26 at 08:30 · 0 mentions · 0 critical alerts" in (
        text
    )
    assert "watchtower is still watching: 2 sources, 1 failing." in text


def test_when_empty_skip_sends_nothing_on_an_empty_day_but_still_tells_a_crisis(
    daemons: Callable[..., Daemons], feeds: FeedServer
) -> None:
    serve(feeds, unrelated(START - timedelta(hours=1)))
    run = daemons(when_empty='when_empty = "skip"')
    run.until(MORNING)
    assert run.digests() == []
    assert run.summaries() == []
    # A crisis breaks a minute after the skipped digest's time: it is in the next
    # morning's digest, and does not send the skipped one late.
    serve(feeds, crisis(MORNING))
    run.until(MORNING + timedelta(days=1), every=timedelta(hours=6))
    [mail] = run.digests()
    assert str(mail["Subject"]) == (
        nb("[veille] Résumé quotidien : 0 mention, 5 alertes critiques — 27 novembre")
    )


def test_a_slack_digest_on_an_empty_day(
    daemons: Callable[..., Daemons], feeds: FeedServer, slack: FakeSlack
) -> None:
    serve(feeds, unrelated(START - timedelta(hours=1)))
    run = daemons(target="slack:#direction")
    run.until(MORNING)
    posted = [str(m.get("text") or "") + readable(m.get("blocks") or "") for m in slack.messages]
    digests = [p for p in posted if "Résumé quotidien" in p]
    assert len(digests) == 1
    assert "rien à signaler" in digests[0]
    assert nb("watchtower veille toujours : 2 sources suivies, dont 1 en panne.") in digests[0]


def test_an_empty_0230_digest_goes_once_on_the_25_hour_night(
    daemons: Callable[..., Daemons], feeds: FeedServer
) -> None:
    """25 October 2026: the clocks show 02:30 twice; the digest goes at the first."""
    saturday = datetime(2026, 10, 24, 18, tzinfo=UTC)  # 20:00 CEST
    serve(feeds, unrelated(saturday - timedelta(hours=1)))
    run = daemons(digest="daily 02:30", start=saturday)
    run.until(datetime(2026, 10, 25, 3, tzinfo=UTC), every=timedelta(minutes=10))  # 03:00 CET
    [mail] = run.digests()
    assert str(mail["Subject"]) == nb("[veille] Résumé quotidien : rien à signaler — 25 octobre")
    [row] = run.summaries()
    assert row.created_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    # Its period: the 25 hours since Saturday's 02:30.
    assert row.payload["summary"]["since"] == "2026-10-24T00:30:00+00:00"
