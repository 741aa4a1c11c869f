"""EUC-JP as browsers decode it (WHATWG), which Python's ``euc_jp`` codec does not.

WHATWG's EUC-JP reads its two-byte characters through the same JIS X 0208
index as its Shift_JIS, the one Windows uses (code page 932): with NEC's row 13
(① ② Ⅰ ㈱ ㍻ …) and the IBM extensions that NEC selected (rows 89–92: 髙 﨑
德 …, frequent in company and family names), and six symbols mapped to their
fullwidth forms (～ ∥ － ￠ ￡ ￢). Python's ``euc_jp`` is strict JIS X 0208:
the 457 characters of those rows are errors there, and the six are
〜 ‖ − ¢ £ ¬. A page in EUC-JP naming 髙島屋 lost its brand to U+FFFD.

Python's decoder still does the work (ASCII, JIS X 0212 after 0x8F,
half-width katakana after 0x8E, and the alignment of every pair): it calls an
error handler back only for the pairs it does not know, which reads a pair of
those rows through the Shift_JIS bytes of the same JIS X 0208 position
(``cp932`` decodes exactly WHATWG's index there), and the six symbols are
translated after. An error takes the bytes WHATWG's decoder drops with it
(:func:`_error_end`): Python's gives U+FFFD for a lead byte alone and reads
its trail byte as the next lead, which garbled the character after a pair
the index leaves empty. Left as Python reads it: 0x8F 0xA2 0xB7, ASCII ``~``
there and FULLWIDTH TILDE in WHATWG's JIS X 0212 index.
"""

from __future__ import annotations

import codecs

__all__ = ["decode_euc_jp"]

_STRICT = "watchtower-euc-jp-strict"
_REPLACE = "watchtower-euc-jp-replace"
# The six JIS X 0208 row 1–2 symbols WHATWG's index maps to fullwidth forms
# (Python's euc_jp decodes them from these pairs only: A1C1 A1C2 A1DD A1F1 A1F2 A2CC).
_SYMBOLS = "\u301c\u2016\u2212\u00a2\u00a3\u00ac"
_FULLWIDTH = str.maketrans(_SYMBOLS, "～∥－￠￡￢")
# Rows WHATWG's JIS X 0208 index fills and Python's euc_jp leaves empty:
# NEC's row 13 and the NEC-selected IBM extensions, rows 89–92.
_EXTENDED_LEADS = frozenset((0xAD, 0xF9, 0xFA, 0xFB, 0xFC))


def _shift_jis_pair(lead: int, trail: int) -> bytes:
    """The Shift_JIS bytes of the JIS X 0208 position EUC-JP writes ``lead trail``."""
    pointer = (lead - 0xA1) * 94 + (trail - 0xA1)
    first, second = divmod(pointer, 188)
    return bytes(
        (first + (0x81 if first < 0x1F else 0xC1), second + (0x40 if second < 0x3F else 0x41))
    )


def _extension(error: UnicodeError) -> tuple[str, int] | None:
    """The character of an extension pair at the error, and where to go on."""
    if not isinstance(error, UnicodeDecodeError):
        return None
    data, start = error.object, error.start
    pair = data[start : start + 2]
    extended = len(pair) == 2 and pair[0] in _EXTENDED_LEADS and 0xA1 <= pair[1] <= 0xFE
    # A JIS X 0212 pair follows 0x8F: it is not one of these.
    if extended and (start == 0 or data[start - 1] != 0x8F):
        try:
            return _shift_jis_pair(pair[0], pair[1]).decode("cp932"), start + 2
        except UnicodeDecodeError:
            return None  # a position the index leaves empty in these rows too
    return None


def _error_end(data: bytes, start: int) -> int:
    """Where an error at ``start`` ends in WHATWG's EUC-JP decoder: a lead byte
    (0x8E, 0x8F, 0xA1–0xFE) takes its trail byte with it (both trail bytes of
    a JIS X 0212 triple after 0x8F) unless that byte is ASCII, which is read
    again; the end of the data ends it; any other byte is an error alone."""
    lead, size = data[start], len(data)
    if not (lead in (0x8E, 0x8F) or 0xA1 <= lead <= 0xFE):
        return start + 1
    if lead == 0x8F and start + 1 < size and 0xA1 <= data[start + 1] <= 0xFE:
        start += 1  # JIS X 0212: the error is the pair after 0x8F
    if start + 1 >= size:
        return size
    return start + 1 if data[start + 1] < 0x80 else start + 2


def _strict(error: UnicodeError) -> tuple[str, int]:
    found = _extension(error)
    if found is None:
        raise error
    return found


def _replace(error: UnicodeError) -> tuple[str, int]:
    found = _extension(error)
    if found is None:
        if not isinstance(error, UnicodeDecodeError):
            raise error
        return "\ufffd", _error_end(error.object, error.start)
    return found


codecs.register_error(_STRICT, _strict)
codecs.register_error(_REPLACE, _replace)


def decode_euc_jp(data: bytes) -> tuple[str, int | None]:
    """``data`` read as WHATWG's EUC-JP, and the offset of its first
    undecodable byte (``None`` when there is none; such bytes read U+FFFD)."""
    try:
        text, bad = data.decode("euc_jp", _STRICT), None
    except UnicodeDecodeError as exc:
        text, bad = data.decode("euc_jp", _REPLACE), exc.start
    if any(symbol in text for symbol in _SYMBOLS):  # str.translate is slow on CJK text
        text = text.translate(_FULLWIDTH)
    return text, bad
