"""``escape_text``: an underscore inside a word stays bare, so a pseudonym copied
from Slack ("jeanne_75") finds its author in the forum's search.

Slack italicises ``_x_`` only when the opening ``_`` follows no letter or digit
and the closing one precedes none: ``snake_case`` is never italic, and a
zero-width space there only breaks copy-paste. Every mark that could open or
close formatting keeps its zero-width spaces; so do ``*``, ``~`` and `````
everywhere (whether Slack formats them mid-word is not settled), and an
underscore next to a non-ASCII letter (a JavaScript ``\\w`` is ASCII's).
"""

from __future__ import annotations

from typing import Any

import pytest

from watchtower.models import Notification
from watchtower.notify.slack_mrkdwn import escape_text
from watchtower.notify.slack_render import item_blocks

ZW = "\u200b"
INERT = f"{ZW}_{ZW}"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # Between two letters or digits: cannot open nor close italics.
        ("jeanne_75", "jeanne_75"),
        ("marie_dupont_75", "marie_dupont_75"),
        ("https://forum.example/u/jeanne_75", "https://forum.example/u/jeanne_75"),
        ("AB_CD ok", "AB_CD ok"),
        # At a word's edge: could open or close, so made inert.
        ("_promo_", f"{INERT}promo{INERT}"),
        ("jeanne_", f"jeanne{INERT}"),
        ("_75", f"{INERT}75"),
        ("(_x_)", f"({INERT}x{INERT})"),
        ("jeanne_75 _promo_", f"jeanne_75 {INERT}promo{INERT}"),
        ("_a_b_", f"{INERT}a_b{INERT}"),
        # Next to another underscore, an entity or a non-ASCII letter: inert.
        ("a__b", f"a{INERT}{INERT}b"),
        ("R&_D", f"R&amp;{INERT}D"),
        ("josé_75", f"josé{INERT}75"),
        ("75_é", f"75{INERT}é"),
        # The other marks stay inert even inside a word.
        ("a*b*c", f"a{ZW}*{ZW}b{ZW}*{ZW}c"),
        ("a~b~c", f"a{ZW}~{ZW}b{ZW}~{ZW}c"),
        ("a`b`c", f"a{ZW}`{ZW}b{ZW}`{ZW}c"),
    ],
)
def test_only_an_underscore_inside_a_word_stays_bare(text: str, shown: str) -> None:
    assert escape_text(text) == shown


def review(author: str) -> Notification:
    payload: dict[str, Any] = {
        "title": "Service décevant",
        "url": "https://forum.example/t/1",
        "source": "forum",
        "brands": ["Acmé"],
        "terms": [],
        "rules": [],
        "severity": "warning",
        "excerpt": "",
        "extra": {"rating": 2.0, "author": author},
    }
    return Notification.from_payload(1, "slack:#veille", payload)


@pytest.mark.parametrize(("language", "name"), [("fr", "Auteur\xa0:"), ("en", "Author:")])
def test_a_pseudonym_in_slack_is_the_one_the_forum_knows(language: str, name: str) -> None:
    blocks, text = item_blocks(review("jeanne_75"), language, "Europe/Paris")
    shown = "\n".join(str(b.get("text", {}).get("text", "")) for b in blocks)
    assert f"*{name}* jeanne_75" in shown
    assert ZW not in shown and ZW not in text  # nor in the notification's fallback text
