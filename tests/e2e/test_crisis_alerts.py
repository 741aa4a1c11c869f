"""What the crisis day showed, one defect per test: the story counter, the spike alert's
numbers and examples, one alert per crisis, the calm-down."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock, base_config, make_app, queue
from tests.e2e.crisis_day import google_redirect
from tests.e2e.test_escalation_taken_email import text_of
from tests.french import nb, readable
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower import spikes
from watchtower.app import App
from watchtower.config import SpikesSection
from watchtower.storage.tables import ItemRow, MentionRow, OutboxRow, SourceRow, StoryRow

START = datetime(2026, 2, 2, 0, 0, tzinfo=UTC)
ARTICLE = "https://www.lemonde.example/economie/panne-banque-acme"
TITLE = "Panne géante chez Acmé : des milliers de clients privés de leurs comptes"
TEXT = (
    "Depuis ce mercredi matin, les clients d'Acmé ne peuvent plus se connecter à leur "
    "application ni payer par carte, et le service client est saturé."
)


# ------------------------------------------------------------ the story counter
def test_a_source_listing_the_storys_very_address_is_no_new_site(
    app_for: Callable[[str], App], feeds: FeedServer, slack: FakeSlack, clock: Clock
) -> None:
    """The site's feed, then a Google Alert of the same article (its link unwrapped
    to lemonde): no thread reply (nothing new to read), and no counter either: the
    story is still on one site, as the story's row says."""
    rss = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>lemonde</title><item>'
        f"<title>{TITLE}</title><link>{ARTICLE}</link><guid>{ARTICLE}</guid>"
        f"<description>{TEXT}</description></item></channel></rss>"
    )
    entry = (
        "<entry><id>tag:google.com,2013:googlealerts/feed:1</id>"
        f'<title type="html">{TITLE}</title>'
        f'<link href="{google_redirect(ARTICLE).replace("&", "&amp;")}"></link>'
        f"<published>{clock.now.isoformat()}</published><updated>{clock.now.isoformat()}</updated>"
        f'<content type="html">{TEXT}</content></entry>'
    )

    def alert(entries: str) -> Resource:
        return Resource(
            (
                '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                "<id>tag:google.com,2005:alerts/acme</id><title>Google Alert</title>"
                f"{entries}</feed>"
            ).encode(),
            "application/atom+xml",
        )

    feeds.resources["/lemonde.rss"] = Resource(rss.encode(), "application/rss+xml")
    feeds.resources["/alerte.xml"] = alert("")
    app = app_for(
        f"""
[[sources]]
name = "lemonde"
kind = "rss"
url = "{feeds.url("/lemonde.rss")}"
allow_private = true

[[sources]]
name = "alerte"
kind = "google_alerts"
url = "{feeds.url("/alerte.xml")}"
allow_private = true
"""
    )
    app.poller.poll(all_sources=True)
    app.outbox.drain()
    [parent] = slack.posts()

    feeds.resources["/alerte.xml"] = alert(entry)
    clock.advance(minutes=5)
    app.poller.poll(all_sources=True)
    app.outbox.drain()
    clock.advance(minutes=1)
    app.outbox.drain()

    assert slack.replies(parent["ts"]) == []  # the message already links there
    [parent] = slack.posts()
    assert re.findall(r"Vu sur (\d+) sites?", str(parent["blocks"])) == []
    with app.db.session() as session:
        assert session.scalars(select(StoryRow.sightings)).one() == 1


# ------------------------------------------------------------------ spike alerts
SPIKES = """
[spikes]
min_count = 10
notify = ["slack:#crise"]
escalate_to = ["@USENIOR"]
ack_timeout = "15m"
escalate_notify = ["slack:#direction"]

[[rules]]
name = "crise"
query = "panne"
severity = "critical"
notify = ["slack:#crise", "email:manager@example.fr"]
spikes = true
escalate_to = ["@UMANAGER"]
escalate_notify = ["email:senior@example.fr"]

[[rules]]
name = "service"
query = "service"
severity = "warning"
notify = ["slack:#service-client"]
"""


@pytest.fixture
def spiking(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[App, Clock]]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    clock = Clock(now=START)
    slack.clock = clock.timestamp
    app = make_app(write_config(base_config(database_url, slack, smtp, SPIKES)), clock)
    yield app, clock
    app.close()


def add_burst(app: App, at: datetime, stories: int, copies: int) -> None:
    """``stories`` articles, each on ``copies`` sites; each item matched by both rules."""
    with app.db.session() as session:
        source = SourceRow(
            name=f"presse-{at:%H%M}",
            kind="rss",
            url=f"https://x/{at:%H%M}",
            enabled=True,
            cursor={},
            next_check_at=START,
            consecutive_failures=0,
            items_total=0,
            alerting=False,
        )
        session.add(source)
        session.flush()
        for s in range(stories):
            story = StoryRow(
                key=f"k{at:%H%M}{s}", title=f"Panne {s}", created_at=at, last_seen_at=at
            )
            session.add(story)
            session.flush()
            for c in range(copies):
                item = ItemRow(
                    source_id=source.id,
                    guid=f"{at:%H%M}-{s}-{c}",
                    url=f"https://site{c}.example/{s}",
                    canonical_url=f"https://site{c}.example/{s}",
                    title=f"Panne chez Acmé, épisode {s}",
                    fetched_at=at,
                    story_id=story.id,
                )
                session.add(item)
                session.flush()
                for rule, severity, terms in (
                    ("crise", "critical", ["acme", "panne"]),
                    ("service", "warning", ["acme", "service"]),
                ):
                    session.add(
                        MentionRow(
                            item_id=item.id,
                            brand="Acmé",
                            rule=rule,
                            severity=severity,
                            terms=terms,
                            surfaces=["Acmé", "panne", "service"],
                            # The last story's copies are the newest mentions.
                            created_at=at + timedelta(minutes=10 * s + c),
                        )
                    )


def spike_payloads(app: App) -> list[dict[str, object]]:
    with app.db.session() as session:
        return [
            r.payload["spike"]
            for r in session.scalars(select(OutboxRow).order_by(OutboxRow.id))
            if r.payload.get("kind") == "spike"
        ]


def burst(app: App, clock: Clock) -> None:
    add_burst(app, START, 1, 1)  # watchtower listens from the start: three quiet days
    at = START + timedelta(days=3, hours=8)
    add_burst(app, at, stories=3, copies=8)  # 24 items, two mention rows each
    clock.now = at + timedelta(minutes=55)


def test_one_spike_alert_per_crisis_with_numbers_that_add_up(
    spiking: tuple[App, Clock], slack: FakeSlack
) -> None:
    app, clock = spiking
    burst(app, clock)
    assert spikes.check(app.db, app.loaded.config, clock.now) == 1
    app.outbox.drain()

    # The brand's and the crisis rule's volumes jumped together: one alert, to
    # both's targets, paging both's people; one escalation row.
    [alert] = {str(s["alert"]) for s in spike_payloads(app)}
    [spike] = spike_payloads(app)[:1]
    assert spike["name"] == "Acmé · crise"
    assert spike["observed"] == 24
    assert sorted(spike["escalate_to"]) == ["@UMANAGER", "@USENIOR"]  # type: ignore[arg-type]
    [post] = slack.posts()
    assert post["channel"] == "#crise"
    with app.db.session() as session:
        targets = {r.target for r in session.scalars(select(OutboxRow))}
    assert targets == {"slack:#crise", "email:manager@example.fr"}
    # Terms count items, as the total does: not once per rule that matched.
    terms = dict(spike["top_terms"])  # type: ignore[call-overload]
    assert terms["Acmé"] == 24 and terms["panne"] == 24 and terms["service"] == 24
    # Examples are distinct stories, each shown with its most urgent severity.
    examples = spike["examples"]
    assert len({e["title"] for e in examples}) == 3  # type: ignore[attr-defined]
    assert {e["severity"] for e in examples} == {"critical"}  # type: ignore[attr-defined]
    assert alert.startswith("spike:brand:Acmé:")
    # The rule's own spike is in its cooldown: no second alert a few minutes later.
    clock.advance(minutes=5)
    assert spikes.check(app.db, app.loaded.config, clock.now) == 0


def test_the_calm_down_is_told_once_where_the_alert_and_its_escalation_went(
    spiking: tuple[App, Clock], slack: FakeSlack, smtp: SmtpServer
) -> None:
    app, clock = spiking
    burst(app, clock)
    app.alerting.tick()
    app.outbox.drain()
    clock.advance(minutes=16)
    app.alerting.tick()
    app.outbox.drain()
    alert, escalation = slack.posts()
    assert [alert["channel"], escalation["channel"]] == ["#crise", "#direction"]

    clock.advance(minutes=30)  # the spike's mentions are still in the window
    spikes.check(app.db, app.loaded.config, clock.now)
    assert not [s for s in spike_payloads(app) if s.get("calm")]

    clock.advance(hours=1)
    for _ in range(3):  # told once, whatever the number of checks
        spikes.check(app.db, app.loaded.config, clock.now)
        clock.advance(minutes=10)
    app.outbox.drain()

    # In the thread of each copy, and in the channel too (a broadcast reply).
    calm = [m for m in slack.messages if "Retour au calme" in m["text"]]
    assert [(m["channel"], m["thread_ts"]) for m in calm] == [
        ("#crise", alert["ts"]),
        ("#direction", escalation["ts"]),
    ]
    assert calm == slack.broadcasts()
    text = readable(calm[0]["blocks"])
    assert nb("Retour au calme : Acmé · crise") in text
    assert "0 mention sur 1 h (d'habitude 0)" in text  # "0", not "0,0"
    # The 24 include the hour before the alert: counted from the spike's start, "en tout".
    said = "Pic commencé vers 08:55, signalé le 05/02/2026 à 09:55 (CET) : 24 mentions en tout."
    assert nb(said) in text
    assert "<@" not in text and "ack" not in text  # nobody paged, nothing to take
    # By body, not subject: it answers the alert's e-mail ("Re: …Pic de mentions…").
    mails = [m for m in smtp.messages if "Retour au calme" in text_of(m)]
    assert sorted(m["To"] for m in mails) == ["manager@example.fr", "senior@example.fr"]


@pytest.mark.parametrize(
    ("observed", "baseline", "calm"),
    [(4, 0.0, True), (5, 0.0, False), (29, 20.0, True), (30, 20.0, False), (12, 20.0, True)],
)
def test_calm_is_half_the_volume_that_makes_a_spike(
    observed: int, baseline: float, calm: bool
) -> None:
    # A busy brand (20 an hour) spikes from 60: it is calm again under 30, not under 5.
    settings = SpikesSection(min_count=10, min_ratio=3.0)
    assert spikes.is_calm(observed, baseline, settings) is calm


# ------------------------------------------------- quiet hours and a digest target
def test_a_mention_of_the_night_waits_for_the_digest_not_the_morning(
    app_for: Callable[[str], App], smtp: SmtpServer, clock: Clock
) -> None:
    """The manager asked for one e-mail a day and no mail at night: a mention at
    07:35 went out alone at 08:00, released from the quiet hours as itself."""
    app = app_for("""
[[quiet_hours]]
targets = ["email:manager@example.fr"]
windows = ["mon-fri 20:00-08:00", "sat-sun"]
timezone = "Europe/Paris"

[[digests]]
targets = ["email:manager@example.fr"]
digest = "daily 18:00"
""")
    clock.now = datetime(2026, 3, 4, 6, 35, tzinfo=UTC)  # Wednesday 07:35 in Paris
    queue(app, "email:manager@example.fr", key="nuit")
    queue(app, "email:manager@example.fr", key="crise", severity="critical")
    app.alerting.tick()
    app.outbox.drain()
    assert [str(m["Subject"]) for m in smtp.messages] == [
        nb("[veille] CRITIQUE – Acmé : Article crise 0")  # a crisis goes out, night or not
    ]

    clock.now = datetime(2026, 3, 4, 7, 1, tzinfo=UTC)  # 08:01: the night is over
    app.alerting.tick()
    app.outbox.drain()
    assert len(smtp.messages) == 1

    clock.now = datetime(2026, 3, 4, 17, 1, tzinfo=UTC)  # 18:01: the digest
    app.alerting.tick()
    app.outbox.drain()
    assert len(smtp.messages) == 2
    assert nb("Résumé quotidien : 1 mention") in str(smtp.messages[1]["Subject"])
    assert "Article nuit 0" in str(smtp.messages[1].get_body(("plain",)).get_content())  # type: ignore[union-attr]


def test_the_digest_of_a_crisis_day_counts_the_alerts_sent_at_once(
    app_for: Callable[[str], App], smtp: SmtpServer, clock: Clock
) -> None:
    """ "Résumé quotidien : 2 mentions" on the evening of a crisis read as a quiet
    day to the manager: the crises had gone out at once, and the digest said nothing."""
    app = app_for("""
[[digests]]
targets = ["email:manager@example.fr"]
digest = "daily 18:00"
""")
    clock.now = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
    queue(app, "email:manager@example.fr", 2, key="veille")
    queue(app, "email:manager@example.fr", 3, key="crise", severity="critical")
    app.alerting.tick()
    app.outbox.drain()
    assert len(smtp.messages) == 3

    clock.now = datetime(2026, 3, 4, 17, 1, tzinfo=UTC)  # 18:01 in Paris
    app.alerting.tick()
    app.outbox.drain()
    digest = smtp.messages[-1]
    assert nb("Résumé quotidien : 2 mentions") in str(digest["Subject"])
    text = str(digest.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "🚨 En plus, 3 alertes critiques envoyées dès leur arrivée." in text


def test_a_counted_sighting_of_a_story_held_for_the_night_is_no_extra_mention(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("""
[[quiet_hours]]
targets = ["slack:#veille"]
windows = ["mon-fri 20:00-08:00"]
timezone = "Europe/Paris"
""")
    clock.now = datetime(2026, 3, 4, 21, 0, tzinfo=UTC)  # Wednesday 22:00 in Paris
    story = {"id": 7, "first": True, "sightings": 1, "edited": False}
    [parent] = queue(app, "slack:#veille", key="parent", story=story)
    with app.db.session() as session:
        row = session.get(OutboxRow, parent)
        assert row is not None
        row.dedup_key = "story:7"
    counted = dict(story, first=False, sightings=2, count_only=True)
    queue(app, "slack:#veille", key="story:7:seen:101", story=counted, source="alerte")
    app.outbox.drain()
    assert slack.messages == []

    clock.now = datetime(2026, 3, 5, 7, 1, tzinfo=UTC)  # Thursday 08:01
    for _ in range(3):
        app.alerting.tick()
        app.outbox.drain()
        clock.advance(minutes=1)

    [post] = slack.posts()  # the story alone, not "2 mentions" during the night
    assert "Article parent 0" in post["text"]
    assert re.findall(r"Vu sur (\d+) sites", str(post["blocks"])) == ["2"]
    assert slack.replies() == []
