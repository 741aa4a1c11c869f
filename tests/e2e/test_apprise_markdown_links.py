"""A feed's Markdown is no live link on Mattermost, Rocket.Chat, Nextcloud Talk or Zulip.

These services show the plain text Apprise sends them as Markdown, so a feed's
``[Votre compte est bloqué](https://phishing.example)`` would be a link under
a label the feed chose, and ``**``, ``_`` and a ``#`` heading would format.
Real Apprise plugins post, from the daemon's outbox, to a local server
(Mattermost, Rocket.Chat and Nextcloud Talk at 127.0.0.1; Zulip, whose host is
fixed, with its plugin's ``notify_url`` pointed there); the test reads what the
service received: the feed's words, none of its links, and watchtower's own
link to the item, whole.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterator

import pytest

from tests.e2e.alerting_helpers import queue, rows
from tests.e2e.test_apprise_services import Service, point_at, rule
from watchtower.app import App

URL = "https://www.lemonde.fr/economie/acme_rachete_globex_6543.html"
TITLE = "[Votre compte est bloqué](https://phishing.example/login) **urgent**"
EXCERPT = (
    "# Remboursement immédiat\n"
    "[Cliquez ici](https://phishing.example/x) pour __valider__ votre *compte* "
    "ou <https://phishing.example/y|acme.fr>"
)
# A Markdown link: its label and its address.
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?([^)\s>]*)")


@pytest.fixture
def http() -> Iterator[Service]:
    server = Service()
    yield server
    server.stop()


def _target(service: str, port: int) -> str:
    return {
        "mattermost": f"apprise:mmost://127.0.0.1:{port}/abcdefghijklmnop",
        "rocketchat": f"apprise:rocket://abcdef0123%2Fghijkl4567@127.0.0.1:{port}?mode=webhook",
        # Rocket.Chat told to take plain text: it shows it as Markdown all the same.
        "rocketchat-text": (
            f"apprise:rocket://abcdef0123%2Fghijkl4567@127.0.0.1:{port}?mode=webhook&format=text"
        ),
        "nextcloudtalk": f"apprise:nctalk://bot:pass@127.0.0.1:{port}/room0123",
        "zulip": "apprise:zulip://bot@acme/abcdefghijklmnopqrstuvwxyz012345/veille",
    }[service]


def _received(service: Service) -> str:
    """The text the service was given (JSON, or Zulip's form: its topic, the
    title, then its content)."""
    [(_, body)] = service.requests
    if "raw" in body:
        form = urllib.parse.parse_qs(body["raw"])
        return f"{form['topic'][0]}\n{form['content'][0]}"
    return str(body.get("text") or body.get("message") or "")


@pytest.mark.parametrize(
    "service", ["mattermost", "rocketchat", "rocketchat-text", "nextcloudtalk", "zulip"]
)
def test_a_feeds_markdown_link_is_not_live_and_the_items_link_is(
    app_for: Callable[[str], App], http: Service, service: str
) -> None:
    target = _target(service, http.port)
    app = app_for(rule(target))
    if service == "zulip":
        point_at(app, target, f"http://127.0.0.1:{http.port}/api/v1/messages")
    queue(app, target, rules=["crise"], severity="critical", title=TITLE, url=URL, excerpt=EXCERPT)
    app.outbox.drain()
    assert [r.status for r in rows(app)] == ["sent"]

    text = _received(http)
    # The feed's words arrive...
    assert "Votre compte est bloqué" in text and "Cliquez ici" in text and "valider" in text
    # ...but none of its links: the only Markdown link is watchtower's own, its
    # address as its label.
    links = MARKDOWN_LINK.findall(text)
    assert all(label == href == URL for label, href in links), links
    assert "](https://phishing" not in text and "<https://phishing" not in text
    # Nor its formatting: no bold, no italics, no heading of its own.
    assert "**urgent**" not in text and "__valider__" not in text and "*compte*" not in text
    assert not re.search(r"^\s*#+ Remboursement", text, re.MULTILINE), text
    # The item's own link still opens the article: whole, as a bare address the
    # service turns into a link, or as watchtower's [url](url).
    bare = re.search(rf"(?:^|\s){re.escape(URL)}(?:\s|$)", text)
    assert bare or f"[{URL}]({URL})" in text, text
