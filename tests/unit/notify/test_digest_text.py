"""Digest wording shared by the e-mail and Slack renderers: the week a weekly
digest names, its title, and the per-brand severity counts."""

from __future__ import annotations

import pytest

from tests.french import nb
from watchtower.models import Notification
from watchtower.notify.digest_text import digest_title, severity_counts, week_text
from watchtower.notify.email_digest import digest_email
from watchtower.notify.slack_render import summary_blocks, summary_title


def weekly(first: str, last: str, **summary: object) -> dict[str, object]:
    return {"reason": "digest", "period": "weekly", "week": [first, last], **summary}


@pytest.mark.parametrize(
    ("first", "last", "fr", "en"),
    [
        ("2026-11-16", "2026-11-22", "semaine du 16 au 22 novembre", "week of November 16–22"),
        (
            "2026-10-26",
            "2026-11-01",
            "semaine du 26 octobre au 1er novembre",
            "week of October 26 – November 1",
        ),
        (
            "2026-12-28",
            "2027-01-03",
            "semaine du 28 décembre 2026 au 3 janvier 2027",
            "week of December 28, 2026 – January 3, 2027",
        ),
        ("2027-03-01", "2027-03-07", "semaine du 1er au 7 mars", "week of March 1–7"),
    ],
)
def test_the_week_is_named_as_people_write_it(first: str, last: str, fr: str, en: str) -> None:
    assert week_text(weekly(first, last), "fr") == fr
    assert week_text(weekly(first, last), "en") == en


def test_only_a_weekly_digest_names_a_week() -> None:
    assert week_text({"period": "daily", "week": ["2026-11-16", "2026-11-22"]}, "fr") == ""
    assert week_text({"period": "weekly"}, "fr") == ""  # a payload without its days
    assert week_text(weekly("16 nov", "22 nov"), "fr") == ""
    assert digest_title({"period": "daily"}, "fr", "3 mentions") == nb(
        "Résumé quotidien : 3 mentions"
    )


def test_the_weekly_title_in_slack_and_in_an_email_subject() -> None:
    summary = weekly(
        "2026-11-16",
        "2026-11-22",
        count=2,
        sent_apart=1,
        since="2026-11-16T07:30:00+00:00",
        until="2026-11-23T07:30:00+00:00",
        items=[],
        by_brand={"Acmé": {"info": 2}},
    )
    n = Notification.from_payload(
        1, "email:dircom@acme.example", {"kind": "summary", "extra": {"summary": summary}}
    )
    # Its critical alert sent at once is in the title, as in the e-mail's subject.
    assert summary_title(n, "fr") == nb(
        "Résumé hebdomadaire, semaine du 16 au 22 novembre : 2 mentions, 1 alerte critique"
    )
    assert summary_title(n, "en") == (
        "Weekly digest, week of November 16–22: 2 mentions, 1 critical alert"
    )

    subject, text, _ = digest_email(n, "fr", "Europe/Paris")
    assert subject == nb(
        "[veille] Résumé hebdomadaire : 2 mentions, 1 alerte critique"
        " — semaine du 16 au 22 novembre"
    )
    assert "Du 16 novembre à 08:30 au 23 novembre à 08:30" in text


def test_severity_counts_keep_each_outputs_number_format() -> None:
    """A guard: the e-mail digest groups thousands, Slack writes plain digits (as its
    title does); one helper builds both lines."""
    counts = {"info": 1234, "critical": 2}
    assert severity_counts(counts, "fr", grouped=True) == "🚨 2 · 🔎 1\u00a0234"
    assert severity_counts(counts, "en", grouped=True) == "🚨 2 · 🔎 1,234"
    assert severity_counts(counts, "fr", grouped=False) == "🚨 2 · 🔎 1234"
    summary = {"reason": "digest", "period": "daily", "count": 1236, "by_brand": {"Acmé": counts}}
    n = Notification.from_payload(
        1, "slack:#veille", {"kind": "summary", "extra": {"summary": summary}}
    )
    blocks, _ = summary_blocks(n, "fr")
    assert "*Acmé* — 🚨 2 · 🔎 1234" in str(blocks)
    _, text, _ = digest_email(n, "fr", "Europe/Paris")
    assert "Acmé — 🚨 2 · 🔎 1\u00a0234" in text
