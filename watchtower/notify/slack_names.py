"""People's names as Slack shows them, for readers outside Slack (``users.info``).

In Slack, ``<@U0CM>`` shows the person's name; in an e-mail, "@U0CM" means
nothing. :class:`UserNames` asks Slack once per person and :data:`TTL` (a name
rarely changes), and never stands in the way: without the ``users:read`` scope,
with a bad token or Slack unreachable, the name is ``""`` and the reader sees
the id, as before. Each kind of failure is logged once per Slack client (the
missing scope with how to grant it), not once per acknowledged alert.

A lookup waits :data:`WAIT` seconds at most, not the Slack client's timeout
(15 s): the ack check that asks holds the escalation round, and a name is a
nicety. A lookup still running then goes on in the background (one per person,
:data:`PENDING_MAX` at most) and a name it gets in the end is kept for the next
ack; the late ack check shows the id.

A name is untrusted text (anyone in the workspace chooses their display name):
it comes back on one line, without controls nor bidi overrides
(:func:`watchtower.sanitise.printable`), and at most :data:`NAME_MAX` characters.
Each renderer escapes it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from watchtower.errors import DeliveryError, TargetDisabled
from watchtower.logs import kv
from watchtower.notify.slack_errors import refusal
from watchtower.sanitise import printable

__all__ = ["NAME_MAX", "PENDING_MAX", "SIZE", "TTL", "WAIT", "UserNames", "name_of"]

log = logging.getLogger("watchtower.notify.slack")

#: Seconds a name is kept before Slack is asked again.
TTL = 3600.0
#: Names kept at most (the oldest answers go first).
SIZE = 256
#: Characters of a name kept (Slack allows 80 for a display name).
NAME_MAX = 80
#: Seconds an ack check waits for a name before it shows the id.
WAIT = 3.0
#: Lookups left running in the background at most (Slack stalling): more show the id at once.
PENDING_MAX = 8
#: The scope ``users.info`` needs.
SCOPE = "users:read"


def name_of(user: Any) -> str:
    """The name Slack shows for a ``users.info`` ``user`` object: its display
    name, else its real name, else its user name; ``""`` without any."""
    if not isinstance(user, dict):
        return ""
    profile = user.get("profile")
    profile = profile if isinstance(profile, dict) else {}
    for value in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        name = " ".join(printable(str(value or ""), keep="").split())
        if name:
            return name if len(name) <= NAME_MAX else name[: NAME_MAX - 1] + "…"
    return ""


class _Lookup:
    """One ``users.info`` call under way, shared by whoever asks for that person."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.name = ""
        self.error: Exception | None = None  # a bug's exception, raised to the asker


class UserNames:
    """Slack user id → name, looked up with ``call("users.info", user=…)``
    (:meth:`watchtower.notify.slack_api.SlackApi.call`) and kept :data:`TTL`
    seconds of ``monotonic``; thread-safe. :meth:`name` waits ``wait`` seconds
    at most for Slack."""

    def __init__(
        self,
        call: Callable[..., dict[str, Any]],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        ttl: float = TTL,
        size: int = SIZE,
        wait: float = WAIT,
    ) -> None:
        self.call = call
        self.ttl = ttl
        self.size = max(1, size)
        self.wait = wait
        self._monotonic = monotonic
        self._names: dict[str, tuple[str, float]] = {}  # id → (name, when answered)
        self._pending: dict[str, _Lookup] = {}  # id → its lookup under way
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def name(self, user: str) -> str:
        """The name of Slack user ``user``, or ``""`` when Slack does not say within
        ``wait`` seconds (logged once)."""
        if not user or not user.isalnum():
            return ""
        with self._lock:
            known = self._names.get(user)
            if known is not None and 0 <= self._monotonic() - known[1] < self.ttl:
                return known[0]
            lookup = self._pending.get(user)
            if lookup is None and len(self._pending) < PENDING_MAX:
                lookup = self._pending[user] = _Lookup()
                # A thread, not the caller's: a stalled Slack holds it, not the ack check.
                # Daemon: the process does not wait for it to exit.
                threading.Thread(
                    target=self._look_up,
                    args=(user, lookup),
                    name=f"users.info {user}",
                    daemon=True,
                ).start()
        if lookup is None or not lookup.done.wait(self.wait):
            self._late(user)
            return ""
        if lookup.error is not None:
            raise lookup.error
        return lookup.name

    def _look_up(self, user: str, lookup: _Lookup) -> None:
        """Ask Slack for ``user``'s name; keep it (a failure is not kept: a scope
        granted later is used at once)."""
        try:
            data = self.call("users.info", user=user)
            name = name_of(data.get("user"))
        except DeliveryError as exc:
            self._failed(exc)
        except Exception as exc:  # a bug: raised to the asker, as if it had called
            lookup.error = exc
        else:
            lookup.name = name
            with self._lock:
                self._names.pop(user, None)
                self._names[user] = (name, self._monotonic())
                while len(self._names) > self.size:
                    del self._names[next(iter(self._names))]
        finally:
            with self._lock:
                self._pending.pop(user, None)
            lookup.done.set()

    def _late(self, user: str) -> None:
        """Say (once) that Slack did not name ``user`` in time."""
        with self._lock:
            first = "slow" not in self._warned
            self._warned.add("slow")
        if first:
            log.warning(
                f"Slack did not answer users.info within {self.wait:g} s: e-mails name "
                "whoever takes an alert by their Slack id until it does",
                extra=kv(user=user),
            )
        else:
            log.debug("Slack user name not available in time", extra=kv(user=user))

    def _failed(self, exc: DeliveryError) -> None:
        code = refusal(exc)
        scope = code == "missing_scope"
        kind = "scope" if scope else code or ("auth" if isinstance(exc, TargetDisabled) else "down")
        with self._lock:
            first = kind not in self._warned
            self._warned.add(kind)
        if not first:
            log.debug("Slack user name not available", extra=kv(error=exc.reason))
        elif scope:
            log.warning(
                "Slack refuses users.info: e-mails name whoever takes an alert by their "
                f"Slack id; add the {SCOPE} scope to the Slack app (slack-app-manifest.yml, "
                "OAuth & Permissions) and reinstall it to the workspace",
                extra=kv(error=exc.reason),
            )
        else:
            log.warning(
                "Slack user name not available: e-mails name whoever takes an alert by "
                "their Slack id",
                extra=kv(error=exc.reason),
            )
