"""A feed's words never ping a team, a person or a user group through Apprise.

Each chat service reads its own mentions in plain text: "@all" (Mattermost,
Rocket.Chat, Nextcloud Talk), "@room" (Matrix), Zulip's "@**all**", a person's
or a group's "@handle". Services we can point at 127.0.0.1 get the message
through Apprise's real plugin, posted to a local server, and the test reads what
the service would have received. The others are checked on the rendered
message only, nothing sent: Zulip, Discord and Telegram post to public hosts,
Matrix logs in first.
An address ("contact@all.fr") and a link ("youtube.com/@Acme") stay as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.servers.webhook import Webhook
from watchtower.models import Notification
from watchtower.notify.apprise import AppriseNotifier

ZWSP = "\u200b"
# A service's own mention as it reads it: the "@" straight before the name.
ZULIP_WILDCARDS = ("all", "everyone", "stream", "channel", "topic")


@pytest.fixture
def hook() -> Iterator[Webhook]:
    server = Webhook().start()
    yield server
    server.stop()


def _mention(
    title: str, excerpt: str = "", url: str = "https://forum.example.fr/t/1"
) -> Notification:
    payload = {
        "title": title,
        "url": url,
        "source": "forum",
        "brands": ["Acmé"],
        "terms": ["Acmé"],
        "severity": "critical",
        "excerpt": excerpt or title,
    }
    return Notification.from_payload(7, "apprise:x", payload)


def _posted(hook: Webhook, address: str, n: Notification, language: str = "fr") -> str:
    """What the service received: the text Apprise's plugin posted."""
    notifier = AppriseNotifier(language=language)
    notifier.send(notifier.render(n, address))
    (posted,) = hook.posts
    return str(posted.get("text") or posted.get("message") or "")


def _local(service: str, port: int) -> str:
    """An Apprise URL of ``service`` that posts to 127.0.0.1 (never a public host)."""
    return {
        "mattermost": f"mmost://127.0.0.1:{port}/abcdefghijklmnop",
        "rocketchat": f"rocket://abcdef0123%2Fghijkl4567@127.0.0.1:{port}?mode=webhook",
        "nextcloudtalk": f"nctalk://bot:pass@127.0.0.1:{port}/room0123",
    }[service]


@pytest.mark.parametrize(
    ("service", "ping"),
    [
        ("mattermost", "@all"),
        ("mattermost", "@channel"),
        ("mattermost", "@here"),
        ("mattermost", "@ALL"),
        ("mattermost", "(@all)"),  # punctuation around it: still a mention there
        ("mattermost", "Acmé-@all"),  # Mattermost splits words at "-"
        ("mattermost", "_@all_"),  # in italics
        ("mattermost", "@direction-marketing"),  # a user group, by its handle
        ("rocketchat", "@all"),
        ("rocketchat", "@here"),
        ("rocketchat", "@equipe-com"),  # a team or a user, by its handle
        ("nextcloudtalk", "@all"),
        ("nextcloudtalk", '@"all"'),
    ],
)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_mention_in_a_title_pings_nobody_on_the_service(
    hook: Webhook, service: str, ping: str, language: str
) -> None:
    n = _mention(f"Acmé rembourse tout le monde {ping}", excerpt=f"Relayé par {ping}")
    text = _posted(hook, _local(service, hook.port), n, language)

    assert "rembourse tout le monde" in text and "Relayé par" in text  # it did arrive
    handle = ping.strip("()_").split("@", 1)[1]
    assert not re.search(rf"@{re.escape(handle)}", text, re.IGNORECASE), text
    # Still reads the same: only an invisible space after the "@" (and, where the
    # service shows text as Markdown, a "_" at a word's edge drawn "ˍ": no italics).
    assert ping.replace("@", "@" + ZWSP) in text.replace("\u02cd", "_")


def test_an_address_and_a_link_with_an_at_sign_stay_as_written(hook: Webhook) -> None:
    n = _mention(
        "Écrivez à contact@all.fr ou jean.dupont@acme.fr",
        excerpt="Vidéo sur https://www.youtube.com/@AcmeFR",
        url="https://mastodon.social/@acme/112233",
    )
    text = _posted(hook, _local("mattermost", hook.port), n)

    assert "contact@all.fr" in text and "jean.dupont@acme.fr" in text
    assert "https://www.youtube.com/@AcmeFR" in text
    assert text.rstrip().endswith("https://mastodon.social/@acme/112233")


def test_a_whole_team_ping_is_defused_even_inside_a_link(hook: Webhook) -> None:
    text = _posted(hook, _local("mattermost", hook.port), _mention("Acmé https://x.example/@all"))
    assert not re.search(r"@all\b", text), text


# ------------------------------------------------ rendered only (public hosts)

ZULIP = "zulip://bot@acme/abcdefghijklmnopqrstuvwxyz012345"
MATRIX = "matrix://bot:pass@127.0.0.1:9/#veille"
TELEGRAM = "tgram://123456789:abcdefghijklmnopqrstuvwxyz/-100123"
DISCORD = "discord://112233445566/AbCdEfGhIjKlMn"


@pytest.mark.parametrize(
    ("address", "ping", "pattern"),
    [
        *[
            (ZULIP, f"@**{w}**", rf"@_?\*\*{w}\*\*")  # the silent form does not notify
            for w in ZULIP_WILDCARDS
        ],
        (ZULIP, "@*direction*", r"@\*direction\*"),  # a user group
        (ZULIP, "@**Jean Dupont**", r"@\*\*Jean"),
        (MATRIX, "@room", r"@room\b"),
        (TELEGRAM, "@acme_support", r"@acme_support"),
        (DISCORD, "@everyone", r"@everyone"),
        (DISCORD, "x@here", r"@here"),  # Discord reads it after a letter too
    ],
)
def test_a_mention_in_a_title_is_defused_for_the_service(
    address: str, ping: str, pattern: str
) -> None:
    message = AppriseNotifier("fr").render(_mention(f"Acmé : {ping}"), address)
    for text in (message.subject, message.text):
        assert not re.search(pattern, text, re.IGNORECASE), text


def test_zulip_silent_mention_is_defused_as_well() -> None:
    message = AppriseNotifier("fr").render(_mention("Acmé @_**all**"), ZULIP)
    assert "@_**all**" not in message.subject + message.text
