"""French text as watchtower writes it, for readable test expectations.

watchtower's French notification text puts a no-break space (U+00A0) before
``: ; ! ?`` and ``»`` and after ``«`` (:func:`watchtower.typography.french_spacing`).
Tests write the expectation with plain spaces and wrap it: ``nb("Source : x")``
is ``"Source\\u00a0: x"``. Written here on its own, not by calling the code
under test, so a change to that function fails the tests.
"""

from __future__ import annotations

import json

NBSP = "\u00a0"


def nb(text: str) -> str:
    """``text`` with the no-break spaces of French typography."""
    for mark in ":;!?»":
        text = text.replace(f" {mark}", f"{NBSP}{mark}")
    return text.replace("« ", f"«{NBSP}")


def readable(value: object) -> str:
    """``value`` (Slack blocks, a payload) as JSON with its characters as they
    are: ``str()`` writes a no-break space as ``\\xa0``, which ``nb("…")`` never
    finds."""
    return json.dumps(value, ensure_ascii=False)
