"""Human durations (``90s``, ``10m``, ``1h30m``, ``7d``) used across the config and CLI."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
#: A century: past it a duration is a typo, and timedelta overflows not far beyond.
MAX_SECONDS = 36_500 * 86_400
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object) -> timedelta:
    """Parse ``"90s"``, ``"10m"``, ``"1h30m"``, ``"7d"`` (or a number of seconds)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '90s', '10m' or '1h'")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return _bounded(float(value), value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as '90s', '10m' or '1h'")
    text = value.strip().lower().replace(" ", "")
    pos, total = 0, 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not text or pos != len(text):
        raise ValueError(f"{value!r} is not a duration; use e.g. '90s', '10m', '1h', '7d'")
    return _bounded(total, value)


def _bounded(seconds: float, value: object) -> timedelta:
    # timedelta() raises OverflowError (not a ValueError pydantic reports) past
    # its range, and "now + duration" must stay a date.
    if not seconds <= MAX_SECONDS:  # also NaN
        raise ValueError(f"{value!r} is too long: at most 36500d (100 years)")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The inverse of :func:`parse_duration`, for messages (``3600s`` → ``1h``)."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)
