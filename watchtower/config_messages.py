"""Plain words for what TOML, pydantic and the duration parser say about a config.

Marketing edits the file, not developers: "Cannot overwrite a value" becomes
"language is set twice (also on line 46): keep one", "Input should be a valid
boolean" becomes "must be true or false (no quotes)". Each function here turns
one library's message into a sentence that says what to write instead.
"""

from __future__ import annotations

import codecs
import difflib
import re
import tomllib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from watchtower.durations import parse_duration
from watchtower.errors import ConfigError, ConfigProblem

__all__ = [
    "bare_number_durations",
    "decode_config",
    "duration_hint",
    "plain_message",
    "toml_problem",
]


# ------------------------------------------------------------------ reading


def decode_config(data: bytes, shown: str) -> str:
    """The text of a config file: UTF-8, with or without a BOM (Windows Notepad).

    Another encoding is an error at the first line that is not UTF-8.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        message = "the file is saved as UTF-16 (“Unicode”): save it as UTF-8"
        raise ConfigError([ConfigProblem(shown, 1, "", message)])
    try:
        return data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = (
            "this line is not UTF-8 (the file was probably saved as Latin-1 or "
            "Windows-1252, which writes accents differently): save the file as UTF-8"
        )
        raise ConfigError([ConfigProblem(shown, line, "", message)]) from None


# ------------------------------------------------------------------- TOML

_TOML_POS = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
_AT_END = re.compile(r"\s*\(at end of document\)")
_STRINGS = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\"']+?)\s*=")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]")


def _code(line: str) -> str:
    """``line`` with its strings emptied and its comment removed."""
    return _STRINGS.sub('""', line).split("#", 1)[0]


def toml_problem(shown: str, text: str, error: tomllib.TOMLDecodeError) -> ConfigProblem:
    """A TOML syntax error at its line, in plain words with what to write instead."""
    raw = str(error)
    lines = text.splitlines()
    line: int | None = None
    column: int | None = None
    if m := _TOML_POS.search(raw):
        line, column = int(m.group(1)), int(m.group(2))
    message = _AT_END.sub("", _TOML_POS.sub("", raw)).strip()
    line, explained = _explain(message, line, column, lines)
    if explained:
        message = explained
    elif column:
        message += f" (column {column})"
    text_of_line = lines[line - 1] if line and line <= len(lines) else ""
    return ConfigProblem(
        shown, line, "", f"TOML syntax error: {message}{_quote_hint(text_of_line)}"
    )


def _quote_hint(line: str) -> str:
    """What usually causes a syntax error on this line, for people who write French."""
    if any(q in line for q in "“”«»‘’"):
        return '; “ ” « » ‘ ’ are not TOML quotes: write "…" (straight double quotes)'
    if line.count("'") >= 3 and "'''" not in line:
        return (
            "; an apostrophe ends a '…' string: write \"L'Oréal\" in double quotes, "
            "or a query in triple quotes"
        )
    return ""


def _explain(
    message: str, line: int | None, column: int | None, lines: list[str]
) -> tuple[int | None, str]:
    """(line, plain sentence) for a tomllib message; "" when there is nothing better."""
    here = lines[line - 1] if line and line <= len(lines) else ""
    if message == "Illegal character '\\n'" and here:
        quote = '"' if _code(here).count('"') % 2 or '"' in here else "'"
        return line, f"a {quote}…{quote} text is not closed: add {quote} at the end of the value"
    if message in ("Unterminated string", 'Expected "\'"'):
        opened = _unclosed_string(lines)
        return opened or line, "a text is not closed: add the closing quote at the end of the value"
    if message == "Unclosed array":
        opened = _unclosed_array(lines, line or len(lines) + 1)
        if opened:
            key = _KEY.match(lines[opened - 1])
            name = key.group(1) if key else "the list"
            return opened, f"the [ of {name} is not closed: end the list with ]"
        return line, "a list [ … ] is not closed: end it with ]"
    if message == "Cannot overwrite a value" and here:
        return line, _overwrite(here, line or 0, lines)
    if m := re.fullmatch(r"Cannot declare \((.*)\) twice", message):
        name = ".".join(p.strip().strip("'\"") for p in m.group(1).split(",") if p.strip())
        first = _first_header(lines, name, line or 0)
        single = here.lstrip().startswith("[") and not here.lstrip().startswith("[[")
        if single and first and lines[first - 1].lstrip().startswith("[["):
            return line, (
                f"[{name}] follows [[{name}]] entries: write [[{name}]] "
                "(two brackets) for every entry"
            )
        where = f" (first on line {first})" if first else ""
        return line, f"[{name}] appears twice{where}: put all its keys under one [{name}]"
    if message == "Invalid value" and column:
        return line, _invalid_value(here, column)
    if message.startswith("Expected '=' after a key"):
        if ":" in _code(here):
            return line, 'write key = value, with "=" (not ":")'
        if column and here[: column - 1].strip() and " " in here.split("=")[0].strip():
            return line, "a key cannot contain spaces: write it with _ (e.g. default_notify)"
        return line, "expected key = value on this line (a comment starts with #)"
    if message == "Invalid statement":
        return line, (
            "each line is key = value, a [table] header or a # comment; a key is "
            "written with letters a-z, digits, _ and - (no accents, no spaces)"
        )
    if message == "Expected newline or end of document after a statement" and column:
        after = here[column - 1 :].strip()
        if after.startswith(","):
            return line, "remove the ',' after the value (commas only separate list items)"
        return line, (
            f"unexpected {after[:20]!r} after the value (column {column}): one key = value "
            "per line, and a comment starts with #"
        )
    if message == "Unescaped '\\' in a string":
        return line, (
            "a \\ in \"…\" starts an escape: write \\\\, or use single quotes 'C:\\dossier'"
        )
    if message == "Expected ']' at the end of a table declaration":
        return line, "a [table] header is not closed: end it with ] (or ]] for [[…]])"
    return line, ""


def _unclosed_string(lines: list[str]) -> int | None:
    """The first line whose quotes do not pair (a string left open until the end)."""
    for number, line in enumerate(lines, start=1):
        rest = _STRINGS.sub("", line).split("#", 1)[0]
        if '"' in rest or "'" in rest:
            return number
    return None


def _unclosed_array(lines: list[str], before: int) -> int | None:
    """The ``key = [`` line above ``before`` whose brackets are not closed."""
    for number in range(min(before, len(lines) + 1) - 1, 0, -1):
        code = _code(lines[number - 1])
        if _HEADER.match(code) and number < before - 1:
            continue
        if _KEY.match(code) and code.count("[") > code.count("]"):
            return number
    return None


def _first_header(lines: list[str], name: str, before: int) -> int | None:
    for number, line in enumerate(lines[: max(before - 1, 0)], start=1):
        m = _HEADER.match(line)
        if m and ".".join(p.strip().strip("'\"") for p in m.group(2).split(".")) == name:
            return number
    return None


def _overwrite(here: str, line: int, lines: list[str]) -> str:
    header = _HEADER.match(here)
    if header and header.group(1) == "[[":
        name = header.group(2)
        return (
            f"[[{name}]] cannot follow a [{name}] table: write [[{name}]] "
            "(two brackets) for every entry, the first one too"
        )
    key = _KEY.match(here)
    if not key:
        return "this key is already set above"
    name = key.group(1)
    for number in range(line - 1, 0, -1):
        above = lines[number - 1]
        if _HEADER.match(above):
            break
        other = _KEY.match(above)
        if other and other.group(1) == name:
            return f"{name} is set twice (also on line {number}): keep one"
    return f"{name} is set twice in this table: keep one"


def _invalid_value(here: str, column: int) -> str:
    value = here[column - 1 :].split("#", 1)[0].strip()
    key = _KEY.match(here)
    name = key.group(1) if key else "key"
    if not value:
        return f"{name} has no value after ="
    if value[0] in "“«‘":
        return "the value is in typographic quotes"
    if value.lower() in ("true", "false", "vrai", "faux", "oui", "non", "yes", "no"):
        return "true and false are written in lower case, without quotes"
    if value[0].isalpha() or value[0] in "#@":
        return f'text values are written in double quotes: {name} = "{value}"'
    return f"{value[:30]!r} is not a TOML value (text goes in double quotes)"


# --------------------------------------------------------------- durations

_UNIT_WORDS = (
    (r"(?:milliseconde?s?|ms)", "ms"),
    (r"(?:secondes?|seconds?|secs?|sec|s)", "s"),
    (r"(?:minutes?|mins?|mn|m)", "m"),
    (r"(?:heures?|hours?|hrs?|h)", "h"),
    (r"(?:jours?|days?|j|d)", "d"),
    (r"(?:semaines?|weeks?|w)", "w"),
)
_NUMBER_UNIT = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-zé]*)")


def duration_hint(value: str) -> str:
    """What ``value`` (refused as a duration) was probably meant to be ("" if unsure)."""
    text = value.strip().lower()
    if re.fullmatch(r"\d+(?:[.,]\d+)?", text):
        return f"it needs a unit: '{text}s' (seconds), '{text}m' (minutes) or '{text}h' (hours)"
    parts = []
    pos = 0
    last_unit = ""
    for m in _NUMBER_UNIT.finditer(text):
        if text[pos : m.start()].strip(" ,et&and"):
            return ""
        number, word = m.group(1).replace(",", "."), m.group(2)
        unit = next((u for pattern, u in _UNIT_WORDS if re.fullmatch(pattern, word)), None)
        if unit is None and not word and last_unit in ("h", "m"):
            unit = "m" if last_unit == "h" else "s"  # "1h30" is 1h30m, "2m30" is 2m30s
        if unit is None:
            return ""
        parts.append(number + unit)
        last_unit = unit
        pos = m.end()
    if not parts or text[pos:].strip():
        return ""
    suggestion = "".join(parts)
    try:
        parse_duration(suggestion)
    except ValueError:
        return ""
    return f"did you mean '{suggestion}'?"


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


# ---------------------------------------------------------------- pydantic

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
    if kind == "greater_than_equal":
        return f"must be {ctx.get('ge')} or more, got {value!r}"
    if kind == "less_than_equal":
        return f"must be {ctx.get('le')} or less, got {value!r}"
    if kind == "greater_than":
        return f"must be more than {ctx.get('gt')}, got {value!r}"
    if kind == "less_than":
        return f"must be less than {ctx.get('lt')}, got {value!r}"
    if kind == "string_type":
        return f"must be text in double quotes, got {value!r}"
    if kind == "string_pattern_mismatch":
        what = _PATTERNS.get(str(ctx.get("pattern")))
        if what:
            return f"{what}; got {value!r}"
    message = error["msg"].removeprefix("Value error, ")
    if isinstance(value, str) and "is not a duration" in message:
        hint = duration_hint(value)
        if hint:
            message = f"{value!r} is not a duration; {hint}"
    return message


# -------------------------------------------------- time zones and schedules

_FRENCH_DAYS = {
    "lundi": "mon",
    "lun": "mon",
    "mardi": "tue",
    "mar": "tue",
    "mercredi": "wed",
    "mer": "wed",
    "jeudi": "thu",
    "jeu": "thu",
    "vendredi": "fri",
    "ven": "fri",
    "samedi": "sat",
    "sam": "sat",
    "dimanche": "sun",
    "dim": "sun",
    "week-end": "weekends",
    "weekend": "weekends",
    "week-ends": "weekends",
}


def schedule_hint(value: str, parse: Any) -> str:
    """``"; did you mean 'daily 22:00-07:00'?"`` for ``22h-7h``, if that form parses."""
    text = value.strip().lower()
    text = re.sub(r"\btous les jours\b|\bchaque jour\b|\bquotidien(?:ne)?\b", "daily", text)
    text = re.sub(r"\btoutes les heures\b|\bhoraire\b", "hourly", text)
    text = re.sub(
        r"\b(\d{1,2})\s*[h:]\s*(\d{2})?\b",
        lambda m: f"{int(m.group(1)):02d}:{m.group(2) or '00'}",
        text,
    )
    text = re.sub(r"\s*(?:-|à|a)\s*(?=\d{2}:)", "-", text)
    text = re.sub(r"[a-zé-]+", lambda m: _FRENCH_DAYS.get(m.group(0), m.group(0)), text)
    if re.fullmatch(r"\d{2}:\d{2}(?:-\d{2}:\d{2})?", text):
        text = f"daily {text}"
    if text == value.strip():
        return ""
    try:
        parse(text)
    except ValueError:
        return ""
    return f"; did you mean '{text}'?"


def zone_hint(value: str) -> str:
    """``"; did you mean 'Europe/Paris'?"`` for ``Paris``, ``europe/paris``, ``Europe/Pari``."""
    from zoneinfo import available_timezones

    zones = sorted(available_timezones())
    folded = value.strip().casefold().replace(" ", "_")
    same = [z for z in zones if folded in (z.casefold(), z.casefold().rsplit("/", 1)[-1])]
    same = same or difflib.get_close_matches(value, zones, n=1, cutoff=0.8)
    if same:
        return f"; did you mean {same[0]!r}?"
    return " (a zone name such as 'Europe/Paris', which follows summer time)"
