"""``escape_text``: a handle written in a feed's text pings nobody in Slack,
whatever a text object's ``verbatim`` makes Slack parse; an address keeps its "@"."""

from __future__ import annotations

import pytest

from watchtower.notify.slack_mrkdwn import escape_text

ZW = "\u200b"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("@marketing-team rappel", f"@{ZW}marketing-team rappel"),
        ("(@jdupont)", f"(@{ZW}jdupont)"),
        ("@Équipe-Com", f"@{ZW}Équipe-Com"),
        ("<@U0123>", f"&lt;@{ZW}U0123&gt;"),
        ("<!subteam^S0123|@dircom>", f"&lt;!subteam^S0123|@{ZW}dircom&gt;"),
        ("<#C0123> <!here>", "&lt;#C0123&gt; &lt;!here&gt;"),
        ("@here x@channel", f"@{ZW}here x@{ZW}channel"),
        # Not a handle: an e-mail address, an "@" alone, an address's path.
        ("contact@acme.fr", "contact@acme.fr"),
        ("rdv @ 10h", "rdv @ 10h"),
        ("https://medium.com/@acme/post @acme", f"https://medium.com/@acme/post @{ZW}acme"),
        # What follows an address is no part of it.
        ("https://x.example/|@marketing-team", f"https://x.example/|@{ZW}marketing-team"),
        ("<https://x.example/>@team", f"&lt;https://x.example/&gt;@{ZW}team"),
        ('"https://x.example/"@team', f'"https://x.example/"@{ZW}team'),
    ],
)
def test_a_handle_gets_a_zero_width_space_after_its_at(text: str, shown: str) -> None:
    assert escape_text(text) == shown
