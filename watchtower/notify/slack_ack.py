"""What counts as someone taking charge of a Slack alert.

A ✅ reaction on the alert, or a thread reply that *affirms* it: the reply
starts with an acknowledgement phrase ("ack", "je prends", "pris en charge",
"on it"…) and holds no question mark and no negation. Replies such as
« Toujours pas pris en charge ?? », "pas d'ack ?", "can someone ack?" or
"personne ne prend en charge" contain the words but say the opposite; counting
them would cancel the escalation exactly when nobody is on it. So anything
doubtful is *not* an acknowledgement: a wrong "no" costs one extra escalation
message, a wrong "yes" silences a crisis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ACK_REACTIONS = frozenset({"white_check_mark", "heavy_check_mark", "ballot_box_with_check"})
DETAIL_MAX = 80  # characters of a reply kept for the log line

# Lower-case, straight apostrophes; matched at the start of the reply only.
ACK_PHRASES = (
    "ack",
    "acked",
    "acknowledged",
    "acquitté",
    "acquittée",
    "acquitte",
    "je prends",
    "pris en charge",
    "prise en charge",
    "je m'en occupe",
    "on s'en occupe",
    "je m'en charge",
    "on it",
    "taking it",
    "i'll take it",
    "i will take it",
)
# Slack sends an emoji typed in a message as its :shortcode:; some clients send the character.
ACK_EMOJI = (
    "✅",
    "✔",
    "☑",
    *(f":{name}:" for name in sorted(ACK_REACTIONS)),
)

# A reply may open with a mention, some emphasis or a filler word before the phrase:
# "<@U0123> je prends", "*ack*", "ok, je m'en occupe", "c'est pris en charge".
_LEAD = re.compile(r"^(?:<[@!#][^>]*>|[\s*_~>.,;!\-–—]+|(?:ok|okay|oui|yes|c'est)(?![\w']))+")
_NEGATION = re.compile(
    r"(?<![\w'])(?:pas|personne|jamais|aucune?|rien|ne|non|no|not|nobody|never|none|nothing"
    r"|cannot)(?![\w])|(?<![\w'])n'|n't(?![\w])"
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'"})


@dataclass(frozen=True)
class Acknowledgement:
    """Who took charge of an alert, how and when (for the log line that cancels an
    escalation, and the "taken by" reply in the alert's thread)."""

    user: str  # Slack user id, "" when Slack did not say
    via: str  # "reaction" or "reply"
    detail: str  # the reaction's name, or the reply's text cut to DETAIL_MAX characters
    # The reply's Slack ``ts`` (when it was written); "" for a reaction: Slack
    # does not say when a reaction was added.
    ts: str = ""
    # The person's name as Slack shows it (``users.info``), for readers outside
    # Slack, where "@U0CM" means nothing; "" when Slack would not say (no
    # ``users:read`` scope, Slack unreachable): then the id is shown.
    name: str = ""


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, single spaces."""
    return " ".join(text.translate(_APOSTROPHES).lower().split())


def is_ack_reply(text: str) -> bool:
    """Whether a thread reply affirms that someone takes charge (see module docstring)."""
    body = normalise(text)
    if not body or "?" in body or "¿" in body or _NEGATION.search(body):
        return False
    body = _LEAD.sub("", body)
    if body.startswith(ACK_EMOJI):
        return True
    for phrase in ACK_PHRASES:
        # The phrase must end on a word boundary: "ack" is not "ackermann".
        if body.startswith(phrase) and not body[len(phrase) : len(phrase) + 1].isalnum():
            return True
    return False


def reply_detail(text: str) -> str:
    """The reply as one short line for the log."""
    line = " ".join(text.split())
    return line if len(line) <= DETAIL_MAX else line[: DETAIL_MAX - 1] + "…"
