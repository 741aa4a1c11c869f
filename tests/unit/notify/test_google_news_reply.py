"""A thread reply for a Google News item names its publisher's site.

Its link is Google's (``news.google.com/rss/articles/…``): the runner puts the
site the feed named (``<source url>``) in the story part of the payload, and
the reply line reads it instead of the link's host, in every renderer.
"""

from __future__ import annotations

import pytest

from tests.unit.notify.test_republished_render import GOOGLE_NEWS, TITLE, later, shown
from watchtower.models import Notification


@pytest.mark.parametrize(
    ("language", "n", "line"),
    [
        ("fr", later(GOOGLE_NEWS, "gnews", site="lemonde.fr"), "Aussi vu sur lemonde.fr"),
        ("en", later(GOOGLE_NEWS, "gnews", site="lemonde.fr"), "Also seen on lemonde.fr"),
        (
            "fr",
            later(GOOGLE_NEWS, "gnews", site="lemonde.fr", same_place=True),
            "Republié sur lemonde.fr (nouvelle adresse)",
        ),
        (
            "fr",
            later(GOOGLE_NEWS, "gnews", site="lemonde.fr", edited=True),
            "Modifié sur lemonde.fr",
        ),
        # An internationalised publisher, as its readers write it.
        ("fr", later(GOOGLE_NEWS, "gnews", site="xn--acm-dma.fr"), "Aussi vu sur acmé.fr"),
        # A reply queued before (no site) or without a publisher: as before.
        ("fr", later(GOOGLE_NEWS, "gnews"), "Aussi vu sur news.google.com"),
        ("fr", later(GOOGLE_NEWS, "gnews", same_place=True), "Republié sur gnews"),
    ],
)
def test_the_reply_names_the_publishers_site(language: str, n: Notification, line: str) -> None:
    colon = "\u00a0: " if language == "fr" else ": "

    slack, console, plain = shown(n, language)
    assert slack == f"{line}{colon}<{GOOGLE_NEWS}|{TITLE}>"
    assert console == f"  ↳ [#7] {line}{colon}{TITLE} — {GOOGLE_NEWS}"
    assert plain == f"{line}{colon}{TITLE} — {GOOGLE_NEWS}"
