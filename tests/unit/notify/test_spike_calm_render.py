"""The calm-down's Slack rendering: a broadcast reply in the thread it names, unless
a reload moved it to another channel (that thread is not there)."""

from __future__ import annotations

from tests.unit.notify.spikes import spike_notification
from watchtower.notify.slack import SlackNotifier

THREAD = {"channel": "C0CRISE", "ts": "1700000000.000100", "broadcast": True}


def render(target: str, thread: dict[str, object]) -> dict[str, object]:
    n = spike_notification(target, calm=True, thread=thread)
    notifier = SlackNotifier("xoxb-x", api_url="http://127.0.0.1:9/api/")
    return notifier.render(n, target.partition(":")[2]).extra


def test_a_calm_down_is_a_broadcast_reply_in_its_copys_thread() -> None:
    extra = render("slack:#crise", dict(THREAD, target="slack:#crise"))
    assert extra["thread"] == dict(THREAD, target="slack:#crise")
    assert extra["broadcast"] is True


def test_a_calm_down_moved_by_a_reload_stands_on_its_own() -> None:
    extra = render("slack:#crise-2026", dict(THREAD, target="slack:#crise"))
    assert "thread" not in extra
    assert not extra.get("broadcast")
