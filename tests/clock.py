"""A clock a test sets by hand, for the App, the outbox and the servers that take one."""

from __future__ import annotations

from datetime import UTC, datetime

#: The tests' usual morning: a Monday, 10:00 in Paris.
MORNING = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Clock:
    """Tells the time it was given (``clock.now = …`` moves it); called like ``now()``."""

    def __init__(self, now: datetime = MORNING) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
