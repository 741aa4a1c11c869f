"""The words the fake Slack and the SMTP server receive: where a story was seen
again (the site, not the configured source), no "date inconnue", one rating scale."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.alerting_helpers import Clock, naming, queue, rows
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.storage.tables import OutboxRow

LEMONDE = "https://www.lemonde.fr/economie/article/2026/03/04/acme.html"


def story(first: bool, sightings: int, edited: bool = False) -> dict[str, object]:
    return {"id": 7, "first": first, "sightings": sightings, "edited": edited}


def test_thread_replies_name_the_site_the_story_was_seen_on(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("")
    [parent_id] = queue(app, "slack:#veille", key="parent", story=story(True, 1))
    with app.db.session() as session:
        parent = session.get(OutboxRow, parent_id)
        assert parent is not None
        parent.dedup_key = "story:7"
    app.outbox.drain()

    clock.advance(seconds=2)
    queue(
        app,
        "slack:#veille",
        key="lemonde",
        story=story(False, 2),
        title="Acmé rachète Zeta",
        url=LEMONDE,
        source="google-alerts-acme",
    )
    queue(
        app,
        "slack:#veille",
        key="forum",
        story=story(False, 3),
        title="Acmé et Zeta",
        url="",
        source="forum-conso",
    )
    for _ in range(3):
        app.outbox.drain()
        clock.advance(seconds=2)

    [top] = slack.posts()
    assert sorted(r["text"] for r in slack.replies(top["ts"])) == [
        nb("Aussi vu sur forum-conso : Acmé et Zeta"),  # no address: the source's name
        nb(f"Aussi vu sur lemonde.fr : <{LEMONDE}|Acmé rachète Zeta>"),
    ]
    assert {r.status for r in rows(app)} == {"sent"}


def test_an_undated_mention_has_no_publication_line(
    app_for: Callable[[str], App], slack: FakeSlack, smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for(naming("email:cm@example.fr"))
    queue(app, "slack:#veille", key="s", published=None, title="Acmé sans date")
    queue(app, "email:cm@example.fr", key="e", published=None, title="Acmé sans date")
    app.outbox.drain()
    clock.advance(seconds=2)
    app.outbox.drain()

    [post] = slack.posts()
    [mail] = smtp.messages
    body = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert body is not None and html is not None
    shown = [str(post["blocks"]), post["text"], body.get_content(), html.get_content()]
    for text in shown:
        assert "date inconnue" not in text and "Publié" not in text and "Publication" not in text
    assert mail["Subject"] == nb("[veille] Mention – Acmé : Acmé sans date")
    assert nb("Langue : français") in body.get_content()


def test_an_aggregate_rating_reads_one_scale_in_slack(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for(naming("slack:#avis"))
    queue(
        app,
        "slack:#avis",
        key="avg",
        title="Banque Acme – agence Lyon · ★ 1.6/5",  # reviews.py's title for 3.1/10
        url="https://avis.example.fr/lyon",
        source="avis-lyon",
        rating=1.55,
        rating_count="57",
    )
    app.outbox.drain()
    [post] = slack.posts()
    assert post["text"].startswith(nb("🔎 Mention : Banque Acme – agence Lyon · ★ 1,6/5 "))
    assert "★★☆☆☆ 1,6/5 (57 avis)" in str(post["blocks"])
    assert "1,55" not in str(post["blocks"]) and "/10" not in str(post["blocks"])
