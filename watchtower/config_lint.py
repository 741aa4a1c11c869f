"""Warnings: a valid configuration that probably does not do what its author meant.

``watchtower check`` prints them after its OK line, and the daemon logs them at
start and on reload. They never stop a config: each names something that can be
intended (a rule with no query fires on every mention, on purpose or not).
Those about a brand's terms are :mod:`watchtower.config_lint_terms`, those
about a rule that can never fire :mod:`watchtower.config_lint_rules`, those
about a forum's ``base_url`` :mod:`watchtower.config_lint_forums`.
"""

from __future__ import annotations

import difflib

from watchtower.config_lint_forums import forum_root_warnings
from watchtower.config_lint_rules import never_firing_rules
from watchtower.config_lint_terms import (
    everyday_match_case,
    everyday_terms,
    fuzzy_everyday_typos,
    fuzzy_without_effect,
    lossy_terms,
)
from watchtower.config_models import Config
from watchtower.config_refs import problem
from watchtower.errors import ConfigProblem
from watchtower.tomllines import Lines


def config_warnings(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """Every warning for ``config``, read from ``path`` (``lines`` locates keys)."""
    warnings: list[ConfigProblem] = []
    if not config.brands:
        warnings.append(problem(path, (), "no [[brands]]: no mention can be found", lines))
    if not config.sources:
        warnings.append(problem(path, (), "no [[sources]]: nothing is listened to", lines))
    warnings += _all_paused(path, config, lines)
    warnings += _query_warnings(path, config, lines)
    warnings += never_firing_rules(path, config, lines)
    warnings += lossy_terms(path, config, lines)
    warnings += everyday_terms(path, config, lines)
    warnings += everyday_match_case(path, config, lines)
    warnings += fuzzy_without_effect(path, config, lines)
    warnings += fuzzy_everyday_typos(path, config, lines)
    warnings += _pack_rule_lookalikes(path, config, lines)
    warnings += _imap_port_mismatch(path, config, lines)
    warnings += _fixed_offset_zones(path, config, lines)
    warnings += _defaults_across_clients(path, config, lines)
    warnings += _oncall_without_spikes(path, config, lines)
    warnings += _example_placeholders(path, config, lines)
    warnings += _private_literal_hosts(path, config, lines)
    warnings += forum_root_warnings(path, config, lines)
    return warnings


def _all_paused(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """Every ``[[sources]]`` with ``enabled = false``: the daemon runs and polls
    nothing, as with no ``[[sources]]`` at all. Pausing them is the operator's
    choice (a maintenance, an outbox to drain), so a warning, not an error."""
    from watchtower.nothing_fetched import listed_names

    if not config.sources or any(source.enabled for source in config.sources):
        return []
    names = listed_names([source.name for source in config.sources])
    if len(config.sources) == 1:
        paused = f"the only source is paused (enabled = false: {names})"
    else:
        paused = f"all {len(config.sources)} sources are paused (enabled = false: {names})"
    return [problem(path, ("sources",), f"{paused}: nothing is listened to", lines)]


#: What to write instead, by source kind.
_YOUR_OWN = {
    "google_alerts": 'your own Google Alerts feed (in Google Alerts: "Deliver to: RSS feed")',
    "rss": "your own feed's address",
    "reviews": "your own review page's address",
    "html": "your own page's address",
    "discourse": "your own forum's address",
    "imap": "your own mail server, username and password_env",
}


def _example_placeholders(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """Sources still pointing at config.example.toml's placeholders, or at a domain
    reserved for documentation: the daemon does not poll them
    (:func:`watchtower.placeholders.placeholder` decides for both)."""
    from watchtower.placeholders import placeholder

    warnings = []
    for index, source in enumerate(config.sources):
        held = placeholder(source)
        if not source.enabled or held is None:
            continue
        if source.kind == "imap":
            key = "host"
        else:
            # A preset's url is made from its base_url, the key written in the file.
            key = next((k for k in ("url", "base_url") if ("sources", index, k) in lines), "url")
        what = _YOUR_OWN.get(source.kind, "your own address")
        if key == "base_url":
            what = "your own forum's address"
        if held.example:
            message = (
                f"still the example's placeholder: replace it with {what}, or remove this "
                f"source; until then it brings nothing (watchtower does not poll it)"
            )
        else:
            message = (
                f"{held.host} is reserved for documentation (RFC 2606): replace it with "
                f"{what}, or remove this source; until then watchtower does not poll it"
            )
        warnings.append(problem(path, ("sources", index, key), message, lines))
    return warnings


def _private_literal_hosts(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """Sources written with a private or loopback address (``127.0.0.1``,
    ``localhost``, ``192.168.…``) without ``allow_private``: every fetch is
    refused, so ``check`` says it before the first poll round does. Only what
    the file spells out is judged (no DNS look-up here)."""
    import ipaddress

    from watchtower.adapters._net import address_refusal
    from watchtower.adapters.hosts import server_host, url_host

    warnings = []
    for index, source in enumerate(config.sources):
        if not source.enabled or source.allow_private:
            continue
        if source.kind == "imap":
            key, host = "host", server_host(str(getattr(source, "host", "")))
        else:
            key = next((k for k in ("url", "base_url") if ("sources", index, k) in lines), "url")
            address = getattr(source, "url", None) or getattr(source, "base_url", None)
            host = url_host(str(address or ""))
        try:
            ip = ipaddress.ip_address("127.0.0.1" if host == "localhost" else host)
        except ValueError:
            continue  # a name: only the fetch's DNS answer tells
        refusal = address_refusal(ip, allow_private=False)
        if refusal is not None:
            message = f"every fetch will be refused: {refusal[1]}"
            warnings.append(problem(path, ("sources", index, key), message, lines))
    return warnings


def _rule_loc(index: int, key: str, lines: Lines) -> tuple[str | int, ...]:
    """Where a warning about rule ``index`` points: its key, or ``include`` for a
    rule that an included pack added (it has no line in the file; the next
    lines would be another rule's)."""
    return ("rules", index, key) if ("rules", index) in lines else ("include",)


def _pack_of(rule: str, config: Config) -> str | None:
    """The included pack a rule comes from."""
    from watchtower import packs

    for name in config.include:
        if any(r.get("name") == rule for r in packs.load_pack(name)["rules"]):
            return name
    return None


def _oncall_without_spikes(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """``escalate_to``/``escalate_notify`` serve spike alerts only: a brand's
    without [spikes], a rule's without its own ``spikes = true``, page nobody
    and escalate nothing, and ``check`` said OK.
    A manager reading ``escalate_to`` on a crisis rule believes a critical recall
    pages the on-call person; no mention ever does."""
    warnings = []
    if config.spikes is None or not config.spikes.enabled:
        why = (
            "there is no [spikes] section" if config.spikes is None else "[spikes] enabled = false"
        )
        warnings += [
            problem(
                path,
                ("brands", index, key),
                f"no effect: a brand's {key} serves its [spikes] alerts, and {why}",
                lines,
            )
            for index, brand in enumerate(config.brands)
            for key in ("escalate_to", "escalate_notify")
            if getattr(brand, key)
        ]
    for index, rule in enumerate(config.rules):
        if rule.spikes:
            continue
        for key in ("escalate_to", "escalate_notify"):
            # Not ack_timeout: the example config writes its default on a rule
            # without spikes, and without these two it escalates nothing anyway.
            if not getattr(rule, key):
                continue
            loc = _rule_loc(index, key, lines)
            named = ""
            if loc == ("include",):  # a pack's rule: no line of its own in the file
                pack = _pack_of(rule.name, config)
                origin = f" (a rule of the included pack {pack!r})" if pack else ""
                named = f"rule {rule.name!r}{origin}: "
            message = (
                f"{named}no effect: a rule's {key} serves its spike alerts, and this rule "
                "has no `spikes = true`: its mentions page nobody and never escalate"
            )
            warnings.append(problem(path, loc, message, lines))
    return warnings


def _defaults_across_clients(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """Brands sent to their own targets by rules (an agency's client channels),
    yet a rule without ``notify`` (a pack rule such as crisis-fr) sends their
    mentions to ``default_notify``: every client's crises in one place."""
    from watchtower import packs
    from watchtower.pipeline.route import default_targets

    own: dict[str, list[str]] = {}  # brand → the rules sending it to its own targets
    for rule in config.rules:
        if rule.notify and rule.brands and len(rule.brands) < len(config.brands):
            for brand in rule.brands:
                own.setdefault(brand, []).append(rule.name)
    routed = {b.name for b in config.brands if b.notify}
    defaults = ", ".join(default_targets(config))
    warnings = []
    for index, rule in enumerate(config.rules):
        if rule.notify:
            continue
        names = [b.name for b in config.brands if rule.brands is None or b.name in rule.brands]
        leaking = [n for n in names if n in own and n not in routed]
        if not leaking or len(names) < 2:
            continue
        example = leaking[0]
        base = rule.extends or (rule.name if rule.name in packs.pack_rules() else None)
        per_brand = f'`extends = "{base}"`, ' if base else ""
        loc = _rule_loc(index, "name", lines)
        pack = _pack_of(rule.name, config) if loc == ("include",) else None
        origin = f" (a rule of the included pack {pack!r})" if pack else ""
        warnings.append(
            problem(
                path,
                loc,
                f"rule {rule.name!r} has no notify{origin}: its mentions of "
                f"{', '.join(repr(n) for n in leaking)} go to default_notify ({defaults}), "
                f"not where rule {own[example][0]!r} sends {example!r}; give each brand "
                f"its own `notify` in [[brands]], or write one rule per brand with "
                f"{per_brand}`brands` and `notify`",
                lines,
            )
        )
    return warnings


def _fixed_offset_zones(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """``EST`` or ``Etc/GMT-1``: valid zones that never change for summer time, so
    quiet hours, digests and times in messages are an hour off half the year. A
    place's zone without summer time (``Asia/Tokyo``) and UTC are not warned about."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    found: list[tuple[tuple[str | int, ...], str]] = [
        (("watchtower", "timezone"), config.watchtower.timezone)
    ]
    found += [
        (("quiet_hours", i, "timezone"), q.timezone)
        for i, q in enumerate(config.quiet_hours)
        if q.timezone
    ]
    found += [
        (("digests", i, "timezone"), d.timezone) for i, d in enumerate(config.digests) if d.timezone
    ]
    warnings = []
    for loc, name in found:
        zone = ZoneInfo(name)
        year = datetime.now(UTC).year
        winter = datetime(year, 1, 15, tzinfo=UTC).astimezone(zone).utcoffset()
        summer = datetime(year, 7, 15, tzinfo=UTC).astimezone(zone).utcoffset()
        legacy = "/" not in name or name.startswith("Etc/")  # not a place's name
        if legacy and winter == summer and winter:  # UTC itself (offset 0) is meant
            message = (
                f"{name!r} is a fixed offset that never changes for summer time; use the"
                " place's zone name, such as 'Europe/Paris' or 'America/New_York'"
            )
            warnings.append(problem(path, loc, message, lines))
    return warnings


def _query_warnings(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    from watchtower.pipeline.match.query_lint import query_warnings

    warnings = []
    for index, rule in enumerate(config.rules):
        loc = _rule_loc(index, "query", lines)
        named = f"rule {rule.name!r}: " if loc == ("include",) else ""
        for warning in query_warnings(rule.query or ""):
            warnings.append(problem(path, loc, named + warning, lines))
    return warnings


def _pack_rule_lookalikes(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """A rule meant to override a pack rule, but misnamed, is a new rule; without
    a query it fires on every mention of its brands."""
    from watchtower import packs

    pack_rules: set[str] = set()
    for name in packs.pack_names():
        pack_rules.update(str(r.get("name")) for r in packs.load_pack(name)["rules"])
    names = sorted(pack_rules)
    warnings = []
    for index, rule in enumerate(config.rules):
        if rule.query is not None or rule.name in pack_rules:
            continue
        close = difflib.get_close_matches(rule.name, names, n=1, cutoff=0.8)
        if close:
            warnings.append(
                problem(
                    path,
                    ("rules", index, "name"),
                    f"this rule has no query, so it fires on every mention; "
                    f"did you mean to override the pack rule '{close[0]}'?",
                    lines,
                )
            )
    return warnings


def _imap_port_mismatch(path: str, config: Config, lines: Lines) -> list[ConfigProblem]:
    """An IMAP port used with the other kind of TLS: the server and the daemon
    then wait for each other, and every check times out."""
    from watchtower.adapters.imap import ImapSettings

    warnings = []
    for index, source in enumerate(config.sources):
        if not isinstance(source, ImapSettings) or source.port not in (993, 143):
            continue
        if source.port == 993 and source.tls != "implicit":
            message = (
                f'port 993 expects TLS from the first byte, not tls = "{source.tls}": '
                'write tls = "implicit", or port = 143'
            )
        elif source.port == 143 and source.tls == "implicit":
            message = (
                'port 143 starts without TLS, so tls = "implicit" cannot work: '
                'write tls = "starttls", or port = 993'
            )
        else:
            continue
        key = "tls" if ("sources", index, "tls") in lines else "port"
        warnings.append(problem(path, ("sources", index, key), message, lines))
    return warnings
