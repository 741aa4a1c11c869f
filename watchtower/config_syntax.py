"""Plain words for a config file that cannot be read: its encoding and TOML syntax.

Marketing edits the file, not developers: "Cannot overwrite a value" becomes
"language is set twice (also on line 46): keep one". :func:`decode_config`
names a file saved in another encoding than UTF-8; :func:`toml_problem` turns
tomllib's message into a sentence at its line that says what to write instead,
with the usual cause for people who write French (typographic quotes, an
apostrophe in a '…' string).
"""

from __future__ import annotations

import codecs
import re
import tomllib

from watchtower.errors import ConfigError, ConfigProblem

__all__ = ["decode_config", "toml_problem"]


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
        if column and here[column - 1 : column] in ('"', "'"):  # a value where , or ] was due
            return line, (
                "a comma is missing before this value: list items are separated by "
                'commas, as in ["Acmé", "Banque Acmé"]'
            )
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
