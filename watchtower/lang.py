"""Language detection, offline: py3langid restricted to the languages we expect.

Why py3langid: a 4.6 MB wheel (numpy is its only dependency) against 96 MB for
lingua-language-detector's wheel; on a 1,100-character item it answers in about
0.16 ms, and it is right on short French and English reviews once restricted to
a handful of languages. It only runs when needed: items that carry a language
keep it, and the matcher asks only for candidates with a ``lang:`` clause.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watchtower.models import Item

__all__ = ["LANGUAGES", "detect", "detect_item"]

LANGUAGES = ("fr", "en", "de", "es", "it", "nl", "pt")
# Enough text to decide; bounds the time on a 1 MB item.
MAX_CHARS = 600
MIN_LETTERS = 12
MIN_CONFIDENCE = 0.5


@cache
def _identifier() -> Any:
    # Imported by name: the package has no type hints, and loading its model
    # takes half a second, so it happens on first use only.
    langid = importlib.import_module("py3langid.langid")
    modelio = importlib.import_module("py3langid.modelio")
    ptc, pc, classes, nextmove, row, output = modelio.load_model(
        langid.MODEL_DIR / langid.MODEL_FILE
    )
    # Only our languages' columns are kept: `set_languages` would keep the whole
    # 97-language table beside its subset (27 MiB of the daemon's memory, for ever).
    kept = [i for i, code in enumerate(classes) if code in LANGUAGES]
    return langid.LanguageIdentifier(
        ptc[:, kept].copy(),
        pc[kept].copy(),
        [classes[i] for i in kept],
        nextmove,
        output,
        norm_probs=True,
        tk_row=row,
    )


def load_model() -> None:
    """Load the language model now (at start) rather than inside the first batch that
    needs it, where it would hold the database writer for half a second."""
    _identifier()


def detect(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or ``None`` when too short or unsure."""
    sample = text[:MAX_CHARS]
    if sum(map(str.isalpha, sample)) < MIN_LETTERS:
        return None
    lang, confidence = _identifier().classify(sample)
    return str(lang) if confidence >= MIN_CONFIDENCE else None


def detect_item(item: Item) -> str | None:
    """The item's own ``lang`` if it has one, else the language of its title and text."""
    if item.lang:
        return item.lang.split("-")[0].lower()
    # Only the first MAX_CHARS are read: no need to copy a long text whole.
    return detect(f"{item.title}\n{item.text[:MAX_CHARS]}")
