"""What the digest end-to-end tests of Banque Acmé share: the day they run
through on an injected clock, the ``[slack]`` and ``[email]`` sections pointing
at the local servers, the poll-tick-drain rounds of the daemons, and the plain
text of a digest as a mail client shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from tests.e2e.alerting_helpers import Clock
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer
from watchtower.app import App

DIRECTOR = "email:dircom@acme.example"
#: Wednesday 25 November 2026, 08:31 in Paris (UTC+1): just after yesterday's digest time.
START = datetime(2026, 11, 25, 7, 31, tzinfo=UTC)
#: Thursday 26 November, 08:31 in Paris: the digest is due.
MORNING = datetime(2026, 11, 26, 7, 31, tzinfo=UTC)
#: The titles of the night's crisis: five articles, each a critical alert.
CRISIS = [
    "Piratage chez Banque Acmé : des données de clients en vente",
    "Banque Acmé confirme un piratage de son site",
    "Piratage Banque Acmé : la CNIL saisie",
    "Après le piratage, Banque Acmé conseille de changer de mot de passe",
    "Piratage de Banque Acmé : ce que l'on sait",
]


def delivery(smtp: SmtpServer, slack: FakeSlack | None = None) -> str:
    """The config's ``[slack]`` section (when ``slack`` is given) and its
    ``[email]`` section, sending as "Veille Acmé"."""
    slack_section = (
        f"""
[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"
"""
        if slack
        else ""
    )
    return f"""{slack_section}
[email]
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
starttls = false
from = "Veille Acmé <veille@acme.example>"
"""


@dataclass
class Rounds:
    """Watchtower replicas on one database and one clock, run round by round as
    the daemon's jobs would: poll every source, tick the alerting, drain."""

    apps: list[App]
    clock: Clock
    smtp: SmtpServer

    def step(self) -> None:
        for app in self.apps:
            app.poller.poll(all_sources=True)
            app.alerting.tick()
            app.outbox.drain()

    def until(self, end: datetime, every: timedelta = timedelta(hours=3)) -> None:
        """A round every ``every`` until ``end``, and one at ``end``."""
        while self.clock.now < end:
            self.step()
            self.clock.now = min(self.clock.now + every, end)
        self.step()

    def digests(self) -> list[EmailMessage]:
        """The digests received by e-mail (French or English subjects)."""
        return [m for m in self.smtp.messages if re.search("Résumé|digest", str(m["Subject"]))]


def plain_of(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())
