"""Discord and Telegram asked for Markdown (``format=markdown``), as the team sees them.

Given plain text for such a URL, Apprise escapes it for Markdown itself: a
backslash before every ``[``, ``_``, ``.``, ``-``, shown as is (Telegram's
Markdown keeps them inside the bold title, Discord's embeds after an address
break its link). Real Apprise plugins post to a local server standing in for
the service's API (the plugin's ``notify_url`` pointed at 127.0.0.1); the text
must read as written, and a feed's Markdown must stay inert.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from tests.e2e.alerting_helpers import queue
from tests.e2e.test_apprise_services import Service, point_at, rule
from watchtower.app import App

URL = "https://www.lemonde.fr/economie/article/2026/11/25/acme_rachete-globex_6543.html"
TITLE = "Acmé [Remboursement ici](https://phishing.example.com) post_du_forum *gras*"
EXCERPT = "@here <@&987654321> Le titre #1 : 3.5 % - ok (oui) _vraiment_"


@pytest.fixture
def http() -> Iterator[Service]:
    server = Service()
    yield server
    server.stop()


def _sent(app: App, target: str, service: Service, path: str) -> dict[str, object]:
    point_at(app, target, f"http://127.0.0.1:{service.port}{path}")
    queue(app, target, rules=["crise"], url=URL, title=TITLE, excerpt=EXCERPT)
    app.outbox.drain()
    [(_, payload)] = service.requests
    return payload


def _inert(sent: str, seen: str) -> None:
    """No ping in what the reader ``seen``, and no link under a feed's label in
    the Markdown ``sent`` (an escaped bracket opens none)."""
    assert "@here" not in seen and "<@&" not in seen
    assert not re.search(r"(?<!\\)\]\(https?://phishing", sent), sent


def test_discord_with_format_markdown_shows_the_text_without_backslashes(
    app_for: Callable[[str], App], http: Service
) -> None:
    target = "apprise:discord://112233445566/AbCdEfGhIjKlMn?format=markdown"
    app = app_for(rule(target))
    payload = _sent(app, target, http, "/api/webhooks")
    [embed] = payload["embeds"]  # type: ignore[index]
    shown = f"{embed['title']}\n{embed['description']}"
    assert "\\" not in shown, shown
    assert URL in embed["description"]  # whole: Discord links it
    assert "post_du_forum" in shown and "3.5 % - ok (oui)" in shown
    _inert(shown, shown)


@pytest.mark.parametrize("version", ["", "&mdv=v1", "&mdv=v2"])
def test_telegram_with_format_markdown_shows_the_text_without_backslashes(
    app_for: Callable[[str], App], http: Service, version: str
) -> None:
    target = f"apprise:tgram://123456789:AAbbCCddEEffGGhhIIjj/4242?format=markdown{version}"
    app = app_for(rule(target))
    payload = _sent(app, target, http, "/bot")
    text = str(payload["text"])
    strict = payload["parse_mode"] == "MarkdownV2"
    # What Telegram shows: MarkdownV2 takes a backslash before any punctuation
    # away; the first Markdown only before _ * ` [, and not inside the bold
    # title (its first line), where a backslash is shown as is.
    title, _, body = text.partition("\n")
    assert title.startswith("*") and title.endswith("*")
    escapable = r"[!-/:-@\[-`{-~]" if strict else r"[_*`\[]"
    seen = re.sub(rf"\\({escapable})", r"\1", body)
    if strict:
        title = re.sub(rf"\\({escapable})", r"\1", title)
    assert "\\" not in title and "\\" not in seen, text
    assert URL in seen
    assert "3.5 % - ok (oui)" in seen and "post_du_forum" in title
    _inert(text, f"{title}\n{seen}")
