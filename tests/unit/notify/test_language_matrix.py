"""Every kind of notification watchtower sends, rendered in both languages by
the real notifiers (Slack blocks and fallback, e-mail subject/text/HTML, the
console, Apprise), from one table.

English must carry no French word and no French-only typography; French must
keep its no-break space (U+00A0) before ``: ; ! ?`` and inside « », never a
plain one a line may break at, its plurals at 0/1/2 and its dates. The
data passed in (brand "Zephyr", titles, sources, targets) is ASCII and has no
word from the French markers, so a marker found in an English rendering comes
from watchtower's own text: adding a French-only string to an English path
fails here.

The kinds were listed by reading where texts are chosen by language
(``t(language, …)``, ``language == "fr"``): notify/_strings.py, reload.py,
source_alerts.py, spike_alert.py, spike_calm.py, escalation.py,
database_full.py, pipeline/ops_notices.py, notify/delivery_errors_text.py.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from watchtower.database_full import full_cause
from watchtower.errors import ConfigProblem, DeliveryReason
from watchtower.models import Notification
from watchtower.notify._text import local_time_text, plural, t
from watchtower.notify.apprise import AppriseNotifier
from watchtower.notify.console import ConsoleNotifier
from watchtower.notify.delivery_reason_text import reason_text
from watchtower.notify.email import EmailNotifier
from watchtower.notify.slack import SlackNotifier
from watchtower.notify.slack_render import plain_text as slack_plain_text
from watchtower.pipeline.readdress import Readdressed
from watchtower.reload_notices import accepted_payload, ops_payload, readdressed_payload
from watchtower.source_errors_text import source_error_text
from watchtower.storage.outbox_queries import notice_payload

TZ = "Europe/Paris"
NOW = "2026-11-26T19:38:00+00:00"  # 20:38 in Paris
BRAND = "Zephyr"
Builder = Callable[[str], Notification]


# ------------------------------------------------------------------ the kinds
def _n(payload: dict[str, Any], target: str = "slack:#watch") -> Notification:
    n = Notification.from_payload(7, target, payload)
    n.extra.setdefault("created_at", datetime(2026, 11, 26, 7, 30, tzinfo=UTC).timestamp())
    return n


def _item(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Zephyr buys Omega",
        "url": "https://news.example.com/zephyr-omega",
        "source": "press",
        "brands": [BRAND],
        "terms": ["zephyr"],
        "rules": ["crisis"],
        "severity": "warning",
        "excerpt": "Zephyr buys Omega for an undisclosed amount.",
        "published": "2026-11-01T07:05:00+00:00",
        "lang": "fr",
        **({"extra": extra} if extra else {}),
    }


def mention(language: str) -> Notification:
    return _n(_item())


def review(language: str) -> Notification:
    return _n(_item(rating=2, author="Bob", reviewed="Zephyr Bank", app_version="5.1"))


def reply(language: str) -> Notification:
    story = {"id": 3, "first": False, "sightings": 2}
    thread = {"channel": "C1", "ts": "1.0", "sightings": 2, "blocks": [], "text": "x"}
    return _n(_item(story=story, thread=thread))


def repeat_same_place(language: str) -> Notification:
    story = {"id": 3, "first": False, "sightings": 1, "same_place": True}
    return _n(_item(story=story, thread={"channel": "C1", "ts": "1.0", "sightings": 1}))


def edited(language: str) -> Notification:
    story = {"id": 3, "first": False, "sightings": 1, "edited": True}
    return _n(_item(story=story, rating=4, thread={"channel": "C1", "ts": "1.0"}))


def _spike(language: str, **more: Any) -> Notification:
    spike = {
        "name": BRAND,
        "scope": "brand",
        "observed": 13,
        "baseline": 0.4,
        "window": "1h",
        "timeout": "15m",
        "escalate_to": ["@U0123"],
        "top_sources": [["press", 9], ["forum", 4]],
        "top_terms": [["zephyr", 13]],
        "examples": [{"title": "Zephyr down", "url": "https://x.example.com/1", "source": "forum"}],
        **more,
    }
    key = "calm_title" if more.get("calm") else "spike_title"
    payload = {
        "title": t(language, key).format(name=BRAND),
        "brands": [BRAND],
        "severity": "info" if more.get("calm") else "critical",
        "extra": {"kind": "spike", "spike": spike},
    }
    return _n(payload)


def spike(language: str) -> Notification:
    return _spike(language)


def spike_ack_elsewhere(language: str) -> Notification:
    """The acknowledgement reminder outside Slack (console, Apprise)."""
    return _spike(language, ack_in_slack=True)


def escalation(language: str) -> Notification:
    copies = [
        {"target": "slack:#crisis", "status": "sent", "at": "2026-11-26T19:38:00+00:00"},
        {"target": "email:cm@example.com", "status": "failed"},
        {"target": "email:boss@example.com", "status": "pending"},
    ]
    original = {"copies": copies, "permalink": "https://example.slack.com/archives/C1/p1"}
    return _spike(language, escalation=True, original=original)


def calm(language: str) -> Notification:
    return _spike(language, calm=True, since="2026-11-01T07:05:00+00:00", total=62)


def _row(i: int, severity: str = "info", **more: Any) -> dict[str, Any]:
    return {
        "title": f"Zephyr story {i}",
        "url": f"https://news{i}.example.com/{i}",
        "source": "press",
        "severity": severity,
        "brands": [BRAND],
        "story": 100 + i,
        **more,
    }


def _summary(reason: str, items: list[dict[str, Any]], **more: Any) -> Notification:
    by_brand: dict[str, dict[str, int]] = {}
    for i in items:
        by_brand.setdefault(BRAND, {}).setdefault(i["severity"], 0)
        by_brand[BRAND][i["severity"]] += 1
    summary = {
        "reason": reason,
        "what": BRAND,
        "count": len(items),
        "items": items,
        "by_brand": by_brand,
        "since": "2026-11-25T07:30:00+00:00",
        "until": "2026-11-26T07:30:00+00:00",
        **more,
    }
    payload = {"title": "", "brands": [BRAND], "extra": {"kind": "summary", "summary": summary}}
    return _n(payload)


def grouped(language: str) -> Notification:
    return _summary("group", [_row(i) for i in range(25)])


def quiet_hours(language: str) -> Notification:
    return _summary("quiet", [_row(1), _row(2, "critical")], sent_apart=2)


def digest_daily(language: str) -> Notification:
    rows = [_row(1, "critical"), _row(2), _row(2), _row(3, sites=12)]
    return _summary("digest", rows, period="daily", sent_apart=1, apart=[_row(9, "critical")])


def digest_hourly(language: str) -> Notification:
    return _summary("digest", [_row(1)], period="hourly", since="2026-11-26T06:30:00+00:00")


def digest_empty(language: str) -> Notification:
    health = {"sources": 12, "failing": 1}
    return _summary("digest", [], period="daily", health=health)


def digest_critical_only(language: str) -> Notification:
    apart = [_row(1, "critical")]
    return _summary("digest", [], period="daily", sent_apart=1, apart=apart)


def digest_weekly(language: str) -> Notification:
    days = [
        {"day": f"2026-11-{d:02d}", "count": c, "critical": k}
        for d, c, k in ((16, 42, 3), (17, 9, 0), (18, 0, 0), (19, 1, 0), (20, 2, 0))
    ] + [{"day": "2026-11-21", "count": 0}, {"day": "2026-11-22", "count": 1000}]
    days.append({"day": "2026-11-23", "count": 2, "before": "08:30"})
    return _summary(
        "digest",
        [_row(1, "critical"), _row(2)],
        period="weekly",
        week=["2026-11-16", "2026-11-22"],
        days=days,
        since="2026-11-16T07:30:00+00:00",
        until="2026-11-23T07:30:00+00:00",
    )


def digest_weekly_across_months(language: str) -> Notification:
    days = [{"day": f"2026-10-{d}", "count": 1} for d in (26, 27, 28, 29, 30, 31)]
    days.append({"day": "2026-11-01", "count": 1})
    return _summary(
        "digest",
        [_row(1)],
        period="weekly",
        week=["2026-10-26", "2026-11-01"],
        days=days,
        since="2026-10-26T07:30:00+00:00",
        until="2026-11-02T07:30:00+00:00",
    )


def _notice(language: str, text: str, severity: str, **fields: Any) -> Notification:
    """As :meth:`watchtower.pipeline.ops_notices.OpsNotices._notice` words it."""
    if isinstance(fields.get("reason"), DeliveryReason):
        fields["reason"] = reason_text(fields["reason"], language, TZ)
    payload = notice_payload(
        t(language, f"{text}_subject").format(**fields),
        t(language, f"{text}_body").format(**fields),
        severity,
    )
    return _n(payload, "email:ops@example.com")


def _source(language: str, key: str, body: str, severity: str, **values: Any) -> Notification:
    """As :func:`watchtower.source_alerts._payload` words it."""
    title, text = t(language, key).format(**values), t(language, body).format(**values)
    return _n(notice_payload(title, text, severity), "email:ops@example.com")


TOKEN = DeliveryReason.of("slack_token_refused", error="invalid_auth")
SMTP = DeliveryReason.of("smtp_login_refused", server="mail.example.com:587", reply="535 no")
DOWN = DeliveryReason.of("smtp_unreachable", server="mail.example.com:587", detail="timed out")
GONE = DeliveryReason.of(
    "outage_refused",
    since="2026-11-26 19:38 UTC",
    reason=DeliveryReason.of("apprise_url_refused", scheme="json", detail="Gone.", code=410).text,
)


def _source_error(language: str) -> str:
    return source_error_text("too_large", {"limit": 10_000_000}, language)


NOTICES: dict[str, Builder] = {
    "source_down_once": lambda lang: _source(
        lang, "source_down", "source_down_body_one", "warning",
        name="press", failures=1, error=_source_error(lang),
    ),
    "source_down_many": lambda lang: _source(
        lang, "source_down", "source_down_body", "warning",
        name="press", failures=2, error=source_error_text("timeout", {"seconds": 2.5}, lang),
    ),
    "source_silent": lambda lang: _source(
        lang, "source_silent", "source_silent_body", "warning",
        name="press", gap="3 h 27 min",
        since=local_time_text(datetime(2026, 11, 1, 7, 5, tzinfo=UTC), lang, TZ),
    ),
    "source_up": lambda lang: _source(lang, "source_up", "source_up_body", "info", name="press"),
    "slack_paused": lambda lang: _notice(lang, "ops_auth", "critical", reason=TOKEN),
    "email_paused": lambda lang: _notice(lang, "ops_auth_email", "critical", reason=SMTP),
    "slack_down": lambda lang: _notice(lang, "ops_down", "critical", reason=TOKEN),
    "email_down": lambda lang: _notice(lang, "ops_down_email", "critical", reason=DOWN),
    "service_down": lambda lang: _notice(
        lang, "ops_down_service", "critical", target="apprise:json://hook", reason=DOWN
    ),
    "service_refused": lambda lang: _notice(
        lang, "ops_refused_service", "critical", target="apprise:json://hook", count="3",
        reason=GONE,
    ),
    "service_back": lambda lang: _notice(
        lang, "ops_back_service", "info", target="apprise:json://hook"
    ),
    "slack_back": lambda lang: _notice(lang, "ops_back", "info", kind="Slack"),
    "email_back": lambda lang: _notice(lang, "ops_back_email", "info"),
    "notifications_lost": lambda lang: _notice(
        lang, "ops_failed", "warning", target="slack:#watch", count=2, reason=TOKEN
    ),
    "database_full": lambda lang: _notice(
        lang, "ops_db_full", "critical", database="sqlite:///wt.db",
        reason=full_cause("database or disk is full", lang),
    ),
    "config_refused": lambda lang: _n(
        ops_payload(
            [ConfigProblem("wt.toml", 3, "", "bad"), ConfigProblem("wt.toml", 9, "", "wrong")],
            lang,
            NOW,
        ),
        "email:ops@example.com",
    ),
    "config_valid_again": lambda lang: _n(accepted_payload(lang, NOW), "email:ops@example.com"),
    "readdressed": lambda lang: _n(
        readdressed_payload(
            [Readdressed(old="slack:#old", new=["slack:#new"], moved=2)], lang, NOW
        ),
        "email:ops@example.com",
    ),
}  # fmt: skip

KINDS: dict[str, Builder] = {
    "mention": mention,
    "review": review,
    "thread_reply": reply,
    "repeat_same_place": repeat_same_place,
    "edited_review": edited,
    "spike": spike,
    "spike_ack_reminder_elsewhere": spike_ack_elsewhere,
    "spike_escalation": escalation,
    "spike_calm": calm,
    "grouped": grouped,
    "quiet_hours": quiet_hours,
    "digest_daily": digest_daily,
    "digest_hourly": digest_hourly,
    "digest_nothing": digest_empty,
    "digest_critical_only": digest_critical_only,
    "digest_weekly": digest_weekly,
    "digest_weekly_across_months": digest_weekly_across_months,
    **NOTICES,
}


# --------------------------------------------------------------- rendering
def _strip_html(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def renderings(n: Notification, language: str) -> dict[str, str]:
    """What each notifier makes of ``n``: every text a reader can see."""
    slack = SlackNotifier("xoxb-test", "http://127.0.0.1:9/", language=language, timezone=TZ)
    posted = slack.render(n, "#watch")
    email = EmailNotifier(
        "127.0.0.1", 25, "watch@example.com", starttls=False, language=language, timezone=TZ
    )
    mailed = email.render(n, "ops@example.com")
    shown = {
        "slack.blocks": json.dumps(posted.blocks, ensure_ascii=False),
        "slack.text": posted.text,
        "slack.plain": slack_plain_text(posted.blocks or [], posted.text),
        "email.subject": mailed.subject,
        "email.text": mailed.text,
        "email.html": _strip_html(mailed.html or ""),
        "console": ConsoleNotifier(language, TZ).render(n, "").text,
    }
    if not n.is_reply:  # Apprise never gets a story's later sighting
        sent = AppriseNotifier(language, TZ).render(n, "json://127.0.0.1:9/")
        shown["apprise"] = f"{sent.subject}\n{sent.text}"
    return shown


# ------------------------------------------------------------------ English
#: What only French writes. The data passed in is ASCII and holds none of
#: these words, so each hit is watchtower's own French.
FRENCH_MARKERS = re.compile(
    r"[àâçéèêëîïôûùüÿœÀÂÇÉÈÊÎÔÛ«»\u00a0\u202f]"  # accents, guillemets, French spaces
    r"| [:;!?](?:\s|$)"  # a space before a colon: French typography
    r"|\(s\)"  # "mention(s)": a plural not chosen
    r"|\b\d+er\b"  # "1er"
    r"|\b\d{2}/\d{2}/\d{4}\b"  # 26/11/2026
    r"|\b(?:le|la|les|du|des|au|aux|sur|dans|pour|avec|sans|une?|et|ou|depuis|dont|avant"
    r"|jours?|semaine|heures?|rien|veille|mentions? (?:par|sur)|alertes?|critiques?"
    r"|envoy\w*|sujets?|source suivie|panne|Marques?|Termes|Auteur|Note|Langue|Publié|Publication"
    r"|Ouvrir|Lire|Aussi|Vu|Pic|Retour|Escalade|ESCALADE|Principales|Exemples|Résumé"
    r"|quotidien|horaire|hebdomadaire|janvier|février|mars|avril|mai|juin|juillet|août"
    r"|septembre|octobre|novembre|décembre|lun|mar|mer|jeu|ven|sam|dim|octets?|anglais"
    r"|français|CRITIQUE|surveiller|notifications? (?:en attente|perdues)|Configuration refusée"
    r"|fonctionne|injoignable|rétablie|silencieuse|adresse)\b",
)

CASES = [(name, builder) for name, builder in KINDS.items()]


def test_the_markers_catch_french() -> None:
    """The list is live: a French text trips it, the ASCII data does not."""
    for french in ("Source : x", "1 alerte critique", "26/11/2026 à 20:38", "mention(s)"):
        assert FRENCH_MARKERS.search(french), french
    for data in ("Zephyr buys Omega", "press", "apprise:json://hook", "ops@example.com"):
        assert not FRENCH_MARKERS.search(data), data


@pytest.mark.parametrize(("kind", "build"), CASES, ids=[name for name, _ in CASES])
def test_english_has_no_french(kind: str, build: Builder) -> None:
    n = build("en")
    leaks = {}
    for where, text in renderings(n, "en").items():
        found = sorted({m.group() for m in FRENCH_MARKERS.finditer(text)})
        if found:
            leaks[where] = (found, text[:400])
    assert not leaks, leaks


#: A plain space where French wants a no-break one: before ": ; ! ? »", after
#: "«". The data passed in holds none of these, so each hit is watchtower's own.
BREAKABLE_FRENCH_SPACE = re.compile(r" [:;!?»]|« ")


@pytest.mark.parametrize(("kind", "build"), CASES, ids=[name for name, _ in CASES])
def test_french_renders_in_french(kind: str, build: Builder) -> None:
    """The French rendering is not the English one, never glues a colon,
    semicolon, "!" or "?" to its word as English does ("Source: x"), and puts a
    no-break space (U+00A0) there, and inside « », where a plain one would let
    Slack or a mail client start a line with the colon; numbers are grouped
    with the same U+00A0, never U+202F."""
    fr, en = renderings(build("fr"), "fr"), renderings(build("en"), "en")
    assert fr != en
    for where, text in fr.items():
        # A URL's "https:" or a target's "slack:#x" is followed by no space, and a
        # refused configuration quotes its file's positions ("wt.toml:3:"): not prose.
        glued = re.findall(r"\w+[:;!?](?=\s|$)", re.sub(r"wt\.toml:\d+:", "", text))
        assert not glued, (where, glued, text[:400])
        breakable = [text[max(0, m.start() - 30) : m.end() + 10] for m in _breakable(text)]
        assert not breakable, (where, breakable)
        assert "\u202f" not in text, (where, text[:400])


def _breakable(text: str) -> list[re.Match[str]]:
    return list(BREAKABLE_FRENCH_SPACE.finditer(text))


def test_the_spacing_check_is_live() -> None:
    """The guard itself: the check finds a plain space before a colon, inside
    guillemets or before "?", and passes their no-break forms."""
    for plain in ("Source : x", "« je prends »", "vraiment ?", "a ; b", "oui !"):
        assert _breakable(plain), plain
    for spaced in ("Source\u00a0: x", "«\u00a0je prends\u00a0»", "https://x/?a=1", "wt.toml:3:"):
        assert not _breakable(spaced), spaced


def test_a_plain_french_space_in_a_template_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The spacing check fails when a French text skips :func:`t`'s spacing (a
    title built by hand, as reload.py's were)."""
    import watchtower.notify._text as text_module

    monkeypatch.setattr(text_module, "french_spacing", lambda text, language: text)
    with pytest.raises(AssertionError):
        test_french_renders_in_french("source_up", NOTICES["source_up"])


# ------------------------------------------------------------------ French
def _all(n: Notification, language: str) -> str:
    return "\n".join(renderings(n, language).values())


def test_french_dates_and_first_of_the_month() -> None:
    text = _all(mention("fr"), "fr")
    assert "01/11/2026 à 08:05 (CET)" in text
    assert "1er novembre" in _all(digest_weekly_across_months("fr"), "fr")
    assert "semaine du 26 octobre au 1er novembre" in _all(digest_weekly_across_months("fr"), "fr")
    assert "Nov 1" not in _all(digest_weekly_across_months("en"), "en")  # "November 1"
    assert "November 1" in _all(digest_weekly_across_months("en"), "en")
    escalated = _all(escalation("fr"), "fr")
    assert "26/11/2026 à 20:38 (CET)" in escalated
    assert "2026-11-26 20:38 (CET)" in _all(escalation("en"), "en")


def test_french_numbers_group_thousands_with_a_no_break_space() -> None:
    weekly = _all(digest_weekly("fr"), "fr")
    assert "1\u00a0000" in weekly and "1 000" not in weekly
    assert "1,000" in _all(digest_weekly("en"), "en")
    lost = _all(NOTICES["source_down_once"]("fr"), "fr")
    assert "10\u00a0000\u00a0000 octets" in lost  # as the digests group theirs
    assert "10,000,000 byte" in _all(NOTICES["source_down_once"]("en"), "en")


def test_the_ack_reminder_quotes_french_with_guillemets() -> None:
    assert "«\u00a0je prends\u00a0»" in _all(spike("fr"), "fr")
    assert '"ack"' in _all(spike("en"), "en")
    assert "«\u00a0je prends\u00a0»" in _all(spike_ack_elsewhere("fr"), "fr")


@pytest.mark.parametrize("brand", ["Acmé", "Émeraude", "Lumière", "Orange"])
@pytest.mark.parametrize("build", [spike, calm, escalation, digest_daily, quiet_hours, mention])
def test_a_brand_is_never_left_unelided(brand: str, build: Builder) -> None:
    """No French text puts "de", "le" or "que" before a brand name: "de Acmé"
    would need an elision ("d'Acmé") that a template cannot know."""
    n = build("fr")
    if isinstance(n.extra.get("spike"), dict):
        n.extra["spike"]["name"] = brand
    text = _all(n, "fr").replace(BRAND, brand)
    assert brand in text
    assert not re.search(rf"\b(?:de|le|la|que|du|à) {brand}", text), text


def test_an_outage_start_is_in_the_configured_zone_in_english_too() -> None:
    """ "refused since 2026-11-26 19:38 UTC" beside local times everywhere else
    read as an hour's gap; the French notice already said it in the zone."""
    en = _all(NOTICES["service_refused"]("en"), "en")
    assert "refused since 2026-11-26 20:38 (CET): Apprise json: Gone." in en
    assert "UTC" not in en
    fr = _all(NOTICES["service_refused"]("fr"), "fr")
    assert "adresse refusée depuis le 26/11/2026 à 20:38 (CET)\u00a0: " in fr


def test_a_french_string_on_an_english_path_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard itself: an untranslated English entry fails the English check."""
    from watchtower.notify._strings import STRINGS

    monkeypatch.setitem(STRINGS["en"], "source_up_body", STRINGS["fr"]["source_up_body"])
    with pytest.raises(AssertionError):
        test_english_has_no_french("source_up", NOTICES["source_up"])


# ---------------------------------------------------------------- plurals
@pytest.mark.parametrize(
    ("count", "fr", "en"),
    [
        (0, "Résumé quotidien : rien à signaler", "Daily digest: nothing to report"),
        (1, "Résumé quotidien : 1 mention", "Daily digest: 1 mention"),
        (2, "Résumé quotidien : 2 mentions", "Daily digest: 2 mentions"),
    ],
)
def test_digest_titles_count_at_0_1_2(count: int, fr: str, en: str) -> None:
    n_fr = _summary("digest", [_row(i) for i in range(count)], period="daily")
    n_en = _summary("digest", [_row(i) for i in range(count)], period="daily")
    assert fr.replace(" :", "\u00a0:") in _all(n_fr, "fr")

    assert en in _all(n_en, "en")


@pytest.mark.parametrize(
    ("key", "count", "fr", "en"),
    [
        ("mentions", 0, "0 mention", "0 mentions"),
        ("mentions", 1, "1 mention", "1 mention"),
        ("mentions", 2, "2 mentions", "2 mentions"),
        ("digest_critical", 0, "0 alerte critique", "0 critical alerts"),
        ("digest_critical", 1, "1 alerte critique", "1 critical alert"),
        ("digest_critical", 2, "2 alertes critiques", "2 critical alerts"),
        ("stories", 0, "0 sujet", "0 stories"),
        ("stories", 2, "2 sujets", "2 stories"),
        ("seen_on", 1, "Vu sur 1 site", "Seen on 1 site"),
        ("seen_on", 2, "Vu sur 2 sites", "Seen on 2 sites"),
        ("digest_watching", 1, "1 source suivie", "1 source"),
        ("digest_watching", 2, "2 sources suivies", "2 sources"),
        ("day", 1, "1 jour", "1 day"),
        ("day", 2, "2 jours", "2 days"),
        ("reviews", 1, "1 avis", "1 review"),
        ("reviews", 2, "2 avis", "2 reviews"),
        ("sent_apart_only", 1, "1 alerte critique envoyée dès son arrivée", "1 critical alert,"),
        ("sent_apart_only", 2, "2 alertes critiques envoyées dès leur", "2 critical alerts,"),
    ],
)  # fmt: skip
def test_counts_agree_at_0_1_2(key: str, count: int, fr: str, en: str) -> None:
    assert fr in plural("fr", key, count)
    assert en in plural("en", key, count)


@pytest.mark.parametrize(("failures", "fr"), [(1, "La vérification a échoué"), (2, "2 échecs")])
def test_a_source_down_counts_its_failures(failures: int, fr: str) -> None:
    name = "source_down_once" if failures == 1 else "source_down_many"
    assert fr in _all(NOTICES[name]("fr"), "fr")


@pytest.mark.parametrize("count", [1, 2])
def test_config_refused_and_readdressed_count_their_noun(count: int) -> None:
    problems = [ConfigProblem("wt.toml", i, "k", "bad") for i in range(count)]
    fr = ops_payload(problems, "fr", NOW)["title"]
    en = ops_payload(problems, "en", NOW)["title"]
    assert f"({count} problème{'s' if count > 1 else ''})" in fr
    assert f"({count} problem{'s' if count > 1 else ''})" in en
    moved = [Readdressed(old="slack:#a", new=["slack:#b"], moved=count)]
    assert readdressed_payload(moved, "fr", NOW)["title"].startswith(
        f"{count} notification{'s' if count > 1 else ''} en attente"
    )
