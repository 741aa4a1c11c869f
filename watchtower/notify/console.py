"""``console:``: prints notifications; used when no Slack token is configured."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from watchtower.models import Notification
from watchtower.notify._text import kind_of
from watchtower.notify.base import Message, Notifier, Receipt
from watchtower.notify.plain import plain_text, reply_text
from watchtower.sanitise import printable


def _clean(text: str) -> str:
    """Control characters (C0, DEL, C1) and bidi controls would let a feed rewrite
    the operator's terminal (hide text, plant hyperlinks); tabs become spaces."""
    return printable(text, keep="\n")


class ConsoleNotifier(Notifier):
    """Writes one readable block per notification to standard output."""

    kind = "console"
    _lock = threading.Lock()

    def __init__(
        self, language: str = "fr", timezone: str = "Europe/Paris", stream: TextIO | None = None
    ) -> None:
        self.language = language
        self.timezone = timezone
        self.stream = stream

    def render(self, notification: Notification, address: str) -> Message:
        n, lang = notification, self.language
        # Replies are printed when they come, after whatever was printed last: the
        # story's tag on both the first message and its replies links them.
        story = n.story.get("id")
        tag = f"[#{story}] " if story is not None else ""
        if n.is_reply:
            text = f"  ↳ {tag}{reply_text(n, lang)}"
            return Message(address=address, text=_clean(text))
        plain = plain_text(n, lang, self.timezone)
        body = plain.body.splitlines()
        head = f"  → {address or 'console'}"
        if kind_of(n) == "item" and body:  # the source and brands on the target's line
            head, body = f"{head} · {body[0]}", body[1:]
        lines = [tag + plain.title, head, *(f"  {line}" if line else "" for line in body)]
        return Message(address=address, text=_clean("\n".join(lines)))

    def send(self, message: Message) -> Receipt:
        stream = self.stream or sys.stdout
        with self._lock:
            stream.write(message.text + "\n\n")
            stream.flush()
        return Receipt(None)
