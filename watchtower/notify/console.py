"""``console:``: prints notifications; used when no Slack token is configured."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from watchtower.models import Notification
from watchtower.notify._text import label, published_text, severity_text, t, title_text
from watchtower.notify.base import Message, Notifier, Receipt


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
        # Control characters would let a feed rewrite the operator's terminal.
        clean = str.maketrans({c: " " for c in map(chr, range(32)) if c != "\n"})
        if n.is_reply:
            key = "edited_on" if n.story.get("edited") else "also_seen"
            line = t(lang, key).format(source=n.source)
            text = f"  ↳ {line}{t(lang, 'colon')}{title_text(n, lang)} — {n.url}"
            return Message(address=address, text=text.translate(clean))
        lines = [
            f"[{severity_text(n, lang)}] {title_text(n, lang)}",
            f"  → {address or 'console'} · {label(lang, 'source')}{n.source}"
            f" · {label(lang, 'brands')}{', '.join(n.brands)}",
            f"  {label(lang, 'terms')}{', '.join(n.terms)} · {label(lang, 'rule')}"
            f"{', '.join(n.rules) or '-'}",
            f"  {label(lang, 'published')}{published_text(n, lang, self.timezone)}"
            + (f" · {label(lang, 'language')}{n.lang}" if n.lang else ""),
            f"  {n.url}",
        ]
        return Message(address=address, text="\n".join(line.translate(clean) for line in lines))

    def send(self, message: Message) -> Receipt:
        stream = self.stream or sys.stdout
        with self._lock:
            stream.write(message.text + "\n\n")
            stream.flush()
        return Receipt(None)
