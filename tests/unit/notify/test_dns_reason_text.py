"""A notifier's DNS failure reads in the reader's language (notify/lookups.py
writes the sources' English sentence; ops notices read it back)."""

from __future__ import annotations

import pytest

from watchtower.notify.delivery_reason_text import reason_in


@pytest.mark.parametrize(
    ("reason", "french"),
    [
        (
            "the DNS lookup of mattermost.corp.local did not answer within 4s",
            "la recherche du nom mattermost.corp.local (DNS) n'a pas abouti dans les 4 s",
        ),
        (
            "32 DNS lookups are not answering: ntfy.corp.local was not looked up",
            "32 recherches de noms (DNS) restent sans réponse\u00a0: "
            "ntfy.corp.local n'a pas été cherché",
        ),
    ],
)
def test_a_notifier_dns_failure_reads_in_french(reason: str, french: str) -> None:
    assert reason_in(reason, "fr") == french
    assert reason_in(reason, "en") == reason
