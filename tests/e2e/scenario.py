"""The run-once scenario shared by several end-to-end tests.

Two sources on the local feed server — the real Google Alerts sample (alert
"Slack") and a synthetic French forum feed about Acmé — a fake Slack and aiosmtpd.
"""

from __future__ import annotations

from tests.conftest import CORPUS, ROOT
from tests.servers.http import FeedServer
from tests.servers.slack import FakeSlack
from tests.servers.smtp import SmtpServer

GOOGLE_ALERTS = (CORPUS / "google_alerts" / "feedjira_google_alerts_slack.xml").read_bytes()
ACME_FR = (ROOT / "tests" / "fixtures" / "feeds" / "acme_fr.rss.xml").read_bytes()


def targets(database_url: str, slack: FakeSlack, smtp: SmtpServer, watchtower: str = "") -> str:
    """The [watchtower], [slack] and [email] sections pointing at the local test servers."""
    return f"""[watchtower]
backlog = "all"  # the fixtures are real feeds from past years
database_url = "{database_url}"
language = "fr"
{watchtower}
[slack]
default_channel = "#veille"
api_url = "{slack.api_url}"
channel_interval = "0s"

[email]
smtp_host = "127.0.0.1"
smtp_port = {smtp.port}
starttls = false
from = "veille@example.fr"
"""


def config_text(database_url: str, feeds: FeedServer, slack: FakeSlack, smtp: SmtpServer) -> str:
    return f"""
{targets(database_url, slack, smtp)}
[[brands]]
name = "Slack"
terms = ["Slack"]

[[brands]]
name = "Acmé"
terms = ["Acmé", "Banque Acmé"]
exclude = ["Acme Corporation"]

[[sources]]
name = "alertes-slack"
kind = "google_alerts"
url = "{feeds.url("/alerts/slack.xml")}"
every = "10m"
allow_private = true

[[sources]]
name = "forum-conso"
kind = "rss"
url = "{feeds.url("/forum.rss")}"
every = "10m"
allow_private = true

[[rules]]
name = "crise"
brands = ["Acmé"]
query = "arnaque OR escroquerie"
severity = "critical"
notify = ["slack:#crise", "email:dircom@example.fr"]
"""
