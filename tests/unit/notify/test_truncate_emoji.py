"""``notify.base.truncate`` (the e-mail subject's and excerpt's cut) never splits
a character as shown: an emoji keeps its selector, skin tone and joiners, a
flag both its letters, a letter its accent."""

from __future__ import annotations

import itertools

import pytest

from tests.unit.notify.test_email import notification
from watchtower.notify.base import truncate
from watchtower.notify.email import SUBJECT_MAX, EmailNotifier

# Each one drawn as one character, several code points each but "A".
SHOWN = ["A", "⚠️", "👍🏽", "🇫🇷", "👨‍👩‍👧", "e\u0301", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "1️⃣"]
TEXT = "".join(SHOWN * 3)  # no space: the cut cannot fall back to a word's end
WHOLE = set(itertools.accumulate(SHOWN * 3, initial=""))


@pytest.mark.parametrize("limit", range(1, len(TEXT)))
def test_a_cut_keeps_every_character_whole(limit: int) -> None:
    cut = truncate(TEXT, limit)
    assert len(cut) <= limit
    assert cut.endswith("…")
    assert cut.removesuffix("…") in WHOLE


def test_an_email_subject_cut_keeps_its_emoji_whole() -> None:
    mailer = EmailNotifier("127.0.0.1", 9, "veille@example.fr", timeout=1, language="fr")
    # The subject's room for its title (SUBJECT_MAX less the rest of the line).
    room = SUBJECT_MAX - len(mailer.render(notification("x"), "dircom@example.fr").subject) + 1
    for shift in range(4):  # the cut falls on each code point of "👍🏽" and "⚠️" in turn
        title = "x" * (room - 2 - shift) + "👍🏽⚠️" * 4
        message = mailer.render(notification(title), "dircom@example.fr")
        kept = message.subject.rsplit("x", 1)[1].removesuffix("…")
        assert kept in {"👍🏽⚠️" * n + tail for n in range(4) for tail in ("", "👍🏽")}
