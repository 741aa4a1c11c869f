"""Rule packs: TOML files shipped in ``rules/`` (the package ``watchtower.rulepacks``).

(This module is ``packs``, not ``rulepacks``: that name belongs to the data package.)

A pack has a ``description``, named ``[vocabularies]`` (lists of terms usable in
any query as ``@name``) and ``[[rules]]`` tables (the same keys as a config rule).
``include = ["crisis-fr"]`` in the config appends the pack's rules; a config rule
with the same ``name`` as a pack rule overrides the keys it sets (e.g. ``notify``).
Vocabularies need no ``include``: ``@crisis_fr`` works in every query.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from watchtower.errors import ConfigError, ConfigProblem

__all__ = ["Pack", "expand_includes", "load_pack", "pack_names", "vocabularies"]

PACKAGE = "watchtower.rulepacks"
_PACK_KEYS = {"description", "vocabularies", "rules"}


class Pack(dict[str, Any]):
    """A parsed pack file: ``description``, ``vocabularies``, ``rules``."""


def _folder() -> Any:
    try:
        return resources.files(PACKAGE)
    except (ModuleNotFoundError, TypeError):  # a source tree that was never installed
        return Path(__file__).resolve().parent.parent / "rules"


@cache
def pack_names() -> tuple[str, ...]:
    """Names of the shipped packs (file names without ``.toml``)."""
    return tuple(sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".toml")))


@cache
def load_pack(name: str) -> Pack:
    """Read and check one pack; raise :class:`ValueError` with a plain message."""
    if name not in pack_names():
        known = ", ".join(pack_names()) or "none"
        raise ValueError(f"unknown rule pack {name!r}; available: {known}")
    text = (_folder() / f"{name}.toml").read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # a packaging bug, but say where
        raise ValueError(f"rule pack {name!r} is not valid TOML: {exc}") from None
    unknown = set(data) - _PACK_KEYS
    if unknown:
        raise ValueError(f"rule pack {name!r}: unknown key(s) {', '.join(sorted(unknown))}")
    vocab = data.get("vocabularies", {})
    if not isinstance(vocab, dict) or not all(
        isinstance(v, list) and all(isinstance(t, str) for t in v) for v in vocab.values()
    ):
        raise ValueError(f"rule pack {name!r}: vocabularies must be lists of strings")
    rules = data.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ValueError(f"rule pack {name!r}: rules must be [[rules]] tables")
    return Pack(description=data.get("description", ""), vocabularies=vocab, rules=rules)


@cache
def vocabularies() -> dict[str, tuple[str, ...]]:
    """Every shipped vocabulary by name (``crisis_fr`` → its terms)."""
    out: dict[str, tuple[str, ...]] = {}
    for name in pack_names():
        for vocab, terms in load_pack(name)["vocabularies"].items():
            out[vocab] = tuple(terms)
    return out


def expand_includes(raw: dict[str, Any], config_path: Path | str) -> dict[str, Any]:
    """Return ``raw`` with the rules of every included pack appended.

    A config rule named like a pack rule is merged over it (its keys win) instead
    of being a duplicate. Unknown packs raise :class:`ConfigError`.
    """
    includes = raw.get("include", [])
    if not includes:
        return raw
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        return raw  # the Config model reports the type error with its line
    problems: list[ConfigProblem] = []
    own_rules = raw.get("rules", [])
    if not isinstance(own_rules, list):
        return raw  # the Config model reports it
    rules = [dict(r) if isinstance(r, dict) else r for r in own_rules]
    by_name = {r.get("name"): r for r in rules if isinstance(r, dict)}
    for index, name in enumerate(includes):
        try:
            pack = load_pack(name)
        except ValueError as exc:
            problems.append(ConfigProblem(str(config_path), None, f"include[{index}]", str(exc)))
            continue
        for pack_rule in pack["rules"]:
            own = by_name.get(pack_rule.get("name"))
            if own is None:
                rules.append(dict(pack_rule))
            else:  # the config's keys win; the merged rule keeps the config's place
                merged = {**pack_rule, **own}
                own.clear()
                own.update(merged)
    if problems:
        raise ConfigError(problems)
    return {**raw, "rules": rules}
