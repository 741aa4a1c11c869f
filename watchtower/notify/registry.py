"""Every notifier kind, by the prefix used in ``notify = ["slack:#x", "email:a@b"]``."""

from __future__ import annotations

from watchtower.notify.apprise import AppriseNotifier
from watchtower.notify.base import Notifier
from watchtower.notify.console import ConsoleNotifier
from watchtower.notify.email import EmailNotifier
from watchtower.notify.slack import SlackNotifier

TARGET_KINDS: dict[str, type[Notifier]] = {
    "slack": SlackNotifier,
    "email": EmailNotifier,
    "console": ConsoleNotifier,
    "apprise": AppriseNotifier,
}


def split_target(target: str) -> tuple[str, str]:
    """``"slack:#crise"`` → ``("slack", "#crise")``."""
    kind, _, address = target.partition(":")
    return kind, address
