"""The marketing director's weekly digest: every Monday at 08:30, last week's mentions.

`digest = "weekly mon 08:30"` in `[[digests]]`. The real daemon (App: poll
rounds against the local feed server, alerting ticks, outbox drains, aiosmtpd,
the fake Slack Web API) runs on an injected clock through whole weeks in Paris:
an ordinary week of November 2026, and the week the clocks go back (25 October
2026), with the digest released late. What the tests read is what the servers
received.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, make_app
from tests.e2e.crisis_day import Article, rss
from tests.e2e.test_digest_quiet_days import Daemons, config, plain_of, unrelated
from tests.french import nb
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.status_report import status_report
from watchtower.status_text import outbox_lines

#: Monday 16 November 2026, 08:31 in Paris (UTC+1): just after a weekly digest time.
START = datetime(2026, 11, 16, 7, 31, tzinfo=UTC)
#: Monday 23 November, 08:30 in Paris: the weekly digest's time.
DIGEST_TIME = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
SITES = ["presse-eco", "lemonde", "lesechos"]
DISPATCH = "Banque Acmé lance une offre de crédit immobilier à taux fixe"
DISPATCH_TEXT = "Banque Acmé annonce une nouvelle offre de crédit immobilier, a indiqué la banque."
CRISIS = "Piratage chez Banque Acmé : des données de clients en vente"


def article(at: datetime, slug: str, title: str, site: str = "zonebourse.example") -> Article:
    return Article(at, site, slug, title, f"{title}.")


class Feeds:
    """What the three news feeds list, changed as the week goes."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.by_site: dict[str, list[Article]] = {site: [] for site in SITES}
        self.by_site["presse-eco"] = unrelated(START - timedelta(hours=1))
        self.publish()

    def add(self, item: Article, site: str = "presse-eco") -> None:
        self.by_site[site].append(item)
        self.publish()

    def publish(self) -> None:
        for site, items in self.by_site.items():
            self.server.resources[f"/{site}.rss"] = Resource(
                rss(site, items), "application/rss+xml"
            )


def weekly_config(
    database_url: str, server: FeedServer, smtp: SmtpServer, slack: FakeSlack, **options: str
) -> str:
    extra = "".join(
        f'\n[[sources]]\nname = "{site}"\nkind = "rss"\nurl = "{server.url(f"/{site}.rss")}"\n'
        "allow_private = true\n"
        for site in SITES[1:]
    )
    return config(database_url, server, smtp, slack, digest="weekly mon 08:30", **options) + extra


@pytest.fixture
def week(
    database_url: str,
    feeds: FeedServer,
    smtp: SmtpServer,
    slack: FakeSlack,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., tuple[Daemons, Feeds]]]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    apps: list[App] = []

    def build(start: datetime = START, **options: str) -> tuple[Daemons, Feeds]:
        clock = Clock(now=start)
        slack.clock = clock.timestamp
        news = Feeds(feeds)
        path = write_config(weekly_config(database_url, feeds, smtp, slack, **options))
        app = make_app(path, clock)
        app.http.politeness_delay = 0.0
        apps.append(app)
        return Daemons([app], clock, smtp, slack), news

    yield build
    for app in apps:
        app.close()


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def status_of(run: Daemons) -> list[str]:
    app = run.apps[0]
    with app.db.session() as session:
        report = status_report(session, app.loaded, run.clock.now)
    return outbox_lines(report["outbox"], run.clock.now, "Europe/Paris")


def test_monday_morning_one_email_tells_last_week(
    week: Callable[..., tuple[Daemons, Feeds]],
) -> None:
    run, news = week()
    run.until(START + timedelta(days=1), every=timedelta(hours=6))  # Tuesday 08:31
    for site in SITES:  # one dispatch, on three news sites
        news.add(article(run.clock.now, "credit", DISPATCH, f"{site}.example"), site)
    news.add(article(run.clock.now, "agence", "Banque Acmé ouvre une agence à Lyon"))
    run.until(START + timedelta(days=2, hours=6), every=timedelta(hours=6))  # Wednesday 14:31
    news.add(article(run.clock.now, "piratage", CRISIS, "bfmtv.example"))
    run.until(datetime(2026, 11, 22, 22, tzinfo=UTC), every=timedelta(hours=6))  # Sunday 23:00
    news.add(article(run.clock.now, "dimanche", "Banque Acmé sponsorise le marathon"))
    run.until(DIGEST_TIME - timedelta(minutes=30), every=timedelta(hours=6))  # Monday 08:00
    news.add(article(run.clock.now, "lundi", "Banque Acmé : les résultats du trimestre"))
    run.step()
    # Held for the week, not sent daily: the crisis alone went out, at once.
    assert run.digests() == []
    assert [m["Subject"] for m in run.smtp.messages if "CRITIQUE" in str(m["Subject"])]
    # `status` says when the held mentions go: the weekly digest's time.
    [held] = [line for line in status_of(run) if " held for " in line]
    assert "the next going out 2026-11-23 08:30 CET" in held

    run.until(DIGEST_TIME + timedelta(minutes=1))
    [mail] = run.digests()
    subject = str(mail["Subject"])
    assert re.fullmatch(
        r"\[veille\] Résumé hebdomadaire\xa0: \d+ mentions, 1 alerte critique"
        r" — semaine du 16 au 22 novembre",
        subject,
    ), subject
    lines = lines_of(plain_of(mail))
    assert lines[0].startswith("Résumé hebdomadaire\u00a0: ")
    # The 7 days before the digest time, in Paris: Monday 08:30 to Monday 08:30.
    assert lines[1].startswith("Du 16 novembre à 08:30 au 23 novembre à 08:30 · ")
    # The crisis first, then one line per story: the dispatch once, with its reach.
    crisis = next(i for i, line in enumerate(lines) if CRISIS in line)
    [dispatch] = [i for i, line in enumerate(lines) if DISPATCH in line]
    assert crisis < dispatch and "vu sur 3 sites" in lines[dispatch]
    assert any(line.startswith("Banque Acmé — 🔎 ") for line in lines)
    text = "\n".join(lines)
    for title in ("agence à Lyon", "marathon", "résultats du trimestre"):
        assert title in text  # Tuesday to Monday 08:00: all last week's
    [summary] = run.summaries()
    assert summary.payload["summary"]["sent_apart"] == 1

    # Monday 09:00: a new mention is next week's; the Wednesday crisis is not counted again.
    news.add(article(run.clock.now, "apres", "Banque Acmé recrute 200 conseillers"))
    run.until(DIGEST_TIME + timedelta(days=7, minutes=1), every=timedelta(hours=6))
    assert len(run.digests()) == 2
    second = run.digests()[1]
    assert str(second["Subject"]) == (
        nb("[veille] Résumé hebdomadaire : 1 mention — semaine du 23 au 29 novembre")
    )
    body = plain_of(second)
    assert "recrute 200 conseillers" in body
    assert CRISIS not in body and DISPATCH not in body and "alerte critique" not in body
    assert "Du 23 novembre à 08:30 au 30 novembre à 08:30 · 1 mention · 1 sujet" in body


def test_the_weekly_digest_in_slack_names_its_week(
    week: Callable[..., tuple[Daemons, Feeds]], slack: FakeSlack
) -> None:
    run, news = week(lang="en", target="slack:#direction")
    run.until(START + timedelta(days=3), every=timedelta(hours=12))
    news.add(article(run.clock.now, "agence", "Banque Acmé opens a branch in Lyon"))
    run.until(START + timedelta(days=4), every=timedelta(hours=12))
    for site in SITES:  # one dispatch, on three news sites
        news.add(article(run.clock.now, "credit", DISPATCH, f"{site}.example"), site)
    run.until(DIGEST_TIME - timedelta(minutes=30), every=timedelta(hours=12))
    assert slack.posts() == []  # held for Monday
    run.until(DIGEST_TIME + timedelta(minutes=1))
    [post] = [p for p in slack.posts() if "digest" in p["text"]]
    header = post["blocks"][0]["text"]["text"]
    assert re.search(r"Weekly digest, week of November 16–22: \d+ mentions$", header), header
    assert "Weekly digest, week of November 16–22: " in post["text"]
    [brand] = [b["text"]["text"] for b in post["blocks"] if "Banque Acmé*" in str(b.get("text"))]
    # One line per story: the dispatch once, with its reach, as in the e-mail digest.
    assert brand.count(DISPATCH) == 1
    [line] = [line for line in brand.splitlines() if DISPATCH in line]
    assert line.endswith(" · seen on 3 sites")
    assert "opens a branch in Lyon" in brand


@pytest.mark.parametrize("when_empty", ["send", "skip"])
def test_an_empty_week(week: Callable[..., tuple[Daemons, Feeds]], when_empty: str) -> None:
    run, _ = week(when_empty=f'when_empty = "{when_empty}"')
    run.until(DIGEST_TIME + timedelta(hours=2), every=timedelta(hours=12))
    if when_empty == "skip":
        assert run.digests() == [] and run.smtp.messages == []
        return
    [mail] = run.digests()
    assert str(mail["Subject"]) == (
        nb("[veille] Résumé hebdomadaire : rien à signaler — semaine du 16 au 22 novembre")
    )
    assert lines_of(plain_of(mail))[1] == (
        "Du 16 novembre à 08:30 au 23 novembre à 08:30 · 0 mention · 0 alerte critique"
    )


#: Monday 19 October 2026, 08:31 in Paris (UTC+2): the week the clocks go back.
AUTUMN = datetime(2026, 10, 19, 6, 31, tzinfo=UTC)
#: Monday 26 October, 08:30 in Paris (UTC+1 now): 169 hours later.
AUTUMN_DIGEST = datetime(2026, 10, 26, 7, 30, tzinfo=UTC)
FIRST_ALERT = "Piratage chez Banque Acmé : le site fermé"
LATE_ALERT = "Nouveau piratage : l'application de Banque Acmé fermée"


def test_the_week_the_clocks_go_back_released_late_counts_its_own_169_hours(
    week: Callable[..., tuple[Daemons, Feeds]],
) -> None:
    run, news = week(start=AUTUMN)
    app = run.apps[0]
    run.until(AUTUMN + timedelta(hours=2))  # Monday 10:31: a crisis, sent at once
    news.add(article(run.clock.now, "piratage-1", FIRST_ALERT, "bfmtv.example"))
    run.until(AUTUMN + timedelta(days=3), every=timedelta(hours=6))
    news.add(article(run.clock.now, "agence", "Banque Acmé ouvre une agence à Lyon"))
    # The repeated hour: Sunday 25 October, 02:15 (CET, its second showing).
    run.until(datetime(2026, 10, 25, 1, 15, tzinfo=UTC), every=timedelta(hours=6))
    news.add(article(run.clock.now, "nuit", "Banque Acmé : une nuit d'une heure de plus"))
    run.until(AUTUMN_DIGEST - timedelta(minutes=10), every=timedelta(hours=6))  # 08:20
    assert run.digests() == []

    # 08:50: an alert goes out at once; no tick releases the 08:30 digest until 09:10.
    run.clock.now = AUTUMN_DIGEST + timedelta(minutes=20)
    news.add(article(run.clock.now - timedelta(minutes=5), "piratage-2", LATE_ALERT, "bfm"))
    app.poller.poll(all_sources=True)
    app.outbox.drain()
    run.clock.now = AUTUMN_DIGEST + timedelta(minutes=40)
    run.step()
    [mail] = run.digests()
    assert re.fullmatch(
        r"\[veille\] Résumé hebdomadaire\xa0: 2 mentions, 1 alerte critique"
        r" — semaine du 19 au 25 octobre",
        str(mail["Subject"]),
    ), mail["Subject"]
    text = plain_of(mail)
    # Its period ends at its time, not at 09:10: the 08:50 alert is next week's.
    assert lines_of(text)[1].startswith("Du 19 octobre à 08:30 au 26 octobre à 08:30 · ")
    assert FIRST_ALERT in text and LATE_ALERT not in text and "nuit d'une heure" in text
    [first] = run.summaries()
    summary = first.payload["summary"]
    since, until = (datetime.fromisoformat(summary[k]) for k in ("since", "until"))
    assert (since, until) == (AUTUMN - timedelta(minutes=1), AUTUMN_DIGEST)
    assert until - since == timedelta(hours=169)
    assert summary["sent_apart"] == 1

    # The next week (26 October – 1 November) counts the 08:50 alert, once.
    run.until(AUTUMN_DIGEST + timedelta(days=7, minutes=1), every=timedelta(hours=6))
    second = next(r for r in run.summaries() if r.id != first.id)
    assert second.payload["summary"]["since"] == AUTUMN_DIGEST.isoformat()
    assert second.payload["summary"]["sent_apart"] == 1
    assert [a["title"] for a in second.payload["summary"]["apart"]] == [LATE_ALERT]
    assert str(run.digests()[1]["Subject"]) == nb(
        "[veille] Résumé hebdomadaire : 0 mention, 1 alerte critique"
        " — semaine du 26 octobre au 1er novembre"
    )
