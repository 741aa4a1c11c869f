"""An agency watching five client brands in one watchtower (docs/agency.md).

The real daemon (App: poll rounds, alerting ticks, outbox drains) runs on the
agency's config, ``tests/fixtures/agency.toml``, against local feeds that name
one, two or all five clients, and names that are also common words. Each
client's channel and contacts must get that client's mentions and nothing of
the others'.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.e2e.alerting_helpers import Clock, make_app, rows
from tests.e2e.scenario import targets
from tests.french import nb, readable
from tests.servers.http import FeedServer, Resource
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower import spikes
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config, parse_config
from watchtower.errors import ConfigError
from watchtower.pipeline.match.engine import Matcher
from watchtower.storage.tables import ItemRow, MentionRow, SourceRow

AGENCY = ROOT / "tests" / "fixtures" / "agency.toml"
#: Wednesday 4 March 2026, 11:00 in Paris: office hours, no quiet hours.
NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)

CHANNELS = {
    "Banque Acmé": "#client-acme",
    "Boulangeries Durand": "#client-durand",
    "Groupe Orion": "#client-orion",
    "Mutuelle Solis": "#client-solis",
    "Vélo Rapide": "#client-velo",
}
CRISIS_MAIL = {
    "Banque Acmé": "dircom@acme.example",
    "Boulangeries Durand": "direction@durand.example",
    "Groupe Orion": "crise@orion.example",
    "Mutuelle Solis": "crise@solis.example",
    "Vélo Rapide": "patron@velo.example",
}
PATHS = {
    "https://www.google.com/alerts/feeds/00000/22222": "/alertes.xml",
    "https://presse.example.fr/rss.xml": "/presse.xml",
    "https://forum.ufc.example.fr/feed.rss": "/forum.xml",
    "https://avis.example.fr/velo-rapide-nantes": "/avis-velo",
}


def local(
    text: str, database_url: str, feeds: FeedServer, slack: FakeSlack, smtp: SmtpServer
) -> str:
    """The agency's config pointed at the local servers (nothing else changed)."""
    text = text.replace('database_url = "sqlite:///agence.db"', f'database_url = "{database_url}"')
    text = text.replace(
        "[slack]\n", f'[slack]\napi_url = "{slack.api_url}"\nchannel_interval = "0s"\n'
    )
    text = text.replace('smtp_host = "smtp.agence.example"', 'smtp_host = "127.0.0.1"')
    text = text.replace("smtp_port = 587", f"smtp_port = {smtp.port}\nstarttls = false")
    text = text.replace('language = "fr"', 'language = "fr"\nbacklog = "all"')
    for url, path in PATHS.items():
        text = text.replace(f'url = "{url}"', f'url = "{feeds.url(path)}"\nallow_private = true')
    assert "example.fr/" not in text and "google.com" not in text
    return text


def rss(*entries: tuple[str, str, str]) -> bytes:
    """An RSS feed of (title, text, link) entries, published an hour before NOW."""
    date = format_datetime(NOW - timedelta(hours=1))
    items = "".join(
        f"<item><title>{escape(t)}</title><description>{escape(d)}</description>"
        f"<link>{escape(link)}</link><guid>{escape(link)}</guid><pubDate>{date}</pubDate></item>"
        for t, d, link in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>flux</title><link>https://presse.example.fr/</link>{items}</channel></rss>"
    ).encode()


def reviews_page(*reviews: tuple[str, str, str]) -> bytes:
    """A shop's review page: (author, rating, body) reviews that never name the shop."""
    data = {
        "@context": "https://schema.org",
        "@type": "BikeStore",
        "name": "Magasin de Nantes",
        "review": [
            {
                "@type": "Review",
                "author": {"@type": "Person", "name": a},
                "datePublished": "2026-03-04",
                "reviewRating": {"@type": "Rating", "ratingValue": r},
                "reviewBody": b,
            }
            for a, r, b in reviews
        ],
    }
    return (
        '<html lang="fr"><head><script type="application/ld+json">'
        + json.dumps(data, ensure_ascii=False)
        + "</script></head><body></body></html>"
    ).encode()


TWO_CLIENTS = (
    "Banque Acmé finance l'ouverture de vingt Boulangeries Durand",
    "La Banque Acmé accorde un prêt de 5 millions d'euros aux Boulangeries Durand, "
    "qui ouvriront vingt magasins en Bretagne d'ici la fin de l'année prochaine.",
)
ALL_FIVE = (
    "Palmarès des marques préférées des Français",
    "En tête du classement cette année : Banque Acmé, les Boulangeries Durand, le Groupe Orion, "
    "la Mutuelle Solis et les magasins Vélo Rapide, tous en progression.",
)
COMMON_WORDS = [
    (
        "Ce soir, la constellation d'Orion est visible à l'œil nu",
        "Levez les yeux vers le sud : Orion et sa ceinture brillent, pour le plaisir des "
        "astronomes amateurs. Un spectacle à ne pas manquer si le ciel est dégagé.",
        "https://sciences.example.fr/orion",
    ),
    (
        "Jean Durand, boulanger à Lyon, élu meilleur croissant",
        "Le boulanger Jean Durand a remporté le concours régional du meilleur croissant au "
        "beurre, devant trente autres artisans de la région lyonnaise.",
        "https://lyon.example.fr/durand",
    ),
    (
        "Sol, solis : réviser ses déclinaisons latines",
        "Sol, solis, masculin : le soleil. Une fiche pour les élèves de cinquième qui "
        "commencent le latin cette année et révisent leurs déclinaisons.",
        "https://latin.example.fr/solis",
    ),
    (
        "Aller au travail avec un vélo rapide : nos conseils",
        "Pour aller au travail, un vélo rapide et léger change tout. Voici comment choisir "
        "le vélo rapide qui vous convient, sans vous ruiner, avec nos conseils.",
        "https://velo.example.fr/conseils",
    ),
]


@pytest.fixture
def agency(
    database_url: str,
    feeds: FeedServer,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[App, Clock]]:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    clock = Clock(now=NOW)
    slack.clock = clock.timestamp
    feeds.resources["/alertes.xml"] = Resource(
        rss((*TWO_CLIENTS, "https://eco.example.fr/acme-durand"), *COMMON_WORDS[:2])
    )
    feeds.resources["/presse.xml"] = Resource(
        rss(
            (*ALL_FIVE, "https://presse.example.fr/palmares"),
            (
                "Groupe Orion : panne générale du réseau mobile",
                "Depuis ce matin, les clients du Groupe Orion sont privés d'accès à internet "
                "et au réseau mobile dans tout l'ouest de la France.",
                "https://presse.example.fr/orion-panne",
            ),
            *COMMON_WORDS[2:],
        )
    )
    feeds.resources["/forum.xml"] = Resource(
        rss(
            (
                "Mutuelle Solis : résiliation impossible",
                "Cela fait trois mois que je demande la résiliation de mon contrat à la Mutuelle "
                "Solis : toujours pas de réponse, le service client est injoignable.",
                "https://forum.ufc.example.fr/t/1",
            ),
        )
    )
    feeds.resources["/avis-velo"] = Resource(
        reviews_page(
            ("Karim", "1", "Vendeur désagréable, vélo jamais livré, remboursement refusé.")
        ),
        "text/html; charset=utf-8",
    )
    text = local(AGENCY.read_text(encoding="utf-8"), database_url, feeds, slack, smtp)
    app = make_app(write_config(text), clock)
    yield app, clock
    app.close()


def cycle(app: App) -> None:
    app.poller.poll(all_sources=True)
    app.alerting.tick()
    app.outbox.drain()


def shown(message: dict[str, Any]) -> str:
    return readable(message.get("blocks") or message["text"])


def brands_line(message: dict[str, Any]) -> str:
    """The "Marques : …" line of a Slack message."""
    found = re.search(r"Marques\W+([^\\'\"]*)", shown(message))
    assert found, shown(message)
    return found.group(1)


def test_the_agency_config_checks_clean() -> None:
    """The documented recipe is valid and `check` has nothing to warn about."""
    loaded = load_config(AGENCY)
    assert loaded.warnings == ()
    names = [r.name for r in loaded.config.rules]
    # The per-client crisis rules replace the pack's "crisis-fr" (which would
    # send every client's crises to default_notify); crisis-fr-service stays.
    assert "crisis-fr" not in names and "crisis-fr-service" in names
    orion = next(r for r in loaded.config.rules if r.name == "crise-orion")
    assert orion.severity == "critical" and orion.query and "@crisis_fr" in orion.query
    assert main(["check", "--config", str(AGENCY)]) == 0


def test_each_client_channel_gets_its_own_mentions_only(
    agency: tuple[App, Clock], slack: FakeSlack, smtp: SmtpServer
) -> None:
    app, _ = agency
    cycle(app)

    by_channel: dict[str, list[dict[str, Any]]] = {}
    for message in slack.posts():
        by_channel.setdefault(message["channel"], []).append(message)
    # Nothing through the defaults: every brand has its own channel.
    assert set(by_channel) == set(CHANNELS.values())
    for brand, channel in CHANNELS.items():
        for message in by_channel[channel]:
            assert brands_line(message).startswith(brand), (channel, brands_line(message))
            others = [b for b in CHANNELS if b != brand and b in brands_line(message)]
            assert others == [], (channel, others)
    # The article naming two clients: one message in each client's channel.
    two = [m for m in slack.posts() if "vingt Boulangeries Durand" in shown(m)]
    assert sorted(m["channel"] for m in two) == ["#client-acme", "#client-durand"]
    # The ranking naming all five: one message per client channel.
    five = [m for m in slack.posts() if "Palmarès" in shown(m)]
    assert sorted(m["channel"] for m in five) == sorted(CHANNELS.values())
    # Outbox rows say the same: each target only its brand.
    for row in rows(app):
        channel = row.target.removeprefix("slack:")
        if channel in CHANNELS.values():
            [brand] = [b for b, c in CHANNELS.items() if c == channel]
            assert row.payload["brands"] == [brand], (row.target, row.payload["brands"])


def test_an_article_naming_two_clients_is_threaded_in_each_client_channel(
    agency: tuple[App, Clock], feeds: FeedServer, slack: FakeSlack
) -> None:
    """The same article seen later on another site: a reply under its message in
    both clients' channels, each thread in its own channel."""
    app, clock = agency
    cycle(app)
    first = {m["channel"]: m for m in slack.posts() if "vingt Boulangeries Durand" in shown(m)}
    assert set(first) == {"#client-acme", "#client-durand"}

    feeds.resources["/forum.xml"] = Resource(
        rss((*TWO_CLIENTS, "https://ouest.example.fr/eco/acme-durand"))
    )
    clock.advance(minutes=20)
    cycle(app)

    replies = [r for r in slack.replies() if "ouest.example.fr" in shown(r)]
    assert sorted((r["channel"], r["thread_ts"]) for r in replies) == sorted(
        (channel, message["ts"]) for channel, message in first.items()
    )
    assert len([m for m in slack.posts() if "vingt Boulangeries Durand" in shown(m)]) == 2


def test_common_words_are_no_mentions(agency: tuple[App, Clock], slack: FakeSlack) -> None:
    app, _ = agency
    cycle(app)
    with app.db.session() as session:
        titles = {
            i.title
            for i in session.query(ItemRow).join(MentionRow, MentionRow.item_id == ItemRow.id)
        }
    for title, _, _ in COMMON_WORDS:
        assert title not in titles
    assert not any("constellation" in shown(m) or "latines" in shown(m) for m in slack.posts())


def test_a_client_crisis_pages_that_client_only(
    agency: tuple[App, Clock], slack: FakeSlack, smtp: SmtpServer
) -> None:
    app, _ = agency
    cycle(app)

    crisis = [m for m in slack.posts() if "panne générale" in shown(m)]
    assert [m["channel"] for m in crisis] == ["#client-orion"]
    assert "CRITIQUE" in shown(crisis[0]).upper()
    # Only Orion's crisis contact is mailed; no other client's contact hears of it.
    crisis_mails = [m for m in smtp.messages if m["To"] in CRISIS_MAIL.values()]
    assert [m["To"] for m in crisis_mails] == ["crise@orion.example"]
    # The forum complaint about Solis (crisis-fr-service and Solis's own rule)
    # goes to Solis's channel, once, with both rules as its reason.
    solis = [m for m in slack.posts() if "résiliation impossible" in shown(m)]
    assert [m["channel"] for m in solis] == ["#client-solis"]
    # The shop's review page, that never names it, reaches the shop's channel.
    review = [m for m in slack.posts() if "jamais livré" in shown(m)]
    assert [m["channel"] for m in review] == ["#client-velo"]
    assert not [m for m in slack.posts() if m["channel"] == "#agence-veille"]


def test_a_client_digest_lists_that_client_only(
    agency: tuple[App, Clock], slack: FakeSlack, smtp: SmtpServer
) -> None:
    app, clock = agency
    cycle(app)
    # The digest readers got nothing at once (no critical mention of theirs).
    digest_readers = {"marketing@durand.example", "communication@solis.example"}
    assert not [m for m in smtp.messages if m["To"] in digest_readers]

    clock.now = datetime(2026, 3, 5, 7, 31, tzinfo=UTC)  # 08:31 in Paris, next morning
    app.alerting.tick()
    app.outbox.drain()

    def body(mail: EmailMessage) -> str:
        part = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
        assert isinstance(part, EmailMessage)
        return str(part.get_content())

    [durand] = [m for m in smtp.messages if m["To"] == "marketing@durand.example"]
    text = body(durand)
    assert "vingt Boulangeries Durand" in text and "Palmarès" in text
    assert "panne générale" not in text and "résiliation" not in text
    [solis] = [m for m in smtp.messages if m["To"] == "communication@solis.example"]
    text = body(solis)
    assert "résiliation impossible" in text and "Palmarès" in text
    assert "vingt Boulangeries Durand" not in text and "panne générale" not in text


# ---------------------------------------------------------------- config: extends, brand notify


def _config(tmp_path: Path, body: str) -> Any:
    return parse_config('[slack]\ndefault_channel = "#agence"\n' + body, tmp_path / "w.toml")


BRANDS = """
[[brands]]
name = "Banque Acmé"
terms = ["Banque Acmé"]

[[brands]]
name = "Boulangeries Durand"
terms = ["Boulangeries Durand"]
"""


def test_check_warns_when_a_pack_rule_sends_per_client_brands_to_the_defaults(
    tmp_path: Path,
) -> None:
    """Per-client rules with their own channels, and the pack's crisis-fr sending
    every client's crises to one channel: `check` says so and how to narrow it."""
    per_client = """
[[rules]]
name = "acme"
brands = ["Banque Acmé"]
notify = ["slack:#client-acme"]

[[rules]]
name = "durand"
brands = ["Boulangeries Durand"]
notify = ["slack:#client-durand"]
"""
    loaded = _config(tmp_path, BRANDS + per_client)
    assert not [w for w in loaded.warnings if "has no notify" in w.message]  # no pack
    loaded = parse_config(
        'include = ["crisis-fr"]\n[slack]\ndefault_channel = "#agence"\n' + BRANDS + per_client,
        tmp_path / "w.toml",
    )
    messages = [w.message for w in loaded.warnings]
    crisis = [m for m in messages if m.startswith("rule 'crisis-fr' has no notify")]
    assert crisis and "slack:#agence" in crisis[0] and 'extends = "crisis-fr"' in crisis[0]
    assert "'Banque Acmé', 'Boulangeries Durand'" in crisis[0]


def test_extends_copies_a_pack_rule_and_checks_its_name(tmp_path: Path) -> None:
    loaded = _config(
        tmp_path,
        BRANDS
        + """
[[rules]]
name = "crise-acme"
extends = "crisis-fr"
brands = ["Banque Acmé"]
notify = ["slack:#client-acme"]
""",
    )
    [rule] = loaded.config.rules  # no include: only the extension
    assert rule.severity == "critical" and rule.query.startswith("@crisis_fr")
    with pytest.raises(ConfigError) as error:
        _config(tmp_path, BRANDS + '[[rules]]\nname = "x"\nextends = "crisis-fx"\n')
    [problem] = error.value.problems
    assert problem.key == "rules[0].extends" and problem.line is not None
    assert "unknown pack rule 'crisis-fx'" in problem.message and "'crisis-fr'" in problem.message


def test_a_brand_email_target_needs_the_email_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        _config(
            tmp_path,
            '[[brands]]\nname = "A"\nterms = ["Acmé"]\nnotify = ["email:a@example.fr"]\n',
        )
    assert [p.key for p in error.value.problems] == ["brands[0].notify"]


def test_pack_rules_route_to_each_brand_own_channel(tmp_path: Path) -> None:
    """crisis-fr kept as is (no extension): each brand's crisis goes to that
    brand's `notify`, not to default_notify for all clients."""
    from watchtower.models import Item
    from watchtower.pipeline.route import route

    loaded = parse_config(
        'include = ["crisis-fr"]\n[slack]\ndefault_channel = "#agence"\n'
        + BRANDS.replace(
            'terms = ["Banque Acmé"]', 'terms = ["Banque Acmé"]\nnotify = ["slack:#client-acme"]'
        ),
        tmp_path / "w.toml",
    )
    config = loaded.config
    matcher = Matcher(config.brands, config.rules)
    item = Item(
        guid="1",
        title="Arnaque : de faux conseillers Banque Acmé et Boulangeries Durand",
        text="Une escroquerie vise les clients.",
        url="https://x.example.fr/1",
    )
    routes = {r.target: r for r in route(matcher.match(item, "presse"), config)}
    assert set(routes) == {"slack:#client-acme", "slack:#agence"}
    assert routes["slack:#client-acme"].brands == ["Banque Acmé"]
    assert routes["slack:#agence"].brands == ["Boulangeries Durand"]  # no notify: the defaults


# ---------------------------------------------------------------- spikes


SPIKE_CONFIG = """
[[brands]]
name = "Banque Acmé"
terms = ["Banque Acmé"]

[[brands]]
name = "Boulangeries Durand"
terms = ["Boulangeries Durand"]

[[rules]]
name = "crise-durand"
brands = ["Boulangeries Durand"]
notify = ["slack:#client-durand"]
spikes = true
escalate_notify = ["email:direction@durand.example"]

[spikes]
min_count = 10
notify = ["slack:#agence-crise"]
"""


def _spike_app(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    clock: Clock,
    extra: str,
) -> App:
    text = targets(database_url, slack, smtp) + extra
    return make_app(write_config(text), clock)


def test_a_brand_spike_goes_to_the_crisis_room_and_its_own_client_channel() -> None:
    config = load_config(AGENCY).config
    scopes = {s.name: s for s in spikes.scopes(config) if s.kind == "brand"}
    for brand in config.brands:
        assert scopes[brand.name].targets == ["slack:#agence-crise", *brand.notify]
    assert scopes["Groupe Orion"].targets == ["slack:#agence-crise", "slack:#client-orion"]


def _mentions(app: App, at: datetime, count: int, brands: list[str], rule: str = "") -> None:
    """``count`` items at ``at`` naming every brand of ``brands`` (and ``rule`` for the last)."""
    with app.db.session() as session:
        source = session.query(SourceRow).filter_by(name="presse").one_or_none()
        if source is None:
            source = SourceRow(
                name="presse", kind="rss", url="https://x", enabled=True, cursor={},
                next_check_at=at, consecutive_failures=0, items_total=0, alerting=False,
            )  # fmt: skip
            session.add(source)
            session.flush()
        n = session.query(ItemRow).count()
        for i in range(count):
            n += 1
            when = at + timedelta(minutes=(i * 7) % 60)
            item = ItemRow(
                source_id=source.id, guid=f"g{n}", url=f"https://x/{n}", title=f"Article {n}",
                fetched_at=when,
            )  # fmt: skip
            session.add(item)
            session.flush()
            for brand in brands:
                for name in {"", rule if brand == brands[-1] else ""}:
                    session.add(
                        MentionRow(
                            item_id=item.id, brand=brand, rule=name, severity="info",
                            terms=["x"], surfaces=[brand], created_at=when,
                        )
                    )  # fmt: skip


def test_a_client_rule_spike_is_told_in_its_own_brand_alert_not_another_client(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wave of articles naming both clients ("Acmé rachète Durand") spikes both
    brands and Durand's crisis rule: the rule is told in Durand's alert (to
    Durand's channel), never in Acmé's (which would page Durand's people about
    Acmé and hide the rule from Durand's alert)."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    start = datetime(2026, 2, 2, 0, 0, tzinfo=UTC)
    clock = Clock(now=start)
    slack.clock = clock.timestamp
    app = _spike_app(database_url, slack, smtp, write_config, clock, SPIKE_CONFIG)
    try:
        for day in range(14):  # a quiet usual level: one a day each
            _mentions(app, start + timedelta(days=day, hours=10), 1, ["Banque Acmé"])
            _mentions(app, start + timedelta(days=day, hours=10), 1, ["Boulangeries Durand"])
        burst = start + timedelta(days=15, hours=10)
        _mentions(app, burst, 30, ["Banque Acmé", "Boulangeries Durand"], rule="crise-durand")
        clock.now = burst + timedelta(minutes=59)
        assert spikes.check(app.db, app.loaded.config, clock.now) == 2
        app.outbox.drain()
        [durand] = [m for m in slack.posts() if m["channel"] == "#client-durand"]
        assert nb("Pic de mentions : Boulangeries Durand · crise-durand") in shown(durand)
        room = [shown(m) for m in slack.posts() if m["channel"] == "#agence-crise"]
        [acme] = [t for t in room if nb("Pic de mentions : Banque Acmé") in t]
        assert "crise-durand" not in acme
        assert any(nb("Pic de mentions : Boulangeries Durand · crise-durand") in t for t in room)
    finally:
        app.close()


BRAND_ONCALL_CONFIG = """
[[brands]]
name = "Banque Acmé"
terms = ["Banque Acmé"]

[[brands]]
name = "Boulangeries Durand"
terms = ["Boulangeries Durand"]
escalate_to = ["@UDURAND"]
escalate_notify = ["slack:#durand-gerant"]

[spikes]
min_count = 10
notify = ["slack:#agence-crise"]
escalate_to = ["@UAGENCE"]
ack_timeout = "15m"
escalate_notify = ["slack:#agence-astreinte"]
"""


def test_a_brand_own_oncall_is_paged_for_that_brand_spike_only(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Durand's account manager (the brand's own ``escalate_to`` and
    ``escalate_notify``) is paged for Durand's spike, on top of the agency's
    on-call, and never for Acmé's."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    start = datetime(2026, 2, 2, 0, 0, tzinfo=UTC)
    clock = Clock(now=start)
    slack.clock = clock.timestamp
    app = _spike_app(database_url, slack, smtp, write_config, clock, BRAND_ONCALL_CONFIG)
    try:
        for day in range(14):  # a quiet usual level: one a day each
            _mentions(app, start + timedelta(days=day, hours=10), 1, ["Banque Acmé"])
            _mentions(app, start + timedelta(days=day, hours=10), 1, ["Boulangeries Durand"])
        burst = start + timedelta(days=15, hours=10)
        _mentions(app, burst, 30, ["Banque Acmé"])
        _mentions(app, burst, 30, ["Boulangeries Durand"])
        clock.now = burst + timedelta(minutes=59)
        assert spikes.check(app.db, app.loaded.config, clock.now) == 2
        app.outbox.drain()
        room = {
            name: shown(m)
            for m in slack.posts()
            if m["channel"] == "#agence-crise"
            for name in ("Banque Acmé", "Boulangeries Durand")
            if nb(f"Pic de mentions : {name}") in shown(m)
        }
        assert "<@UAGENCE>" in room["Banque Acmé"]
        assert "<@UDURAND>" not in room["Banque Acmé"]
        assert "<@UAGENCE>" in room["Boulangeries Durand"]
        assert "<@UDURAND>" in room["Boulangeries Durand"]
        clock.now += timedelta(minutes=16)  # nobody acknowledged either alert
        app.alerting.tick()
        app.outbox.drain()
        escalations = [m for m in slack.posts() if m["channel"] != "#agence-crise"]
        by_channel = {
            channel: sorted(
                name
                for m in escalations
                if m["channel"] == channel
                for name in ("Banque Acmé", "Boulangeries Durand")
                if name in shown(m)
            )
            for channel in ("#agence-astreinte", "#durand-gerant")
        }
        assert by_channel == {
            "#agence-astreinte": ["Banque Acmé", "Boulangeries Durand"],
            "#durand-gerant": ["Boulangeries Durand"],
        }
    finally:
        app.close()


@pytest.mark.parametrize(
    ("spikes_section", "why"),
    [("", "there is no [spikes] section"), ("[spikes]\nenabled = false\n", "enabled = false")],
)
def test_check_warns_that_a_brand_oncall_needs_spikes(
    write_config: Callable[[str], Path], spikes_section: str, why: str
) -> None:
    text = BRAND_ONCALL_CONFIG.split("[spikes]")[0] + spikes_section
    warnings = [str(w) for w in load_config(write_config(text)).warnings if "no effect" in str(w)]
    assert len(warnings) == 2
    assert (
        "brands[1].escalate_to: no effect: a brand's escalate_to serves its [spikes]"
        in (warnings[0])
    )
    assert "brands[1].escalate_notify" in warnings[1]
    assert all(why in w for w in warnings)
    full = load_config(write_config(BRAND_ONCALL_CONFIG)).warnings
    assert not [w for w in full if "serves its [spikes]" in str(w)]
