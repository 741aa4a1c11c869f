"""A summary's lines laid out within the room a Slack message leaves them.

A digest of many brands with long addresses does not fit in one message
(:mod:`.slack_render`: 50 blocks, about 12,000 characters of text in all).
Cutting its blocks afterwards could only say how many *blocks* were dropped; a
reader takes "… et 10 de plus" for ten mentions when fifty were left out. So
the summary lays out its own lines here, stops at the first that does not fit,
and counts what it leaves out in mentions, and in brands when whole brands go:
"… et 50 mentions de plus (5 marques)".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from watchtower.notify._text import plural, t

__all__ = ["Laid", "Line", "Room", "lay_out", "left_out_text"]

#: Characters kept for the line saying what was left out.
LEFT_OUT_ROOM = 100


@dataclass(frozen=True)
class Line:
    """One mrkdwn line of a summary and the mentions it accounts for: a story's
    rows, a brand's "… et 3 de plus"; 0 for a brand's heading."""

    text: str
    mentions: int = 0


@dataclass(frozen=True)
class Room:
    """What a message has left for a summary's lines: characters of text, blocks,
    and the characters one block holds."""

    chars: int
    blocks: int
    block_chars: int


@dataclass(frozen=True)
class Laid:
    """The lines that fit, as the texts of their sections (a group starts its
    own), and what did not: ``mentions`` and whole ``groups`` left out."""

    sections: list[str]
    mentions: int = 0
    groups: int = 0
    cut: bool = False


def lay_out(groups: Sequence[Sequence[Line]], room: Room) -> Laid:
    """``groups`` (a brand's heading, stories and "and N more"; or one list) in
    sections of at most ``room.block_chars`` characters, each group starting its
    own section, up to the first line that would not fit in ``room`` (less
    :data:`LEFT_OUT_ROOM` for the line saying what was left out). The lines
    after it are not shown: their mentions are counted, and the groups none of
    whose lines were shown."""
    chars, blocks = room.chars - LEFT_OUT_ROOM, room.blocks - 1
    sections: list[str] = []
    for index, lines in enumerate(groups):
        chunk = ""
        for k, line in enumerate(lines):
            joined = bool(chunk) and len(chunk) + 1 + len(line.text) <= room.block_chars
            need = len(line.text) + (1 if joined else 0)
            if need > chars or (not joined and blocks < 1):
                if chunk:
                    sections.append(chunk)
                mentions = sum(x.mentions for x in lines[k:])
                mentions += sum(x.mentions for rest in groups[index + 1 :] for x in rest)
                whole = len(groups) - index - (1 if k else 0)
                return Laid(sections, mentions, whole, cut=True)
            if not joined:
                if chunk:
                    sections.append(chunk)
                chunk, blocks = line.text, blocks - 1
            else:
                chunk = f"{chunk}\n{line.text}"
            chars -= need
        if chunk:
            sections.append(chunk)
    return Laid(sections)


def left_out_text(laid: Laid, language: str, *, groups_are_brands: bool) -> str:
    """What a cut summary leaves out, "… et 50 mentions de plus (5 marques)",
    or "" when nothing was cut. Never a count of anything but mentions and
    brands: with no mention left out, it says the rest did not fit."""
    if not laid.cut:
        return ""
    if not laid.mentions:
        return t(language, "cut")
    text = plural(language, "more_mentions", laid.mentions)
    if groups_are_brands and laid.groups:
        text += f" ({plural(language, 'more_brands', laid.groups)})"
    return text
