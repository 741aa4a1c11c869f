"""Story threads, grouping, quiet hours and digests with a simulated clock and the fake servers."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from tests.e2e.alerting_helpers import Clock, queue, rows
from tests.e2e.stories import BLOG_B, FORUM_C, queue_first_sighting, queue_sighting
from tests.french import nb, readable
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App
from watchtower.health import render_status

PNG = b"\x89PNG\r\n\x1a\n"


def test_story_sightings_are_thread_replies_and_the_parent_counts_them(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("")
    # The reply is queued before its parent is sent: it waits, it does not go top-level.
    queue_sighting(app, "reply1", 2, **BLOG_B)
    parent_ids = queue_first_sighting(app)
    with app.db.session() as session:
        from watchtower.storage.tables import OutboxRow

        parent = session.get(OutboxRow, parent_ids[0])
        assert parent is not None
        parent.dedup_key = "story:7"
        parent.next_attempt_at = clock.now + timedelta(seconds=30)

    app.outbox.drain()
    assert slack.messages == []
    [waiting] = [r for r in rows(app) if r.dedup_key == "reply1:0"]
    assert waiting.status == "pending" and waiting.attempts == 0

    clock.advance(seconds=31)
    queue_sighting(app, "reply2", 3, **FORUM_C)
    app.outbox.drain()
    clock.advance(seconds=6)
    app.outbox.drain()

    [top] = slack.posts()
    replies = slack.replies(top["ts"])
    assert len(replies) == 2
    assert {r["text"].split("\u00a0: ")[0] for r in replies} == {
        "Aussi vu sur blog-b.example",  # the site, not the source's name
        "Aussi vu sur forum-c.example",
    }
    assert top.get("edited") and "Vu sur 3 sites" in str(top["blocks"])
    assert {r.status for r in rows(app)} == {"sent"}


def test_burst_of_40_becomes_one_grouped_message(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("""
[[rules]]
name = "presse"
notify = ["slack:#veille"]
group_wait = "30s"
group_interval = "5m"
""")
    queue(app, "slack:#veille", 40, rules=["presse"])

    app.outbox.drain()
    app.alerting.tick()
    assert slack.messages == []
    assert Counter(r.status for r in rows(app)) == {"held": 40}

    clock.advance(seconds=31)
    app.alerting.tick()
    app.outbox.drain()

    [post] = slack.posts()
    body = str(post["blocks"])
    assert "40 mentions · presse" in body and "… et 20 de plus" in body
    summary = [r for r in rows(app) if r.payload.get("kind") == "summary"]
    assert len(summary) == 1 and summary[0].status == "sent"
    grouped = [r for r in rows(app) if r.status == "grouped"]
    assert len(grouped) == 40 and {r.parent_id for r in grouped} == {summary[0].id}

    # Within group_interval, the next mention waits for the interval, then goes alone.
    queue(app, "slack:#veille", 1, key="late", rules=["presse"])
    app.outbox.drain()
    clock.advance(minutes=1)
    app.alerting.tick()
    app.outbox.drain()
    assert len(slack.posts()) == 1
    clock.advance(minutes=4, seconds=1)
    app.alerting.tick()
    app.outbox.drain()
    assert len(slack.posts()) == 2 and "Article late 0" in slack.posts()[1]["text"]

    with app.db.session() as session:
        status = render_status(session, clock.now)
    assert "grouped 40" in status and "held 0" in status


QUIET = """
[[quiet_hours]]
targets = ["slack:#veille"]
windows = ["mon-fri 20:00-08:00", "sat-sun"]
timezone = "Europe/Paris"
"""


def test_quiet_hours_hold_then_one_summary_and_critical_bypasses(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for(QUIET)
    clock.now = clock.now.replace(day=6, hour=21)  # Friday 22:00 in Paris
    queue(app, "slack:#veille", 5)
    queue(app, "slack:#veille", 1, key="crit", severity="critical")

    app.outbox.drain()
    [critical] = slack.posts()
    assert "Article crit 0" in critical["text"]
    assert Counter(r.status for r in rows(app)) == {"held": 5, "sent": 1}

    clock.advance(days=1)  # Saturday: still quiet
    app.alerting.tick()
    app.outbox.drain()
    assert len(slack.posts()) == 1

    clock.advance(days=2)  # Monday 22:00 — the period ended Monday 00:00 (Paris)
    app.alerting.tick()
    app.outbox.drain()
    assert len(slack.posts()) == 2
    assert nb("Pendant les heures calmes : 5 mentions") in readable(slack.posts()[1]["blocks"])
    assert Counter(r.status for r in rows(app)) == {"grouped": 5, "sent": 2}


def test_daily_digest_by_email_has_an_inline_png_chart(
    app_for: Callable[[str], App], smtp: SmtpServer, clock: Clock
) -> None:
    app = app_for("""
[[rules]]
name = "veille-hebdo"
notify = ["email:dircom@example.fr"]
digest = "daily 08:30"
""")
    queue(app, "email:dircom@example.fr", 3, rules=["veille-hebdo"])
    queue(
        app,
        "email:dircom@example.fr",
        2,
        key="g",
        rules=["veille-hebdo"],
        brands=["Globex"],
        severity="warning",
    )
    app.outbox.drain()
    assert smtp.messages == []

    clock.now = clock.now.replace(hour=7, minute=31) + timedelta(days=1)  # 08:31 Paris
    app.alerting.tick()
    app.outbox.drain()

    [mail] = smtp.messages
    assert nb("Résumé quotidien : 5 mentions") in mail["Subject"]
    parts = {p.get_content_type(): p for p in mail.walk() if not p.is_multipart()}
    assert set(parts) == {"text/plain", "text/html", "image/png"}
    png = parts["image/png"].get_content()
    assert png.startswith(PNG)
    cid = parts["image/png"]["Content-ID"].strip("<>")
    html = parts["text/html"].get_content()
    assert f"cid:{cid}" in html and "Acmé" in html and "Globex" in html


def test_hourly_digest_on_slack_uploads_the_chart(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("""
[[rules]]
name = "flux"
notify = ["slack:#veille"]
digest = "hourly"
""")
    queue(app, "slack:#veille", 4, rules=["flux"])
    app.outbox.drain()
    clock.advance(hours=1)
    app.alerting.tick()
    app.outbox.drain()

    [post] = slack.posts()
    assert nb("Résumé horaire : 4 mentions") in readable(post["blocks"])
    [upload] = slack.files
    assert upload["content"].startswith(PNG)
    assert upload["thread_ts"] == post["ts"]


def test_a_target_digest_holds_every_rule_but_lets_a_crisis_through(
    app_for: Callable[[str], App], smtp: SmtpServer, slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("""
[[digests]]
targets = ["email:direction@example.fr"]
digest = "daily 08:30"
""")
    queue(app, "email:direction@example.fr", 2, key="presse", rules=["presse"])
    queue(app, "email:direction@example.fr", 1, key="forum")  # default_notify, no rule
    queue(app, "email:direction@example.fr", 1, key="crise", severity="critical")
    queue(app, "slack:#veille", 1, key="veille")  # another target: not held
    app.outbox.drain()
    app.alerting.tick()

    [crisis] = smtp.messages  # the crisis at once, nothing else
    assert "Article crise 0" in crisis["Subject"]
    assert len(slack.posts()) == 1
    assert Counter(r.status for r in rows(app)) == {"held": 3, "sent": 2}

    clock.now = clock.now.replace(hour=7, minute=31) + timedelta(days=1)  # 08:31 Paris
    app.alerting.tick()
    app.outbox.drain()

    assert len(smtp.messages) == 2
    digest = smtp.messages[1]
    assert nb("Résumé quotidien : 3 mentions") in digest["Subject"]
    text = next(p for p in digest.walk() if p.get_content_type() == "text/plain").get_content()
    assert "Article presse 1" in text and "Article forum 0" in text
    assert Counter(r.status for r in rows(app)) == {"grouped": 3, "sent": 3}


def test_a_rule_digest_keeps_its_own_schedule_on_a_digest_target(
    app_for: Callable[[str], App], slack: FakeSlack, clock: Clock
) -> None:
    app = app_for("""
[[rules]]
name = "flux"
notify = ["slack:#veille"]
digest = "hourly"

[[digests]]
targets = ["slack:#veille"]
digest = "daily 08:30"
""")
    queue(app, "slack:#veille", 2, rules=["flux"])
    queue(app, "slack:#veille", 1, key="autre")
    app.outbox.drain()
    clock.advance(hours=1)
    app.alerting.tick()
    app.outbox.drain()

    [hourly] = slack.posts()
    assert nb("Résumé horaire : 2 mentions") in readable(hourly["blocks"])
    assert Counter(r.status for r in rows(app)) == {"held": 1, "grouped": 2, "sent": 1}
