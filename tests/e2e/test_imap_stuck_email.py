"""The daemon steps past one e-mail its mail server never sends, and says so in ``status``.

A community manager's mailbox: one e-mail (a malformed newsletter) makes the
mail server hang whenever it is fetched. Before, every check failed on it and
stored nothing, so this morning's complaint about Acmé, delivered after it,
was never read. Now the daemon's checks read around it: it is retried, then
skipped with a warning naming its UID, subject and folder, the complaint
reaches Slack, and ``watchtower status`` shows the skipped e-mail.

Real parts on loopback: Dovecot behind a TCP proxy that never forwards a FETCH
of that one e-mail's body, the fake Slack, SQLite; the daemon's own poller on a
simulated clock; the real ``status`` command.
"""

from __future__ import annotations

import io
import logging
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.e2e.alerting_helpers import Clock
from tests.e2e.test_imap_catch_up import ENV, append, mail
from tests.servers.slack import FakeSlack
from tests.unit.adapters.dovecot import PASSWORD, Dovecot, dovecot_or_skip
from tests.unit.adapters.test_imap_stuck import BlockingProxy
from watchtower.app import App
from watchtower.cli import main
from watchtower.config import load_config
from watchtower.logs import KeyValueFormatter
from watchtower.storage.tables import SourceRow

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot(dovecot_or_skip(), Path(tempfile.mkdtemp(prefix="wt-e2e-dovecot-")))
    server.start()
    yield server
    server.stop()


def last_warning(app: App) -> str:
    with app.db.session() as session:
        query = select(SourceRow.last_warning).where(SourceRow.name == "veille-mail")
        return session.scalars(query).one() or ""


def write_config(tmp_path: Path, slack: FakeSlack, user: str, port: int) -> Path:
    path = tmp_path / "watchtower.toml"
    path.write_text(
        f"""
[watchtower]
database_url = "sqlite:///{tmp_path / "wt.db"}"
poll_interval = "30s"
request_timeout = "1s"

[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"

[[brands]]
name = "Acmé"
terms = ["Acmé"]

[[sources]]
name = "veille-mail"
kind = "imap"
host = "127.0.0.1"
port = {port}
tls = "none"
username = "{user}"
password_env = "{ENV}"
allow_private = true
every = "5m"
""",
        "utf-8",
    )
    return path


def skipping_daemon(
    tmp_path: Path, dovecot: Dovecot, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> tuple[App, Clock, Path, BlockingProxy, str]:
    """A started daemon that read "Bienvenue"; UID 3, yet to arrive, is never sent."""
    monkeypatch.setenv(ENV, PASSWORD)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
    user = f"u{uuid.uuid4().hex[:10]}"
    append(dovecot, user, [mail(1, "Bienvenue", "Premier message.")])
    proxy = BlockingProxy(dovecot.plain_port, uid=3)
    path = write_config(tmp_path, slack, user, proxy.port)
    clock = Clock(now=datetime.now(UTC))
    app = App(load_config(path), clock=clock, console=io.StringIO())
    app.start()
    app.poller.poll()  # the first check: "Bienvenue"
    return app, clock, path, proxy, user


def test_the_daemon_reads_past_an_email_the_server_never_sends(
    tmp_path: Path,
    dovecot: Dovecot,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    app, clock, path, proxy, user = skipping_daemon(tmp_path, dovecot, slack, monkeypatch)
    try:
        append(
            dovecot,
            user,
            [
                mail(2, "Lettre 2", "Rien à signaler."),
                mail(3, "Newsletter cassée", "Le serveur ne l'envoie jamais."),
                mail(4, "Lettre 4", "Rien de neuf."),
                mail(5, "Acmé : carte bloquée ce matin", "Client mécontent d'Acmé."),
            ],
        )
        warnings = []
        # The FETCH of 2-5, then 3 alone three times (the last one after the start
        # of 2, the proof that the server sends other e-mails).
        for _ in range(4):
            clock.advance(minutes=6)
            assert app.poller.poll().failed == 0
            warnings.append(last_warning(app))
        assert "could not be fetched" in warnings[0]
        assert "(check 2 of 3" in warnings[2]
        assert warnings[3].startswith(
            'e-mail UID 3 in INBOX ("Newsletter cassée") skipped: it could not be fetched '
            "at 3 checks in a row (the mail server did not answer within 1s)"
        )

        clock.advance(seconds=31)  # the rest at the next round, not after `every`
        assert app.poller.poll().new_items == 2  # Lettre 4 and the complaint
        app.outbox.drain()
        texts = [post["text"] for post in slack.posts()]
        assert sum("carte bloquée ce matin" in text for text in texts) == 1
        assert not any("Newsletter cassée" in text for text in texts)
    finally:
        app.close()
        proxy.close()

    capsys.readouterr()
    main(["status", "--config", str(path)])
    shown = capsys.readouterr().out
    assert 'e-mail UID 3 in INBOX ("Newsletter cassée") was skipped at ' in shown


def test_a_skipped_email_is_logged_once_and_stays_in_status(
    tmp_path: Path,
    dovecot: Dovecot,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before, the skip was a WARNING line at every check for a day (288 lines at
    `every = "5m"`); now the journal says it once, and `status` still shows it."""
    app, clock, path, proxy, user = skipping_daemon(tmp_path, dovecot, slack, monkeypatch)
    try:
        append(
            dovecot,
            user,
            [mail(2, "Lettre 2", "Rien."), mail(3, "Newsletter cassée", "Jamais envoyée.")],
        )
        append(dovecot, user, [mail(4, "Lettre 4", "Rien de neuf.")])
        caplog.set_level("DEBUG", logger="watchtower")
        for _ in range(4 + 12):  # skipped at the 4th check, then an hour of checks
            clock.advance(minutes=6)
            assert app.poller.poll().failed == 0
        assert "was skipped at" in last_warning(app)
    finally:
        app.close()
        proxy.close()
    formatter = KeyValueFormatter()
    lines = [formatter.format(r) for r in caplog.records if r.levelno >= logging.WARNING]
    told = [line for line in lines if ") skipped:" in line or "was skipped at" in line]
    assert len(told) == 1, told
    assert "skipped: it could not be fetched at 3 checks in a row" in told[0]

    capsys.readouterr()
    main(["status", "--config", str(path)])
    assert 'e-mail UID 3 in INBOX ("Newsletter cassée") was skipped at ' in capsys.readouterr().out


def test_the_daemon_reads_past_two_emails_in_a_row_the_server_never_sends(
    tmp_path: Path,
    dovecot: Dovecot,
    slack: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before, the second one was taken for a broken server: every check failed
    from the third on, and the complaint after them never reached Slack."""
    app, clock, path, proxy, user = skipping_daemon(tmp_path, dovecot, slack, monkeypatch)
    proxy.uids = {3, 4}
    try:
        append(
            dovecot,
            user,
            [
                mail(2, "Lettre 2", "Rien à signaler."),
                mail(3, "Newsletter cassée", "Le serveur ne l'envoie jamais."),
                mail(4, "Newsletter cassée aussi", "Celle-ci non plus."),
                mail(5, "Acmé : carte bloquée ce matin", "Client mécontent d'Acmé."),
            ],
        )
        # Each of 3 and 4: the FETCH it is in, then alone three times; then 5.
        for _ in range(9):
            clock.advance(minutes=6)
            assert app.poller.poll().failed == 0
        app.outbox.drain()
        texts = [post["text"] for post in slack.posts()]
        assert sum("carte bloquée ce matin" in text for text in texts) == 1
        assert not any("Newsletter cassée" in text for text in texts)
    finally:
        app.close()
        proxy.close()

    capsys.readouterr()
    main(["status", "--config", str(path)])
    shown = capsys.readouterr().out
    assert 'e-mail UID 3 in INBOX ("Newsletter cassée") was skipped at ' in shown
    assert 'e-mail UID 4 in INBOX ("Newsletter cassée aussi") was skipped at ' in shown
