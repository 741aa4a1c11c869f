"""ISO-2022-JP as browsers decode it (WHATWG), which Python's ``iso2022_jp`` does not.

Japanese e-mail is still mostly ISO-2022-JP, and written on Windows: its
JIS X 0208 characters come from code page 932, with NEC's row 13 (① ㈱ ㍻)
and the IBM rows (髙 﨑). WHATWG reads them through the same index as its
EUC-JP and Shift_JIS; Python's ``iso2022_jp`` is strict JIS X 0208 (U+FFFD for
each of those), reads 0x21 0x41 as 〜 where browsers read ～, and does not
know half-width katakana (``ESC ( I``), which WHATWG's decoder accepts.

The escape sequences split the bytes into runs, each decoded at once in its
character set: ASCII, JIS X 0201 Roman (¥ and ‾ for ``\\`` and ``~``),
katakana, or JIS X 0208, whose pairs are the EUC-JP pairs of the same
position less 0x80 each, so :func:`decode_euc_jp` reads them (WHATWG's
index). Errors are WHATWG's too: an unknown escape sequence is U+FFFD for its
ESC alone; two escape sequences in a row are U+FFFD; a lead byte without its
trail byte is U+FFFD; and no other encoding is switched to (``ESC $ ( D``,
JIS X 0212, and ISO-2022-JP-2's sets are errors in browsers). Text that
Python's codec reads as WHATWG does (ASCII and JIS X 0208 without Windows'
rows, no error) is decoded by it at once (:func:`_plain`): 2.7 times its
cost on 400 kB of Japanese, where a run at a time was 50 times.
"""

from __future__ import annotations

import codecs
import re

from watchtower.adapters._euc_jp import decode_euc_jp

__all__ = ["decode_iso_2022_jp"]

_REPLACEMENT = "\ufffd"
_ESCAPE = re.compile(rb"\x1b(?:\(B|\(J|\(I|\$@|\$B)")
# Each escape sequence WHATWG knows, and the character set it switches to.
_SETS = {b"\x1b(B": "ascii", b"\x1b(J": "roman", b"\x1b(I": "katakana"}
_SETS |= {b"\x1b$@": "jis0208", b"\x1b$B": "jis0208"}
# The single-byte sets, as charmap tables: every other byte is an error (ESC
# included: one that starts no known sequence is U+FFFD alone).
_ASCII = "".join(
    chr(byte) if byte < 0x80 and byte not in (0x0E, 0x0F, 0x1B) else _REPLACEMENT
    for byte in range(256)
)
_TABLES = {
    "ascii": _ASCII,
    "roman": _ASCII[:0x5C] + "\u00a5" + _ASCII[0x5D:0x7E] + "\u203e" + _ASCII[0x7F:],
    "katakana": "".join(
        chr(0xFF61 - 0x21 + byte) if 0x21 <= byte <= 0x5F else _REPLACEMENT for byte in range(256)
    ),
}
_PAIRS = re.compile(rb"(?:[\x21-\x7e]{2})+")
# A JIS X 0208 run holding a control or a space, which Python's iso2022_jp
# passes through and WHATWG's decoder calls an error (_plain).
_JIS_CONTROL = re.compile(rb"\x1b\$[@B][^\x00-\x20\x7f]*+[\x00-\x1a\x1c-\x20\x7f]")
# JIS X 0208 symbols WHATWG's index maps to fullwidth forms (as in _euc_jp).
_SYMBOLS = "\u301c\u2016\u2212\u00a2\u00a3\u00ac"
_FULLWIDTH = str.maketrans(_SYMBOLS, "～∥－￠￡￢")
_TO_EUC = bytes(byte | 0x80 for byte in range(256))  # JIS X 0208 pair -> EUC-JP pair


def _jis0208(run: bytes) -> tuple[list[str], int | None]:
    """A JIS X 0208 run read as WHATWG's decoder reads it, and its first error."""
    out: list[str] = []
    bad: int | None = None
    at = 0
    while at < len(run):
        pairs = _PAIRS.match(run, at)
        if pairs is not None:
            text, error = decode_euc_jp(pairs.group().translate(_TO_EUC))
            out.append(text)
            if bad is None and error is not None:
                bad = at + error
            at = pairs.end()
            continue
        bad = at if bad is None else bad
        out.append(_REPLACEMENT)
        # A lead byte (0x21-0x7E) takes a bad trail byte with it, but not an
        # ESC (an escape sequence starts there) nor the end of the run; any
        # other byte is an error alone.
        has_trail = 0x21 <= run[at] <= 0x7E and at + 1 < len(run) and run[at + 1] != 0x1B
        at += 2 if has_trail else 1
    return out, bad


def _run(run: bytes, charset: str) -> tuple[list[str], int | None]:
    """A run of bytes between escape sequences read in ``charset``, and its first error."""
    if charset == "jis0208":
        return _jis0208(run)
    text = codecs.charmap_decode(run, "strict", _TABLES[charset])[0]
    bad = text.find(_REPLACEMENT)  # one character per byte
    return [text], (bad if bad >= 0 else None)


def _plain(data: bytes) -> str | None:
    """``data`` decoded by Python's ``iso2022_jp`` when that is WHATWG's text,
    else ``None``: what e-mail and feeds almost always are, read in one call
    (a run at a time costs a Python call per escape sequence).

    Python's codec reads ASCII, JIS X 0201 Roman and JIS X 0208 as WHATWG
    does, but for the six symbols (translated here, as :mod:`._euc_jp` does)
    and some bytes it accepts where WHATWG's decoder sees errors: SO, SI and
    8-bit bytes, two escape sequences in a row, and controls or spaces inside
    a JIS X 0208 run. Those, and whatever Python cannot decode (Windows'
    rows, katakana, errors), take the exact path.
    """
    if not data.isascii() or b"\x0e" in data or b"\x0f" in data:
        return None
    if any(escape + b"\x1b" in data for escape in _SETS) or _JIS_CONTROL.search(data):
        return None
    try:
        text = data.decode("iso2022_jp")
    except UnicodeDecodeError:
        return None
    if any(symbol in text for symbol in _SYMBOLS):  # str.translate is slow on CJK text
        text = text.translate(_FULLWIDTH)
    return text


def decode_iso_2022_jp(data: bytes) -> tuple[str, int | None]:
    """``data`` read as WHATWG's ISO-2022-JP decoder reads it, and the offset
    of its first undecodable byte (``None`` when there is none)."""
    plain = _plain(data)
    if plain is not None:
        return plain, None
    out: list[str] = []
    bad: int | None = None
    charset = "ascii"
    escaped = False  # the last thing read was an escape sequence
    at = 0
    for escape in _ESCAPE.finditer(data):
        if escape.start() > at:
            text, error = _run(data[at : escape.start()], charset)
            out += text
            if bad is None and error is not None:
                bad = at + error
            escaped = False
        if escaped:
            out.append(_REPLACEMENT)
            bad = escape.start() if bad is None else bad
        charset = _SETS[escape.group()]
        escaped = True
        at = escape.end()
    if at < len(data):
        text, error = _run(data[at:], charset)
        out += text
        if bad is None and error is not None:
            bad = at + error
    return "".join(out), bad
