"""A review in the digest says who wrote it and the start of what they said.

The community manager's review: a digest's review line showed its stars and
title ("Très déçu — Avis Vérifiés · ★☆☆☆☆ 1/5") and nothing else, so each one
had to be opened to know who complained about what. Now a line under it:
« Marie D. : « Trois semaines sans réponse… » », about 140 characters cut
between words, in French and English, escaped in the HTML. An article's line
stays as it was: the digest stays short.

The digest's items are built from the held rows' payloads
(:func:`watchtower.pipeline.grouping.summary_payload`), which take a review's
fields from :func:`watchtower.digest.review_fields`.
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from tests.french import nb
from watchtower.digest import REVIEW_EXCERPT, review_fields
from watchtower.models import Notification
from watchtower.notify.email_digest import digest_email
from watchtower.notify.slack_render import summary_blocks
from watchtower.pipeline.grouping import summary_payload
from watchtower.storage.tables import OutboxRow

SAID = (
    "Trois semaines sans réponse du service client après le prélèvement en double "
    "sur mon compte, et l'agence de Lyon me renvoie vers la plateforme téléphonique "
    "qui raccroche au bout de vingt minutes d'attente. Je vais clôturer mon compte."
)
QUOTED = (
    "Trois semaines sans réponse du service client après le prélèvement en double "
    "sur mon compte, et l'agence de Lyon me renvoie vers la…"
)


def payload(**fields: Any) -> dict[str, Any]:
    """A review row's payload, as :func:`watchtower.pipeline.runner.payload_for` writes it."""
    return {
        "title": "Très déçu",
        "url": "https://avis.example.fr/acme/123",
        "source": "Avis Vérifiés",
        "severity": "warning",
        "brands": ["Acmé"],
        "rating": 1,
        "author": "Marie D.",
        "excerpt": SAID,
    } | fields


def digest(*rows: dict[str, Any]) -> Notification:
    """The digest e-mail's notification of held rows, built as the daemon builds it
    (:func:`watchtower.pipeline.grouping.summary_payload`)."""
    held = [
        OutboxRow(id=i, severity=r["severity"], payload=r, created_at=datetime(2026, 11, 25, 9))
        for i, r in enumerate(rows, 1)
    ]
    built = summary_payload("digest", "Acmé", held)
    summary = built["summary"] | {
        "period": "daily",
        "since": "2026-11-25T07:30:00+00:00",
        "until": "2026-11-26T07:30:00+00:00",
    }
    extra = {"kind": "summary", "summary": summary, "created_at": 1.0}
    data = {"title": "", "brands": ["Acmé"], "severity": "info", "extra": extra}
    return Notification.from_payload(9, "email:cm@example.fr", data)


def test_the_excerpt_is_the_start_of_the_matched_passage_cut_between_words() -> None:
    fields = review_fields(payload())
    assert fields == {"author": "Marie D.", "excerpt": QUOTED}
    assert len(fields["excerpt"]) <= REVIEW_EXCERPT
    assert review_fields(payload(excerpt="Parfait.\n  Rien à dire")) == {
        "author": "Marie D.",
        "excerpt": "Parfait. Rien à dire",
    }
    # An article (no rating) keeps only what its line shows.
    assert review_fields(payload(rating=None)) == {}


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("fr", nb(f"Marie D. : « {QUOTED} »")),
        ("en", f'Marie D.: "{QUOTED}"'),
    ],
)
def test_a_review_line_says_who_wrote_it_and_what(language: str, said: str) -> None:
    _, text, markup = digest_email(digest(payload()), language, "Europe/Paris")
    lines = text.splitlines()
    head = next(k for k, line in enumerate(lines) if "Très déçu" in line)
    assert "★☆☆☆☆" in lines[head]
    assert lines[head + 1] == f"   {said}"  # under the title, before the link
    assert lines[head + 2] == "   https://avis.example.fr/acme/123"
    assert f"<br><span style='font-style:italic'>{html.escape(said)}</span></li>" in markup


def test_an_article_line_is_unchanged() -> None:
    article = payload(rating=None, title="Acmé ouvre une agence", author="Jean Dupont")
    _, text, markup = digest_email(digest(article), "fr", "Europe/Paris")
    assert "Jean Dupont" not in text and "Trois semaines" not in text
    assert "Jean Dupont" not in markup


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"author": ""}, nb(f"« {QUOTED} »")),
        ({"excerpt": ""}, "par Marie D."),
        ({"author": "", "excerpt": ""}, ""),
    ],
)
def test_a_review_without_author_or_text_says_what_it_has(
    fields: dict[str, str], said: str
) -> None:
    _, text, _ = digest_email(digest(payload(**fields)), "fr", "Europe/Paris")
    lines = text.splitlines()
    head = next(k for k, line in enumerate(lines) if "Très déçu" in line)
    link = "   https://avis.example.fr/acme/123"
    assert lines[head + 1 : head + 3] == ([f"   {said}", link] if said else [link])


def test_a_hostile_author_and_text_are_escaped_in_the_html() -> None:
    hostile = payload(author="<b>Marie</b> & co", excerpt='<script>alert("x")</script> nul')
    _, text, markup = digest_email(digest(hostile), "fr", "Europe/Paris")
    assert "<script>" not in markup and "<b>Marie" not in markup
    assert "&lt;b&gt;Marie&lt;/b&gt; &amp; co" in markup
    assert "&lt;script&gt;" in markup
    assert nb('<b>Marie</b> & co : « <script>alert("x")</script> nul »') in text


def _slack_text(n: Notification, language: str) -> str:
    """The Slack digest's text: its sections' mrkdwn, joined."""
    blocks, _ = summary_blocks(replace(n, target="slack:#avis"), language)
    return "\n".join(b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict))


@pytest.mark.parametrize(
    ("language", "said"),
    [("fr", f"Marie D. : « {QUOTED} »"), ("en", f'Marie D.: "{QUOTED}"')],
)
def test_the_slack_digest_says_it_under_the_review(language: str, said: str) -> None:
    """The community manager reads the digest in Slack too: the same line, under
    the review's own (and its ``_source_``), escaped like the rest."""
    text = _slack_text(digest(payload()), language)
    lines = text.splitlines()
    head = next(k for k, line in enumerate(lines) if "Très déçu" in line)
    assert lines[head].endswith("· _Avis Vérifiés_")
    assert nb(lines[head + 1]) == nb(said)


def test_the_slack_digest_escapes_a_hostile_review() -> None:
    hostile = payload(
        author="<!channel> Marie", excerpt="<https://evil.example|votre banque> *nul*"
    )
    text = _slack_text(digest(hostile), "fr")
    assert "<!channel>" not in text and "<https://evil.example|" not in text
    assert "&lt;!channel&gt; Marie" in text


def test_an_article_in_the_slack_digest_has_no_second_line() -> None:
    article = payload(rating=None, title="Acmé ouvre une agence", author="Jean Dupont")
    text = _slack_text(digest(article), "fr")
    assert "Jean Dupont" not in text and "Trois semaines" not in text
