"""French notification text takes a no-break space (U+00A0) before ``: ; ! ?``,
inside « » and between thousands, everywhere; what watchtower fills in (a feed's
title, a URL, a server's answer) is shown as it came.

The kinds' French typography as a whole is checked by test_language_matrix.py;
this file checks where the spacing stops: at the values.
"""

from __future__ import annotations

import json

import pytest

from tests.french import nb
from tests.unit.notify.test_language_matrix import _item, _n, _summary, renderings
from watchtower.errors import ConfigProblem
from watchtower.notify._text import one_line, t
from watchtower.notify.delivery_errors_text import delivery_error_text
from watchtower.notify.email import EmailNotifier
from watchtower.notify.slack import SlackNotifier
from watchtower.reload_notices import accepted_payload, ops_payload
from watchtower.source_errors_text import source_error_text
from watchtower.typography import french_spacing

NBSP = "\u00a0"
TITLE = "Prix : en hausse ? « Oui » ; vraiment !"
URL = "https://news.example.com/prix?ref=rss"  # Slack escapes a "&": none here
SOURCE = "forum : conso"


def test_french_spacing_spaces_french_only() -> None:
    assert french_spacing("Source : x ; « a » ! ?", "fr") == (
        f"Source{NBSP}: x{NBSP}; «{NBSP}a{NBSP}»{NBSP}!{NBSP}?"
    )
    assert french_spacing("Source : x", "en") == "Source : x"
    assert french_spacing("https://x/?a=1 wt.toml:3:", "fr") == "https://x/?a=1 wt.toml:3:"


def test_t_spaces_the_french_template_not_the_english_one() -> None:
    assert t("fr", "source_down") == f"Source en panne{NBSP}: {{name}}"
    assert t("en", "source_down") == "Source down: {name}"
    assert t("fr", "ack_hint").count(NBSP) == 3  # "charge :", "« je prends »"
    # An unknown language falls back on the French text, spaced as French.
    assert t("de", "source_down") == t("fr", "source_down")


def test_a_value_filled_into_a_template_is_not_spaced() -> None:
    assert t("fr", "source_down").format(name=TITLE) == f"Source en panne{NBSP}: {TITLE}"


def test_a_feeds_title_url_and_source_reach_every_notifier_as_they_came() -> None:
    n = _n(_item() | {"title": TITLE, "url": URL, "source": SOURCE, "excerpt": TITLE})
    shown = renderings(n, "fr")
    for where in ("slack.text", "email.subject", "email.text", "console", "apprise"):
        assert TITLE in shown[where], (where, shown[where])
        assert URL in shown[where] or where == "email.subject", (where, shown[where])
    assert TITLE in json.loads(shown["slack.blocks"])[0]["text"]["text"]
    assert f"Source{NBSP}: {SOURCE}" in shown["email.text"]  # the label's colon only

    for text in shown.values():
        assert "Prix\u00a0:" not in text and "hausse\u00a0?" not in text, text


def test_a_digests_story_title_is_not_spaced() -> None:
    row = {"title": TITLE, "url": URL, "source": "press", "severity": "info", "brands": ["Zephyr"]}
    shown = renderings(_summary("digest", [row], period="daily"), "fr")
    assert TITLE in shown["email.text"] and TITLE in shown["email.html"]
    assert TITLE in shown["slack.blocks"]
    assert nb("Résumé quotidien : 1 mention") in shown["email.subject"]


def test_a_source_errors_values_are_not_spaced_its_template_is() -> None:
    text = source_error_text(
        "imap_folder_missing", {"folder": "Veille", "folders": "INBOX : Archives ?"}, "fr"
    )
    assert text.endswith(
        f"(renommé ou supprimé{NBSP}?){NBSP}; dossiers présents{NBSP}: INBOX : Archives ?"
    )
    assert source_error_text("too_large", {"limit": 10_000_000}, "fr").endswith(
        f"10{NBSP}000{NBSP}000 octets"
    )
    english = source_error_text("too_large", {"limit": 10_000_000}, "en")
    assert "10,000,000" in english and NBSP not in english


def test_a_servers_answer_in_a_delivery_error_is_quoted_as_it_is() -> None:
    answer = "550 5.1.1 <x@example.fr> : boîte inconnue ?"
    text = delivery_error_text("smtp_recipient_refused", {"answers": answer}, "fr")
    assert text == f"le serveur SMTP refuse le destinataire{NBSP}: {answer}"


def test_the_reload_notices_are_spaced_in_french_only() -> None:
    problems = [ConfigProblem("wt.toml", 3, "", "a : b")]
    now = "2026-11-26T19:38:00+00:00"
    refused = ops_payload(problems, "fr", now)
    assert refused["title"] == nb(
        "Configuration refusée (1 problème) : watchtower continue avec la précédente"
    )
    assert "a : b" in refused["excerpt"]  # the problem, quoted as the checker wrote it
    assert accepted_payload("fr", now)["title"] == nb(
        "Configuration de nouveau valide : watchtower l'applique"
    )
    assert NBSP not in ops_payload(problems, "en", now)["title"]
    assert accepted_payload("en", now)["title"] == (
        "Configuration valid again: watchtower applies it"
    )


def test_one_line_keeps_a_no_break_space() -> None:
    """A title made from a French template ("Source en panne : x") goes through
    one_line on its way to a notifier: its colon stays on its word's line."""
    assert one_line(f"Source en panne{NBSP}: x\n  y") == f"Source en panne{NBSP}: x y"
    assert one_line("  a \t b\n") == "a b"


# ------------------------------------------- a digest of critical alerts only
@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("fr", nb("Résumé quotidien : 0 mention, 1 alerte critique")),
        ("en", "Daily digest: 0 mentions, 1 critical alert"),
    ],
)
def test_a_critical_only_digest_is_titled_alike_in_slack_and_e_mail(
    language: str, heading: str
) -> None:
    """Slack said "Résumé quotidien : 0 mention" where the e-mail said "0 mention,
    1 alerte critique": a director reading Slack thought the night was quiet."""
    n = _summary("digest", [], period="daily", sent_apart=1, apart=[])
    slack = SlackNotifier("xoxb-test", "http://127.0.0.1:9/", language=language)
    posted = slack.render(n, "#watch")
    mail = EmailNotifier(
        "127.0.0.1", 25, "w@example.com", starttls=False, language=language
    ).render(n, "x@example.com")
    assert (posted.blocks or [])[0]["text"]["text"] == f"🔎 {heading}"
    assert mail.text.splitlines()[0] == heading
    assert mail.subject.startswith(
        f"[{'veille' if language == 'fr' else 'watchtower'}] {heading} — "
    )


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_digest_with_mentions_and_critical_alerts_says_both_in_slack(language: str) -> None:
    row = {"title": "x", "url": "", "source": "press", "severity": "info", "brands": ["Zephyr"]}
    n = _summary("digest", [row, row], period="daily", sent_apart=3, apart=[])
    header = SlackNotifier("xoxb-test", "http://127.0.0.1:9/", language=language).render(
        n, "#watch"
    )
    mail = EmailNotifier("127.0.0.1", 25, "w@example.com", starttls=False, language=language)
    heading = mail.render(n, "x@example.com").text.splitlines()[0]
    assert (header.blocks or [])[0]["text"]["text"].endswith(heading)
    assert heading.endswith(("2 mentions, 3 alertes critiques", "2 mentions, 3 critical alerts"))


def test_a_quiet_digest_still_has_nothing_to_report() -> None:
    n = _summary("digest", [], period="daily")
    posted = SlackNotifier("xoxb-test", "http://127.0.0.1:9/", language="fr").render(n, "#w")
    assert (posted.blocks or [])[0]["text"]["text"].endswith(
        nb("Résumé quotidien : rien à signaler")
    )
