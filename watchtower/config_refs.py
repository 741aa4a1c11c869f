"""Checks that span sections of the config: unique names, references to brands
and sources, queries and terms the matcher can use, e-mail targets without an
``[email]`` section.

They run on every entry that validated on its own, even when other entries did
not, so ``watchtower check`` reports a file's problems in one pass rather than
one kind after another.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from watchtower.adapters.base import SourceSettings
from watchtower.config_hints import lookalike_hint
from watchtower.config_models import BrandConfig, Config, RuleConfig, WatchtowerSection
from watchtower.errors import ConfigProblem
from watchtower.tomllines import Lines, dotted, line_for

_M = TypeVar("_M", BrandConfig, RuleConfig)
_B = TypeVar("_B", bound=BaseModel)

_EMAIL_NEEDED = "an email: target needs an [email] section with smtp_host and from"


def problem(path: str, loc: Sequence[str | int], message: str, lines: Lines) -> ConfigProblem:
    """A problem at ``loc`` (``("rules", 2, "query")``), with the line it is on."""
    return ConfigProblem(path, line_for(loc, lines), dotted(loc), message)


def unknown(
    path: str, loc: tuple[str | int, ...], what: str, name: str, known: Iterable[str], lines: Lines
) -> ConfigProblem:
    """A reference to a brand or source the config does not define, with a hint.

    Names are compared without case and accents: ``Acne`` is a typo of ``Acmé``.
    """
    return problem(path, loc, f"unknown {what} {name!r}{_did_you_mean(name, known)}", lines)


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    from watchtower.pipeline.normalise import normalise

    by_form = {normalise(k).strip(): k for k in sorted(known)}
    close = difflib.get_close_matches(normalise(name).strip(), list(by_form), n=1)
    if not close:
        return ""
    return f"; did you mean {by_form[close[0]]!r}?{lookalike_hint(name, by_form[close[0]])}"


@dataclass(frozen=True)
class Parts:
    """What validated of a config, each entry with its index in the file.

    ``*_names`` are the names written in the file, valid entries or not: a brand
    with a bad key is still defined, and a rule naming it is not wrong.
    """

    brands: list[tuple[int, BrandConfig]]
    rules: list[tuple[int, RuleConfig]]
    sources: list[tuple[int, SourceSettings]]
    section: WatchtowerSection | None
    has_email: bool
    brand_names: list[str]
    source_names: list[str]
    rule_names: list[str]

    @classmethod
    def of(cls, config: Config) -> Parts:
        """The parts of a config that validated as a whole."""
        return cls(
            brands=list(enumerate(config.brands)),
            rules=list(enumerate(config.rules)),
            sources=list(enumerate(config.sources)),
            section=config.watchtower,
            has_email=config.email is not None,
            brand_names=[b.name for b in config.brands],
            source_names=[s.name for s in config.sources],
            rule_names=[r.name for r in config.rules],
        )

    @classmethod
    def salvage(
        cls, raw: dict[str, Any], raw_sources: Any, sources: list[tuple[int, SourceSettings]]
    ) -> Parts:
        """The entries of ``raw`` that validate on their own (the whole did not)."""
        section: WatchtowerSection | None
        try:
            section = WatchtowerSection.model_validate(raw.get("watchtower", {}))
        except ValidationError:
            section = None
        return cls(
            brands=_valid(BrandConfig, raw.get("brands")),
            rules=_valid(RuleConfig, raw.get("rules")),
            sources=sources,
            section=section,
            has_email="email" in raw,
            brand_names=_names(raw.get("brands")),
            source_names=_names(raw_sources),
            rule_names=_names(raw.get("rules")),
        )


def _valid(model: type[_M], entries: Any) -> list[tuple[int, _M]]:
    valid: list[tuple[int, _M]] = []
    for index, entry in enumerate(entries if isinstance(entries, list) else ()):
        try:
            valid.append((index, model.model_validate(entry)))
        except ValidationError as exc:
            if (kept := without_bad_keys(model, entry, exc)) is not None:
                valid.append((index, kept))
    return valid


def without_bad_keys(model: type[_B], entry: Any, error: ValidationError) -> _B | None:
    """``entry`` validated once the keys ``error`` names are set aside, if it then
    is valid: a rule with a misspelt key still has its references checked."""
    if not isinstance(entry, dict):
        return None
    bad = {err["loc"][0] for err in error.errors() if err["loc"]}
    try:
        return model.model_validate({k: v for k, v in entry.items() if k not in bad})
    except ValidationError:
        return None


def _names(entries: Any) -> list[str]:
    if isinstance(entries, dict):  # [brands] for [[brands]]: refused, but its name is defined
        entries = [entries]
    if not isinstance(entries, list):
        return []
    return [e["name"] for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str)]


def cross_check(path: str, parts: Parts, lines: Lines) -> list[ConfigProblem]:
    """Every problem that spans sections, for the entries in ``parts``."""
    problems: list[ConfigProblem] = []
    for kind, names in (
        ("brands", parts.brand_names),
        ("sources", parts.source_names),
        ("rules", parts.rule_names),
    ):
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                problems.append(
                    problem(path, (kind, index, "name"), f"duplicate name {name!r}", lines)
                )
            seen.add(name)
    if parts.section is not None and not parts.has_email:
        targets = [*(parts.section.default_notify or []), *parts.section.ops_notify]
        if any(t.startswith("email:") for t in targets):
            problems.append(problem(path, ("watchtower",), _EMAIL_NEEDED, lines))
    brand_names = set(parts.brand_names)
    source_names = set(parts.source_names)
    for index, brand in parts.brands:
        if not parts.has_email and any(t.startswith("email:") for t in brand.notify):
            problems.append(problem(path, ("brands", index, "notify"), _EMAIL_NEEDED, lines))
    for index, rule in parts.rules:
        if not parts.has_email and any(t.startswith("email:") for t in rule.notify):
            problems.append(problem(path, ("rules", index, "notify"), _EMAIL_NEEDED, lines))
        refs: list[tuple[str, list[str] | None, set[str]]] = [
            ("brands", rule.brands, brand_names),
            ("sources", rule.sources, source_names),
        ]
        for key, refs_named, known in refs:
            for name in refs_named or ():
                if name not in known:
                    problems.append(
                        unknown(path, ("rules", index, key), key[:-1], name, known, lines)
                    )
        if rule.query is not None:
            problems += _query_problems(path, ("rules", index, "query"), rule.query, parts, lines)
        problems += _term_problems(path, ("rules", index, "exclude"), rule.exclude, lines)
    for index, source in parts.sources:
        for name in source.brands:
            if name not in brand_names:
                problems.append(
                    unknown(path, ("sources", index, "brands"), "brand", name, brand_names, lines)
                )
    for index, brand in parts.brands:
        for key in ("terms", "exclude"):
            problems += _term_problems(path, ("brands", index, key), getattr(brand, key), lines)
    return problems


def _query_problems(
    path: str, loc: tuple[str | int, ...], text: str, parts: Parts, lines: Lines
) -> list[ConfigProblem]:
    """Syntax, and the names ``brand:`` and ``source:`` use (compared as the
    matcher compares them: without case or accents)."""
    from watchtower.pipeline.match.query import QuerySyntaxError, field_values, parse_query
    from watchtower.pipeline.normalise import normalise

    if regex := _looks_like_regex(text):
        return [problem(path, loc, regex, lines)]
    try:
        query = parse_query(text)
    except QuerySyntaxError as exc:
        message = str(exc)
        if "\n" in text:  # a multi-line query (triple quotes): "line 3, column 5"
            message = _COLUMN.sub(lambda m: _line_and_column(text, int(m.group(1))), message)
        return [problem(path, loc, message, lines)]
    problems = []
    for field, value in field_values(query):
        known = parts.brand_names if field == "brand" else parts.source_names
        wanted = normalise(value)
        if any(normalise(k) == wanted for k in known):
            continue
        # brand:Crédit Agricole is brand:Crédit AND agricole: a name with spaces needs quotes.
        longer = [k for k in known if normalise(k).startswith(wanted.rstrip() + " ")]
        hint = (
            f'; a name with spaces needs quotes: {field}:"{longer[0]}"'
            if longer
            else _did_you_mean(value, known)
        )
        problems.append(problem(path, loc, f"{field}:{value} names no {field}{hint}", lines))
    return problems


_COLUMN = re.compile(r"\bcolumn (\d+)")


def _line_and_column(text: str, column: int) -> str:
    before = text[: column - 1]
    return f"line {before.count(chr(10)) + 1}, column {column - before.rfind(chr(10)) - 1}"


def _term_problems(
    path: str,
    loc: tuple[str | int, ...],
    terms: Sequence[str],
    lines: Lines,
) -> list[ConfigProblem]:
    """Brand terms and exclusions must be terms the matcher can use (``rembours*``, ``acme.fr``)."""
    from watchtower.pipeline.match.query import QuerySyntaxError, parse_term

    problems = []
    for position, term in enumerate(terms):
        if regex := _looks_like_regex(term, query=False):
            problems.append(problem(path, (*loc, position), regex, lines))
            continue
        try:
            parse_term(term)
        except QuerySyntaxError as exc:
            message = str(exc).split(": ", 1)[-1] if str(exc).startswith("column") else str(exc)
            problems.append(problem(path, (*loc, position), message, lines))
    return problems


#: What a regular expression has and a query never means: | for "or", .* .+ for
#: "anything", \b \w \d \s classes, [Aa] sets, ^ and $ anchors, (es)? options.
_REGEX = re.compile(
    r"\||\.[*+]|\\[bBwWdDsS]|\[[^\]\s]{1,8}\](?=\w)|\[\w-\w\]|^\^|(?<=[^\W\d])\$$|\)\?"
)


def _looks_like_regex(text: str, *, query: bool = True) -> str:
    """A sentence for a query or term written as a regular expression, else ""."""
    found = _REGEX.search(text.strip())
    if found is None:
        return ""
    column = found.start() + len(text) - len(text.lstrip()) + 1
    rewrite = re.sub(r"\\[bB]|^\^|\$$", "", text.strip())
    rewrite = re.sub(r"\s*\|\s*", " OR ", re.sub(r"\.[*+]", "*", rewrite)).strip()
    message = f"column {column}: '{found.group(0)}' is regular-expression syntax, which "
    if query and rewrite and not _REGEX.search(rewrite):
        return message + f"queries do not use; did you mean '{rewrite}'?"
    if query:
        return message + "queries do not use: join words with OR, write rembours* for a prefix"
    return message + 'terms do not use: list each form ("arnaque", "arnaques") or write arnaque*'
