"""Where each key of a TOML text is: lines for ``FILE:LINE: key: message`` errors.

tomllib keeps no positions, so a small line scanner finds them; it only has
to be right for the lines it recognises (tables, arrays of tables, keys,
multi-line arrays and strings).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: Key path (``("sources", 2, "every")``) → 1-based line.
Lines = dict[tuple[str | int, ...], int]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")
_STRINGS = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'[^']*'|#.*$")


def locate_keys(text: str) -> Lines:
    """Map each table and key path of a TOML text to its 1-based line.

    tomllib keeps no positions, so this line scanner finds them for error
    messages; it only has to be right for the lines it recognises.
    """
    lines: Lines = {}
    counters: dict[tuple[str, ...], int] = {}
    table: tuple[str | int, ...] = ()
    depth = 0
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        code = _STRINGS.sub('""', line)
        if depth > 0:  # inside a multi-line array or inline table
            depth = max(
                0, depth + code.count("[") + code.count("{") - code.count("]") - code.count("}")
            )
            continue
        if m := _HEADER.match(line):
            names = tuple(p.strip().strip("\"'") for p in m.group(2).split("."))
            if m.group(1) == "[[":
                index = counters.get(names, -1) + 1
                counters[names] = index
                table = (*names, index)
                lines.setdefault(names, number)  # the array itself: its first entry
            else:
                table = names
            lines.setdefault(table, number)
        elif m := _KEY.match(line):
            key = tuple(p.strip().strip("\"'") for p in m.group(1).split("."))
            for end in range(1, len(key) + 1):  # a dotted key also defines its tables
                lines.setdefault((*table, *key[:end]), number)
            value = line[m.end() :]
            for quote in ('"""', "'''"):
                if value.count(quote) == 1:
                    in_multiline = quote
            rest = code[code.index("=") + 1 :] if "=" in code else ""
            depth = max(0, rest.count("[") + rest.count("{") - rest.count("]") - rest.count("}"))
    return lines


def line_for(loc: Sequence[str | int], lines: Lines) -> int | None:
    """The line of ``loc``, or of its closest enclosing table or key."""
    path = tuple(loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def dotted(loc: Sequence[str | int]) -> str:
    """``("rules", 0, "severity")`` → ``"rules[0].severity"``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
