"""Teams, Telegram, Discord, Google Chat and ntfy through Apprise, as the team sees them.

Real Apprise plugins post to local servers: Teams' workflow over HTTPS on
127.0.0.1 (``workflows://127.0.0.1:PORT/…?verify=no``, a trustme certificate),
ntfy at its own host; Telegram, Discord and Google Chat, whose host is fixed,
with the plugin's ``notify_url`` pointed at the local server. Never the internet.
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.e2e.alerting_helpers import Clock, base_config, make_app, queue, rows
from tests.e2e.test_crisis_alerts import SPIKES, START, burst
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower import spikes
from watchtower.app import App
from watchtower.notify.apprise import AppriseNotifier

SECRET = "s3cr3tSig0123"
URL = "https://www.lemonde.fr/economie/article/2026/11/25/acme_rachete_globex_6543.html"


class Service:
    """A local HTTP(S) endpoint that records each request and answers ``status``."""

    def __init__(self, tls: bool = False) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.status = 200
        service = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"raw": raw.decode("utf-8", "replace")}
                service.requests.append((self.path, body))
                answer = b'{"ok": true, "result": {"message_id": 7}}'
                self.send_response(service.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def http() -> Iterator[Service]:
    server = Service()
    yield server
    server.stop()


@pytest.fixture
def https() -> Iterator[Service]:
    server = Service(tls=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # urllib3: "Unverified HTTPS request" (verify=no)
        yield server
    server.stop()


def teams(service: Service) -> str:
    """A Teams workflow on the local HTTPS server (its certificate is not checked)."""
    return f"apprise:workflows://127.0.0.1:{service.port}/wf0123/{SECRET}?verify=no"


def rule(target: str) -> str:
    return f"""
[[rules]]
name = "crise"
notify = ["{target}"]
"""


def card(service: Service) -> tuple[str, str]:
    """(title, body) of the Adaptive Card Teams received."""
    [(_, payload)] = service.requests
    blocks = payload["attachments"][0]["content"]["body"]
    texts = {b.get("id"): b["text"] for b in blocks if b["type"] == "TextBlock"}
    return texts["title"], texts["body"]


def point_at(app: App, target: str, url: str) -> None:
    """Send a fixed-host service (Telegram, Discord, Google Chat) to ``url``."""
    notifier = app.notifier_for("apprise")
    assert isinstance(notifier, AppriseNotifier)
    plugin = notifier._plugin(target.removeprefix("apprise:"))
    plugin.notify_url = url


# ----------------------------------------------------------------- Teams


def test_teams_shows_the_text_as_written_and_the_link_clickable(
    app_for: Callable[[str], App], https: Service
) -> None:
    target = teams(https)
    app = app_for(rule(target))
    queue(
        app,
        target,
        title="Acmé *rachète* _Globex_ (officiel)",
        url=URL,
        rules=["crise"],
        severity="critical",
        excerpt="Le rachat - annoncé ce matin - inquiète les clients_pro. 1. Prix ? ★ 🔎",
    )
    app.outbox.drain()

    title, body = card(https)
    # Apprise's own escaping put a backslash before every "." "-" "(" "_" and
    # broke the link (https://www\\.lemonde\\.fr/…acme\\_rachete…).
    assert "\\" not in title + body
    assert f"[{URL}]({URL})" in body  # whole, clickable
    assert "(officiel)" in title and "rachète" in title and "*" not in title
    assert "Le rachat - annoncé ce matin - inquiète les clients_pro. 1. Prix ? ★ 🔎" in body
    # One line per paragraph: a single line break does not break a line in Teams.
    assert nb("Source : presse · Marques : Acmé\n\nTermes : Acmé · Règle : crise") in body
    assert [r.status for r in rows(app)] == ["sent"]


def test_a_teams_mention_from_a_feed_pings_nobody(
    app_for: Callable[[str], App], https: Service
) -> None:
    target = teams(https)
    app = app_for(rule(target))
    queue(app, target, rules=["crise"], excerpt="Merci <at>Direction Générale</at> @everyone")
    app.outbox.drain()

    [(_, payload)] = https.requests
    content = payload["attachments"][0]["content"]
    assert "entities" not in content["msteams"]  # no mention entity was made
    assert "<at>" not in json.dumps(payload, ensure_ascii=False)


def test_a_revoked_teams_webhook_keeps_its_alerts_and_says_fix_the_url(
    app_for: Callable[[str], App], https: Service, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    # A refused URL no longer fails each notification: they wait (test_revoked_webhook.py).
    https.status = 404  # the workflow was deleted
    target = teams(https)
    app = app_for(rule(target))
    queue(app, target, 2, rules=["crise"])
    for _ in range(3):
        app.outbox.drain()
        clock.advance(minutes=30)

    assert len(https.requests) == 3  # one probe a round, not one try per notification
    waiting = [r for r in rows(app) if r.target == target]
    assert [(r.status, r.attempts) for r in waiting] == [("pending", 0)] * 2
    reason = waiting[0].last_error or ""
    assert "error=404" in reason and "fix the URL" in reason
    assert SECRET not in reason
    assert not [r for r in caplog.records if r.getMessage() == "notification failed"]
    assert SECRET not in caplog.text
    # Ops are told once, at once, by e-mail, with the reason and the URL redacted.
    [notice] = [r.payload for r in rows(app) if r.target != target]
    assert notice["title"].startswith(nb("Adresse refusée : apprise:workflows://127.0.0.1"))
    assert "corrigez l'URL dans la configuration" in notice["excerpt"]
    assert "fix the URL" not in notice["excerpt"] and SECRET not in str(notice)


def test_a_teams_429_waits_without_failing(
    app_for: Callable[[str], App], https: Service, clock: Clock
) -> None:
    https.status = 429
    target = teams(https)
    app = app_for(rule(target))
    queue(app, target, rules=["crise"])
    app.outbox.drain()
    [row] = rows(app)
    assert row.status == "pending" and row.next_attempt_at is not None
    assert row.attempts == 0  # the service's pacing, not a failure: no attempt spent

    https.status = 200
    clock.advance(minutes=2)
    app.outbox.drain()
    assert [r.status for r in rows(app)] == ["sent"]


# -------------------------------------------------------------- Telegram


def test_a_long_summary_fits_in_one_telegram_message_with_its_title(
    app_for: Callable[[str], App], http: Service, clock: Clock
) -> None:
    target = "apprise:tgram://123456789:AAbbCCddEEffGGhhIIjj/4242"
    app = app_for(
        f"""
[[rules]]
name = "presse"
notify = ["{target}"]
group_wait = "30s"
"""
    )
    point_at(app, target, f"http://127.0.0.1:{http.port}/bot")
    long_title = "Acmé : le rachat de Globex expliqué en détail " * 4
    queue(app, target, 40, rules=["presse"], title=long_title, url=URL + "?utm=" + "x" * 80)
    app.outbox.drain()
    app.alerting.tick()
    clock.advance(seconds=31)
    app.alerting.tick()
    app.outbox.drain()

    [(path, payload)] = http.requests
    assert path.endswith("/sendMessage")
    text = re.sub(r"<[^>]+>", "", payload["text"])  # Telegram counts the text, not the tags
    assert len(text) <= 4096  # Telegram refuses longer messages (400): the digest was lost
    assert text.startswith("40 mentions · presse")
    # The cut says how many mentions it left out, and they add up to the 40.
    last = text.rstrip().rsplit("\n", 1)[-1]
    assert (more := re.fullmatch(r"… et (\d+) de plus", last)), last
    shown = len(re.findall(r"^\S+ Acmé : le rachat", text, re.MULTILINE))
    assert shown > 0 and shown + int(more.group(1)) == 40
    # Every link shown is whole: the cut falls between lines.
    for link in re.findall(r"https?://\S+", text):
        assert link.replace("&amp;", "&") == URL + "?utm=" + "x" * 80


def test_a_spike_alert_on_telegram_says_how_to_take_charge(
    app_for: Callable[[str], App], http: Service
) -> None:
    target = "apprise:tgram://123456789:AAbbCCddEEffGGhhIIjj/4242"
    app = app_for(f'[spikes]\nnotify = ["{target}"]\n')
    point_at(app, target, f"http://127.0.0.1:{http.port}/bot")
    spike = {
        "name": "Acmé",
        "observed": 14,
        "baseline": 0.4,
        "window": "1h",
        "top_sources": [["presse", 9]],
        "top_terms": [["Acmé", 14]],
        "examples": [],
        "escalate_to": ["@U123"],
        "escalation": False,
        "timeout": "30m",
        "ack_in_slack": True,
    }
    queue(app, target, kind="spike", severity="critical", spike=spike, title="Pic")
    app.outbox.drain()

    [(_, payload)] = http.requests
    # Apprise's Telegram plugin turns every no-break space into a plain one
    # (TELEGRAM_HTML_SPACES: its HTML knows no &nbsp;): the words arrive, not the spacing.
    text = payload["text"]
    assert "🚨 Pic de mentions : Acmé" in text
    assert "réagissez avec ✅ ou répondez « je prends » dans le fil de son message Slack" in text

    assert "escaladée après 30 min" in text


# --------------------------------------------------- Discord, Google Chat, ntfy


def test_discord_gets_no_role_ping_and_no_fake_link(
    app_for: Callable[[str], App], http: Service
) -> None:
    target = "apprise:discord://112233445566/AbCdEfGhIjKlMn"
    app = app_for(rule(target))
    point_at(app, target, f"http://127.0.0.1:{http.port}/api/webhooks")
    queue(
        app,
        target,
        rules=["crise"],
        url=URL,
        title="<@&987654321> [Remboursement ici](https://phishing.example.com)",
        excerpt="@here <@123456> regardez",
    )
    app.outbox.drain()

    [(_, payload)] = http.requests
    content = payload["content"]
    assert "<@&" not in content and "<@1" not in content and "@here" not in content
    assert "](https://phishing" not in content  # shown as written, not a masked link
    assert URL in content
    assert "allow_mentions" not in payload


def test_google_chat_cannot_ping_the_whole_space(
    app_for: Callable[[str], App], http: Service
) -> None:
    target = "apprise:gchat://AAAAwork/keyKEYkey/tokTOKtok"
    app = app_for(rule(target))
    point_at(app, target, f"http://127.0.0.1:{http.port}/v1/spaces/{{workspace}}/messages")
    queue(app, target, rules=["crise"], url=URL, excerpt="<users/all> urgent_ *grève*")
    app.outbox.drain()

    [(_, payload)] = http.requests
    text = payload["text"]
    assert "<users/all>" not in text
    assert "\\" not in text  # Google Chat shows backslashes as they are
    assert URL in text


def test_ntfy_gets_title_body_emoji_and_link(app_for: Callable[[str], App], http: Service) -> None:
    target = f"apprise:ntfy://127.0.0.1:{http.port}/veille-acme"
    app = app_for(rule(target))
    queue(
        app,
        target,
        rules=["crise"],
        severity="critical",
        title="★☆☆☆☆ Service catastrophique",
        url=URL,
        excerpt="🔎 Dossier perdu trois fois.",
    )
    app.outbox.drain()

    [(_, payload)] = http.requests
    assert payload["title"] == "[CRITIQUE] ★☆☆☆☆ Service catastrophique"
    assert "🔎 Dossier perdu trois fois." in payload["message"]
    assert payload["message"].endswith(URL)


# ------------------------------------------------------- a real spike alert


@pytest.mark.parametrize("escalates", [True, False])
def test_a_spike_alert_in_teams_says_to_acknowledge_it_in_slack(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    https: Service,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    escalates: bool,
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    clock = Clock(now=START)
    slack.clock = clock.timestamp
    spikes_toml = SPIKES.replace(
        'notify = ["slack:#crise"]', f'notify = ["slack:#crise", "{teams(https)}"]'
    )
    if not escalates:
        spikes_toml = spikes_toml.replace('escalate_notify = ["slack:#direction"]\n', "")
        spikes_toml = spikes_toml.replace('escalate_notify = ["email:senior@example.fr"]\n', "")
    app = make_app(write_config(base_config(database_url, slack, smtp, spikes_toml)), clock)
    try:
        burst(app, clock)
        assert spikes.check(app.db, app.loaded.config, clock.now) == 1
        app.outbox.drain()
    finally:
        app.close()

    title, body = card(https)
    assert title == nb("🚨 Pic de mentions : Acmé · crise")
    hint = nb("réagissez avec ✅ ou répondez « je prends » dans le fil de son message Slack")
    # Without an escalation nobody needs to acknowledge: no line about it.
    assert (hint in body) is escalates
    assert nb("répondez « je prends » dans le fil.") not in body  # Slack's
