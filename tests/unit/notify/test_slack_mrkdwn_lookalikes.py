"""Look-alike mentions and handles after a letter ping nobody either.

A full-width "＠here" (U+FF20), the small "﹫channel" (U+FE6B) and "@ｈｅｒｅ" in
full-width letters are "@here" once NFKC-folded; whether Slack folds them is
not documented, and a zero-width space after the at sign costs nothing
visible. "x@marketing-team" or "contact@acme" is no e-mail address (no dotted
domain after the "@"): its handle is defused; "contact@acme.fr" stays whole,
Slack links it. Checked on the text and through the fake Slack Web API.
"""

from __future__ import annotations

import re
import unicodedata

import pytest

from tests.servers.slack import FakeSlack
from tests.unit.notify.slack_posts import posted_texts
from watchtower.notify.slack_mrkdwn import escape_text

ZW = "\u200b"
FW_AT, SMALL_AT = "\uff20", "\ufe6b"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # Look-alike at signs before a mass mention's word, anywhere.
        (f"{FW_AT}here", f"{FW_AT}{ZW}here"),
        (f"Alerte {SMALL_AT}channel !", f"Alerte {SMALL_AT}{ZW}channel !"),
        (f"x{FW_AT}everyone", f"x{FW_AT}{ZW}everyone"),
        # The word in full-width or mathematical letters, any case.
        ("Acmé@ｈｅｒｅ", f"Acmé@{ZW}ｈｅｒｅ"),
        (f"{FW_AT}ＥＶＥＲＹＯＮＥ", f"{FW_AT}{ZW}ＥＶＥＲＹＯＮＥ"),
        ("urgent@𝐜𝐡𝐚𝐧𝐧𝐞𝐥", f"urgent@{ZW}𝐜𝐡𝐚𝐧𝐧𝐞𝐥"),
        ("contact@ｈｅｒｅ", f"contact@{ZW}ｈｅｒｅ"),
        # A look-alike at sign before a handle: never an address's.
        (f"{FW_AT}marketing-team", f"{FW_AT}{ZW}marketing-team"),
        (f"dircom{SMALL_AT}direction", f"dircom{SMALL_AT}{ZW}direction"),
        # In an address's host part, as "@" is.
        (f"https://x{FW_AT}direction/y", f"https://x{FW_AT}{ZW}direction/y"),
        # A letter before the "@" but no domain after it: a handle, not an address.
        ("x@marketing-team", f"x@{ZW}marketing-team"),
        ("contact@acme", f"contact@{ZW}acme"),
        ("écrire à jean@group.", f"écrire à jean@{ZW}group."),
        ("voir 42@dircom", f"voir 42@{ZW}dircom"),
    ],
)
def test_a_look_alike_mention_or_a_bare_handle_is_defused(text: str, shown: str) -> None:
    assert escape_text(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "contact@acme.fr",
        "jean.dupont@mairie-lyon.fr",
        "x@heres.fr",  # "heres", not "here"
        "https://medium.com/@acme/post",
        f"{FW_AT} here",  # nothing after the at sign
        "ｈｅｒｅ ＴＯＫＹＯ",  # full-width text is shown as written, not folded
        "@herestuff",  # a word that is not "here" ...
    ],
)
def test_an_address_or_a_lone_sign_stays_as_written(text: str) -> None:
    shown = escape_text(text)
    if text.startswith("@herestuff"):  # ... is still a handle
        assert shown == f"@{ZW}herestuff"
    else:
        assert shown == text


HOSTILE = (
    f"Arnaque {FW_AT}here @ｃｈａｎｎｅｌ {SMALL_AT}marketing-team "
    "x@dircom https://jean＠direction/x contact@acme.fr"
)
# An at sign (once NFKC-folded) directly before a word.
PING = re.compile(r"[@\uff20\ufe6b](?=\w)")


def test_slack_receives_no_look_alike_mention(slack: FakeSlack) -> None:
    texts = posted_texts(slack, HOSTILE, HOSTILE)
    assert any("marketing-team" in text and "contact@acme.fr" in text for text in texts)
    for text in texts:
        # The message's own link is no ping; an address's "@" neither.
        shown = text.replace("<https://forum.example.fr/t/arnaque-acme/42|", "")
        shown = unicodedata.normalize("NFKC", shown.replace("contact@acme.fr", ""))
        assert not PING.search(shown), text
