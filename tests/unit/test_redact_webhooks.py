"""Webhook URLs carry their secret in the path (Slack, Discord, Teams, Mattermost,
Telegram…): nothing of it shows in ``check``, logs or metrics labels; ordinary feed
URLs stay readable; redaction never logs nor garbles prose that mentions
``apprise:``; slack-sdk's failed requests, relabelled DEBUG, print only at DEBUG."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers.smtp import free_port
from tests.unit.adapters.test_security_fixes import assert_linear
from watchtower.cli import main
from watchtower.errors import DeliveryError
from watchtower.logs import configure, kv
from watchtower.redact import redact_target, redact_text

# Real-shaped webhook URLs with fake secrets: (url, the secret parts, what is shown).
WEBHOOKS = [
    ("https://hooks.slack.com/services/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",
     ["aB3dE5gH7jK9mN1pQ3sT5vX7"], "https://hooks.slack.com/services/…"),
    ("https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX",
     ["XXXXSECRETXXXX"], "https://hooks.slack.com/services/…"),
    ("https://hooks.slack.com/triggers/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",
     ["0f1e2d3c4b5a69788796a5b4c3d2e1f0"], "https://hooks.slack.com/triggers/…"),
    ("https://discord.com/api/webhooks/112233445566778899/Zx9-Yw8_Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa-ZyXwVuTsRqPoNmLkJiHgFeDcBa98765",
     ["Zx9-Yw8_Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa", "112233445566778899"],
     "https://discord.com/api/webhooks/…"),
    ("https://discordapp.com/api/v10/webhooks/112233445566778899/SECRETsecret",
     ["SECRETsecret"], "https://discordapp.com/api/v10/webhooks/…"),
    ("https://acme.webhook.office.com/webhookb2/1a2b3c4d-1111-2222-3333-444455556666@9f8e7d6c-1111-2222-3333-444455556666/IncomingWebhook/0123456789abcdef0123456789abcdef/1a2b3c4d-1111-2222-3333-444455556666/V2AbCdEfGhIjKl",
     ["0123456789abcdef0123456789abcdef", "V2AbCdEfGhIjKl"],
     "https://acme.webhook.office.com/webhookb2/…"),
    ("https://prod-12.westeurope.logic.azure.com:443/workflows/0123abcd/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SiGnAtUrE0123456789SECRET",
     ["SiGnAtUrE0123456789SECRET"],
     "https://prod-12.westeurope.logic.azure.com:443/workflows/0123abcd/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=***"),
    ("https://chat.googleapis.com/v1/spaces/AAAAbCdEf12/messages?key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI&token=k9Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Ji0HgFeDcBa%3D",
     ["AIzaSyDdI0hCZtE6vySjMm", "k9Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Ji0HgFeDcBa"],
     "https://chat.googleapis.com/v1/spaces/AAAAbCdEf12/messages?key=***&token=***"),
    ("https://mattermost.acme.fr/hooks/xq7hpyw8jbrzbfwmo4ngtk3d9r",
     ["xq7hpyw8jbrzbfwmo4ngtk3d9r"], "https://mattermost.acme.fr/hooks/…"),
    ("https://chat.acme.fr/hooks/Ab1Cd2Ef3Gh4Ij5Kl/Mn6Op7Qr8St9Uv0Wx1Yz2Ab3Cd4Ef5Gh6Ij7Kl8Mn9Op0Qr1St",
     ["Ab1Cd2Ef3Gh4Ij5Kl", "Mn6Op7Qr8St9Uv0Wx1Yz2"], "https://chat.acme.fr/hooks/…"),
    ("https://ntfy.sh/acme-veille-x7k2p9q4",
     ["acme-veille-x7k2p9q4"], "https://ntfy.sh/…"),
    ("https://gotify.acme.fr/message?token=AbCdEf.GhIjK12",
     ["AbCdEf.GhIjK12"], "https://gotify.acme.fr/message?token=***"),
    ("https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage",
     ["AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"], "https://api.telegram.org/bot…/sendMessage"),
    ("https://n8n.acme.fr/webhook/5f2b1c3d-aaaa-bbbb-cccc-0123456789ab",
     ["5f2b1c3d-aaaa-bbbb-cccc-0123456789ab"], "https://n8n.acme.fr/webhook/…"),
    ("https://feeds.example.fr/private/Q2hhbmdlTWUxMjM0NTY3ODkw/atom.xml",
     ["Q2hhbmdlTWUxMjM0NTY3ODkw"], "https://feeds.example.fr/private/…/atom.xml"),
]  # fmt: skip

# Ordinary URLs an operator needs to read: unchanged.
FEEDS = [
    "https://www.acme.fr/blog/les-20-meilleures-offres-de-2026/feed.xml",
    "https://example.org/articles/3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    "https://news.example.fr/rss/feeds/123/456",
    "https://www.reddit.com/r/france/search.rss?q=acme&sort=new",
    "https://www.youtube.com/feeds/videos.xml?channel_id=UC_x5XG1OV2P6uZZ5FSM9Ttw",
    "https://github.com/acme/widget/releases.atom",
    "https://forum.acme.fr/c/support/12.rss",
    "https://news.google.com/rss/search?q=%22Acm%C3%A9%22&hl=fr&gl=FR&ceid=FR:fr",
]

ALL_SECRETS = [secret for _, secrets, _ in WEBHOOKS for secret in secrets]


def _leaks(output: str) -> list[str]:
    return [secret for secret in ALL_SECRETS if secret in output]


@pytest.mark.parametrize(("url", "secrets", "shown"), WEBHOOKS)
def test_a_webhook_url_shows_where_it_goes_not_its_secret(
    url: str, secrets: list[str], shown: str
) -> None:
    assert redact_text(f"POST {url} failed") == f"POST {shown} failed"
    assert [s for s in secrets if s in redact_text(url)] == []


@pytest.mark.parametrize("url", FEEDS)
def test_an_ordinary_feed_url_is_shown_as_it_is(url: str) -> None:
    assert redact_text(f"GET {url}: 404") == f"GET {url}: 404"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("token xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx refused",
         "token xoxb-*** refused"),
        ("bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw refused", "bot 123456789:*** refused"),
        ("ntfy token tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2 refused", "ntfy token tk_*** refused"),
        ("at 10:30, 2026-11-27T03:48:46Z, id 1234567:short",
         "at 10:30, 2026-11-27T03:48:46Z, id 1234567:short"),
    ],
)  # fmt: skip
def test_tokens_of_a_known_shape_are_hidden_outside_urls(text: str, shown: str) -> None:
    assert redact_text(text) == shown


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("prefix", "unit", "suffix"),
    [
        ("https://chat.acme.fr", "/a", "/x"),  # many segments, no /hooks/ among them
        ("https://chat.acme.fr/", "a", "/x"),  # one long segment
        ("https://f.fr/", "a1-", ""),  # a long slug of short pieces
        ("x ", "1", ":"),  # digits, no Telegram token after them
        ("", "https://", ""),  # schemes with no path
    ],
)
def test_path_redaction_is_linear(prefix: str, unit: str, suffix: str) -> None:
    assert_linear(lambda text: redact_text(prefix + text + suffix), unit, 2_000)


# ----------------------------------------------------------------- never logs, never garbles


@pytest.fixture
def apprise_records() -> Iterator[list[logging.LogRecord]]:
    """Every record Apprise's logger lets through (it does not propagate once the
    Apprise notifier is imported, so caplog alone would not see them)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("apprise")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.mark.parametrize(
    "text",
    [
        "use 'apprise:…' here",
        "a target is 'slack:#channel' or 'apprise:' and the service's URL",
        "apprise:nosuchscheme",
        "see apprise:docs for the list",
    ],
)
def test_prose_mentioning_apprise_is_left_as_written_and_nothing_logs(
    text: str, apprise_records: list[logging.LogRecord], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert redact_text(text) == text
    assert apprise_records == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_an_apprise_url_it_cannot_parse_is_cut_without_a_log(
    apprise_records: list[logging.LogRecord], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    shown = redact_text("send to apprise:nosuchscheme://Ab1Cd2Ef3Gh4Ij5Kl6Mn7/x failed")
    assert shown == "send to apprise:nosuchscheme://… failed"
    # An invalid token Apprise would warn about, quoting it.
    assert "SECRETsecret" not in redact_target("apprise:discord://123/SECRETsecret")
    assert apprise_records == []
    assert [r for r in caplog.records if r.name.startswith("apprise")] == []


# ----------------------------------------------------------------- where it shows


def test_check_never_quotes_a_webhook_secret(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    notify = ", ".join(json.dumps(url) for url, _, _ in WEBHOOKS)
    path = write_config(
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
        '[[sources]]\nname = "presse"\nkind = "rss"\nurl = "https://presse.acme.example/rss.xml"\n'
        f'[[rules]]\nname = "crise"\nquery = "arnaque"\nnotify = [{notify}]\n'
    )
    assert main(["check", "--config", str(path)]) == 2
    output = capsys.readouterr()
    assert "unknown target 'https://hooks.slack.com/services/…'" in output.err
    assert _leaks(output.out + output.err) == []


@pytest.fixture(params=["text", "json"])
def log_output(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    configure("INFO", fmt=request.param)
    return stream


def test_logs_never_show_a_webhook_secret(log_output: io.StringIO) -> None:
    urls = [url for url, _, _ in WEBHOOKS]
    log = logging.getLogger("watchtower.outbox")
    log.warning(f"cannot post to {urls[0]}", extra=kv(error=f"refused by {urls[1]}", urls=urls))
    try:
        raise RuntimeError(" ".join(urls))
    except RuntimeError:
        log.exception("send crashed", extra=kv(target="apprise:" + urls[3]))
    output = log_output.getvalue()
    assert "RuntimeError" in output and "hooks.slack.com/services/…" in output
    assert _leaks(output) == []


def test_metrics_labels_never_show_a_webhook_secret() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    from watchtower import metrics

    registry = CollectorRegistry()
    registry.register(metrics.SENT)
    registry.register(metrics.FAILED)
    for url, _, _ in WEBHOOKS:
        for target in ("apprise:" + url, url):  # the second one a config would refuse
            metrics.notification_sent(target)
            metrics.notification_failed(target)
    exposed = generate_latest(registry).decode()
    assert "watchtower_notifications_sent_total" in exposed
    assert _leaks(exposed) == []


# ----------------------------------------------------------------- slack-sdk's DEBUG lines


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_slack_sdk_failed_requests_print_only_at_debug(
    level: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watchtower.notify.slack import SlackNotifier

    stream = io.StringIO()
    configure(level, stream=stream)
    closed = free_port()  # nothing listens: each request fails to connect
    notifier = SlackNotifier("xoxb-test", f"http://127.0.0.1:{closed}/api/", timeout=2)
    for _ in range(2):
        with pytest.raises(DeliveryError):
            notifier.api.call("auth.test")
    lines = [line for line in stream.getvalue().splitlines() if "Failed to send a request" in line]
    if level == "INFO":
        assert lines == []
    else:
        assert len(lines) == 2 and all(" DEBUG watchtower.slack.sdk " in line for line in lines)


def test_a_query_secret_keeps_the_punctuation_after_the_url() -> None:
    """The separator after a URL is the sentence's, not the secret's: an error
    reads "…?token=***: 127.0.0.1 is a loopback address", not "…*** 127.0.0.1"."""
    from watchtower.redact import redact_text

    text = "refused to fetch http://h.fr/f.xml?token=abcdef1234567890SECRET: it is down, ok"
    assert redact_text(text) == "refused to fetch http://h.fr/f.xml?token=***: it is down, ok"
    assert redact_text("at http://h.fr/f?key=s3cr3t, retry") == "at http://h.fr/f?key=***, retry"
    assert "s3c" not in redact_text("http://h.fr/f?token=s3c:r3t:x&a=1")
