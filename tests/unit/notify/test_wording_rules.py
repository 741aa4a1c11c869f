"""Rules every notification text follows, checked on the tables and the code
rather than one message at a time: both languages say the same things with
the same placeholders, every count agrees with its noun (through one helper),
no English in French and no French in English, targets and severities named
for people, and a cut never splits a word or an emoji."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.french import nb
from watchtower.lang import LANGUAGES
from watchtower.models import Notification, Severity
from watchtower.notify._spike_text import original_text, target_text
from watchtower.notify._strings import LANGUAGE_NAMES, STRINGS
from watchtower.notify._text import (
    clip,
    mentions_text,
    plural,
    plural_keys,
    rating_text,
    seen_on_text,
    watching_text,
    whole_room,
)
from watchtower.notify.console import ConsoleNotifier
from watchtower.notify.plain import EXCERPT_CHARS, plain_text
from watchtower.notify.slack_ack import ACK_PHRASES
from watchtower.notify.slack_render import cut_mrkdwn, item_blocks, spike_blocks

NOTIFY = Path(__file__).resolve().parents[3] / "watchtower" / "notify"
#: The renderers whose counts this task owns; email_render and digest_text
#: (other owners) are listed in the report.
RENDERERS = ["_text.py", "slack_render.py", "plain.py", "console.py"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


# ------------------------------------------------------------ the two tables
def test_french_and_english_have_the_same_keys() -> None:
    assert sorted(set(STRINGS["fr"]) ^ set(STRINGS["en"])) == []


@pytest.mark.parametrize("key", sorted(STRINGS["fr"]))
def test_french_and_english_take_the_same_placeholders(key: str) -> None:
    fr = set(PLACEHOLDER.findall(STRINGS["fr"][key]))
    en = set(PLACEHOLDER.findall(STRINGS["en"].get(key, "")))
    assert fr == en, f"{key}: fr {sorted(fr)} / en {sorted(en)}"


def test_every_counted_text_has_its_singular_and_plural() -> None:
    for language, table in STRINGS.items():
        for key in table:
            base = re.sub(r"_(one|other)$", "", key)
            if base == key:
                continue
            one, other = plural_keys(base)
            assert one in table and other in table, f"{language}: {key} without its pair"
            assert "{count}" in table[one] + table[other] or base in ("source_down_body",), key


def test_every_language_watchtower_detects_has_a_name_in_both() -> None:
    for language in ("fr", "en"):
        assert set(LANGUAGES) <= set(LANGUAGE_NAMES[language]), language


#: Words that are English in a French text ("ack" included: the hint names a
#: French reply, see test_the_ack_hints_name_a_reply_that_acknowledges).
ENGLISH = re.compile(
    r"\b(ack|acked|reviews?|republished|spike|digest|critical|warning|alert|sent|failed)\b|\(s\)",
    re.IGNORECASE,
)
FRENCH = re.compile(r"[éèêàâçùûôîœ«»]|\(s\)|\b(le|la|les|du|des|sur|à)\b")


@pytest.mark.parametrize("key", sorted(STRINGS["fr"]))
def test_no_english_in_french_and_no_french_in_english(key: str) -> None:
    assert not ENGLISH.search(STRINGS["fr"][key]), STRINGS["fr"][key]
    assert not FRENCH.search(STRINGS["en"][key]), STRINGS["en"][key]


def test_the_ack_hints_name_a_reply_that_acknowledges() -> None:
    """The phrase the hint tells a reader to type is one slack_ack accepts, and
    in French it is French."""
    for key in ("ack_hint", "ack_hint_elsewhere"):
        [fr] = re.findall(r"« (.+?) »", STRINGS["fr"][key])
        [en] = re.findall(r'"(.+?)"', STRINGS["en"][key])
        assert fr in ACK_PHRASES and en in ACK_PHRASES
        assert not ENGLISH.search(fr)


# ------------------------------------------------------------------- counts
@pytest.mark.parametrize(
    ("language", "key", "count", "expected"),
    [
        ("fr", "mentions", 0, "0 mention"),
        ("fr", "mentions", 1, "1 mention"),
        ("fr", "mentions", 2, "2 mentions"),
        ("en", "mentions", 0, "0 mentions"),
        ("en", "mentions", 1, "1 mention"),
        ("fr", "sent_apart", 1, "🚨 En plus, 1 alerte critique envoyée dès son arrivée."),
        ("fr", "sent_apart", 2, "🚨 En plus, 2 alertes critiques envoyées dès leur arrivée."),
        ("en", "sent_apart", 1, "🚨 Also 1 critical alert, sent as it came."),
        ("en", "sent_apart", 2, "🚨 Also 2 critical alerts, sent as they came."),
        ("fr", "digest_critical", 0, "0 alerte critique"),
        ("en", "digest_critical", 0, "0 critical alerts"),
        ("fr", "stories", 1, "1 sujet"),
        ("en", "stories", 2, "2 stories"),
        ("fr", "seen_on", 1, "Vu sur 1 site"),
        ("fr", "seen_on", 30, "Vu sur 30 sites"),
        ("en", "seen_on", 1, "Seen on 1 site"),
        ("fr", "day", 1, "1 jour"),
        ("en", "day", 2, "2 days"),
        ("fr", "reviews", 1, "1 avis"),
        ("en", "reviews", 0, "0 reviews"),
        ("en", "reviews", 1, "1 review"),
        ("fr", "digest_watching", 1, nb("watchtower veille toujours : 1 source suivie")),
        ("en", "digest_watching", 3, "watchtower is still watching: 3 sources"),
    ],
)
def test_every_count_agrees_with_its_noun(
    language: str, key: str, count: int, expected: str
) -> None:
    assert plural(language, key, count) == expected


def test_the_texts_with_a_count_use_the_plural_helper() -> None:
    assert (mentions_text("fr", 0), mentions_text("en", 0)) == ("0 mention", "0 mentions")
    assert seen_on_text("en", 2) == "Seen on 2 sites"
    n = Notification.from_payload(1, "", {"extra": {"rating": 4, "rating_count": "0"}})
    assert rating_text(n, "en") == "★★★★☆ 4/5 (0 reviews)"  # was "(0 review)"
    health = {"health": {"sources": 0, "failing": 0}, "count": 0}
    assert watching_text(health, "en").startswith("watchtower is still watching: 0 sources")


@pytest.mark.parametrize("name", RENDERERS)
def test_no_renderer_picks_a_singular_or_plural_itself(name: str) -> None:
    """A count's form is chosen by ``plural`` only: no ``"…_one" if count == 1``
    (French says "0 mention", English "0 mentions") and no ``"s" if n > 1``."""
    source = (NOTIFY / name).read_text(encoding="utf-8")
    assert not re.findall(r"[\"'][\w.]+_(?:one|other)[\"']", source)
    assert not re.findall(r"[\"']s[\"'] if ", source)


# ------------------------------------------- names for people, not for config
@pytest.mark.parametrize(
    ("target", "language", "expected"),
    [
        ("slack:#crise", "fr", "Slack #crise"),
        ("email:dircom@acme.fr", "fr", "e-mail à dircom@acme.fr"),
        ("email:dircom@acme.fr", "en", "e-mail to dircom@acme.fr"),
        ("console:", "fr", "console"),
        ("apprise:json://127.0.0.1/…", "fr", "apprise:json://127.0.0.1/…"),  # redacted already
    ],
)
def test_a_target_is_named_as_people_say_it(target: str, language: str, expected: str) -> None:
    assert target_text(target, language) == expected


def test_an_escalation_names_where_the_alert_went_without_config_syntax() -> None:
    copies = [
        {"target": "slack:#crise", "status": "sent", "at": "2026-03-04T07:06:00+00:00"},
        {"target": "email:cm@acme.fr", "status": "failed"},
    ]
    text = original_text({"original": {"copies": copies}}, "fr", "Europe/Paris")
    assert text == nb(
        "Alerte initiale : Slack #crise le 04/03/2026 à 08:06 (CET), "
        "e-mail à cm@acme.fr (non remise)"
    )


def _item(severity: str) -> Notification:
    payload = {
        "title": "Acmé rachète Zeta",
        "url": "https://www.lemonde.fr/a",
        "source": "presse",
        "brands": ["Acmé"],
        "severity": severity,
    }
    return Notification.from_payload(1, "slack:#veille", payload)


@pytest.mark.parametrize("severity", [s.name for s in Severity])
def test_no_severity_is_shown_by_its_enum_name_in_french(severity: str) -> None:
    n = _item(severity)
    blocks, text = item_blocks(n, "fr", "Europe/Paris")
    plain = plain_text(n, "fr", "Europe/Paris")
    console = ConsoleNotifier("fr").render(n, "console:").text
    for shown in (json.dumps(blocks, ensure_ascii=False), text, plain.title, console):
        assert not re.search(r"\b(info|warning|critical)\b", shown), shown


# ------------------------------------------------------------------ cuts
FLAGS = "🇫🇷" * 30
THUMBS = "👍🏽" * 30
WARNINGS = "⚠️" * 30
FAMILY = "👨‍👩‍👧" * 30


@pytest.mark.parametrize("text", [FLAGS, THUMBS, WARNINGS, FAMILY, "Ça " + "é" * 40])
@pytest.mark.parametrize("limit", range(2, 12))
def test_a_cut_never_splits_an_emoji(text: str, limit: int) -> None:
    cut = clip(text, limit)
    assert len(cut) <= limit and cut.endswith("…")
    kept = cut.removesuffix("…")
    assert text.startswith(kept)
    assert whole_room(text, len(kept)) == len(kept)  # a boundary between characters
    assert kept.count("🇫") == kept.count("🇷")


def test_a_slack_cut_never_splits_an_emoji() -> None:
    cut = cut_mrkdwn(WARNINGS, 12)  # no space to fall back to
    assert cut.endswith("…") and not cut.removesuffix("…").endswith("⚠")


def test_a_slack_header_of_emojis_is_cut_between_them() -> None:
    n = Notification.from_payload(1, "slack:#x", {"title": FLAGS * 3, "brands": ["Acmé"]})
    blocks, _ = item_blocks(n, "fr", "Europe/Paris")
    shown = blocks[0]["text"]["text"]
    title = shown.split("· ", 1)[1]
    assert title.count("🇫") == title.count("🇷")


def test_the_plain_text_excerpt_is_cut_between_words() -> None:
    words = "La banque Acmé a annoncé le rachat de Zeta pour un montant inconnu. "
    excerpt = words * (EXCERPT_CHARS // len(words) + 2)
    payload: dict[str, Any] = {"title": "x", "brands": ["Acmé"], "excerpt": excerpt}
    body = plain_text(Notification.from_payload(1, "x", payload), "fr", "Europe/Paris").body
    [cut] = [line for line in body.splitlines() if line.startswith("La banque")]
    assert cut.endswith("…") and len(cut) <= EXCERPT_CHARS
    assert excerpt.startswith(cut.removesuffix("…"))
    assert excerpt[len(cut) - 1] == " "  # the next word starts after the cut: none halved


def test_the_console_cuts_an_excerpt_as_slack_does() -> None:
    excerpt = "Acmé " + "x" * 11 + " " + "🇫🇷" * 400  # the 500th character: half a flag
    payload: dict[str, Any] = {"title": "x", "brands": ["Acmé"], "excerpt": excerpt}
    shown = ConsoleNotifier("fr").render(Notification.from_payload(1, "x", payload), "").text
    [cut] = [line.strip() for line in shown.splitlines() if line.strip().startswith("Acmé ")]
    kept = cut.removesuffix("…")
    assert kept.count("🇫") == kept.count("🇷")


# ------------------------------------------------------------ consistency
def test_a_spike_reads_the_same_in_slack_and_in_plain_text() -> None:
    spike = {"name": "Acmé", "observed": 1, "window": "1h", "baseline": 0.0, "timeout": "15m"}
    n = Notification.from_payload(
        1, "slack:#crise", {"severity": "critical", "extra": {"kind": "spike", "spike": spike}}
    )
    for language, stats in (("fr", "1 mention sur 1 h (d'habitude 0)"), ("en", "1 mention in 1 h")):
        blocks, _ = spike_blocks(n, language)
        assert stats in json.dumps(blocks, ensure_ascii=False)
        assert stats in plain_text(n, language, "Europe/Paris").body
