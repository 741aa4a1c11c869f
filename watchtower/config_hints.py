"""What a refused value was probably meant to be: ``"did you mean …?"`` hints.

People write durations, schedules and time zones the way they say them
(``1h30``, ``15 minutes``, ``22h-7h``, ``tous les jours``, ``Paris``); each hint
here rewrites the value in the form the config accepts, and offers it only if
that form really parses. Targets are written the way people say them too
(``#crise``, an e-mail address), and a brand's name pasted from elsewhere may
have another apostrophe (’ for '): :func:`target_hint` and :func:`lookalike_hint`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from watchtower.durations import parse_duration

__all__ = ["duration_hint", "lookalike_hint", "schedule_hint", "target_hint", "zone_hint"]


def _parses(parse: Callable[[str], Any], text: str) -> bool:
    """Whether ``parse`` accepts ``text`` (raises no ``ValueError``)."""
    try:
        parse(text)
    except ValueError:
        return False
    return True


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
    if not _parses(parse_duration, suggestion):
        return ""
    return f"did you mean '{suggestion}'?"


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
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}


def schedule_hint(value: str, parse: Any) -> str:
    """``"; did you mean 'daily 22:00-07:00'?"`` for ``22h-7h``, if that form parses."""
    text = value.strip().lower()
    text = re.sub(r"\btous les jours\b|\bchaque jour\b|\bquotidien(?:ne)?\b", "daily", text)
    text = re.sub(r"\btoutes les heures\b|\bhoraire\b", "hourly", text)
    # "hebdo lundi 8h30", "chaque lundi à 8h30", "every monday at 8:30": "weekly mon 08:30".
    text = re.sub(r"\bhebdo(?:madaire)?\b|\bchaque semaine\b|\bevery week\b", "weekly", text)
    text = re.sub(r"^(?:chaque|tous les|every|le|on)\s+([a-z]+?)s?\b", r"weekly \1", text)
    text = re.sub(
        r"\b(\d{1,2})\s*[h:]\s*(\d{2})?\b",
        lambda m: f"{int(m.group(1)):02d}:{m.group(2) or '00'}",
        text,
    )
    text = re.sub(r"(?<=[a-z])\s+(?:à|at)\s+(?=\d{2}:)", " ", text)  # a day, then its time
    text = re.sub(r"\s*(?:-|à|a)\s*(?=\d{2}:)", "-", text)
    text = re.sub(r"[a-zé-]+", lambda m: _FRENCH_DAYS.get(m.group(0), m.group(0)), text)
    if re.fullmatch(r"\d{2}:\d{2}(?:-\d{2}:\d{2})?", text):
        text = f"daily {text}"
    week = re.fullmatch(r"weekly(?: (\d{2}:\d{2}))?", text)
    if week and _parses(parse, "weekly mon 08:30"):  # "hebdo", "weekly 08:30": which day?
        at = week.group(1) or "08:30"
        return f"; a weekly digest names its day and time, e.g. 'weekly mon {at}'"
    if text == value.strip() or not _parses(parse, text):
        return ""
    return f"; did you mean '{text}'?"


#: Summer-time abbreviations people write for a zone; none of them is a zone name.
_ABBREVIATIONS = {
    "cest": "Europe/Paris",
    "bst": "Europe/London",
    "edt": "America/New_York",
    "cdt": "America/Chicago",
    "mdt": "America/Denver",
    "pdt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
}
_OFFSET = re.compile(r"(?:utc|gmt)?\s*[+-]\s*\d{1,2}(?::?\d{2})?")


def zone_hint(value: str) -> str:
    """``"; did you mean 'Europe/Paris'?"`` for ``Paris``, ``europe/paris``, ``Europe/Pari``.

    Never an ``Etc/GMT+1`` for ``GMT+1``: that name means UTC−1 (its sign is
    reversed), and a fixed offset misses summer time anyway; nor ``EST`` (New
    York's winter offset all year) for ``CEST``.
    """
    from zoneinfo import available_timezones

    folded_value = value.strip().casefold()
    if _OFFSET.fullmatch(folded_value):
        return (
            ": an offset does not follow summer time; use the place's zone name,"
            " such as 'Europe/Paris' (UTC+1 in winter, UTC+2 in summer)"
        )
    if folded_value in _ABBREVIATIONS:
        return (
            f"; did you mean {_ABBREVIATIONS[folded_value]!r}?"
            f" ({value.strip()} is an abbreviation, not a zone)"
        )
    zones = sorted(available_timezones())
    folded = value.strip().casefold().replace(" ", "_")
    same = [z for z in zones if folded in (z.casefold(), z.casefold().rsplit("/", 1)[-1])]
    same = same or difflib.get_close_matches(value, zones, n=1, cutoff=0.8)
    if same:
        return f"; did you mean {same[0]!r}?"
    return " (a zone name such as 'Europe/Paris', which follows summer time)"


#: Characters that look alike in an editor (apostrophes, spaces, dashes), each
#: to one form: a name copied from a web page or a Word document has the others.
_LOOKALIKE = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'"}
    | {"\u00a0": " ", "\u202f": " ", "\u2009": " "}
    | {"\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-"}
)
_CHARACTER_NAMES = {
    "'": "the straight apostrophe '",
    "\u2019": "the typographic apostrophe \u2019",
    "\u2018": "the opening quote \u2018",
    "\u02bc": "the modifier apostrophe \u02bc",
    "\u00b4": "the accent \u00b4",
    "`": "the backquote `",
    " ": "a space",
    "\u00a0": "a non-breaking space",
    "\u202f": "a narrow non-breaking space",
    "\u2009": "a thin space",
    "-": "the hyphen -",
    "\u2013": "the dash \u2013",
    "\u2014": "the dash \u2014",
    "\u2010": "the hyphen \u2010",
    "\u2011": "the non-breaking hyphen \u2011",
}


def lookalike_hint(written: str, known: str) -> str:
    """Which character differs when ``written`` differs from ``known`` only by
    characters that look the same (an apostrophe, a space, a dash); else "".

    "did you mean 'L’Oréal'?" for ``L'Oréal`` shows two names that look equal:
    this says which character differs.
    """
    if written == known or written.translate(_LOOKALIKE) != known.translate(_LOOKALIKE):
        return ""
    ours, theirs = next((w, k) for w, k in zip(written, known, strict=True) if w != k)
    return (
        f" (it has {_CHARACTER_NAMES[theirs]} where this has {_CHARACTER_NAMES[ours]}:"
        " copy the name exactly)"
    )


_TARGET_KINDS = {"mail": "email", "e-mail": "email", "courriel": "email"}
_EMAIL = re.compile(r"[^@\s:/]+@[^@\s:/]+\.[a-z]{2,}", re.IGNORECASE)


def target_hint(value: str) -> str:
    """What a target that names no kind (``#crise``, ``dircom@example.fr``) was meant to be.

    ``"; did you mean 'slack:#crise'?"``, or "" when unsure. Never repeats an
    ``apprise:`` URL: it may hold a token, and a message is no place for it.
    """
    text = value.strip()
    kind, sep, rest = text.partition(":")
    if sep and not rest.startswith("//"):
        folded = kind.strip().lower()
        kind = _TARGET_KINDS.get(folded, folded)
        if kind in ("slack", "email", "console") and kind != text.partition(":")[0]:
            return f"; did you mean '{kind}:{rest.strip()}'?"
    if "://" in text:
        return "; a web address (a webhook) goes after 'apprise:', in the same text"
    if _EMAIL.fullmatch(text):
        return f"; did you mean 'email:{text}'?"
    if text.lower() in ("slack", "console"):
        return f"; did you mean '{text.lower()}:'?"
    if re.fullmatch(r"[#@][\w.-]+", text):
        return f"; did you mean 'slack:{text.lower() if text[0] == '#' else text}'?"
    return ""
