"""A review's rating as pages write it, brought to the 0–5 scale every rule reads.

``ratingValue`` may be a number or text: "4", "4,5" (French decimal comma),
"4/5", "8 / 10", "12 sur 20", "3 étoiles". It is read out of ``bestRating``
(5 when absent or unreadable; "10,0" is 10) and scaled to 5:
``value / bestRating × 5``, clamped to 0–5. A value above 5 on a page that
gives no scale is read out of 10 when it fits, else out of 100 (none past
100). ``worstRating`` is not used: a
1/10 is 0.5/5 whether the page's scale starts at 0 or 1, so a rule like
``rating:<=2`` catches the same reviews on every site. The value as the page
gave it ("8/10") is kept for display.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from watchtower.adapters._appstore import out_of_five

__all__ = ["one_decimal", "out_of_five_text", "read_rating", "stars"]

_TENTH = Decimal("0.1")

# A rating written as text rather than a number: "4/5", "8 / 10", "4,5 sur 5",
# "4.5 out of 5", "3 étoiles", "2★". Anything else is no rating.
_NUMBER = r"\d{1,6}(?:[.,]\d{1,6})?"
_WRITTEN_RATING = re.compile(
    rf"\s*(?P<value>{_NUMBER})\s*(?:(?:/|sur|out\s+of|of)\s*(?P<best>{_NUMBER}))?"
    r"\s*(?:★|☆|⭐|étoiles?|etoiles?|stars?|points?|pts?)?\s*\Z",
    re.IGNORECASE,
)


def read_rating(value: Any) -> tuple[float | None, str]:
    """``(rating out of 5, raw text)`` from a ``Rating`` object or a bare number.

    A value that is not a finite number (``NaN``, ``Infinity``, ``1e999999``)
    is no rating (see :func:`~watchtower.adapters._appstore.out_of_five`);
    others are clamped to 0–5. A ``bestRating`` that is not a finite positive
    number is ignored: the rating is read out of 5.
    """
    best = 5.0
    scaled = False  # whether the page said out of what
    if isinstance(value, dict):
        try:
            best = float(str(value.get("bestRating") or 5).replace(",", "."))  # "10,0"
            scaled = value.get("bestRating") is not None
        except (TypeError, ValueError, OverflowError):
            best = 5.0
        if not (math.isfinite(best) and best > 0):
            best, scaled = 5.0, False
        value = value.get("ratingValue")
    try:
        raw = float(str(value).replace(",", "."))
    except (TypeError, ValueError):
        written = _WRITTEN_RATING.match(str(value)) if isinstance(value, str) else None
        if written is None:
            return None, ""
        # "4/5", "8 / 10", "4,5 sur 5", "3 étoiles": the number, and its scale
        # when the text gives one (it wins over a bestRating it contradicts).
        raw = float(written["value"].replace(",", "."))
        if written["best"]:
            best, scaled = float(written["best"].replace(",", ".")), True
            if not (math.isfinite(best) and best > 0):
                return None, ""
    if not math.isfinite(raw):
        return None, ""
    if not scaled and raw > best:
        inferred = _scale_of(raw)
        if inferred is None:
            return None, ""
        best = inferred
    if best != 5.0:
        share = min(max(raw / best, 0.0), 1.0)  # raw / best may overflow to ±inf
        return out_of_five(round(share * 5, 2)), f"{raw:g}/{best:g}"
    return out_of_five(raw), f"{raw:g}/5"


def _scale_of(raw: float) -> float | None:
    """The scale of a value above 5 on a page that does not give one: 10 when
    it fits, else 100 (percent); past 100, none. Read out of 5 and clamped, a
    20/100 would have been a full 5 stars, and a bad review missed by a
    ``rating:<=2`` rule. A 12 that meant 12/20 reads as 0.6/5: where a guess
    may be wrong, it errs towards showing the review to someone."""
    return next((scale for scale in (10.0, 100.0) if raw <= scale), None)


def stars(rating: float | None, raw: str) -> str:
    """``★★☆☆☆ 2/5``: the rating out of 5 as stars, then as the page gave it."""
    if rating is None or not math.isfinite(rating):
        return ""
    full = min(5, max(0, int(rating + 0.5)))
    return f"{'★' * full}{'☆' * (5 - full)} {raw}"


def out_of_five_text(rating: float | None) -> str:
    """``"1.6/5"``: a rating out of 5 to one decimal (half up), ``"?"`` without one."""
    if rating is None:
        return "?"
    return f"{float(one_decimal(rating)):g}/5"


def one_decimal(value: Any) -> Any:
    """A rating rounded half up to one decimal ("4.63" → "4.6"); others as they are."""
    try:
        number = Decimal(str(value).replace(",", ".").strip())
        if number.is_finite():
            return str(number.quantize(_TENTH, rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        pass
    return value
