"""Security review S19: the site shown beside an item's link.

Slack shows "· lemonde.fr" after a link whose label is the feed's own title, so
that "Votre compte Acme" cannot pass a link to another site off as the
brand's (``watchtower.notify._text.link_site``). An internationalised host is
shown decoded ("xn--acm-dma.fr" as "acmé.fr"); a host mixing scripts must not
be, or a Cyrillic "а" passes "pаypal.com" off as "paypal.com".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from watchtower.models import Notification, Severity
from watchtower.notify import slack_render


def _item(url: str) -> Notification:
    return Notification(
        outbox_id=1,
        target="slack:#veille",
        title="Votre compte Acme est suspendu",
        url=url,
        source="forum",
        brands=("Acme",),
        terms=("Acme",),
        rules=("crise",),
        severity=Severity.critical,
        published=datetime(2026, 11, 27, 12, tzinfo=UTC),
        lang="fr",
    )


def _shown(url: str) -> str:
    blocks, text = slack_render.item_blocks(_item(url), "fr", "Europe/Paris")
    return json.dumps(blocks, ensure_ascii=False) + text


@pytest.mark.parametrize(
    "lookalike",
    [
        "p\u0430ypal.com",  # Cyrillic а among Latin letters
        "\u0430cme.fr",
        "g\u043e\u043egle.com",  # two Cyrillic о
        "p\u0251ypal.com",  # LATIN SMALL LETTER ALPHA: Latin, yet no "a"
    ],
)
def test_a_mixed_script_host_is_not_shown_as_its_lookalike(lookalike: str) -> None:
    puny = lookalike.encode("idna").decode("ascii")
    shown = _shown(f"https://{puny}/connexion")
    assert lookalike not in shown
    assert puny in shown  # the reader sees an unusual address, not a familiar one


def test_a_latin_accented_host_is_still_shown_decoded() -> None:
    # What decoding is for (kept): "acmé.fr", not "xn--acm-dma.fr".
    assert "acmé.fr" in _shown("https://xn--acm-dma.fr/avis")
