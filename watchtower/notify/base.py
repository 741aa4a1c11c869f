"""The notifier interface: render a notification, then send it.

Escaping and truncation happen in ``render`` (once, per notifier, for its own
format); ``send`` does the I/O and either returns a :class:`Receipt` or raises
:class:`~watchtower.errors.DeliveryError` with ``retryable`` set, which the
outbox turns into a retry or a recorded failure. Notifiers never retry.

A failure that says nothing about the message — the target did not answer or
said it is down (connection refused or reset, a timeout, a 5xx, Slack's
``service_unavailable``, SMTP's 421) — is raised as :class:`TargetUnreachable`:
the outbox then holds the whole target and probes it with backoff, and the
waiting notifications spend no attempt. A server error (HTTP 5xx) the service
*answered* is :class:`ServerError`: down too, unless the service takes other
messages — then it is choking on this one, which the outbox finds out by
probing with another notification. A service that refuses the address
itself — a deleted webhook, a revoked token: every message to it would be
refused — is :class:`AddressRefused`: held the same way (nothing is lost, the
next probe delivers once it is fixed), and ops are told at once what to fix.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

# The delivery errors notifiers raise; they live with the others in watchtower.errors.
from watchtower.errors import DeliveryError, TargetUnreachable, UnreachableMaybeSent

__all__ = [
    "AddressRefused",
    "DeliveryError",
    "Limits",
    "Message",
    "Notifier",
    "Receipt",
    "ServerError",
    "ServerErrorMaybeSent",
    "TargetUnreachable",
    "UnreachableMaybeSent",
    "truncate",
    "word_cut",
]
from watchtower.models import Notification


class ServerError(TargetUnreachable):
    """The service answered with a server error (HTTP 5xx, Slack's 500): down — or,
    when it takes other messages, choking on this one (its content).

    Held like any unreachable target; but the next probe is another notification,
    and once the target delivers others, this row's failures are its own
    (retried with backoff, then failed): see
    :mod:`watchtower.pipeline.target_health`. A connection refused or reset, or a
    timeout, is never the message's fault: plain :class:`TargetUnreachable`.
    """


class ServerErrorMaybeSent(ServerError, UnreachableMaybeSent):
    """A server error answered after the request left (a gateway's 5xx to a post):
    the message may have been stored, so the next try checks before sending."""


class AddressRefused(TargetUnreachable):
    """The service refuses this target's address itself (HTTP 401, 403, 404, 410 on
    a webhook: deleted, or its token revoked), whatever the message.

    Not the message's fault, so held like an unreachable target (its notifications
    wait, no attempt spent, one probe now and then) rather than failed one by one;
    ops are told at once, since it does not end by itself: ``reason`` says what to
    fix, never with a secret.
    """


@dataclass(frozen=True)
class Limits:
    """What a target accepts; ``render`` truncates to these."""

    title_max: int = 500
    body_max: int = 4000
    per_second: float | None = None


@dataclass(frozen=True)
class Message:
    """A rendered notification, ready for ``send``."""

    address: str
    text: str
    subject: str = ""
    html: str | None = None
    blocks: list[dict[str, Any]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """Proof of delivery: the provider's id for the message, if it gives one.

    ``extra`` carries provider details later stages need (Slack: channel id and
    ``ts`` for threads and acknowledgements; ``reconciled`` when an earlier
    send was found instead of sending again).
    """

    message_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Notifier(ABC):
    """One target kind (``slack``, ``email``, ``console``)."""

    kind: ClassVar[str]
    limits: ClassVar[Limits] = Limits()

    @classmethod
    def validate_address(cls, address: str) -> None:
        """Raise ``ValueError`` if ``address`` is not valid for this kind (any by default)."""
        del address

    @abstractmethod
    def render(self, notification: Notification, address: str) -> Message:
        """Build the message: escaping and truncation live here."""

    @abstractmethod
    def send(self, message: Message) -> Receipt:
        """Deliver ``message`` or raise ``DeliveryError``."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


#: A cut goes back to the last space when that keeps this share of the text.
WORD_CUT_KEEP = 0.6


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut ``text`` to ``limit`` characters, ending with an ellipsis when cut.

    The cut falls between words ("Acmé rachète…", not "Acmé rach…") unless the
    last space is too far back (a long URL, a 200-letter "word"), and never
    inside a character as shown (an emoji's selector, a flag's half): it is
    :func:`watchtower.notify._text.clip`, the one cut every notifier uses.
    """
    # Imported here: _text imports word_cut from this module.
    from watchtower.notify._text import clip

    return clip(text, limit, ellipsis)


def word_cut(cut: str, after: str) -> str:
    """``cut`` (a prefix of a text, ``after`` the character that followed it)
    ended between words, without trailing spaces or dangling punctuation."""
    if after and not after.isspace() and cut and not cut[-1].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"))
        if space >= len(cut) * WORD_CUT_KEEP:
            cut = cut[:space]
    return cut.rstrip().rstrip(",;:–—-·").rstrip()
