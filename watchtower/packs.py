"""Rule packs: TOML files shipped in ``rules/`` (the package ``watchtower.rulepacks``).

(This module is ``packs``, not ``rulepacks``: that name belongs to the data package.)

A pack has a ``description``, named ``[vocabularies]`` (lists of terms usable in
any query as ``@name``) and ``[[rules]]`` tables (the same keys as a config rule).
``include = ["crisis-fr"]`` in the config appends the pack's rules; a config rule
with the same ``name`` as a pack rule overrides the keys it sets (e.g. ``notify``).
A config rule with ``extends = "crisis-fr"`` is a copy of that pack rule under its
own name, its keys winning (an agency narrows the pack per client: one rule per
brand, each with its own ``notify``); an included pack rule that some config rule
extends is not added itself, unless a config rule overrides it by name.
Vocabularies and ``extends`` need no ``include``: ``@crisis_fr`` works in every query.
"""

from __future__ import annotations

import difflib
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from watchtower.errors import ConfigError, ConfigProblem

__all__ = [
    "Pack",
    "expand_includes",
    "load_pack",
    "pack_names",
    "pack_rule",
    "pack_rules",
    "vocabularies",
]

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


def pack_rules() -> dict[str, dict[str, Any]]:
    """Every shipped pack rule by name (``crisis-fr`` → its keys), for ``extends``
    (not cached itself: a reload clears :func:`load_pack`'s cache)."""
    out: dict[str, dict[str, Any]] = {}
    for name in pack_names():
        for rule in load_pack(name)["rules"]:
            out.setdefault(str(rule.get("name")), rule)
    return out


def pack_rule(name: str) -> dict[str, Any]:
    """The pack rule a config rule ``extends``; :class:`ValueError` naming the known ones."""
    rules = pack_rules()
    if name in rules:
        return rules[name]
    close = difflib.get_close_matches(name, list(rules), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    known = ", ".join(sorted(rules)) or "none"
    raise ValueError(f"unknown pack rule {name!r}{hint} (pack rules: {known})")


def _extended(rules: list[Any]) -> set[str]:
    """Resolve ``extends`` in place: each such rule gets the pack rule's keys it
    does not set. Returns the pack rules extended (an unknown name is left for
    the Config model, which reports it at its line)."""
    names: set[str] = set()
    for rule in rules:
        if not isinstance(rule, dict) or not isinstance(rule.get("extends"), str):
            continue
        try:
            base = pack_rule(rule["extends"])
        except ValueError:
            continue
        names.add(rule["extends"])
        merged = {**{k: v for k, v in base.items() if k != "name"}, **rule}
        rule.clear()
        rule.update(merged)
    return names


def expand_includes(raw: dict[str, Any], config_path: Path | str) -> dict[str, Any]:
    """Return ``raw`` with the rules of every included pack appended.

    A config rule named like a pack rule is merged over it (its keys win) instead
    of being a duplicate. A config rule with ``extends = "crisis-fr"`` gets that
    pack rule's keys it does not set; an included pack rule so extended is not
    appended itself (each extension, narrowed to its brands, replaces it), unless
    a config rule overrides it by name. Unknown packs raise :class:`ConfigError`.
    """
    includes = raw.get("include", [])
    own_rules = raw.get("rules", [])
    if not isinstance(own_rules, list):
        return raw  # the Config model reports it
    rules = [dict(r) if isinstance(r, dict) else r for r in own_rules]
    extended = _extended(rules)
    if not includes:
        return {**raw, "rules": rules} if extended else raw
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        return {**raw, "rules": rules}  # the Config model reports the type error with its line
    problems: list[ConfigProblem] = []
    by_name = {r.get("name"): r for r in rules if isinstance(r, dict)}
    for index, name in enumerate(includes):
        try:
            pack = load_pack(name)
        except ValueError as exc:
            problems.append(ConfigProblem(str(config_path), None, f"include[{index}]", str(exc)))
            continue
        for keys in pack["rules"]:
            own = by_name.get(keys.get("name"))
            if own is None:
                if keys.get("name") not in extended:
                    rules.append(dict(keys))
            else:  # the config's keys win; the merged rule keeps the config's place
                merged = {**keys, **own}
                own.clear()
                own.update(merged)
    if problems:
        raise ConfigError(problems)
    return {**raw, "rules": rules}
