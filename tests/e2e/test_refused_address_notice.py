"""Which ops notice a service's outage gets is the dispatcher's verdict, not its words.

The dispatcher knows whether an Apprise service refused its address (a revoked
webhook: only a corrected URL helps) or is merely unreachable (it comes back by
itself): it says so to the hooks. The notice — "Adresse refusée … corrigez
l'URL" or "Service injoignable" — follows that, whatever the cause's text says:
a reworded reason can never turn a revoked webhook into a passing outage, nor a
"connection refused" outage into a URL to fix. Ops read their mail on aiosmtpd.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.e2e.alerting_helpers import naming, queue
from tests.e2e.test_readdress_after_reload import ops_mails
from tests.french import nb
from tests.servers.smtp import SmtpServer
from watchtower.app import App

TARGET = "apprise:json://127.0.0.1:9/webhooks/s3cretW3bhook"


@pytest.mark.parametrize(
    ("refused", "reason", "subject"),
    [
        # A revoked webhook, worded in any way: the URL is to fix.
        (True, "gone since 2026-03-04 10:00 UTC: HTTP 404", nb("Adresse refusée : apprise:json")),
        (True, "HTTP 410 Gone", nb("Adresse refusée : apprise:json")),
        # An outage whose cause starts with "refused": it ends by itself.
        (
            False,
            "refused connection since 2026-03-04 10:00 UTC: [Errno 111] Connection refused",
            nb("Service injoignable : apprise:json"),
        ),
    ],
)
def test_the_notice_follows_the_refusal_the_dispatcher_saw(
    app_for: Callable[[str], App], smtp: SmtpServer, refused: bool, reason: str, subject: str
) -> None:
    app = app_for(naming(TARGET))
    queue(app, TARGET, 2, key="attente")
    app.alerting.service_down(TARGET, reason, refused=refused)
    app.outbox.drain()

    [(told, body)] = ops_mails(smtp)
    assert subject in told
    assert "s3cretW3bhook" not in told + body
    if refused:
        assert nb("Notifications en attente : 2.") in body
