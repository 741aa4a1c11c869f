"""Route matches to targets: one notification per (item, distinct target).

A mention matched by several rules that share a target is sent there once,
with every rule named as the reason and the highest severity. A rule without
``notify`` (a pack rule) and a mention no rule claims go to the brand's own
``notify`` when it has one (an agency's client channel), else to
``[watchtower] default_notify``: one client's mention never reaches another
client's channel through the defaults.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from watchtower.config import Config
from watchtower.models import Match, Severity


@dataclass
class Route:
    """Everything one target receives about one item, and why."""

    target: str
    brands: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    severity: Severity = Severity.info

    def add(self, match: Match, severity: Severity) -> None:
        """Count ``match`` in: its brand, words and rule, each named once."""
        # Brands are config names (an identity :func:`targets_now` looks up):
        # compared exactly; words as a reader reads them.
        if match.brand not in self.brands:
            self.brands.append(match.brand)
        _extend_once(self.terms, match.surfaces)
        if match.rule and match.rule not in self.rules:
            self.rules.append(match.rule)
        self.severity = max(self.severity, severity)

    @property
    def reason(self) -> str:
        why = f"rules {', '.join(self.rules)}" if self.rules else "brand mention (default route)"
        return f"{why}; brands {', '.join(self.brands)}; terms {', '.join(self.terms)}"


def _extend_once(values: list[str], new: Sequence[str]) -> None:
    """Append each of ``new`` that ``values`` does not name yet, ignoring case
    and Unicode form: "Rappel de produit" at a sentence's start and "rappel de
    produit" later are one term to the reader. The first form seen is kept (a
    term's hits come in the order of the item, title first): the form the
    reader meets first, and no counting per notification."""
    seen = {_key(v) for v in values}
    for value in new:
        key = _key(value)
        if key not in seen:
            seen.add(key)
            values.append(value)


def _key(value: str) -> str:
    # NFC first: "é" typed as e + combining accent is the same word.
    return unicodedata.normalize("NFC", value).casefold()


def default_targets(config: Config) -> list[str]:
    """Targets for mentions no rule claims (or rules without ``notify``)."""
    if config.watchtower.default_notify is not None:
        return list(config.watchtower.default_notify)
    if config.slack is not None:
        return [f"slack:{config.slack.default_channel}"]
    return ["console:"]


def route(matches: Sequence[Match], config: Config) -> list[Route]:
    """Group ``matches`` by target."""
    rules = {r.name: r for r in config.rules}
    defaults = default_targets(config)
    by_brand = {b.name: list(b.notify) for b in config.brands if b.notify}
    routes: dict[str, Route] = {}
    for match in matches:
        rule = rules.get(match.rule) if match.rule else None
        severity = Severity[rule.severity] if rule else Severity.info
        # A rule's own targets, else the brand's (a client's channel), else the defaults.
        own = rule.notify if rule else None
        targets = own or by_brand.get(match.brand, defaults)
        for target in targets:
            routes.setdefault(target, Route(target)).add(match, severity)
    return list(routes.values())


def configured_targets(config: Config) -> set[str]:
    """Every target some part of ``config`` names: a row queued for another one
    was addressed by an earlier config (a webhook URL or a channel since corrected)."""
    found = set(default_targets(config)) | set(config.watchtower.ops_notify)
    for rule in config.rules:
        found.update(rule.notify, rule.escalate_notify)
    for brand in config.brands:
        found.update(brand.notify, brand.escalate_notify)
    if config.spikes is not None:
        found.update(config.spikes.notify, config.spikes.escalate_notify)
    for quiet in config.quiet_hours:
        found.update(quiet.targets)
    for entry in config.digests:
        found.update(entry.targets)
    return found


def targets_now(config: Config, rules: Sequence[str], brands: Sequence[str]) -> list[str] | None:
    """Where a notification queued for ``rules`` and ``brands`` would go under
    ``config`` (as :func:`route` sends it); ``None`` when one of its rules (or,
    for one no rule claimed, one of its brands) is no longer in the config: what
    it was for is gone, so it is not sent anywhere new."""
    by_rule = {r.name: r for r in config.rules}
    by_brand = {b.name: list(b.notify) for b in config.brands}
    if any(name not in by_rule for name in rules):
        return None
    if not rules and (not brands or any(name not in by_brand for name in brands)):
        return None
    defaults = default_targets(config)
    brand_targets = [t for name in brands for t in (by_brand.get(name) or defaults)]
    found: list[str] = []
    for name in rules or [""]:
        rule = by_rule.get(name)
        own = rule.notify if rule else None
        found.extend(t for t in (own or brand_targets or defaults) if t not in found)
    return found
