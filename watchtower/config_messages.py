"""Plain words for what pydantic says about a config's values.

Marketing edits the file, not developers: "Input should be a valid boolean"
becomes "must be true or false (no quotes)". Each function here turns a
library's message into a sentence that says what to write instead. The file's
encoding and TOML syntax are explained by :mod:`watchtower.config_syntax`, and
the "did you mean" of a refused duration, schedule or zone by
:mod:`watchtower.config_hints` (both re-exported here).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from watchtower.config_hints import duration_hint, schedule_hint, target_hint, zone_hint
from watchtower.config_syntax import decode_config, toml_problem

__all__ = [
    "bare_number_durations",
    "decode_config",
    "duration_hint",
    "plain_message",
    "schedule_hint",
    "toml_problem",
    "zone_hint",
]


def _is_duration(annotation: Any) -> bool:
    return annotation is timedelta or timedelta in get_args(annotation)


def bare_number_durations(
    model: type[BaseModel], entry: Any, loc: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], str]]:
    """``(loc, message)`` for each duration of ``entry`` written as a bare number.

    ``every = 15`` would be read as 15 seconds; people mean minutes as often as
    not, so a number without a unit is refused in the file.
    """
    if not isinstance(entry, dict):
        return []
    found = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        value = entry.get(key)
        number_written = isinstance(value, int | float) and not isinstance(value, bool)
        if number_written and _is_duration(field.annotation):
            number = f"{value:g}"
            found.append(
                (
                    (*loc, key),
                    f'a duration needs a unit, in quotes: "{number}s" (seconds), '
                    f'"{number}m" (minutes) or "{number}h" (hours)',
                )
            )
    return found


_SLACK_USER = "^@[A-Z0-9]+$"
_PATTERNS = {
    _SLACK_USER: "a Slack user is written '@U0123' (the member ID from the Slack profile)",
    r"^[#@]?[\w.-]+$": "a Slack channel is written '#veille' (no spaces)",
    r"^[\w.@:/-]+$": "a name may hold letters, digits and . _ - @ : / (no spaces)",
}


_EMPTY = {
    "terms": 'cannot be empty: a brand needs at least one term, e.g. terms = ["Acmé"]',
    "targets": 'cannot be empty: give at least one target, e.g. targets = ["slack:#veille"]',
    "windows": 'cannot be empty: give at least one window, e.g. windows = ["sat-sun"]',
}


# A number out of its bounds: pydantic's error type -> (its context key, sentence).
_BOUNDS = {
    "greater_than_equal": ("ge", "must be {} or more"),
    "less_than_equal": ("le", "must be {} or less"),
    "greater_than": ("gt", "must be more than {}"),
    "less_than": ("lt", "must be less than {}"),
}


def _expected_values(error: ErrorDetails) -> list[str]:
    expected = str((error.get("ctx") or {}).get("expected", ""))
    return re.findall(r"'([^']*)'", expected)


def plain_message(error: ErrorDetails, loc: Sequence[str | int]) -> str:
    """A pydantic error (not an unknown or missing key) as a sentence."""
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    key = str(loc[-1]) if loc else ""
    if kind == "literal_error":
        values = _expected_values(error)
        allowed = ", ".join(f"'{v}'" for v in values[:-1]) + f" or '{values[-1]}'"
        close = difflib.get_close_matches(str(value).lower(), values, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"must be {allowed}, got {value!r}{hint}"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false (in lower case, no quotes), got {value!r}"
    if kind == "list_type":
        if isinstance(value, dict) and len(loc) == 1:
            return f"write [[{key}]] (two brackets): each entry is its own [[{key}]] table"
        if isinstance(value, str):
            return f'must be a list in brackets: {key} = ["{value}"]'
        return f"must be a list in brackets: {key} = [ … ]"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a table: write [{key}] on its own line, with its keys below it"
    if kind == "too_short" and isinstance(value, list):
        return _EMPTY.get(key, "cannot be empty: give at least one value")
    if kind == "string_too_short":
        return "cannot be empty"
    if kind == "string_too_long":
        return f"is too long (at most {ctx.get('max_length')} characters)"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number (no quotes), got {value!r}"
    if kind in ("float_parsing", "float_type"):
        return f"must be a number (no quotes; a decimal point, not a comma), got {value!r}"
    if kind in _BOUNDS:
        bound, sentence = _BOUNDS[kind]
        return f"{sentence.format(ctx.get(bound))}, got {value!r}"
    if kind == "string_type":
        return f"must be text in double quotes, got {value!r}"
    if kind == "string_pattern_mismatch":
        what = _PATTERNS.get(str(ctx.get("pattern")))
        if what:
            return f"{what}; got {value!r}"
    message = error["msg"].removeprefix("Value error, ")
    if isinstance(value, str) and message.startswith("unknown target"):
        # Not the model's "'apprise:…'": log redaction would take it for a target.
        return (
            f"unknown target {value!r}{target_hint(value)} (a target is 'slack:#channel', "
            "'email:name@example.fr', 'console:' or 'apprise:' and the service's URL)"
        )
    if isinstance(value, str) and "is not a duration" in message:
        hint = duration_hint(value)
        if hint:
            message = f"{value!r} is not a duration; {hint}"
    return message
