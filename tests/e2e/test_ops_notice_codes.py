"""An ops notice says a delivery failure's cause from the error's code, not from
its English words.

The notifiers raise with a code and its params (:class:`DeliveryReason`); the
code travels through the dispatcher, the outage bookkeeping and the ops hooks,
and the notice is written from it. Rewording an English template therefore
changes the logs only: the French notice stays the same. The text matcher of
the fallback (:func:`reason_in`, for a reason that comes without its code) is
left with the words it was built with, as for a reason another version worded.
Real fake-Slack and aiosmtpd servers on loopback; a closed loopback port for
an SMTP server that cannot be reached.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.alerting_helpers import Clock, make_app, naming, queue
from tests.e2e.scenario import targets
from tests.e2e.test_ops_notice_language import _ops_mail
from tests.french import nb
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer, free_port
from watchtower.app import App
from watchtower.notify.delivery_errors_text import DELIVERY_ERRORS
from watchtower.notify.delivery_reason_text import _patterns, reason_in

Reword = Callable[[str, str], None]


@pytest.fixture
def reword(monkeypatch: pytest.MonkeyPatch) -> Iterator[Reword]:
    """Give a catalogue code another English wording for the test."""
    reason_in("", "fr")  # the fallback's patterns: built from the shipped words

    def change(code: str, english: str) -> None:
        monkeypatch.setitem(DELIVERY_ERRORS, code, {**DELIVERY_ERRORS[code], "en": english})

    yield change
    _patterns.cache_clear()  # the next use reads the restored catalogue


def test_a_reworded_token_refusal_still_reaches_ops_in_french(
    app_for: Callable[[str], App],
    slack: FakeSlack,
    smtp: SmtpServer,
    reword: Reword,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reword("slack_token_refused", "Slack says the bot token is no good ({error})")
    caplog.set_level(logging.INFO, logger="watchtower")
    app = app_for("")
    queue(app, "slack:#veille")
    slack.revoked = True

    app.outbox.drain()

    subject, text = _ops_mail(smtp)
    assert nb("Slack est en pause : Slack refuse le jeton du bot (token_revoked)") in subject
    assert nb("Cause : Slack refuse le jeton du bot (token_revoked)") in text
    assert "no good" not in subject + text
    # The logs keep the English, in its new words.
    [paused] = [r for r in caplog.records if r.getMessage() == "target kind paused"]
    assert "Slack says the bot token is no good (token_revoked)" in str(vars(paused))


def test_a_reworded_cause_of_a_lasting_outage_still_reaches_ops_in_french(
    database_url: str,
    slack: FakeSlack,
    smtp: SmtpServer,
    clock: Clock,
    write_config: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
    reword: Reword,
) -> None:
    reword("smtp_unreachable", "no connection to the SMTP server {server} ({detail})")
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    slack.clock = clock.timestamp
    closed = free_port()  # nothing listens: connection refused
    text = targets(database_url, slack, smtp, "ops_notify = ['slack:#ops']").replace(
        f"smtp_port = {smtp.port}", f"smtp_port = {closed}"
    )
    brands = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'
    app = make_app(write_config(text + brands + naming("email:dircom@example.fr")), clock)
    try:
        queue(app, "email:dircom@example.fr")
        for _ in range(25):  # well past TELL_OPS_AFTER, probing every few minutes
            app.outbox.drain()
            clock.advance(minutes=1)
        app.outbox.drain()  # the notice, queued by the last probe
        [notice] = [p for p in slack.posts() if p["channel"] == "#ops"]
        shown = notice["text"] + str(notice.get("blocks"))
        assert "Le serveur d'e-mail est injoignable" in shown
        assert "injoignable depuis le 04/03/2026 à 11:00 (CET)" in shown
        assert f"impossible de joindre le serveur SMTP 127.0.0.1:{closed}" in shown
        assert "no connection" not in shown and "unreachable since" not in shown
    finally:
        app.close()
