"""What a reader sees, word for word, in every kind of notification (fr and en):
where a story was seen again, one rating scale, no "date inconnue", French
typography and plurals, durations for people, Slack formatting marks inert,
cuts between words, one-line e-mail subjects of a sane length."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.clock import Clock
from tests.french import nb
from tests.servers.http import FeedServer, Resource
from watchtower.adapters.reviews import parse_jsonld_reviews
from watchtower.app import App
from watchtower.config import load_config
from watchtower.models import Notification
from watchtower.notify._text import duration_text, site_of, t
from watchtower.notify.base import truncate
from watchtower.notify.console import ConsoleNotifier
from watchtower.notify.email import SUBJECT_MAX, EmailNotifier
from watchtower.notify.plain import plain_text
from watchtower.notify.slack import SlackNotifier
from watchtower.notify.slack_render import (
    HEADER_MAX,
    item_blocks,
    notice_blocks,
    reply_blocks,
    spike_blocks,
    summary_blocks,
)
from watchtower.reload_notices import ops_payload
from watchtower.storage.tables import OutboxRow

ZWSP = "\u200b"
LEMONDE = "https://www.lemonde.fr/economie/article/2026/03/04/acme-rachete-zeta.html"


def mention(**overrides: Any) -> Notification:
    """A mention as the pipeline queues it (runner.payload_for + route), then delivery."""
    payload: dict[str, Any] = {
        "title": "Acmé rachète Zeta",
        "url": LEMONDE,
        "source": "google-alerts-acme",
        "brands": ["Acmé"],
        "terms": ["acmé"],
        "rules": ["crise"],
        "severity": "critical",
        "published": "2026-03-04T10:00:00+00:00",
        "excerpt": "La banque Acmé a annoncé le rachat de Zeta.",
        "lang": "fr",
    }
    extra = overrides.pop("extra", {})
    return Notification.from_payload(5, "slack:#veille", payload | overrides | {"extra": extra})


def sighting(*, edited: bool = False, **overrides: Any) -> Notification:
    story = {"id": 7, "first": False, "sightings": 2, "edited": edited}
    return mention(extra={"story": story}, **overrides)


def mailer(language: str = "fr") -> EmailNotifier:
    return EmailNotifier("127.0.0.1", 25, "veille@example.fr", starttls=False, language=language)


def slack_shown(blocks: list[dict[str, Any]], text: str) -> str:
    return text + "\n" + json.dumps(blocks, ensure_ascii=False)


def everything(n: Notification, language: str = "fr") -> list[str]:
    """Every text a reader may see for ``n``: Slack, e-mail (subject, text, HTML), console."""
    blocks, text = item_blocks(n, language, "Europe/Paris")
    mail = mailer(language).render(n, "cm@example.fr")
    plain = plain_text(n, language, "Europe/Paris")
    return [
        slack_shown(blocks, text),
        mail.subject,
        mail.text,
        mail.html or "",
        plain.title + "\n" + plain.body,
    ]


# ------------------------------------------------------- 1. "Aussi vu sur <site>"
@pytest.mark.parametrize(
    ("language", "edited", "line"),
    [
        ("fr", False, nb("Aussi vu sur lemonde.fr : ")),
        ("en", False, "Also seen on lemonde.fr: "),
        ("fr", True, nb("Modifié sur lemonde.fr : ")),
        ("en", True, "Edited on lemonde.fr: "),
    ],
)
def test_a_later_sighting_names_the_site_not_the_configured_source(
    language: str, edited: bool, line: str
) -> None:
    n = sighting(edited=edited)
    blocks, text = reply_blocks(n, language)
    assert text == f"{line}<{LEMONDE}|Acmé rachète Zeta>"
    assert blocks[0]["text"]["text"] == text
    console = ConsoleNotifier(language=language).render(n, "console:").text
    assert console == f"  ↳ [#7] {line}Acmé rachète Zeta — {LEMONDE}"
    for shown in (text, console):
        assert "google-alerts-acme" not in shown


def test_a_sighting_without_an_address_names_its_source() -> None:
    _, text = reply_blocks(sighting(url="", source="forum-conso"), "fr")
    assert text == nb("Aussi vu sur forum-conso : Acmé rachète Zeta")


@pytest.mark.parametrize(
    ("url", "site"),
    [
        (LEMONDE, "lemonde.fr"),
        ("https://WWW.LeMonde.fr:443/x", "lemonde.fr"),
        ("https://www.xn--acm-dma.fr/avis", "acmé.fr"),  # as its readers write it
        ("https://forum.example.fr/t/1", "forum.example.fr"),
        ("javascript:alert(1)", ""),
        ("", ""),
    ],
)
def test_the_site_of_an_address(url: str, site: str) -> None:
    assert site_of(url) == site


def test_the_slack_notifier_renders_a_thread_reply_with_the_site() -> None:
    thread = {"channel": "C1", "ts": "1.0", "sightings": 2, "blocks": [], "text": "x"}
    n = mention(extra={"story": {"id": 7, "first": False, "sightings": 2}, "thread": thread})
    message = SlackNotifier("xoxb-test", language="fr").render(n, "#veille")
    assert message.text.startswith(nb("Aussi vu sur lemonde.fr : "))


# ------------------------------------------- 2. an aggregate rating: one scale
LOCAL_BUSINESS = """<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "BankOrCreditUnion",
 "name": "Banque Acme – agence Lyon",
 "aggregateRating": {"@type": "AggregateRating", "ratingValue": "3,1", "bestRating": "10",
                     "ratingCount": "57"}}
</script>"""


def aggregate_notification() -> Notification:
    """The page's average, through the real adapter, queued as runner.payload_for does."""
    [item] = [
        i
        for i in parse_jsonld_reviews(LOCAL_BUSINESS.encode(), "https://avis.example.fr/lyon")
        if i.extra.get("aggregate")
    ]
    payload = {
        "title": item.title,
        "url": item.url,
        "source": "avis-lyon",
        "brands": ["Acmé"],
        "rules": ["avis"],
        "severity": "warning",
        "published": None,
        "extra": {"rating": item.rating, "rating_count": item.extra.get("rating_count")},
    }
    return Notification.from_payload(8, "slack:#avis", payload)


def test_an_aggregate_title_uses_the_five_point_scale() -> None:
    n = aggregate_notification()
    assert n.title == "Banque Acme – agence Lyon · ★ 1.6/5"  # was "★ 3.1/10"


@pytest.mark.parametrize(
    ("language", "title", "rating"),
    [
        ("fr", "Banque Acme – agence Lyon · ★ 1,6/5", "★★☆☆☆ 1,6/5 (57 avis)"),
        ("en", "Banque Acme – agence Lyon · ★ 1.6/5", "★★☆☆☆ 1.6/5 (57 reviews)"),
    ],
)
def test_an_aggregate_shows_one_score_with_the_language_decimal_mark(
    language: str, title: str, rating: str
) -> None:
    n = aggregate_notification()
    blocks, text = item_blocks(n, language, "Europe/Paris")
    mail = mailer(language).render(n, "cm@example.fr")
    label = nb("Note : ") if language == "fr" else "Rating: "
    assert blocks[0]["text"]["text"].endswith(f"|{title}> · avis.example.fr")
    assert title in text
    assert f"{label}{rating}" in mail.text and mail.subject.endswith(title)
    for shown in everything(n, language):
        assert "/10" not in shown and "1,55" not in shown and "1.55" not in shown
        assert (",6/5" in shown) == (language == "fr")


def test_a_rating_is_shown_to_one_decimal() -> None:
    n = mention(extra={"rating": 4.63, "rating_count": "1"})
    assert "★★★★★ 4,6/5 (1 avis)" in mailer().render(n, "cm@example.fr").text
    one = mention(extra={"rating": 4.0, "rating_count": "2"})
    assert "★★★★☆ 4/5 (2 avis)" in mailer().render(one, "cm@example.fr").text


# ----------------------------------------------- 3. an unknown date: no line
@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_unknown_date_is_no_line(language: str) -> None:
    n = mention(published=None)
    for shown in everything(n, language):
        for absent in ("date inconnue", "unknown date", "Publié", "Publication", "Published"):
            assert absent not in shown, shown
    blocks, _ = item_blocks(n, language, "Europe/Paris")
    context = blocks[-1]["elements"][0]["text"]
    assert context == (
        nb("Règle : crise · Langue : français")
        if language == "fr"
        else ("Rule: crise · Language: French")
    )


def test_a_known_date_reads_as_french() -> None:
    n = mention()
    blocks, _ = item_blocks(n, "fr", "Europe/Paris")
    assert blocks[-1]["elements"][0]["text"] == nb(
        "Publié le 04/03/2026 à 11:00 (CET) · Règle : crise · Langue : français"
    )
    mail = mailer().render(n, "cm@example.fr").text
    assert nb("\nPublication : 04/03/2026 à 11:00 (CET)\n") in mail  # not "Publié le : …"


def test_an_undated_item_with_nothing_else_has_no_empty_context() -> None:
    n = mention(published=None, rules=[], lang=None)
    blocks, _ = item_blocks(n, "fr", "Europe/Paris")
    assert [b["type"] for b in blocks] == ["section", "section", "section"]


# ------------------------------------------------- empty fields are no rows
def test_empty_fields_are_left_out_of_e_mails_and_plain_text() -> None:
    n = mention(terms=[], rules=[], lang=None)
    mail = mailer().render(n, "cm@example.fr")
    plain = plain_text(n, "fr", "Europe/Paris").body
    for shown in (mail.text, mail.html or "", plain):
        for absent in ("Termes", "Règle", "Langue", ": -", "None"):
            assert absent not in shown, shown
    assert mail.text.splitlines()[3:6] == [
        nb("Source : google-alerts-acme"),
        nb("Marques : Acmé"),
        nb("Publication : 04/03/2026 à 11:00 (CET)"),
    ]
    assert plain.splitlines()[:2] == [
        nb("Source : google-alerts-acme · Marques : Acmé"),
        nb("Publication : 04/03/2026 à 11:00 (CET)"),
    ]


def test_the_e_mail_text_says_how_urgent_as_the_html_does() -> None:
    assert (
        mailer()
        .render(mention(), "cm@example.fr")
        .text.startswith("🚨 CRITIQUE · Acmé rachète Zeta\n")
    )


@pytest.mark.parametrize(
    ("code", "fr", "en"), [("en", "anglais", "English"), ("fr-FR", "français", "French")]
)
def test_the_item_language_is_named(code: str, fr: str, en: str) -> None:
    assert nb(f"Langue : {fr}") in mailer().render(mention(lang=code), "x@example.fr").text
    assert f"Language: {en}" in mailer("en").render(mention(lang=code), "x@example.fr").text


# ------------------------------------------------------ French typography
def test_the_slack_fallback_uses_the_language_colon() -> None:
    _, text = item_blocks(mention(), "fr", "Europe/Paris")
    assert text == nb(f"🚨 CRITIQUE : Acmé rachète Zeta {LEMONDE}")
    _, english = item_blocks(mention(), "en", "Europe/Paris")
    assert english == f"🚨 CRITICAL: Acmé rachète Zeta {LEMONDE}"
    notice = Notification.from_payload(
        1, "slack:#ops", {"kind": "ops", "title": "Source en panne : forum", "severity": "warning"}
    )
    # The notice's title is a value (a row queued before French spacing): as it came.
    assert notice_blocks(notice, "fr")[1] == "⚠️ À surveiller\u00a0: Source en panne : forum"


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        ("fr", nb("[veille] À surveiller – Source en panne : forum")),
        ("en", "[watchtower] Watch – Source down: forum"),
    ],
)
def test_a_notice_subject_has_one_colon(language: str, subject: str) -> None:
    title = t(language, "source_down").format(name="forum")
    n = Notification.from_payload(
        1, "email:ops@example.fr", {"kind": "ops", "title": title, "severity": "warning"}
    )
    assert mailer(language).render(n, "ops@example.fr").subject == subject


def test_lost_notifications_need_no_parenthesised_plural() -> None:
    for count in (1, 2):
        for language in ("fr", "en"):
            body = t(language, "ops_failed_body").format(
                target="email:x@example.fr", count=count, reason="SMTP error 550"
            )
            assert "(s)" not in body
    assert t("fr", "ops_failed_body").format(target="slack:#crise", count=2, reason="x") == nb(
        "Notifications non livrées à slack:#crise, qui ne seront pas renvoyées : 2. "
        "Dernière erreur : x"
    )


# ------------------------------------------------------ spikes, escalation
SPIKE = {
    "name": "Acmé",
    "observed": 13,
    "baseline": 0.4,
    "window": "1h30m",
    "timeout": "30m",
    "top_sources": [["forum", 13]],
    "examples": [{"title": "Arnaque ?", "url": "", "source": "", "severity": "critical"}],
}


def spike(**changes: Any) -> Notification:
    extra = {"kind": "spike", "spike": SPIKE | changes}
    return Notification.from_payload(1, "slack:#crise", {"title": "x", "extra": extra})


def test_spike_durations_are_written_for_people() -> None:
    slack = json.dumps(spike_blocks(spike(), "fr")[0], ensure_ascii=False)
    assert "13 mentions sur 1 h 30 min (d'habitude 0,4)" in slack
    assert (
        nb(
            "Pour prendre l'alerte en charge : réagissez avec ✅ ou répondez « je prends » "
            "dans le fil."
        )
        in slack
    )
    escalation = spike(escalation=True)
    shown = json.dumps(spike_blocks(escalation, "fr")[0], ensure_ascii=False)
    assert nb("⏫ Escalade : personne n'a pris en charge l'alerte en 30 min.") in shown
    mail = mailer("en").render(escalation, "dircom@example.fr").text
    assert "Escalation: nobody took charge of the alert within 30 min." in mail
    assert "13 mentions in 1 h 30 min (usually 0.4)" in mail


def test_a_spike_e_mail_names_its_examples_and_an_item_without_source_has_no_dash() -> None:
    text = mailer().render(spike(), "dircom@example.fr").text
    # "Arnaque ?" is an example's title, a value: its space is as it came.
    assert text.endswith("\n\nExemples\u00a0:\n🚨 Arnaque ?")


@pytest.mark.parametrize(
    ("value", "fr", "en"),
    [
        ("1h", "1 h", "1 h"),
        ("30m", "30 min", "30 min"),
        ("1h30m", "1 h 30 min", "1 h 30 min"),
        ("1d", "1 jour", "1 day"),
        ("2d3h", "2 jours 3 h", "2 days 3 h"),
        ("3h27m14s", "3 h 27 min", "3 h 27 min"),  # two units at most
        ("45s", "45 s", "45 s"),
        (timedelta(0), "0 s", "0 s"),
        ("bientôt", "bientôt", "bientôt"),
    ],
)
def test_durations_for_people(value: str | timedelta, fr: str, en: str) -> None:
    assert (duration_text(value, "fr"), duration_text(value, "en")) == (fr, en)


# ------------------------------------------------------------ Slack escaping
def test_formatting_marks_in_a_title_stay_characters() -> None:
    n = mention(title="*GRATUIT* chez Acmé : _promo_ ~prix~ `code`", source="forum_conso")
    blocks, text = item_blocks(n, "fr", "Europe/Paris")
    headline = blocks[0]["text"]["text"]
    inert = {mark: f"{ZWSP}{mark}{ZWSP}" for mark in "*_~`"}
    assert headline.endswith(
        f"|{inert['*']}GRATUIT{inert['*']} chez Acmé : {inert['_']}promo{inert['_']} "
        f"{inert['~']}prix{inert['~']} {inert['`']}code{inert['`']}> · lemonde.fr"
    )
    assert headline.startswith("🚨 *CRITIQUE* · <")  # our own bold still bold
    # An underscore inside a word cannot open or close italics: it stays bare.
    assert "*Source\xa0:* forum_conso ·" in blocks[1]["text"]["text"]
    assert "*GRATUIT*" not in text and f"{inert['*']}GRATUIT" in text
    # What Slack turns into a ping or a link stays text.
    pinged = item_blocks(mention(title="<!channel> & <@U1>"), "fr", "Europe/Paris")
    assert "&lt;!channel&gt; &amp; &lt;@\u200bU1&gt;" in slack_shown(*pinged)
    assert "<!channel>" not in slack_shown(*pinged)


def test_formatting_marks_in_summaries_stay_characters() -> None:
    summary = {
        "reason": "group",
        "what": "crise",
        "count": 2,
        "items": [
            {"title": "*Acmé*", "url": "", "source": "forum", "severity": "info"},
            {"title": "Zeta", "url": "", "source": "", "severity": "info"},
        ],
    }
    n = Notification.from_payload(1, "slack:#x", {"extra": {"kind": "summary", "summary": summary}})
    lines = summary_blocks(n, "fr")[0][1]["text"]["text"].splitlines()
    assert lines == [f"🔎 {ZWSP}*{ZWSP}Acmé{ZWSP}*{ZWSP} · _forum_", "🔎 Zeta"]


# ------------------------------------------------ cuts between words
def test_a_cut_falls_between_words() -> None:
    assert truncate("Acmé rachète son concurrent Zeta", 16) == "Acmé rachète…"
    assert truncate("Acmé rachète, puis revend", 15) == "Acmé rachète…"  # no dangling comma
    assert truncate("x" * 50, 10) == "x" * 9 + "…"  # one long word: cut anyway


def test_a_long_slack_title_is_cut_between_words() -> None:
    title = "Acmé " + " ".join(["rachètera"] * 40)
    blocks, _ = item_blocks(mention(title=title), "fr", "Europe/Paris")
    label = blocks[0]["text"]["text"].split("|", 1)[1].removesuffix("> · lemonde.fr")
    assert len(label) <= HEADER_MAX and label.endswith(" rachètera…")


# ------------------------------------------------------- e-mail subjects
def test_a_long_or_multi_line_title_makes_a_short_one_line_subject() -> None:
    title = "Acmé\nrachète Zeta\r\n" + " ".join(["et encore"] * 60)
    n = mention(title=title)
    subject = mailer().render(n, "cm@example.fr").subject
    assert len(subject) <= SUBJECT_MAX
    assert subject.startswith(nb("[veille] CRITIQUE – Acmé : Acmé rachète Zeta et encore"))
    assert subject.endswith(("encore…", " et…")) and "\n" not in subject and "\r" not in subject
    mail = mailer().render(n, "cm@example.fr").text
    assert mail.startswith("🚨 CRITIQUE · Acmé rachète Zeta et encore")  # one line too


# --------------------------------------------------------- ops notices
def test_the_rejected_config_notice_reads_well() -> None:
    class Problem:
        def __str__(self) -> str:
            return "watchtower.toml:17: rules[0].sevrity: unknown key"

    payload = ops_payload([Problem()], "fr", "2026-03-04T10:00:00+00:00")  # type: ignore[list-item]
    n = Notification.from_payload(1, "email:ops@example.fr", payload)
    mail = mailer().render(n, "ops@example.fr")
    assert mail.subject == nb(
        "[veille] À surveiller – Configuration refusée (1 problème) : "
        "watchtower continue avec la précédente"
    )
    blocks, _ = notice_blocks(n, "fr")
    assert blocks[1]["text"]["text"] == "watchtower.toml:17: rules[0].sevrity: unknown key"


# --------------------------------------------------- source health notices


def feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>Nouvelle n°{i} sur Acmé</title><link>https://ex.fr/{i}</link>"
        f"<guid>g{i}</guid><description>Texte {i}, numéro {i}.</description></item>"
        for i in range(n)
    )
    return f'<rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.fixture
def health_app(
    database_url: str, feeds: FeedServer, write_config: Callable[[str], Path]
) -> Iterator[tuple[App, Clock]]:
    feeds.resources["/f.xml"] = Resource(feed(1))
    path = write_config(f"""
[watchtower]
backlog = "all"
database_url = "{database_url}"
ops_notify = ["console:#ops"]
source_alert_after = 1
silence_factor = 5
silence_min = "6h"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "flux"
kind = "rss"
url = "{feeds.url("/f.xml")}"
every = "1h"
allow_private = true
""")
    clock = Clock()
    app = App(load_config(path), clock=clock)
    app.start()
    yield app, clock
    app.close()


def ops_notice(app: App, state: str) -> tuple[str, str]:
    with app.db.session() as session:
        payload = session.scalars(
            select(OutboxRow.payload).where(OutboxRow.dedup_key.like(f"ops:source:%:{state}:%"))
        ).one()
    return payload["title"], payload["excerpt"]


def test_one_failure_is_one_failure(health_app: tuple[App, Clock], feeds: FeedServer) -> None:
    app, _ = health_app
    feeds.resources["/f.xml"] = Resource(b"down", status=503)
    app.poller.poll(all_sources=True)
    assert ops_notice(app, "down") == (
        nb("Source en panne : flux"),
        nb("La vérification a échoué. Dernière erreur : le site a un problème technique (503)"),
    )


def test_a_silent_source_says_when_in_the_configured_zone(
    health_app: tuple[App, Clock], feeds: FeedServer
) -> None:
    app, clock = health_app
    for n in range(1, 8):  # a new item every hour, the last at 15:00 UTC
        feeds.resources["/f.xml"] = Resource(feed(n))
        app.poller.poll(all_sources=True)
        clock.now += timedelta(hours=1)
    clock.now += timedelta(hours=7)
    assert app.check_silence() == 1
    assert ops_notice(app, "silent") == (
        nb("Source silencieuse : flux"),
        "Aucun nouvel élément depuis le 02/11/2026 à 16:00 (CET), alors qu'il y a d'habitude "
        "1 h entre deux éléments. Le flux a peut-être changé d'adresse ou de format.",
    )


def test_a_usual_level_of_nothing_is_said_as_a_whole_number() -> None:
    from watchtower.notify._spike_text import spike_stats

    spike = {"observed": 10, "baseline": 0.0, "window": "1h"}
    assert spike_stats(spike, "fr") == "10 mentions sur 1 h (d'habitude 0)"  # not "0,0"
    assert spike_stats(dict(spike, baseline=2.25), "fr").endswith("(d'habitude 2,3)")
    assert spike_stats(spike, "en") == "10 mentions in 1 h (usually 0)"


GOOGLE_NEWS = "https://news.google.com/rss/articles/CBMi"


@pytest.mark.parametrize(
    ("url", "story", "shown"),
    [
        # The link's label is the feed's title: the site it leads to is said beside it.
        ("https://evil.example/acme", {}, " · evil.example"),
        ("https://www.lemonde.fr/eco/a.html", {}, " · lemonde.fr"),
        # A Google News link: its publisher, when the story part names it; else nothing.
        (GOOGLE_NEWS, {"site": "www.lefigaro.fr"}, " · lefigaro.fr"),
        (GOOGLE_NEWS, {}, ""),
    ],
)
def test_a_slack_headline_says_where_its_link_leads(
    url: str, story: dict[str, str], shown: str
) -> None:
    """A title such as "acme.fr – espace client" cannot pass a link elsewhere off as ours."""
    n = mention(title="acme.fr – espace client", url=url, extra={"story": story} if story else {})
    headline = item_blocks(n, "fr", "Europe/Paris")[0][0]["text"]["text"]
    assert headline.endswith("|acme.fr – espace client>" + shown)
