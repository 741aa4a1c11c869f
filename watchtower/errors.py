"""The exception tree of watchtower.

::

    WatchtowerError
     ├── ConfigError            invalid configuration; carries every problem found
     ├── DatabaseUnavailable    the database cannot be opened (its folder, its file)
     │    ├── NoDatabase         none where the config points (``status`` never creates one)
     │    └── SchemaMismatch     its schema is not this version's, or a migration failed
     │         └── SchemaNewer      migrated by a newer watchtower: restarting cannot help
     ├── CannotListen           the HTTP endpoint's address is taken or not ours
     ├── SourceError            a source could not be fetched or parsed
     │    ├── TransientError     worth retrying later (timeouts, 5xx, 429, network)
     │    └── PermanentError     retrying will not help until someone acts (404, bad feed)
     └── DeliveryError          a notification could not be delivered (retryable flag; its
          │                      DeliveryReason ``cause``: English text, catalogue code, params)
          ├── OutcomeUnknown     the request may have been delivered (timeout): check first
          ├── RateLimited        the provider said "slow down" (429): wait retry_after
          └── TargetDisabled     the whole target kind is unusable (revoked token): pause it

Adapters and notifiers raise these; nobody else retries. The scheduler turns a
``SourceError`` into a backoff on the source row, the outbox turns a
``DeliveryError`` into a retry or a recorded failure. ``str(error)`` is always a
plain sentence an operator can read, and never contains a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from watchtower.source_errors_text import source_error_text


class WatchtowerError(Exception):
    """Base class of every error watchtower raises on purpose."""


class DatabaseUnavailable(WatchtowerError):
    """The database cannot be opened; the message says why, without a password."""


class NoDatabase(DatabaseUnavailable):
    """There is no watchtower database at the URL, and this command creates none."""


class SchemaMismatch(DatabaseUnavailable):
    """The database's schema is not this version's; ``hint`` says what to do."""

    def __init__(self, message: str, *, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


class SchemaNewer(SchemaMismatch):
    """A newer watchtower migrated the database (an upgrade rolled back without
    ``db downgrade``): only the newer version, or a backup, can use it, so the
    command line gives it an exit status of its own that systemd does not restart."""


class CannotListen(WatchtowerError):
    """``[watchtower] http`` cannot be served (address in use, not this host's)."""


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a configuration file, located by file, line and key."""

    path: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(WatchtowerError):
    """The configuration is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class SourceError(WatchtowerError):
    """A source failed. ``message`` is a sentence for the operator, in English.

    The common failures are raised by ``code`` and ``params`` (``PermanentError(
    code="http_forbidden", params={"status": 403})``): ``message`` then comes
    from :mod:`watchtower.source_errors_text`, which also says it in the
    configured language (:meth:`sentence`) for ops alerts. Rare ones pass a free
    English ``message`` and have no code.
    """

    retryable: bool = True

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        params: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        if (message is None) == (code is None):
            raise TypeError("a SourceError has either a message or a code, not both")
        self.code = code
        self.params: dict[str, Any] = dict(params or {})
        if code is not None:
            message = source_error_text(code, self.params, "en")
        assert message is not None
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    def sentence(self, language: str) -> str:
        """What went wrong, in ``language``; the English ``message`` for an error without code."""
        if self.code is None:
            return self.message
        return source_error_text(self.code, self.params, language)


class TransientError(SourceError):
    """A failure worth retrying with backoff (network, timeout, 5xx, 429)."""

    retryable = True


class PermanentError(SourceError):
    """A failure that needs a human (404, 401, not a feed); retried slowly."""

    retryable = False


@dataclass(frozen=True, eq=False)
class DeliveryReason:
    """Why a delivery failed: the English ``text`` (logs, ``status``, the outbox
    row) and, for the failures :mod:`watchtower.notify.delivery_errors_text`
    knows, its ``code`` and ``params``, so that an ops notice says it in the
    configured language without reading the English back. A ``params`` value
    may itself be a reason (an outage's cause).
    """

    text: str
    code: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, code: str, /, **params: Any) -> DeliveryReason:
        """The reason ``code`` of the catalogue, its English text filled with ``params``."""
        # Imported here: the catalogue's module imports this one.
        from watchtower.notify.delivery_errors_text import delivery_error_text

        return cls(delivery_error_text(code, params), code, dict(params))

    def __str__(self) -> str:
        return self.text


class DeliveryError(WatchtowerError):
    """A notification could not be delivered.

    ``retryable`` drives the outbox: retryable errors are retried with capped
    backoff (or after ``retry_after`` seconds); others are recorded as failed
    with ``reason``. ``reason`` is the English sentence; ``cause`` carries it
    with its catalogue ``code`` and ``params`` when the notifier raised it from
    :meth:`DeliveryReason.of` (ops notices say it in their language from those).
    """

    def __init__(
        self, reason: str | DeliveryReason, *, retryable: bool, retry_after: float | None = None
    ) -> None:
        cause = reason if isinstance(reason, DeliveryReason) else DeliveryReason(reason)
        super().__init__(cause.text)
        self.cause = cause
        self.reason = cause.text
        self.retryable = retryable
        self.retry_after = retry_after


class OutcomeUnknown(DeliveryError):
    """The send may have reached the provider (a timeout after the request left).

    The outbox retries it, and marks the row so the notifier looks for the
    message before sending it again.
    """

    def __init__(self, reason: str | DeliveryReason, *, retry_after: float | None = None) -> None:
        super().__init__(reason, retryable=True, retry_after=retry_after)


class RateLimited(DeliveryError):
    """The provider refused the request for now (HTTP 429): nothing was delivered.

    Always retryable, and ``retry_after`` (seconds, from the provider's
    Retry-After, or a default) is always set. It is the provider's pacing, not a
    failure of the message, so the outbox may wait without counting an attempt.
    """

    retry_after: float

    def __init__(self, reason: str | DeliveryReason, *, retry_after: float) -> None:
        super().__init__(reason, retryable=True, retry_after=retry_after)


class TargetUnreachable(DeliveryError):
    """The target is down or cannot be reached: not this message's fault.

    Always retryable. The outbox keeps every row of the target waiting, without
    spending their attempts, and tries one row now and then until the target
    answers (:mod:`watchtower.pipeline.target_health`). ``reason`` names the
    target and the cause, never a secret.
    """

    def __init__(self, reason: str | DeliveryReason) -> None:
        DeliveryError.__init__(self, reason, retryable=True)


class UnreachableMaybeSent(TargetUnreachable, OutcomeUnknown):
    """The target stopped answering after the request left (a timeout, a dropped
    connection, a gateway's 5xx): down, and the message may have got through, so
    the next try checks before sending again."""


class TargetDisabled(DeliveryError):
    """Nothing can be delivered to this target kind until someone acts (revoked token).

    The outbox keeps every row of the kind waiting (not failed) and alerts ops.
    """

    def __init__(self, kind: str, reason: str | DeliveryReason) -> None:
        super().__init__(reason, retryable=True)
        self.kind = kind
