"""The director's morning digest e-mail, read as its MIME arrives (no SMTP needed).

Each test is a defect she met: the same story listed once per copy, the story
seen on 12 sites drowned among lone posts, a subject saying neither the day
nor the crises, the crises only counted, "5000 mentions", an ordinary space
before the colon, the period in no zone, a chart without size nor useful alt.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

from tests.french import nb
from watchtower import digest
from watchtower.models import Notification
from watchtower.notify.email import EmailNotifier

NBSP = "\u00a0"
#: Thursday 26 November 2026, 08:30 in Paris.
RELEASED = datetime(2026, 11, 26, 7, 30, tzinfo=UTC)
DISPATCH = "Banque Acmé lance une offre de crédit immobilier à taux fixe"


def item(i: int, **fields: Any) -> dict[str, Any]:
    return {
        "title": f"Article {i}",
        "url": f"https://news.example.fr/{i}",
        "source": "presse",
        "severity": "info",
        "brands": ["Banque Acmé"],
        "story": 1000 + i,
        **fields,
    }


def night(
    items: list[dict[str, Any]], *, count: int | None = None, sent_apart: int = 0, **more: Any
) -> Notification:
    """A digest row as the alerting tick writes it (``digest.enrich`` included)."""
    by_brand: dict[str, dict[str, int]] = {}
    for i in items:
        for brand in i["brands"]:
            by_brand.setdefault(brand, {}).setdefault(i["severity"], 0)
            by_brand[brand][i["severity"]] += 1
    if count is not None:
        by_brand = {"Banque Acmé": {"info": count}}
    summary = {
        "reason": "digest",
        "period": "daily",
        "what": "",
        "count": count if count is not None else len(items),
        "items": items,
        "by_brand": by_brand,
        "first": "2026-11-25T08:00:00+00:00",
        "last": "2026-11-26T06:00:00+00:00",
        "since": "2026-11-25T07:30:00+00:00",
        "sent_apart": sent_apart,
        **more,
    }
    chart = base64.b64encode(digest.chart_png(by_brand, "")).decode("ascii")
    extra = {"kind": "summary", "summary": summary, "chart": chart}
    payload = {"title": "", "url": "", "source": "", "brands": ["Banque Acmé"], "extra": extra}
    n = Notification.from_payload(41, "email:dircom@acme.example", payload)
    n.extra["created_at"] = RELEASED.timestamp()
    return n


def mail(n: Notification, language: str = "fr") -> EmailMessage:
    notifier = EmailNotifier(
        "127.0.0.1", 25, "Veille Acmé <veille@acme.example>", starttls=False, language=language
    )
    return notifier.build(notifier.render(n, "dircom@acme.example"))


def plain(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("p", "li", "h2", "h3", "br"):
            self.text.append("\n")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_of(message: EmailMessage) -> _Html:
    part = message.get_body(("html",))
    assert isinstance(part, EmailMessage)
    parser = _Html()
    parser.feed(str(part.get_content()))
    return parser


def lines_of(message: EmailMessage) -> list[str]:
    return [line.strip() for line in "".join(html_of(message).text).splitlines() if line.strip()]


# --------------------------------------------------------------- one line a story
def test_copies_of_one_story_are_one_line_that_says_its_reach() -> None:
    """Three rows of the syndicated dispatch (its story id) were three lines."""
    copies = [
        item(0, title=DISPATCH, url=f"https://www.{site}/credit", source=site, story=7)
        for site in ("lemonde.example", "lefigaro.example", "liberation.example")
    ]
    message = mail(night([*copies, item(1)]))
    text = plain(message)
    assert text.count(DISPATCH) == 1
    assert "https://www.lemonde.example/credit" in text  # the story's first URL
    assert "https://www.lefigaro.example/credit" not in text
    assert "lemonde.example · vu sur 3 sites" in text
    assert "4 mentions · 2 sujets" in text


def test_a_story_seen_on_12_sites_comes_before_a_lone_forum_post() -> None:
    """The digest listed mentions in arrival order: the dispatch on 12 sites was
    below the forum posts of the night. Critical first, then by reach."""
    forum = [item(i, title=f"Post du forum {i}", source="forum-conso") for i in range(3)]
    dispatch = item(9, title=DISPATCH, url="https://www.lemonde.example/credit", sites=12)
    critical = item(8, title="Piratage chez Banque Acmé", severity="critical")
    lines = lines_of(mail(night([*forum, dispatch, critical])))
    order = [i for i, line in enumerate(lines) if "Piratage" in line or DISPATCH in line]
    first_forum = next(i for i, line in enumerate(lines) if "Post du forum" in line)
    assert len(order) == 2 and order[0] < order[1] < first_forum
    assert "Piratage" in lines[order[0]]
    assert "vu sur 12 sites" in lines[order[1]]


# ------------------------------------------------------------------- the subject
def test_the_subject_says_the_day_and_the_critical_alerts() -> None:
    """ "[veille] Résumé quotidien : 120 mentions" every day: nothing told the
    5 crises apart, and Gmail threaded every morning into one conversation."""
    message = mail(night([item(i) for i in range(3)], sent_apart=5))
    subject = str(message["Subject"])
    assert subject == nb(
        "[veille] Résumé quotidien : 3 mentions, 5 alertes critiques — 26 novembre"
    )
    # The phone's list shows the first 40-odd characters: the count is in them.
    assert "3 mentions" in subject[:45]


def test_the_critical_alerts_sent_at_once_are_listed_first() -> None:
    apart = [
        {
            "title": f"Piratage {i}",
            "url": f"https://bfmtv.example/{i}",
            "source": "bfmtv",
            "severity": "critical",
            "brands": ["Banque Acmé"],
        }
        for i in range(5)
    ]
    text = plain(mail(night([item(0)], sent_apart=5, apart=apart)))
    assert text.index("5 alertes critiques envoyées") < text.index("Piratage 0")
    assert text.index("Piratage 4") < text.index("Article 0")
    assert "https://bfmtv.example/4" in text


# ------------------------------------------------------------- a 5,000-mention day
def test_a_day_of_5000_mentions_is_bounded_and_counts_in_french() -> None:
    """The payload keeps 200 rows; the e-mail showed 20 and said "… et 4980 de
    plus" (no thousands separator, and mentions counted as if they were lines)."""
    rows = [item(i, story=7 if i < 40 else 1000 + i) for i in range(200)]
    message = mail(night(rows, count=5000))
    text = plain(message)
    assert f"Résumé quotidien{NBSP}: 5{NBSP}000 mentions" in text
    # 20 stories shown: the 40 copies of story 7 are one of them.
    assert len(re.findall(r"^🔎 ", text, re.M)) == 20
    assert f"… et 4{NBSP}941 de plus (4{NBSP}941 sujets)" in text
    assert len(message.as_bytes()) < 102_000  # Gmail clips beyond 102 KB
    assert str(message["Subject"]).startswith(
        f"[veille] Résumé quotidien{NBSP}: 5{NBSP}000 mentions"
    )


def test_french_colons_get_a_no_break_space_in_the_body() -> None:
    lines = lines_of(mail(night([item(0)])))
    assert lines[0] == f"Résumé quotidien{NBSP}: 1 mention"
    assert not any(re.search(r"[^\u00a0][:;!?](\s|$)", line) for line in lines[:2])


# ------------------------------------------------------------------ times, zone
def test_the_period_is_told_in_her_zone() -> None:
    text = plain(mail(night([item(0)])))
    assert "Du 25 novembre à 08:30 au 26 novembre à 08:30" in text  # Paris, not UTC


# ----------------------------------------------------------- Outlook, dark mode
def test_the_chart_is_embedded_sized_and_described() -> None:
    """Outlook showed the chart at its natural size and, images blocked, only
    "Mentions par marque": the alt now says the numbers."""
    message = mail(night([item(0), item(1, brands=["Globex"])]))
    [img] = [attrs for tag, attrs in html_of(message).tags if tag == "img"]
    assert img["src"] == "cid:chart@watchtower"
    assert img["width"] == "600"
    assert "max-width:600px" in str(img["style"])
    assert img["alt"] == f"Mentions par marque{NBSP}: Banque Acmé 1, Globex 1"
    [png] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert png["Content-ID"] == "<chart@watchtower>"
    assert "inline" in str(png["Content-Disposition"])
    body = str(message.get_body(("html",)).get_content())  # type: ignore[union-attr]
    assert "<style" not in body and "http://" not in body.split("<body")[0]
    assert not re.search(r"(?<![-\w])color\s*:", body)  # no colour for dark mode to fight


def test_the_chart_is_opaque_so_dark_mode_keeps_it_readable() -> None:
    png = digest.chart_png({"Banque Acmé": {"info": 3, "critical": 1}}, "")
    # PNG colour type (byte 25): 6 is RGBA; its alpha must be opaque everywhere.
    import io

    from matplotlib import image

    pixels = image.imread(io.BytesIO(png), format="png")
    assert pixels.shape[2] == 3 or float(pixels[:, :, 3].min()) == 1.0


# ---------------------------------------------------------------------- English
def test_the_english_digest() -> None:
    rows = [item(0, title=DISPATCH, sites=12), item(1)]
    message = mail(night(rows, sent_apart=1), language="en")
    assert str(message["Subject"]) == (
        "[watchtower] Daily digest: 2 mentions, 1 critical alert — November 26"
    )
    text = plain(message)
    assert "From November 25 at 08:30 to November 26 at 08:30 · 2 mentions · 2 stories" in text
    assert "presse · seen on 12 sites" in text
    assert NBSP not in text


def test_a_review_shows_its_stars() -> None:
    """ "Avis 0 — app-store": one star or five, the director could not tell."""
    text = plain(mail(night([item(0, title="Inadmissible", source="app-store", rating=1)])))
    assert "Inadmissible — app-store · ★☆☆☆☆ 1/5" in text
