"""Every form Slack parses into a mention, written in a feed's text, pings nobody.

Slack's text objects default to ``verbatim: false``: Slack then link-ifies
addresses and parses "certain mentions" (its docs, text object reference) in
plain text, besides the written-out ``<!here>``, ``<!channel>``,
``<!everyone>``, ``<!subteam^ID>``, ``<@U…>`` its mrkdwn always parses. A
handle in an address's host part ("https://@marketing-team": no host, so no
link, the handle left for Slack to read) was kept as the address's own.
Checked on the text and through the fake Slack Web API, as Slack receives it.
"""

from __future__ import annotations

import re

import pytest

from tests.servers.slack import FakeSlack
from tests.unit.notify.slack_posts import posted_texts
from watchtower.notify.apprise_markdown import _defuse
from watchtower.notify.slack_mrkdwn import escape_text

ZW = "\u200b"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # A handle where an address's host should be: no link, a ping.
        ("https://@marketing-team", f"https://@{ZW}marketing-team"),
        ("voir http://@dircom ici", f"voir http://@{ZW}dircom ici"),
        ("https://jean@marketing-team/x", f"https://jean@{ZW}marketing-team/x"),
        ("https://x.fr@channel", f"https://x.fr@{ZW}channel"),
        # Still an address's own "@": its path, query or fragment.
        ("https://medium.com/@acme/post", "https://medium.com/@acme/post"),
        ("https://acme.fr/?q=@acme", "https://acme.fr/?q=@acme"),
        ("https://acme.fr/#@acme", "https://acme.fr/#@acme"),
        # Covered before, kept.
        ("<!subteam^S0123> @here", f"&lt;!subteam^S0123&gt; @{ZW}here"),
        (
            "<!here|here> <!everyone> <!channel>",
            "&lt;!here|here&gt; &lt;!everyone&gt; &lt;!channel&gt;",
        ),
        ("x@here @everyone", f"x@{ZW}here @{ZW}everyone"),
        ("@group", f"@{ZW}group"),
    ],
)
def test_every_mention_form_is_defused(text: str, shown: str) -> None:
    assert escape_text(text) == shown


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://@direction", f"https://@{ZW}direction"),
        ("https://jean@direction/x", f"https://jean@{ZW}direction/x"),
        ("https://www.youtube.com/@Acme", "https://www.youtube.com/@Acme"),
        ("contact@all.fr", "contact@all.fr"),
    ],
)
def test_apprise_text_defuses_a_handle_in_an_address_host_too(text: str, shown: str) -> None:
    assert _defuse(text) == shown


HOSTILE_TITLE = "Arnaque Acmé https://@marketing-team <!subteam^S0123> @here"
HOSTILE_EXCERPT = "Relayé par https://jean@dircom/x et <!channel> x@everyone <@U0123|jd>"
# What Slack could read as a mention: a written-out one, a mass one anywhere,
# a handle after anything but a letter or digit, or in an address's host part.
PING = re.compile(
    r"<[@!#]|@(?:here|channel|everyone)\b|(?<![^\W_])@\w|https?://[^\s/?#@|]*@\w",
    re.IGNORECASE,
)


def test_slack_receives_no_mention_from_a_feed(slack: FakeSlack) -> None:
    texts = posted_texts(slack, HOSTILE_TITLE, HOSTILE_EXCERPT)
    assert texts
    for text in texts:
        # The message's own link is no ping: the text inside <url|label> is.
        shown = re.sub(r"<https://forum\.example\.fr/t/arnaque-acme/42\|", "", text)
        assert not PING.search(shown), text
    assert any("marketing-team" in text for text in texts)  # shown, not dropped
