"""One e-mail the mail server never manages to send, told from a server that is down.

Before, a FETCH that always failed (a timeout on one message, a server that
chokes on one malformed e-mail and drops the connection) failed the whole check
and stored no cursor: every check retried the same e-mail and nothing after it
was ever read.

Now a FETCH that breaks *after* login, SELECT and SEARCH have worked ends the
check early but successfully: the e-mails before it are read and kept (the
cursor moves up to them), and the cursor remembers which UIDs that FETCH asked
for (``stuck``). The next check fetches those one at a time, so a failure names
one e-mail, its subject when the server sends its header. The same e-mail
failing :data:`SKIP_AFTER` checks in a row, each time with the session itself
working, is skipped with a warning naming its UID, subject and folder; the
checks before that warn that it is retried. A server that is down fails at
login or SELECT instead, and one that answers no FETCH at all (not even the
sizes, or the suspect's subject) fails the check as well: that is the source's
usual failure (visible in ``status``, told to ops), which counts nothing
against any e-mail.

An e-mail is skipped only when the server sent another one in the same check:
proof that it is this e-mail, not the server. The check that would skip it
first asks for the start of an e-mail the server sent at an earlier check (the
cursor's ``sent``, else its last UID; ``BODY.PEEK``, so never marked \\Seen).
A server that sends sizes and headers but breaks on every body thus loses
nothing: when that breaks too, two different e-mails failed with none sent,
and the check fails as the source's usual failure (the server's own error,
counted against no e-mail; ``status`` and ops alerts show it) until the server
sends bodies again. Several e-mails in a row that the server never sends are
thus each skipped in turn, and so is the newest one in the folder. When that
earlier e-mail is gone (deleted) or there is none, the e-mail after the
suspect is fetched first instead (the *probe*, then kept as any other); with
none after it either, the suspect blocks nothing and is retried at each check,
with a warning, until one arrives to probe with.

A skipped e-mail stays in the source's warnings for :data:`SKIPPED_SHOWN`
(``watchtower status`` shows the last check's warnings), so an operator who
looks later still sees it; the log says it once, at the skip (later checks
return it as a ``reminder``, which ``status`` shows and the poller does not log).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from watchtower.adapters._imap_reader import FetchFailed

__all__ = [
    "NOTES_KEPT",
    "SKIPPED_SHOWN",
    "SKIP_AFTER",
    "Stop",
    "Stuck",
    "after_failure",
    "reminders",
]

#: Checks in a row one e-mail may fail (fetched alone) before it is skipped.
SKIP_AFTER = 3
#: How long a skipped e-mail stays in the source's warnings.
SKIPPED_SHOWN = timedelta(hours=24)
#: Skipped e-mails remembered at most (the most recent).
NOTES_KEPT = 5


@dataclass(frozen=True)
class Stuck:
    """UIDs ``first`` to ``last`` broke a FETCH at the last check; ``failures``
    counts the checks in a row where that one e-mail (``first == last``) did."""

    first: int
    last: int
    failures: int
    reason: str
    subject: str | None = None

    @classmethod
    def of(cls, value: Any) -> Stuck | None:
        """The cursor's ``stuck`` entry, ``None`` when absent or unreadable."""
        if not isinstance(value, dict):
            return None
        try:
            first, last, failures = int(value["first"]), int(value["last"]), int(value["failures"])
        except (KeyError, TypeError, ValueError):
            return None
        subject = value.get("subject")
        return cls(
            first, last, failures, str(value.get("reason") or ""), str(subject) if subject else None
        )

    def cursor(self) -> dict[str, Any]:
        """The cursor's ``stuck`` entry."""
        return {
            "first": self.first,
            "last": self.last,
            "failures": self.failures,
            "reason": self.reason,
            "subject": self.subject,
        }

    def suspects(self, uids: list[int]) -> set[int]:
        """The UIDs of ``uids`` to fetch one at a time."""
        return {uid for uid in uids if self.first <= uid <= self.last}

    def after(self, last_read: int) -> Stuck | None:
        """The suspects still unread once every UID up to ``last_read`` was read."""
        if self.last <= last_read:
            return None
        if self.first > last_read:
            return self
        return Stuck(last_read + 1, self.last, 0, self.reason, None)


@dataclass(frozen=True)
class Stop:
    """What a check that a broken FETCH ended leaves: the last UID to count as
    read, what stays suspect, the warning, and a note when an e-mail was skipped."""

    last_uid: int
    stuck: Stuck | None
    warning: str
    skipped: dict[str, Any] | None = None


def _named(uid: int, folder: str, subject: str | None) -> str:
    said = f' ("{subject[:100]}")' if subject else ""
    return f"e-mail UID {uid} in {folder}{said}"


def after_failure(
    failed: FetchFailed,
    previous: Stuck | None,
    last: int,
    folder: str,
    waiting: int,
    now: datetime,
    vouched: bool,
) -> Stop:
    """The outcome of a check ended by ``failed``; ``last`` is the last UID read
    before it, ``waiting`` how many e-mails come after the failed FETCH's UIDs,
    ``vouched`` whether the server sent another e-mail's body in this check."""
    first = failed.uids[0]
    before = max(last, first - 1)
    after = f"the {waiting} e-mails after it wait" if waiting else "no e-mail waits after it"
    if len(failed.uids) > 1:
        stuck = Stuck(first, failed.uids[-1], 0, failed.reason)
        return Stop(
            before,
            stuck,
            f"e-mails UID {first} to {failed.uids[-1]} in {folder} could not be fetched: "
            f"{failed.reason}; the next check fetches them one at a time, and one that "
            f"fails {SKIP_AFTER} checks in a row is skipped",
        )
    same = previous is not None and previous.first == previous.last == first
    failures = (previous.failures if same and previous else 0) + 1
    subject = failed.subject or (previous.subject if same and previous else None)
    named = _named(first, folder, subject)
    if failures < SKIP_AFTER:
        stuck = Stuck(first, first, failures, failed.reason, subject)
        return Stop(
            before,
            stuck,
            f"{named} could not be fetched: {failed.reason} (check {failures} of "
            f"{SKIP_AFTER}: it is skipped if it still fails; {after})",
        )
    if not vouched:
        # Nothing proves the server sends any e-mail (no earlier one left, none
        # after it to probe with): skipping it would lose one e-mail per check on
        # a server broken on bodies.
        stuck = Stuck(first, first, failures, failed.reason, subject)
        return Stop(
            before,
            stuck,
            f"{named} could not be fetched: {failed.reason} ({failures} checks in a row; "
            "it is skipped once an e-mail after it arrives and can be fetched)",
        )
    note = {
        "uid": first,
        "folder": folder,
        "subject": subject,
        "reason": failed.reason,
        "at": now.isoformat(timespec="seconds"),
    }
    return Stop(
        first,
        None,
        f"{named} skipped: it could not be fetched at {SKIP_AFTER} checks in a row "
        f"({failed.reason}); the e-mails after it are read",
        note,
    )


def reminders(notes: Any, now: datetime) -> tuple[list[dict[str, Any]], list[str]]:
    """The skipped e-mails still shown (from the cursor's ``skipped``) and their
    warnings: each for :data:`SKIPPED_SHOWN` after it was skipped."""
    kept: list[dict[str, Any]] = []
    warnings: list[str] = []
    for note in notes if isinstance(notes, list) else []:
        try:
            at = datetime.fromisoformat(str(note["at"]))
            named = _named(int(note["uid"]), str(note["folder"]), note.get("subject"))
        except (KeyError, TypeError, ValueError):
            continue  # a cursor from elsewhere: nothing to show
        if at.tzinfo is None or now - at >= SKIPPED_SHOWN:
            continue
        kept.append(note)
        warnings.append(
            f"{named} was skipped at {note['at']}: it could not be fetched at "
            f"{SKIP_AFTER} checks in a row ({note.get('reason')})"
        )
    return kept[-NOTES_KEPT:], warnings[-NOTES_KEPT:]
