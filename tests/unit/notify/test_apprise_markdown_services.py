"""Every Apprise service that shows plain text as Markdown gets text that formats
nothing and links nowhere: a table of their URLs, each checked on the rendered
message (no I/O: real Apprise plugins are built from their URLs, nothing is
sent; what reaches local servers: tests/e2e/test_apprise_markdown_links.py)."""

from __future__ import annotations

import re

import pytest

from watchtower.models import Notification
from watchtower.notify.apprise import AppriseNotifier

URL = "https://forum.example.fr/t/acme_rembourse/42"
# Each service by its Apprise URL; hosts are never reached (nothing is sent).
RENDERS_MARKDOWN = {
    "mattermost": "mmosts://mm.example/abcdefghijklmnop",
    "rocketchat-text": "rockets://abcdef0123%2Fghijkl4567@rc.example?mode=webhook&format=text",
    "nextcloudtalk": "nctalks://bot:pass@nc.example/room0123",
    "zulip": "zulip://bot@acme/abcdefghijklmnopqrstuvwxyz012345",
    "ryver": "ryver://apprise/ckhrjW8w672m6HG",
    "guilded": "guilded://123456789012345678/abcdefghijklmnopqrstuvwxyz",
    "fluxer": "fluxer://123456789012345678/abcdefghijklmnopqrstuvwxyz",
    "misskey": "misskeys://abcdefghijkl@misskey.example",
    "humhub": "humhubs://abcdefghijkl@humhub.example/12",
    "google-chat-text": "gchat://AAAAwork/keyKEYkey/tokTOKtok?format=text",
    "teams-text": "workflows://127.0.0.1:8443/wf0123/s3cr3tSig0123?format=text",
}


def _mention() -> Notification:
    payload = {
        "title": "[Votre compte est bloqué](https://phishing.example/login) **urgent**",
        "url": URL,
        "source": "forum",
        "brands": ["Acmé"],
        "terms": ["Acmé"],
        "severity": "critical",
        "excerpt": "# Remboursement\n[Cliquez ici](https://phishing.example/x) __vite__",
    }
    return Notification.from_payload(7, "apprise:x", payload)


@pytest.mark.parametrize("address", RENDERS_MARKDOWN.values(), ids=RENDERS_MARKDOWN.keys())
def test_a_feeds_markdown_neither_links_nor_formats(address: str) -> None:
    message = AppriseNotifier("fr").render(_mention(), address)
    text = f"{message.subject}\n{message.text}"

    assert "Votre compte est bloqué" in text and "Cliquez ici" in text
    assert "](https://phishing" not in text
    assert "**" not in text and "__vite__" not in text
    assert not re.search(r"^#", message.text, re.MULTILINE)
    assert URL in message.text  # the item's own address, whole
