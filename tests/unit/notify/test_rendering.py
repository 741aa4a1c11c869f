"""What each notifier shows: notices as notices, reviews with their stars, plurals,
stable e-mail Message-IDs, SMTP answers in errors, story tags on the console."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

from tests.french import nb
from tests.servers.smtp import SmtpServer
from watchtower.errors import DeliveryError
from watchtower.models import Notification
from watchtower.notify._text import t
from watchtower.notify.console import ConsoleNotifier
from watchtower.notify.email import EmailNotifier
from watchtower.notify.plain import plain_text
from watchtower.notify.slack_render import item_blocks, spike_blocks, summary_title


def notice(**overrides: Any) -> Notification:
    """A "source down" notice as source_alerts.py queues it."""
    payload: dict[str, Any] = {
        "kind": "ops",
        "title": "Source en panne : forum",
        "url": "",
        "source": "watchtower",
        "brands": [],
        "terms": [],
        "rules": [],
        "severity": "warning",
        "excerpt": "2 échecs consécutifs. Dernière erreur : the site has a server error (500)",
    }
    return Notification.from_payload(3, "email:ops@example.fr", payload | overrides)


def paused(language: str) -> Notification:
    """The "Slack paused" notice as alerting.py queues it."""
    return notice(
        title=t(language, "ops_auth_subject").format(reason="invalid_auth"),
        excerpt=t(language, "ops_auth_body").format(reason="invalid_auth"),
        severity="critical",
    )


def review(**extra: Any) -> Notification:
    payload: dict[str, Any] = {
        "title": "Service décevant",
        "url": "https://avis.example.fr/lyon",
        "source": "avis-lyon",
        "brands": ["Acmé"],
        "terms": [],
        "rules": ["avis-negatifs"],
        "severity": "warning",
        "published": "2026-11-25T00:00:00+00:00",  # JSON-LD "2026-11-25"
        "excerpt": "Conseiller injoignable.",
        "extra": {"rating": 2.0, "author": "Karim B."} | extra,
    }
    return Notification.from_payload(9, "email:cm@example.fr", payload)


def mailer(port: int = 25, language: str = "fr") -> EmailNotifier:
    return EmailNotifier(
        "127.0.0.1", port, "veille@example.fr", starttls=False, timeout=10, language=language
    )


def slack_text(n: Notification, language: str = "fr") -> str:
    blocks, text = item_blocks(n, language, "Europe/Paris")
    return text + "\n" + json.dumps(blocks, ensure_ascii=False)


# ------------------------------------------------------------------ notices
def test_a_notice_on_slack_shows_no_mention_fields() -> None:
    shown = slack_text(notice())
    assert "Source en panne : forum" in shown and "Dernière erreur" in shown
    for absent in (nb("Source :"), "watchtower", "Publié le", "date inconnue", "Marques"):
        assert absent not in shown


@pytest.mark.parametrize(
    ("n", "language", "subject"),
    [
        (notice(), "fr", "[veille] À surveiller – Source en panne : forum"),
        (paused("fr"), "fr", nb("[veille] CRITIQUE – Slack est en pause : invalid_auth")),
        (paused("en"), "en", "[watchtower] CRITICAL – Slack is paused: invalid_auth"),
    ],
)
def test_a_notice_by_email_has_no_empty_brand_nor_doubled_prefix(
    n: Notification, language: str, subject: str
) -> None:
    message = mailer(language=language).render(n, "ops@example.fr")
    assert message.subject == subject
    for absent in ("Marques", "Brands", "Termes", "Règle", "date inconnue", "Langue", " – "):
        assert absent not in message.text
        assert message.html is not None and absent not in message.html
    assert n.excerpt in message.text


def test_a_notice_in_plain_text_has_one_prefix() -> None:
    plain = plain_text(paused("fr"), "fr", "Europe/Paris")
    assert plain.title == nb("[CRITIQUE] Slack est en pause : invalid_auth")
    assert "SLACK_BOT_TOKEN" in plain.body and "Marques" not in plain.body


# ------------------------------------------------------------------ reviews
def test_a_review_shows_its_stars_and_author_everywhere() -> None:
    slack = slack_text(review())
    mail = mailer().render(review(), "cm@example.fr")
    plain = plain_text(review(), "fr", "Europe/Paris")
    for shown in (slack, mail.text, mail.html or "", plain.body):
        assert "★★☆☆☆ 2/5" in shown and "Karim B." in shown
    assert nb("Note : ★★☆☆☆ 2/5") in mail.text and nb("Auteur : Karim B.") in mail.text
    english = plain_text(review(rating=3.5), "en", "Europe/Paris")
    assert "Rating: ★★★★☆ 3.5/5" in english.body
    plain = plain_text(review(rating=None, author=None), "fr", "Europe/Paris")
    assert "★" not in plain.body and "Note" not in plain.body and "Auteur" not in plain.body


def test_an_average_rating_says_over_how_many_reviews() -> None:
    average = review(rating=1.6, author=None, rating_count="57")
    for shown in (slack_text(average), mailer().render(average, "cm@example.fr").text):
        assert "★★☆☆☆ 1,6/5 (57 avis)" in shown
    assert "(1 review)" in plain_text(review(rating_count="1"), "en", "Europe/Paris").body
    unknown = plain_text(review(rating_count="?"), "fr", "Europe/Paris").body
    assert "★★☆☆☆ 2/5" in unknown and "?" not in unknown


def test_a_date_without_time_is_shown_as_a_date() -> None:
    assert nb("Publication : 25/11/2026\n") in mailer().render(review(), "cm@example.fr").text
    assert "01:00" not in slack_text(review())
    timed = mailer().render(
        Notification.from_payload(
            1, "email:x@example.fr", {"brands": ["Acmé"], "published": "2026-11-25T08:15:00+00:00"}
        ),
        "x@example.fr",
    )
    assert "25/11/2026 à 09:15 (CET)" in timed.text


# ------------------------------------------------------------------- e-mail
def test_the_message_id_is_stable_per_outbox_row() -> None:
    def message_id(outbox_id: int, created_at: float, sender: str = "veille@example.fr") -> str:
        n = Notification.from_payload(
            outbox_id,
            "email:cm@example.fr",
            {"title": "x", "brands": ["Acmé"], "extra": {"created_at": created_at}},
        )
        notifier = EmailNotifier("127.0.0.1", 25, sender)
        return str(notifier.build(notifier.render(n, "cm@example.fr"))["Message-ID"])

    first = message_id(12, 1_795_000_000.5)
    assert first == message_id(12, 1_795_000_000.5)  # the same row rendered again
    assert first.startswith("<wt-12.") and first.endswith("@example.fr>")
    assert first != message_id(13, 1_795_000_000.5)
    assert first != message_id(12, 1_795_000_100.0)  # another database's row 12
    assert first != message_id(12, 1_795_000_000.5, "alerts@example.fr")


def test_an_email_has_a_date_header() -> None:
    notifier = EmailNotifier("127.0.0.1", 25, "veille@example.fr")
    mail = notifier.build(notifier.render(review(), "cm@example.fr"))
    sent = parsedate_to_datetime(str(mail["Date"]))  # RFC 5322: required
    assert sent.tzinfo is not None
    assert abs((datetime.now(UTC) - sent).total_seconds()) < 3600


def test_the_smtp_answer_is_in_the_error(smtp: SmtpServer) -> None:
    smtp.handler.refuse_with = "554 5.7.1 Message rejected by the local spam policy"
    notifier = mailer(smtp.port)
    with pytest.raises(DeliveryError) as caught:
        notifier.send(notifier.render(review(), "cm@example.fr"))
    assert "554" in caught.value.reason
    assert "rejected by the local spam policy" in caught.value.reason


# ------------------------------------------------------------------ wording
@pytest.mark.parametrize(
    ("summary", "language", "one", "three"),
    [
        (
            {"reason": "digest", "period": "daily"},
            "fr",
            nb("Résumé quotidien : 1 mention"),
            nb("Résumé quotidien : 3 mentions"),
        ),
        (
            {"reason": "quiet"},
            "fr",
            nb("Pendant les heures calmes : 1 mention"),
            nb("Pendant les heures calmes : 3 mentions"),
        ),
        (
            {"reason": "quiet"},
            "en",
            "During quiet hours: 1 mention",
            "During quiet hours: 3 mentions",
        ),
        (
            {"reason": "digest", "period": "hourly"},
            "en",
            "Hourly digest: 1 mention",
            "Hourly digest: 3 mentions",
        ),
    ],
)
def test_summary_titles_agree_with_their_count(
    summary: dict[str, Any], language: str, one: str, three: str
) -> None:
    def title(count: int) -> str:
        extra = {"kind": "summary", "summary": summary | {"count": count}}
        return summary_title(Notification.from_payload(1, "slack:#x", {"extra": extra}), language)

    assert (title(1), title(3)) == (one, three)


def test_spike_labels_use_the_language_colon() -> None:
    spike = {"name": "Acmé", "observed": 40, "top_sources": [["forum", 30]]}
    n = Notification.from_payload(1, "slack:#x", {"extra": {"kind": "spike", "spike": spike}})

    def shown(language: str) -> str:
        return json.dumps(spike_blocks(n, language)[0], ensure_ascii=False)

    assert "*Top sources*: forum (30)" in shown("en") and " : " not in shown("en")
    assert nb("*Principales sources* : forum (30)") in shown("fr")


def test_a_spike_s_usual_level_uses_the_language_decimal_mark() -> None:
    spike = {"name": "Acmé", "observed": 13, "window": "1h", "baseline": 2.46}
    n = Notification.from_payload(
        1, "email:dircom@example.fr", {"title": "x", "extra": {"kind": "spike", "spike": spike}}
    )
    slack = json.dumps(spike_blocks(n, "fr")[0], ensure_ascii=False)
    assert "13 mentions sur 1 h (d'habitude 2,5)" in slack
    assert "(d'habitude 2,5)" in mailer().render(n, "dircom@example.fr").text
    assert "(usually 2.5)" in json.dumps(spike_blocks(n, "en")[0], ensure_ascii=False)


# ------------------------------------------------------------------ console
def test_console_replies_name_their_story() -> None:
    console = ConsoleNotifier(stream=io.StringIO())

    def story(first: bool, title: str) -> Notification:
        return Notification.from_payload(
            1,
            "console:",
            {
                "title": title,
                "url": "https://b.example.fr/1",
                "source": "blog-b",
                "brands": ["Acmé"],
                "extra": {"story": {"id": 12, "first": first, "sightings": 2}},
            },
        )

    parent = console.render(story(True, "Acmé ouvre une agence"), "").text
    reply = console.render(story(False, "Acmé à Lyon"), "").text
    assert parent.startswith("[#12] ")
    assert reply.startswith(nb("  ↳ [#12] Aussi vu sur b.example.fr : Acmé à Lyon"))
    plain = Notification.from_payload(2, "console:", {"title": "x", "brands": ["Acmé"]})
    assert not console.render(plain, "").text.startswith("[#")
