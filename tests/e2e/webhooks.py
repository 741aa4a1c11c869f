"""The webhook the operator corrects, as the re-addressing tests write it: the old
(revoked) URL and the new one, real Apprise ``json://`` targets on two local
HTTP services (the ``old_hook`` and ``new_hook`` fixtures of ``conftest.py``).

Each URL carries a secret in its path, so a test can check that neither shows
in the log.
"""

from __future__ import annotations

from tests.servers.answering import AnsweringService

OLD_SECRET = "vieuxJet0nRevoque"
NEW_SECRET = "n0uveauJetonValide"


def webhook_targets(old_hook: AnsweringService, new_hook: AnsweringService) -> tuple[str, str]:
    """The old and the new webhook as the config names them."""
    return (
        f"apprise:json://127.0.0.1:{old_hook.port}/webhooks/{OLD_SECRET}",
        f"apprise:json://127.0.0.1:{new_hook.port}/webhooks/{NEW_SECRET}",
    )
