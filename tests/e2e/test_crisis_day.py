"""A crisis day as the community managers see it in Slack and by e-mail.

The real daemon (App: poll rounds, alerting ticks, outbox drains) runs minute by
minute on a simulated clock through three quiet days and the day "Banque Acmé"
breaks down (:mod:`tests.e2e.crisis_day`): 30 copies of a dispatch, rewrites,
three Google Alerts, a phpBB thread, a Discourse topic, 1-star App Store
reviews. The tests read what the team received, as the team would.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, rows
from tests.e2e.crisis_day import BREAK, CrisisWeb, config
from tests.french import nb
from tests.servers.http import FeedServer
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App


@dataclass
class Day:
    app: App
    clock: Clock
    web: CrisisWeb
    slack: FakeSlack
    smtp: SmtpServer

    def step(self, *, poll: bool) -> None:
        if poll:
            self.web.publish(self.clock.now)
            self.app.poller.poll(all_sources=True)
        self.app.alerting.tick()
        self.app.outbox.drain()

    def live(self, until: timedelta) -> None:
        """Minute by minute until ``until`` after the break, polling every 5 minutes."""
        while self.clock.now < BREAK + until:
            self.step(poll=self.clock.now.minute % 5 == 0)
            self.clock.advance(minutes=1)

    def run(self) -> None:
        """Three quiet days (two polls a day), the crisis morning, the evening."""
        for _ in range(3):
            self.clock.advance(hours=2)
            self.step(poll=True)
            self.clock.advance(hours=6)
            self.step(poll=True)
            self.clock.advance(hours=16)
        self.clock.now = BREAK - timedelta(minutes=30)
        self.live(timedelta(hours=4))
        self.clock.now = BREAK + timedelta(hours=10, minutes=1)  # 18:01 in Paris
        self.step(poll=True)

    # ------------------------------------------------------------ what people see
    def posts(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.slack.posts() if m["channel"] == channel]

    def mails(self, to: str) -> list[EmailMessage]:
        return [m for m in self.smtp.messages if m["To"] == to]


def shown(message: dict[str, Any]) -> str:
    """Everything a Slack message shows (its blocks' text)."""
    return str(message.get("blocks") or message["text"])


def plain(mail: EmailMessage) -> str:
    part = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


@pytest.fixture
def run_day(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[str], Day]]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    apps: list[App] = []

    def run(lang: str) -> Day:
        clock = Clock(now=BREAK - timedelta(days=3))
        slack.clock = clock.timestamp
        web = CrisisWeb(feeds).build()
        web.publish(clock.now)
        app = make_app(
            write_config(config(database_url, feeds, slack.api_url, smtp.port, lang)), clock
        )
        apps.append(app)
        app.http.politeness_delay = 0.0  # every "site" is 127.0.0.1: no need to be polite
        day = Day(app, clock, web, slack, smtp)
        day.run()
        return day

    yield run
    for app in apps:
        app.close()


def test_the_crisis_day_in_french(run_day: Callable[[str], Day]) -> None:
    day = run_day("fr")
    crise = day.posts("#crise")

    # 30 copies of the dispatch, 10 rewrites and 9 Google Alerts copies of them:
    # three stories in #crise, each one message with its thread.
    dispatch = [m for m in crise if "Panne géante chez Banque Acmé" in m["text"]]
    assert len(dispatch) == 1
    thread = day.slack.replies(dispatch[0]["ts"])
    assert len(thread) == 5  # [dedup] max_thread_replies: 29 copies on other sites
    assert all(r["text"].startswith("Aussi vu sur ") for r in thread)
    # The counter tells the sites the dispatch was on (30), not the feeds that
    # listed it (4 press feeds and 3 Google Alerts of the same articles).
    counters = re.findall(r"Vu sur (\d+) sites", shown(dispatch[0]))
    assert counters and int(counters[-1]) == 30, counters
    # Google's redirect links are unwrapped: the article's own address.
    assert all("google.com" not in shown(m) for m in day.slack.messages)

    # Each forum post and review is its own alert, once.
    items = [m for m in crise if "CRITIQUE" in m["text"]]
    assert len(items) == len({m["text"] for m in items})
    assert sum("forum-conso.example" in m["text"] for m in items) == 4
    assert sum("apps.apple.com" in m["text"] for m in items) == 3

    # One spike alert for the crisis (the brand's and the crisis rule's volumes
    # jumped together), within minutes, paging the senior; escalated once.
    spikes = [m for m in crise if "Pic de mentions" in m["text"]]
    assert len(spikes) == 1
    spike = shown(spikes[0])
    assert "Banque Acmé · crisis-fr" in spike and "<@USENIOR>" in spike
    assert float(spikes[0]["ts"]) - BREAK.timestamp() <= 10 * 60
    observed = int(re.search(r"(\d+) mentions sur 1 h \(d'habitude 0\)", spike).group(1))  # type: ignore[union-attr]
    # Every term is counted once per item, as the total is.
    assert all(
        int(n) <= observed for n in re.findall(r"[\w ]+ \((\d+)\)", spike.split("*Termes*")[1])
    )
    examples = re.findall(r"\|([^>]+)> · _", spike)
    assert examples and len(examples) == len(set(examples))  # distinct stories
    escalated = day.posts("#direction")
    assert len([m for m in escalated if "Escalade" in shown(m)]) == 1
    [senior_alert, *senior_rest] = day.mails("senior@acme.example")
    assert "ESCALADE" in str(senior_alert["Subject"])

    # The calm-down is told once, where the alert and its escalation went.
    calm = [m for m in day.slack.messages if "Retour au calme" in m["text"]]
    assert sorted(m["channel"] for m in calm) == ["#crise", "#direction"]
    assert "Pic commencé vers 07:05, signalé le 04/03/2026 à 08:" in shown(calm[0])
    assert [str(m["Subject"]) for m in senior_rest] == [
        nb("[veille] ✅ Retour au calme : Banque Acmé · crisis-fr")
    ]
    # The alert's own reader gets it in the alert's conversation ("Re: …").
    assert any("Retour au calme" in plain(m) for m in day.mails("manager@acme.example"))
    assert float(calm[0]["ts"]) < (BREAK + timedelta(hours=3)).timestamp()

    # The manager's e-mails: each crisis item once, in French, nothing lost.
    manager = day.mails("manager@acme.example")
    subjects = [str(m["Subject"]) for m in manager]
    # (Two days' digests may have the same subject: "Résumé quotidien : 1 mention".)
    alerts = [s for s in subjects if "Résumé quotidien" not in s]
    assert len(alerts) == len(set(alerts)) or all("Re:" in s for s in alerts if alerts.count(s) > 1)
    # ("Re: " for the calm-down, in the alert's conversation.)
    assert all(s.removeprefix("Re: ").startswith("[veille] ") for s in subjects)
    assert any("Panne géante chez Banque Acmé : des milliers" in s for s in subjects)

    # The night's ordinary forum question waited for the end of the quiet hours
    # in #veille, and for the evening digest in the manager's mailbox.
    [night] = [m for m in day.posts("#veille") if "Frais de tenue" in m["text"]]
    assert int(float(night["ts"])) == BREAK.timestamp()  # 08:00 in Paris
    assert not any("Mention –" in s for s in subjects)
    [digest] = [m for m in manager if "Résumé quotidien" in str(m["Subject"])][-1:]
    digest_text = plain(digest)
    assert "Frais de tenue de compte chez Banque Acmé" in digest_text
    # ... and it says what went out at once that day: the numbers add up.
    # (Not the calm-down, an info notice: "Re: [veille] 🚨 Pic de mentions …".)
    urgent = sum(
        not s.startswith("Re: ") and ("CRITIQUE" in s or "Pic de mentions" in s) for s in subjects
    )
    assert f"🚨 En plus, {urgent} alertes critiques envoyées dès leur arrivée." in digest_text

    # Nothing waits, nothing failed; ops heard nothing (nothing broke).
    statuses = Counter(r.status for r in rows(day.app))
    assert set(statuses) <= {"sent", "skipped", "grouped"}, statuses
    assert day.mails("ops@acme.example") == []
    # The crisis articles are all claimed by the crisis rules: none in #veille.
    veille = str(day.posts("#veille"))
    assert "economie/panne-banque-acme" not in veille and "economie/acme-" not in veille


def test_the_crisis_day_in_english(run_day: Callable[[str], Day]) -> None:
    day = run_day("en")
    crise = day.posts("#crise")
    assert [m for m in crise if "Mention spike" in m["text"]] != []
    assert all(
        "CRITIQUE" not in m["text"] and "Aussi vu" not in m["text"] for m in day.slack.messages
    )
    calm = [m for m in day.slack.messages if "Back to normal: Banque Acmé" in m["text"]]
    assert sorted(m["channel"] for m in calm) == ["#crise", "#direction"]
    assert "Spike began around 07:05, reported on 2026-03-04 08:" in shown(calm[0])
    subjects = [str(m["Subject"]) for m in day.mails("manager@acme.example")]
    # ("Re: " for the calm-down, in the alert's conversation.)
    assert all(s.removeprefix("Re: ").startswith("[watchtower] ") for s in subjects)
    # A long subject keeps its spaces ("Pannegéante" was what mail clients showed).
    assert "CRITICAL – Banque Acmé: Panne géante chez Banque Acmé" in " ".join(subjects)
    assert "spike" in plain(day.mails("senior@acme.example")[0]).lower()
