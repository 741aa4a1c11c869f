"""Look-alike mentions ping no Apprise service either.

The full-width "＠" (U+FF20), the small "﹫" (U+FE6B) and words in full-width
or mathematical letters ("@ｅｖｅｒｙｏｎｅ") are the ASCII mentions once
NFKC-folded; no service says whether it folds them, and a zero-width space
after the at sign costs nothing visible. Addresses stay as they are.
"""

from __future__ import annotations

import pytest

from watchtower.notify.apprise_markdown import _defuse

ZW = "\u200b"
FW_AT, SMALL_AT = "\uff20", "\ufe6b"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"{FW_AT}everyone", f"{FW_AT}{ZW}everyone"),
        (f"x{FW_AT}here", f"x{FW_AT}{ZW}here"),
        (f"{SMALL_AT}all ici", f"{SMALL_AT}{ZW}all ici"),
        (f"{FW_AT}**all**", f"{FW_AT}{ZW}**all**"),
        (f"Acmé{FW_AT}room", f"Acmé{FW_AT}{ZW}room"),  # a look-alike is no address's
        ("Acmé@ｅｖｅｒｙｏｎｅ", f"Acmé@{ZW}ｅｖｅｒｙｏｎｅ"),
        ("x@𝐡𝐞𝐫𝐞", f"x@{ZW}𝐡𝐞𝐫𝐞"),
        (f"{FW_AT}direction", f"{FW_AT}{ZW}direction"),
        (f"jean{SMALL_AT}direction", f"jean{SMALL_AT}{ZW}direction"),
        (f"https://x{FW_AT}direction/y", f"https://x{FW_AT}{ZW}direction/y"),
    ],
)
def test_a_look_alike_mention_is_defused(text: str, shown: str) -> None:
    assert _defuse(text) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("contact@all.fr", "contact@all.fr"),
        ("contact@ａｌｌ.fr", "contact@ａｌｌ.fr"),  # "all" after a letter: an address
        ("jean@direction", "jean@direction"),  # these services read no handle there
        ("https://www.youtube.com/@Acme", "https://www.youtube.com/@Acme"),
        ("x@here.fr", f"x@{ZW}here.fr"),  # Discord reads "@here" in it, as before
        (f"{FW_AT} here", f"{FW_AT} here"),
    ],
)
def test_addresses_keep_their_at_sign(text: str, shown: str) -> None:
    assert _defuse(text) == shown
