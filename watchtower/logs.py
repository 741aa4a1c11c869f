"""Structured logging on the standard library: ``event key=value …`` or JSON lines.

Call sites pass fields with ``log.info("source fetched", extra=kv(source=name, items=3))``.
Values are quoted when they contain spaces; secrets are never passed as fields, and
``apprise:`` targets and web addresses (which embed tokens: a webhook's path, a
``?token=``) are redacted by both formatters (:mod:`watchtower.redact`). A
database outage logged with its exception (a lost connection, a full disk) is
an expected event: both formatters show the first line of its message as
``error=…`` instead of a traceback (:mod:`watchtower.outage`); any other
exception keeps its traceback.

Under systemd (stderr connected to the journal, ``$JOURNAL_STREAM``), text lines
drop the timestamp (the journal keeps its own) and start with the syslog
priority (``<4>`` for a warning), so ``journalctl -p warning`` finds warnings.

A source fetched with nothing new is a DEBUG line (``watchtower.poll``): at
INFO each poll round logs one ``poll round`` summary and what changed.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import IO, Any

from watchtower.redact import redact_text

_FIELDS = "wt_fields"


def kv(**fields: Any) -> dict[str, Any]:
    """Fields for the ``extra=`` argument of a logging call."""
    return {_FIELDS: fields}


def _quote(value: Any) -> str:
    text = redact_text(str(value))
    if not text or any(c in text for c in ' "=\n\t'):
        return json.dumps(text, ensure_ascii=False)
    return text


#: syslog priorities (sd-daemon(3) prefixes) of the logging levels.
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3}


class KeyValueFormatter(logging.Formatter):
    """``2026-11-25T10:00:00Z INFO watchtower.poll source fetched source=x items=3``.

    ``journal=True``: ``<6>INFO watchtower.poll source fetched …`` (the journal
    timestamps each line and reads its priority from the prefix)."""

    def __init__(self, *, journal: bool = False) -> None:
        super().__init__()
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, _FIELDS, {})
        parts = [record.levelname, record.name, redact_text(record.getMessage())]
        prefix = ""
        if self.journal:
            level = max((n for n in _PRIORITY if n <= record.levelno), default=logging.DEBUG)
            prefix = f"<{_PRIORITY[level] if record.levelno < logging.CRITICAL else 2}>"
            parts[0] = prefix + record.levelname
        else:
            when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            parts.insert(0, when)
        parts += [f"{k}={_quote(v)}" for k, v in fields.items()]
        outage = _outage(record)
        if outage is not None:
            parts.append(f"error={_quote(outage)}")
        line = " ".join(parts)
        if record.exc_info and outage is None:  # in the journal, each line has the priority
            trace = redact_text(self.formatException(record.exc_info)).splitlines()
            line += "".join(f"\n{prefix}{text}" for text in trace)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": redact_text(record.getMessage()),
        }
        data.update({k: _redacted(v) for k, v in getattr(record, _FIELDS, {}).items()})
        outage = _outage(record)
        if outage is not None:
            data["error"] = redact_text(outage)
        elif record.exc_info:
            # A traceback quotes exception messages: an Apprise URL, a feed URL's password.
            data["exception"] = redact_text(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


def _redacted(value: Any) -> Any:
    """A JSON field value with every string in it redacted; objects (an exception,
    a path) as their redacted text, as the text format shows them."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _redacted(v) for k, v in value.items()}
    return redact_text(str(value))


def _outage(record: logging.LogRecord) -> str | None:
    """The first line of the record's exception when it is a database outage."""
    if not record.exc_info or record.exc_info[1] is None:
        return None
    from watchtower.outage import outage_reason  # imports this module

    return outage_reason(record.exc_info[1])


def to_journal(stream: IO[str]) -> bool:
    """Whether ``stream`` is the systemd journal: ``$JOURNAL_STREAM`` names its device
    and inode (a pipe or file the service redirected elsewhere does not match)."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):  # a StringIO, a closed stream
        return False
    return bool(expected) and expected == f"{info.st_dev}:{info.st_ino}"


def configure(level: str = "INFO", fmt: str = "text", stream: IO[str] | None = None) -> None:
    """Send watchtower's logs to ``stream`` (stderr) in the chosen format."""
    stream = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else KeyValueFormatter(journal=to_journal(stream))
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic", "watchfiles"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # slack_sdk logs an ERROR line of its own for each failed request (a timeout)
    # before raising; the notifier turns the exception into a DeliveryError that
    # the outbox logs once, as a warning when it will be retried.
    logging.getLogger("slack_sdk").setLevel(logging.CRITICAL)
    scheduler = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _RoundStillRunning) for f in scheduler.filters):
        scheduler.addFilter(_RoundStillRunning())


class _RoundStillRunning(logging.Filter):
    """A poll round longer than ``poll_interval`` (one slow source) is normal: the
    next round starts when it ends. APScheduler warns at every missed start."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()
