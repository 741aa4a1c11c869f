"""A notification on its way when the corrected config is reloaded still follows it.

The sender had claimed a batch for the old webhook URL; the operator's reload
comes while the first one is being posted, so the reload cannot move them (one
may be arriving at the service). When that post then fails — the old URL is
the broken one the reload corrected — the notification goes to the new URL, and
the batch's others go there without being tried on the old one; a post the old
URL accepted is not sent again. A real Apprise ``json://`` plugin posts to local
HTTP services; the reload runs inside the old service's answer, as the send waits.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.alerting_helpers import Clock, queue, rows
from tests.e2e.test_readdress_after_reload import drain_for, rule
from tests.e2e.webhooks import webhook_targets
from tests.servers.answering import AnsweringService
from watchtower.app import App
from watchtower.reload import Reloader


def correct_during_first_post(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    status: int,
) -> tuple[App, str, str, list[bool | None]]:
    """An app with 3 notifications queued for the old URL, whose service answers
    ``status``; the operator corrects the URL (and the daemon reloads) while the
    first post is on its way. Returns the app, the old and new targets and the
    reload's outcome (``[True]`` once it took place)."""
    old, new = webhook_targets(old_hook, new_hook)
    app = app_for(rule("équipe", old))
    reloader = Reloader(app)
    queue(app, old, 3, key="matin", rules=["équipe"])
    done: list[bool | None] = []

    def answer(_body: dict[str, Any]) -> int:
        if not done:
            configure(rule("équipe", new))
            done.append(reloader.reload())
        return status

    old_hook.answer = answer
    return app, old, new, done


@pytest.mark.parametrize(
    "status",
    [
        404,  # the old webhook was deleted: the address is refused
        503,  # the old service is down
        400,  # the old service refuses the message: it would fail for good there
    ],
)
def test_a_batch_on_its_way_when_the_url_is_corrected_goes_to_the_new_url(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    clock: Clock,
    status: int,
) -> None:
    app, old, new, reloaded = correct_during_first_post(
        app_for, configure, old_hook, new_hook, status
    )
    drain_for(app, clock, 30)

    assert reloaded == [True]
    assert len(old_hook.requests) == 1  # only the post under way when the file changed
    titles = sorted(str(r.body["title"]) for r in new_hook.accepted())
    assert len(titles) == len(set(titles)) == 3
    assert {r.status for r in rows(app) if r.target == old} == {"skipped"}
    assert {r.status for r in rows(app) if r.target == new} == {"sent"}


def test_a_post_the_old_url_accepted_is_not_sent_again(
    app_for: Callable[[str], App],
    configure: Callable[[str], Path],
    old_hook: AnsweringService,
    new_hook: AnsweringService,
    clock: Clock,
) -> None:
    # Guard: whatever the moment of the reload, each notification reaches one URL once.
    app, _, _, reloaded = correct_during_first_post(app_for, configure, old_hook, new_hook, 200)
    drain_for(app, clock, 5)

    assert reloaded == [True]
    titles = [str(r.body["title"]) for r in old_hook.accepted() + new_hook.accepted()]
    assert len(titles) == len(set(titles)) == 3
    assert len(old_hook.requests) >= 1
    assert {r.status for r in rows(app) if r.status not in ("sent", "skipped")} == set()
