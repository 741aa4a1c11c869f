"""Community managers put 🚫 on Slack alerts that are noise; ``watchtower noise``
says which brand and rule they were, and what to exclude.

Real feed server, fake Slack Web API, the real pipeline and matcher: alerts are
posted, some get 🚫 (or 👎), the daemon's feedback job reads the reactions
within its bounds, and ``watchtower noise`` prints the shares and a suggestion
that, pasted into the config, stops the marked mentions and none of the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock
from tests.e2e.scenario import targets
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.models import Item
from watchtower.pipeline.match import Matcher
from watchtower.scheduler import Daemon

NOISE = [
    ("Recette du jus d'orange pressé", "Pressez trois oranges pour un bon jus d'orange."),
    ("Le jus d'orange, allié du petit-déjeuner", "Un verre de jus d'Orange chaque matin."),
    ("Prix du jus d'orange en hausse", "Le prix du JUS D'ORANGE augmente après les récoltes."),
]
RELEVANT = [
    ("Panne Orange à Lyon", "Les clients Orange sont privés de fibre, panne générale."),
    ("Orange augmente le prix de ses forfaits", "Orange annonce une hausse de prix."),
    ("Coupure du réseau Orange", "Panne du réseau mobile Orange dans le Sud."),
]
QUERY = "panne OR prix OR jus OR coupure"


def rss(entries: list[tuple[str, str]]) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>https://news.example.fr/{n}</link>"
        f"<guid>n{n}</guid><pubDate>Tue, 24 Nov 2026 09:{n:02d}:00 +0100</pubDate>"
        f"<description>{text}</description></item>"
        for n, (title, text) in enumerate(entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Presse</title><link>https://news.example.fr/</link>{items}</channel></rss>"
    ).encode()


def config(database_url: str, feeds: FeedServer, slack: FakeSlack, smtp: SmtpServer) -> str:
    return f"""
{targets(database_url, slack, smtp)}
[[brands]]
name = "Orange"
terms = ["Orange"]
allow_everyday_words = true

[[sources]]
name = "presse"
kind = "rss"
url = "{feeds.url("/presse.rss")}"
every = "10m"
allow_private = true

[[rules]]
name = "conso"
brands = ["Orange"]
query = "{QUERY}"
notify = ["slack:#conso"]
"""


@pytest.fixture
def clock() -> Clock:
    # Real time: ``watchtower noise --since 30d`` counts back from now.
    return Clock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def posted(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[App, Path]]:
    """The six articles fetched, matched and posted to #conso."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    feeds.resources["/presse.rss"] = Resource(rss(NOISE + RELEVANT), "application/rss+xml")
    path = write_config(config(database_url, feeds, slack, smtp))
    app = App(load_config(path), clock=clock)
    app.start()
    try:
        app.poller.poll(all_sources=True)
        app.outbox.drain()
        assert len(slack.posts()) == 6
        yield app, path
    finally:
        app.close()


def ts_of(slack: FakeSlack, title: str) -> str:
    [message] = [m for m in slack.posts() if title in json.dumps(m, ensure_ascii=False)]
    return str(message["ts"])


def reads(slack: FakeSlack) -> int:
    return sum(1 for call in slack.calls if call.method == "reactions.get")


def noise(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    capsys.readouterr()
    assert main(["noise", "--config", str(path), "--since", "30d", *extra]) == 0
    return capsys.readouterr().out


def test_marked_alerts_are_read_within_bounds_and_noise_suggests_what_really_excludes_them(
    posted: tuple[App, Path],
    slack: FakeSlack,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
    write_config: Callable[[str], Path],
) -> None:
    app, path = posted
    daemon = Daemon(app)
    slack.react(ts_of(slack, NOISE[0][0]), "no_entry_sign")
    slack.react(ts_of(slack, NOISE[1][0]), "x")
    slack.react(ts_of(slack, NOISE[2][0]), "-1::skin-tone-3")
    slack.react(ts_of(slack, RELEVANT[0][0]), "white_check_mark")  # taken in charge: relevant

    clock.advance(minutes=10)
    daemon.feedback_job()
    assert reads(slack) == 0  # too early: people have not had time to react

    clock.advance(minutes=25)
    daemon.feedback_job()
    assert reads(slack) == 6  # each alert read once
    daemon.feedback_job()
    assert reads(slack) == 6  # not again in the same period

    clock.advance(hours=6)
    daemon.feedback_job()
    assert reads(slack) == 9  # only the three not marked, at 6 h
    clock.advance(hours=18)
    daemon.feedback_job()
    assert reads(slack) == 12  # and at 24 h
    clock.advance(hours=12)
    daemon.feedback_job()
    clock.advance(hours=13)
    daemon.feedback_job()
    assert reads(slack) == 12  # three reads at most, never after 48 h

    text = noise(path, capsys)
    assert "brand 'Orange': 6 alerts, 3 not relevant (50%)" in text
    assert "rule 'conso': 6 alerts, 3 not relevant (50%)" in text
    assert '"jus d\'orange" (3 marked, 0 others)' in text
    assert 'exclude = ["jus d\'orange"]' in text
    assert "watchtower test-rule conso --stored --since 30d --config" in text

    report = json.loads(noise(path, capsys, "--json"))
    by_scope = {(r["scope"], r["name"]): r for r in report["reports"]}
    brand, rule = by_scope["brand", "Orange"], by_scope["rule", "conso"]
    assert (brand["alerts"], brand["not_relevant"], brand["share"]) == (6, 3, 0.5)
    assert brand["suggestion"]["stops_marked"] == 3
    assert rule["suggestion"]["config"] == f"query = '({QUERY}) AND NOT (jus)'"

    # Pasted into the config, each suggestion stops the three marked mentions and
    # none of the others, as the real matcher reads them.
    original = path.read_text(encoding="utf-8")
    edited = original.replace(
        "allow_everyday_words = true\n",
        f"allow_everyday_words = true\n{brand['suggestion']['config']}\n",
    ).replace(f'query = "{QUERY}"', rule["suggestion"]["config"])
    loaded = load_config(write_config(edited, "tuned.toml"))
    matcher = Matcher(loaded.config.brands, loaded.config.rules, sources=loaded.sources)
    brand_only = Matcher(loaded.config.brands, [], sources=loaded.sources)
    for title, body in NOISE + RELEVANT:
        item = Item(guid=title, title=title, text=body)
        alerted = title in dict(RELEVANT)
        assert bool(brand_only.match(item, "presse")) is alerted, title
        assert any(m.rule == "conso" for m in matcher.match(item, "presse")) is alerted, title
    # The rule alone (brand unchanged) stops them too.
    just_rule = original.replace(f'query = "{QUERY}"', rule["suggestion"]["config"])
    alone = load_config(write_config(just_rule, "rule.toml"))
    only = Matcher(alone.config.brands, alone.config.rules, sources=alone.sources)
    for title, body in NOISE + RELEVANT:
        item = Item(guid=title, title=title, text=body)
        fired = any(m.rule == "conso" for m in only.match(item, "presse"))
        assert fired is (title in dict(RELEVANT)), title


def publish(app: App, feeds: FeedServer, *extra: tuple[str, str]) -> None:
    """New articles in the feed: fetched, matched and delivered as the daemon would."""
    feeds.resources["/presse.rss"] = Resource(rss(NOISE + RELEVANT + list(extra)))
    app.poller.poll(all_sources=True)
    app.outbox.drain()


def test_a_rate_limit_or_an_outage_while_reading_reactions_loses_and_blocks_no_delivery(
    posted: tuple[App, Path],
    feeds: FeedServer,
    slack: FakeSlack,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = posted
    daemon = Daemon(app)
    for title, _ in NOISE:
        slack.react(ts_of(slack, title), "no_entry_sign")
    clock.advance(minutes=40)

    # A 429 with ten minutes' Retry-After: the round ends at once, without waiting.
    slack.retry_after = 600
    slack.rate_limit_calls["reactions.get"] = 1
    daemon.feedback_job()
    assert reads(slack) == 1
    # Deliveries go on meanwhile.
    box = ("Orange : panne de la box", "Panne de box Orange signalée partout.")
    publish(app, feeds, box)
    assert len(slack.posts()) == 7 and box[0] in json.dumps(slack.posts()[-1], ensure_ascii=False)
    clock.advance(minutes=5)
    daemon.feedback_job()
    assert reads(slack) == 1  # nothing read before the Retry-After

    # Slack down for reads (a 503) once the Retry-After is over: one try, the round
    # ends, no alert spends its read; deliveries still go.
    clock.advance(minutes=6)
    slack.refuse["reactions.get"] = 503
    with caplog.at_level("WARNING", logger="watchtower.feedback"):
        daemon.feedback_job()
    assert reads(slack) == 2
    assert any(r.getMessage() == "cannot read Slack reactions; will retry" for r in caplog.records)
    cut = ("Coupure Orange à Nantes", "Coupure du réseau Orange à Nantes.")
    publish(app, feeds, box, cut)
    assert len(slack.posts()) == 8

    # Slack is back. A round makes a bounded number of calls; the next round
    # reads the rest: the six first alerts (the two new ones are too young), the
    # three marked ones marked.
    del slack.refuse["reactions.get"]
    daemon.feedback.max_calls = 2
    first = daemon.feedback.run()
    assert (first.read, first.stopped) == (2, "call budget spent")
    daemon.feedback.max_calls = 20
    rest = daemon.feedback.run()
    assert (first.read + rest.read, first.marked + rest.marked, rest.stopped) == (6, 3, "")
    assert reads(slack) == 2 + 6
