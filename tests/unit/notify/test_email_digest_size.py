"""An e-mail digest of long addresses stays under Gmail's clipping (102 KB of
HTML, past which the end is hidden): it stops listing at ``HTML_MAX`` and
counts the mentions, and the brands, it leaves out."""

from __future__ import annotations

import re
from typing import Any

import pytest

from watchtower.models import Notification
from watchtower.notify.email import EmailNotifier

BRANDS, PER_BRAND, KEPT = 10, 100, 20  # 1,000 mentions, 200 in the payload


def _digest(url_chars: int) -> Notification:
    brands = [f"Marque {i}" for i in range(BRANDS)]
    items: list[dict[str, Any]] = [
        {
            "title": f"Un titre assez long pour une mention numéro {i}",
            "url": f"https://news.example.fr/{'u' * url_chars}/{i}",
            "source": "presse",
            "severity": "warning",
            "brands": [brands[i % BRANDS]],
        }
        for i in range(BRANDS * KEPT)
    ]
    summary = {
        "reason": "digest",
        "period": "daily",
        "count": BRANDS * PER_BRAND,
        "items": items,
        "by_brand": {b: {"warning": PER_BRAND} for b in brands},
    }
    payload = {"extra": {"kind": "summary", "summary": summary}}
    return Notification.from_payload(9, "email:dircom@example.fr", payload)


def _accounted(text: str) -> int:
    """Mentions listed (one a story here, its address on its own line) and
    counted in "… et N … de plus" lines."""
    listed = text.count("https://news.example.fr/")
    told = re.findall(r"^… (?:et|and) ([\d\u00a0,]+) (?:mentions? )?(?:de plus|more)", text, re.M)
    return listed + sum(int(re.sub(r"\D", "", n)) for n in told)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_digest_of_long_addresses_is_cut_and_counts_what_it_leaves_out(language: str) -> None:
    mail = EmailNotifier("127.0.0.1", 25, "veille@example.fr", language=language)
    message = mail.render(_digest(url_chars=1_500), "dircom@example.fr")
    assert message.html is not None
    assert len(message.html.encode()) < 100_000
    assert _accounted(message.text) == BRANDS * PER_BRAND
    last = message.text.rstrip().splitlines()[-1]
    expected = r"… et [\d\u00a0]+ mentions de plus \(\d marques\)"
    if language == "en":
        expected = r"… and [\d,]+ more mentions \(\d brands\)"
    assert re.fullmatch(expected, last), last
    assert last in message.html


def test_a_digest_that_fits_is_not_cut() -> None:
    mail = EmailNotifier("127.0.0.1", 25, "veille@example.fr", language="fr")
    message = mail.render(_digest(url_chars=20), "dircom@example.fr")
    assert _accounted(message.text) == BRANDS * PER_BRAND
    assert "mentions de plus" not in message.text
    assert message.text.count("… et 80 de plus (80 sujets)") == BRANDS
