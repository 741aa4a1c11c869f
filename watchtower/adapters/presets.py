"""Source presets: ``preset = "phpbb"`` plus ``base_url`` becomes a full source entry.

Presets are TOML files shipped in ``sources/`` (the package ``watchtower.presets``),
one per forum engine, each documented in its own comments. A preset fixes the
``kind`` and, for feed-based engines, the URL pattern (``url = "{base_url}/feed.php"``).
"""

from __future__ import annotations

import difflib
import functools
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from watchtower.adapters.forum_roots import forum_root

__all__ = ["Preset", "PresetError", "adds_to_root", "expand_preset", "presets"]

PACKAGE = "watchtower.presets"


@dataclass(frozen=True)
class Preset:
    """One ``sources/NAME.toml`` file."""

    name: str
    kind: str
    description: str
    url: str | None = None  # a pattern with {base_url}; None: the kind takes base_url itself


@functools.cache
def presets() -> dict[str, Preset]:
    """Every shipped preset, by name."""
    found = {}
    for resource in files(PACKAGE).iterdir():
        if resource.name.endswith(".toml"):
            data = tomllib.loads(resource.read_text(encoding="utf-8"))
            name = resource.name.removesuffix(".toml")
            found[name] = Preset(
                name=name,
                kind=str(data["kind"]),
                description=str(data.get("description", "")),
                url=data.get("url"),
            )
    return dict(sorted(found.items()))


class PresetError(ValueError):
    """A ``preset`` that cannot be expanded; the config loader adds file and line.

    ``key`` is the entry's key the problem is about (``preset``, or ``base_url``
    when it is not the forum's root)."""

    def __init__(self, message: str, key: str = "preset") -> None:
        super().__init__(message)
        self.key = key


#: What the discourse kind reads from its base_url (its first request).
_DISCOURSE_READS = "latest.json"


def adds_to_root(preset: Preset) -> str:
    """What ``preset`` makes of its ``base_url``, for messages: ``"the phpbb
    preset adds feed.php"``."""
    if preset.url is None:
        return f"the {preset.name} preset reads {_DISCOURSE_READS}"
    return f"the {preset.name} preset adds {preset.url.removeprefix('{base_url}/')}"


def _refused(entry: dict[str, Any], reason: str) -> dict[str, Any]:
    raise PresetError(reason)


def expand_preset(entry: dict[str, Any]) -> dict[str, Any]:
    """Replace ``preset`` (and ``base_url`` where the preset has a URL pattern).

    Entries without ``preset`` are returned unchanged; a bad one raises :class:`PresetError`.
    """
    if "preset" not in entry:
        return entry
    name = entry["preset"]
    preset = presets().get(str(name))
    if preset is None:
        known = ", ".join(presets())
        return _refused(entry, f"preset {name!r} does not exist; presets: {known}")
    if "kind" in entry and entry["kind"] != preset.kind:
        return _refused(entry, f"preset {preset.name!r} sets kind = {preset.kind!r}")
    expanded = {k: v for k, v in entry.items() if k != "preset"}
    expanded["kind"] = preset.kind
    if preset.url is not None:
        base_url = expanded.pop("base_url", None)
        if not isinstance(base_url, str) or not base_url:
            typo = difflib.get_close_matches("base_url", [str(k) for k in entry], n=1)
            hint = f" ({typo[0]!r}: did you mean 'base_url'?)" if typo else ""
            return _refused(entry, f"preset {preset.name!r} needs base_url{hint}")
        if "url" in expanded:
            return _refused(entry, f"preset {preset.name!r} sets url from base_url; remove url")
        _check_root(preset, base_url)
        expanded["url"] = preset.url.format(base_url=base_url.rstrip("/"))
    elif isinstance(expanded.get("base_url"), str):
        _check_root(preset, expanded["base_url"])
    return expanded


def _check_root(preset: Preset, base_url: str) -> None:
    """Refuse a ``base_url`` that is surely a page of the forum, not its root:
    the source would read ``…/index.php/feed.php``, the front page, and fail at
    every poll. Refused rather than mended, as the file's other mistakes are:
    the file stays what the daemon reads, and the message says what to write. A
    page that may be the install folder (XenForo's ``…/forums/``) is let through;
    ``watchtower check`` warns about it (:mod:`watchtower.config_lint`)."""
    found = forum_root(preset.name, base_url)
    if found is not None and found.certain:
        raise PresetError(found.message(adds_to_root(preset)), key="base_url")
