"""A message body fitted to an Apprise service's limit, saying what the cut left out.

The cut falls between lines and never in a link: a mention keeps its link,
the last line. Its last line says that something is missing, in the
configured language: "… (suite tronquée)" under a cut mention, spike alert or
notice; under a cut summary, how many of its entries were left out, as the
summary itself says it of what it does not list ("… et 12 de plus"; a digest:
"… et 40 de plus (12 sujets)", mentions and stories, as Slack and e-mail
count them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from watchtower.models import Notification, Severity
from watchtower.notify._text import SEVERITY_EMOJI, digest_apart_text, kind_of, plural, t
from watchtower.notify.apprise_markdown import _URL
from watchtower.notify.base import truncate
from watchtower.notify.digest_text import number, severity_counts, stories
from watchtower.notify.email_render import title_source

__all__ = ["CUT_KEY", "cut_text", "fit_lines", "left_out_line"]

_MAX_CUT_SHARE = 0.5  # cut a line in two only when at least this share of it fits
#: The catalogue key of the line ending a cut message.
CUT_KEY = "cut_message"


def cut_text(language: str) -> str:
    """ "… (suite tronquée)": the last line of a message cut to fit."""
    return t(language, CUT_KEY)


def _is_link(line: str) -> bool:
    return bool(_URL.fullmatch(line.strip()))


def fit_lines(
    lines: list[str],
    limit: int,
    render: Any,
    sep: str,
    *,
    keep_last: bool = False,
    left_out: Callable[[range], str] | None = None,
) -> str:
    """``lines`` rendered and joined by ``sep`` in at most ``limit`` characters.

    The cut falls between lines and its last line, ``left_out(indexes in
    lines of those not shown)`` ("…" without it), says what is missing; a line
    is cut in two only if it holds no link and most of it fits; with
    ``keep_last``, a last line that is a link (a mention's) is always kept,
    after it.
    """

    def join(rendered: list[str]) -> str:
        return sep.join(rendered).strip("\n")

    def note(rest: range) -> str:
        return render(left_out(rest)) if left_out else "…"

    whole = join([render(line) for line in lines])
    if len(whole) <= limit:
        return whole
    tail = [lines[-1]] if keep_last and lines and _is_link(lines[-1]) else []
    kept_tail = [render(line) for line in tail]
    body = lines[: len(lines) - len(tail)]
    # Room for the longest note: nothing shown (the most left out), or nothing
    # countable left out.
    end = len(body)
    reserve = max(len(note(range(end))), len(note(range(end, end))))
    room = limit - len(join(kept_tail)) - 2 * len(sep) - reserve
    kept: list[str] = []
    for index, line in enumerate(body):
        rendered = render(line)
        if len(join([*kept, rendered])) <= room:
            kept.append(rendered)
            continue
        # What a line put after ``kept`` may hold (a blank line last in
        # ``kept`` is stripped by ``join``, not its separator after it).
        left = room - len(join([*kept, "."])) + 1
        growth = len(rendered) - len(line)
        rest = range(index, end)
        if not _URL.search(line) and left - growth >= len(line) * _MAX_CUT_SHARE:
            kept.append(render(truncate(line, left - growth)))
            rest = range(index + 1, end)
        kept.append(note(rest))
        break
    return join([*kept, *kept_tail])


def left_out_line(n: Notification, language: str, lines: list[str]) -> Callable[[range], str]:
    """What the last line of ``n``'s cut body (``lines``) says of the lines not
    shown (their indexes): how many of a summary's entries, else :func:`cut_text`."""
    summary: dict[str, Any] = n.extra.get("summary") or {}
    if kind_of(n) != "summary" or not summary:
        return lambda rest: cut_text(language)
    digest = summary.get("reason") == "digest"
    counts = _line_counts(lines, summary, language, digest=digest)

    def text(rest: range) -> str:
        mentions = shown = 0
        known = True  # every line left out says how many stories it stands for
        for index in rest:
            if (found := counts[index]) is not None:
                mentions += found[0]
                shown += found[1] or 0
                known = known and found[1] is not None
        if not mentions:
            return cut_text(language)
        if not digest:
            return t(language, "more").format(count=mentions)
        if not known:
            return plural(language, "more_mentions", mentions, shown=number(mentions, language))
        told = plural(language, "stories", shown, shown=number(shown, language))
        return t(language, "digest_more").format(count=number(mentions, language), stories=told)

    return text


#: An entry line's head ("🚨 Acmé rachète Globex") and the mentions it stands for.
_Entry = tuple[str, int]


def _line_counts(
    lines: list[str], summary: dict[str, Any], language: str, *, digest: bool
) -> list[tuple[int, int | None] | None]:
    """For each of a summary's ``lines``: (mentions, stories or None when
    unsaid) it stands for, or None (a heading, an address, a blank line).

    An entry line is its story's own, found by its place, not by its text: two
    stories may share a title (and a severity), never a place. Each brand's
    heading starts its list, the entries it shows in their order (a summary its
    mentions, a digest its stories; a digest's critical alerts sent at once
    under their own heading): the n-th entry line after it is the n-th entry.
    """
    items = list(summary.get("items") or [])
    listed = stories(items) if digest else [dict(i, mentions=1) for i in items]
    apart: list[_Entry] = [(_entry_head(a, language), 1) for a in summary.get("apart") or []]
    every: list[_Entry] = [(_entry_head(e, language), int(e.get("mentions") or 1)) for e in listed]
    # Each heading and the entries it lists, as the e-mail text lays them out.
    sections: dict[str, list[_Entry]] = {}
    for brand, severities in (summary.get("by_brand") or {}).items():
        head = f"{brand} — {severity_counts(severities, language, grouped=digest)}"
        sections[head] = [
            entry
            for entry, e in zip(every, listed, strict=True)
            if brand in (e.get("brands") or [])
        ]
    if digest and (heading := digest_apart_text(summary, language)):
        sections[heading] = apart
    counted = _counted_lines(language)
    entries, at = [*apart, *every], 0  # before any heading: any entry, in order
    out: list[tuple[int, int | None] | None] = []
    for line in lines:
        if line in sections:
            entries, at = sections[line], 0
            out.append(None)
        elif (k := _entry_at(line, entries, at)) is not None:
            out.append((entries[k][1], 1))
            at = k + 1
        elif line.startswith("…"):
            out.append(_count(line, counted))
        else:
            out.append(None)
    return out


def _entry_head(entry: dict[str, Any], language: str) -> str:
    """An entry's line up to its source: "🚨 Acmé rachète Globex"."""
    emoji = SEVERITY_EMOJI[Severity[str(entry.get("severity") or "info")]]
    return f"{emoji} {title_source(entry, language)[0]}"


def _entry_at(line: str, entries: list[_Entry], at: int) -> int | None:
    """The index of the first of ``entries`` from ``at`` that ``line`` lists
    ("🚨 title" or "🚨 title — source", a title may hold " — " too), if any."""
    for k in range(at, len(entries)):
        head = entries[k][0]
        if line == head or line.startswith(head + " — "):
            return k
    return None


def _counted_lines(language: str) -> list[tuple[re.Pattern[str], bool]]:
    """The lines by which a summary says how much it does not list, as patterns
    (their ``count`` the mentions), each with whether it names stories."""
    templates = [(t(language, "digest_more"), True), (t(language, "more"), False)]
    templates += [(t(language, f"more_mentions_{n}"), False) for n in ("one", "other")]
    return [(_pattern(text), stories) for text, stories in templates]


def _pattern(template: str) -> re.Pattern[str]:
    """``template`` as a pattern, each ``{name}`` a group of that name."""
    parts = re.split(r"(\{\w+\})", template)
    return re.compile(
        "".join(f"(?P<{p[1:-1]}>.+?)" if p.startswith("{") else re.escape(p) for p in parts)
        + r"(?: \(.*\))?$"
    )


def _count(
    line: str, counted: Iterable[tuple[re.Pattern[str], bool]]
) -> tuple[int, int | None] | None:
    """(mentions, stories or None when unsaid) of a "… et 12 de plus" line;
    None for another line."""
    for pattern, names_stories in counted:
        if m := pattern.match(line):
            mentions = _digits(m.group("count"))
            if mentions is None:
                continue
            return mentions, _digits(m.group("stories")) if names_stories else None
    return None


def _digits(text: str) -> int | None:
    """The number written in ``text`` ("1 234", "1,234", "12 sujets"), if any."""
    digits = re.sub(r"\D", "", text)
    return int(digits) if digits else None
