"""Every notifier kind, by the prefix used in ``notify = ["slack:#x", "email:a@b"]``.

Explicit, as a table of module and class names: a notifier's module is imported
the first time its kind is looked up (a config naming it, a delivery), not when
the config is read. Apprise with its hundred plugins and slack_sdk cost a daemon
that never sends through them several MiB (README, "Resources").
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Mapping

from watchtower.notify.base import Notifier

__all__ = ["TARGET_KINDS", "split_target"]

#: kind → (module, class).
_KINDS: dict[str, tuple[str, str]] = {
    "slack": ("watchtower.notify.slack", "SlackNotifier"),
    "email": ("watchtower.notify.email", "EmailNotifier"),
    "console": ("watchtower.notify.console", "ConsoleNotifier"),
    "apprise": ("watchtower.notify.apprise", "AppriseNotifier"),
}


class _NotifierKinds(Mapping[str, type[Notifier]]):
    """``TARGET_KINDS["slack"]`` imports the Slack notifier then; ``in`` and the
    kinds' names import nothing."""

    def __init__(self, kinds: dict[str, tuple[str, str]]) -> None:
        self._kinds = kinds
        self._loaded: dict[str, type[Notifier]] = {}
        self._lock = threading.Lock()  # config reloads and deliveries run in threads

    def __getitem__(self, kind: str) -> type[Notifier]:
        if kind not in self._loaded:
            module, name = self._kinds[kind]
            with self._lock:
                found: type[Notifier] = getattr(importlib.import_module(module), name)
                self._loaded[kind] = found
        return self._loaded[kind]

    def __contains__(self, kind: object) -> bool:
        return kind in self._kinds

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)


TARGET_KINDS: Mapping[str, type[Notifier]] = _NotifierKinds(_KINDS)


def split_target(target: str) -> tuple[str, str]:
    """``"slack:#crise"`` → ``("slack", "#crise")``."""
    kind, _, address = target.partition(":")
    return kind, address
