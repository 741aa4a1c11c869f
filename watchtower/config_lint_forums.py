"""Warnings about a forum's ``base_url`` that may be a page rather than the root.

A forum's ``base_url`` that is surely a page (``…/index.php``, ``…/latest``) is
refused when the config loads, a preset's (:mod:`watchtower.adapters.presets`)
and a ``kind = "discourse"`` source's (its settings model) alike
(:func:`~watchtower.adapters.forum_roots.page_refusal`). What is left to warn
about: a page that may also be the folder the forum is installed in (XenForo's
``…/forums/``: only its owner knows).
:func:`~watchtower.adapters.forum_roots.forum_root` decides for all.
"""

from __future__ import annotations

from watchtower.config_models import Config
from watchtower.config_refs import problem
from watchtower.errors import ConfigProblem
from watchtower.tomllines import Lines

__all__ = ["forum_root_warnings"]


def forum_root_warnings(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """A warning at the ``base_url`` of each forum source that may not be the
    forum's root, saying what to write instead."""
    from watchtower.adapters.forum_roots import DISCOURSE_KIND_ADDS, forum_root
    from watchtower.adapters.presets import adds_to_root, presets

    warnings = []
    for index, source in enumerate(config.sources):
        loc = ("sources", index, "base_url")
        if loc not in lines:  # no base_url written: a url, or another kind
            continue
        if source.kind == "discourse":
            engine, base_url = "discourse", str(getattr(source, "base_url", ""))
            if ("sources", index, "preset") in lines:
                adds = adds_to_root(presets()["discourse"])
            else:
                adds = DISCOURSE_KIND_ADDS
        else:
            # A feed preset made url from base_url: find which, and the base_url.
            url = str(getattr(source, "url", ""))
            made = [
                (preset, url.removesuffix(suffix))
                for preset in presets().values()
                if preset.url is not None
                and url.endswith(suffix := preset.url.removeprefix("{base_url}"))
            ]
            if len(made) != 1:
                continue
            preset, base_url = made[0]
            engine, adds = preset.name, adds_to_root(preset)
        found = forum_root(engine, base_url)
        if found is not None:
            warnings.append(problem(path, loc, found.message(adds), lines))
    return warnings
