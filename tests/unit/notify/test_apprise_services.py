"""What each Apprise service is given: its URL accepted or explained, its limits kept,
its links whole, its pings defused, the spike alert's ack line (no I/O: real Apprise
plugins are built from their URLs, nothing is sent)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.french import nb
from tests.unit.notify.spikes import spike_notification
from watchtower.config import load_config
from watchtower.errors import ConfigError
from watchtower.models import Notification
from watchtower.notify.apprise import AppriseNotifier
from watchtower.notify.plain import plain_text
from watchtower.redact import redact_target

SECRET = "s3cr3tSig0123"
TEAMS = f"workflows://127.0.0.1:8443/wf0123/{SECRET}"
TEAMS_AS_GIVEN = (
    "https://prod-12.westeurope.logic.azure.com:443/workflows/0a1b2c3d4e/triggers/manual/"
    f"paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SECRET}"
)
TELEGRAM = "tgram://123456789:AAbbCCddEEffGGhhIIjj/4242"
DISCORD = "discord://112233445566/AbCdEfGhIjKlMn"
GCHAT = "gchat://AAAAwork/keyKEYkey/tokTOKtok"
NTFY = "ntfy://127.0.0.1:8080/veille"
SLACK = "slack://T1ABCDEFG/B1ABCDEFG/abcdefghijklmnopqrstuvwx/#veille"
# A Google News link as the alerts give them: long, and full of "_" and "-".
LONG_URL = "https://news.google.com/rss/articles/CBMi" + "a_B-c" * 90 + "?oc=5&hl=fr"


def mention(**overrides: Any) -> Notification:
    payload: dict[str, Any] = {
        "title": "Acmé rachète Globex",
        "url": "https://www.lemonde.fr/economie/acme_rachete_globex.html",
        "source": "google-alerts-acme",
        "brands": ["Acmé"],
        "terms": ["Acmé", "Banque Acmé"],
        "rules": ["crise", "presse"],
        "severity": "critical",
        "published": "2026-11-25T10:00:00+00:00",
        "excerpt": "Un long message du forum. " * 40,
    }
    return Notification.from_payload(1, "apprise:x", payload | overrides)


def render(address: str, n: Notification, language: str = "fr") -> tuple[str, str]:
    message = AppriseNotifier(language).render(n, address)
    return message.subject, message.text


# ------------------------------------------------------------------ URLs


def test_an_msteams_url_says_what_to_use_instead(write_config: Callable[[str], Path]) -> None:
    text = f"""
[[rules]]
name = "crise"
notify = ["apprise:msteams://equipe/{SECRET}/{SECRET}b/{SECRET}c/"]
"""
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(text))
    message = str(caught.value)
    assert "msteams://" in message and "workflows://" in message
    assert "Post to a channel when a webhook request is received" in message
    assert SECRET not in message


def test_the_teams_workflow_url_is_taken_as_teams_gives_it() -> None:
    AppriseNotifier.validate_address(TEAMS_AS_GIVEN)
    shown = redact_target("apprise:" + TEAMS_AS_GIVEN)
    assert "logic.azure.com" in shown and SECRET not in shown and "0a1b2c3d4e" not in shown


# ------------------------------------------------------------------ pings


@pytest.mark.parametrize(
    ("address", "ping"),
    [
        (TEAMS, "<at>Direction Générale</at>"),
        (GCHAT, "<users/all>"),
        (DISCORD, "<@&987654321>"),
        (DISCORD, "<@123456789>"),
        (DISCORD, "<@!123456789>"),
        (TELEGRAM, "@everyone"),
        (SLACK, "<!subteam^S0614TZR7>"),  # a user group
        (SLACK, "<!subteam^S0614TZR7|@direction>"),
        (SLACK, "<!here|here>"),  # a labelled @here still pings
        (SLACK, "<!channel|tout le monde>"),
        (SLACK, "<@U012AB3CD>"),
    ],
)
def test_a_feed_cannot_ping_people(address: str, ping: str) -> None:
    title, body = render(address, mention(title=f"Alerte {ping}", excerpt=f"Vu par {ping}"))
    assert ping not in title and ping not in body


# ------------------------------------------------------------------ limits


@pytest.mark.parametrize(
    ("address", "limit", "title_in_body"),
    [(TEAMS, 1000, False), (DISCORD, 2000, True), (GCHAT, 4000, True), (TELEGRAM, 4096, True)],
)
def test_a_long_mention_is_cut_but_keeps_its_whole_link(
    address: str, limit: int, title_in_body: bool
) -> None:
    n = mention(url=LONG_URL, excerpt="Le forum s'enflamme. " * 200)
    title, body = render(address, n)

    assert LONG_URL in body  # whole: a cut link opens the wrong page or none
    assert "Le forum s'enflamme." in body and "…" in body
    # The services without a title field (Telegram, Google Chat) or counting it in
    # the body (Discord) get it in the message: it must fit with it.
    assert len(body) + (len(title) + 12 if title_in_body else 0) <= limit


def test_teams_body_stays_under_its_1000_characters_with_a_long_link() -> None:
    _, body = render(TEAMS, mention(url=LONG_URL))
    assert len(body) <= 1000
    assert body.endswith(f"({LONG_URL})")  # the whole address behind a shorter label


def test_a_cut_never_falls_inside_a_link() -> None:
    from watchtower.notify.apprise import fit_lines  # new with the cut between lines

    lines = [f"🔴 Article {i} — presse\n   https://news.example.fr/item_{i}" for i in range(50)]
    text = fit_lines("\n".join(lines).split("\n"), 700, lambda line: line, "\n")
    assert len(text) <= 700 and text.endswith("…")
    for link in re.findall(r"https?://\S+", text):
        assert re.fullmatch(r"https://news\.example\.fr/item_\d+", link)


# ---------------------------------------------------------------- markdown


def test_teams_gets_markdown_that_formats_nothing_by_accident() -> None:
    title, body = render(
        TEAMS,
        mention(
            title="*Urgent* [Remboursement](https://phishing.example.com) _Acmé_",
            excerpt="# Titre\n> cité\npost_du_forum reste tel quel",
        ),
    )
    assert "*" not in title and "](" not in title and "_Acmé_" not in title
    assert "Urgent" in title and "Remboursement" in title and "Acmé" in title
    assert "\n# Titre" not in body and "\n> cité" not in body
    assert "post_du_forum reste tel quel" in body
    assert "\\" not in title + body


def test_plain_text_services_get_the_text_unchanged() -> None:
    title, body = render(NTFY, mention(title="Acmé *rachète* _Globex_", excerpt="a_b (c)"))
    assert title == "[CRITIQUE] Acmé *rachète* _Globex_"
    assert "a_b (c)" in body


# -------------------------------------------------------------- spike alerts


def spike(**overrides: Any) -> Notification:
    return spike_notification("apprise:x", **overrides)


def test_a_spike_alert_outside_slack_says_where_to_acknowledge_it() -> None:
    fr = plain_text(spike(), "fr", "Europe/Paris").body
    assert (
        nb(
            "Pour prendre l'alerte en charge : réagissez avec ✅ ou répondez « je prends » dans "
            "le fil de son message Slack, sinon elle est escaladée après 30 min."
        )
        in fr
    )

    assert fr.index("escaladée") < fr.index("Exemples")
    en = plain_text(spike(), "en", "Europe/Paris").body
    assert 'reply "ack" in the thread of its Slack message, or it is escalated after' in en


@pytest.mark.parametrize(
    "overrides",
    [{"ack_in_slack": False}, {"escalation": True}, {"calm": True, "since": None}, {}],
)
def test_no_ack_line_when_there_is_nothing_to_acknowledge(overrides: dict[str, Any]) -> None:
    n = spike(**overrides) if overrides else spike(ack_in_slack=None)
    assert "ack" not in plain_text(n, "fr", "Europe/Paris").body
