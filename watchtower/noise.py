"""``watchtower noise``: which alerts people marked not relevant, and what to exclude.

::

    watchtower noise --config PATH [--since 30d] [--json]

Per brand and per rule: the mentions alerted on Slack in the window (really
posted there: those printed on the console, without ``SLACK_BOT_TOKEN``, carry
no reactions and are not counted), how many got a 🚫, ❌ or 👎 reaction (read by
the daemon, :mod:`watchtower.feedback`), the words and phrases most
over-represented in the marked ones, and a suggestion to paste into the config
(``exclude = [...]`` for a brand, ``NOT (...)`` added to a rule's query),
checked with the real matcher on the stored mentions: it stops marked ones and
none of the others. Then the command to replay it: ``watchtower test-rule RULE
--stored --since 30d``. Sends nothing, writes nothing.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from watchtower.config import LoadedConfig, load_config
from watchtower.durations import format_duration, parse_duration
from watchtower.errors import ConfigError, ConfigProblem, SchemaMismatch
from watchtower.models import Item
from watchtower.noise_terms import (
    SHOWN,
    Mention,
    Phrase,
    Suggestion,
    over_represented,
    query_excluding,
    suggest,
)

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

    from watchtower.storage.db import Database

__all__ = ["NoiseReport", "add_parser", "noise_report", "printed_only", "run"]

FEEDBACK_SCHEMA = "0008"  # the migration that added ``alert_feedback``


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``noise`` on the CLI's sub-parsers."""
    p = subparsers.add_parser(
        "noise",
        help="show the alerts marked not relevant on Slack (🚫 ❌ 👎) and what to exclude",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument(
        "--config", "-c", help="config file (default: $WATCHTOWER_CONFIG or ./watchtower.toml)"
    )
    p.add_argument("--since", default="30d", help="how far back (default 30d)")
    p.add_argument("--json", action="store_true", help="one JSON document, for scripts")
    p.set_defaults(func=run)


@dataclass
class NoiseReport:
    """The alerts of one brand or rule and what people said of them."""

    scope: str  # "brand" or "rule"
    name: str
    alerts: int
    not_relevant: int
    phrases: list[Phrase] = field(default_factory=list)
    suggestion: Suggestion | None = None
    config: str = ""  # the suggestion as a TOML line to paste
    check: str = ""  # the command that replays it

    @property
    def share(self) -> float:
        return self.not_relevant / self.alerts if self.alerts else 0.0

    def as_dict(self) -> dict[str, Any]:
        found = self.suggestion
        return {
            "scope": self.scope,
            "name": self.name,
            "alerts": self.alerts,
            "not_relevant": self.not_relevant,
            "share": round(self.share, 4),
            "phrases": [
                {"phrase": p.text, "marked": p.marked, "others": p.others} for p in self.phrases
            ],
            "suggestion": None
            if found is None
            else {
                "exclude": list(found.terms),
                "config": self.config,
                "stops_marked": found.stopped,
                "marked": found.marked,
                "others_kept": found.others,
                "check": self.check,
            },
        }


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the command; ``ConfigError`` (exit 2) for anything the user must fix."""
    out = out or sys.stdout
    loaded = load_config(args.config)
    try:
        since = parse_duration(args.since)
    except ValueError as exc:
        raise ConfigError([ConfigProblem("noise", None, "--since", str(exc))]) from None
    now = datetime.now(UTC)
    reports = noise_report(loaded, since, now, config_arg=args.config)
    printed = printed_only(loaded, now - since)
    if args.json:
        document = {
            "since": format_duration(since),
            "reports": [r.as_dict() for r in reports],
            "printed_not_posted": printed,
        }
        print(json.dumps(document, ensure_ascii=False, indent=2), file=out)
    else:
        _print(reports, since, out, printed=printed)
    return 0


def noise_report(
    loaded: LoadedConfig, since: timedelta, now: datetime, *, config_arg: str | None = None
) -> list[NoiseReport]:
    """One report per brand and rule alerted on Slack in ``since``, noisiest first.

    ``config_arg``: the ``--config`` given, repeated in the ``test-rule`` command shown.
    """
    mentions = list(_alerted(loaded, now - since))
    window = format_duration(since)
    reports = []
    scopes = [("brand", b.name) for b in loaded.config.brands]
    scopes += [("rule", r.name) for r in loaded.config.rules]
    for scope, name in scopes:
        mine = [m for m in mentions if name in (m.brands if scope == "brand" else m.rules)]
        if not mine:
            continue
        report = NoiseReport(scope, name, len(mine), sum(m.marked for m in mine))
        if report.not_relevant:
            ranked = over_represented(mine)
            report.phrases = ranked[:SHOWN]
            report.suggestion = suggest(loaded, scope, name, mine, ranked)
            if report.suggestion is not None:
                report.config = _config_line(loaded, scope, name, report.suggestion)
                report.check = _check_command(loaded, scope, name, mine, window, config_arg)
        reports.append(report)
    reports.sort(key=lambda r: (-r.share, -r.alerts, r.scope, r.name))
    return reports


def _feedback_db(loaded: LoadedConfig) -> Database:
    """The database, read-only, refused when missing or without ``alert_feedback``."""
    from watchtower.storage.db import Database

    db = Database(loaded.database_url, readonly=True)
    try:
        revision = db.existing_revision()  # NoDatabase, or SchemaMismatch if newer
        if revision < FEEDBACK_SCHEMA:  # revisions are zero-padded: they sort as text
            raise SchemaMismatch(
                f"the database schema {revision} is older than this watchtower and keeps "
                "no Slack reactions yet",
                hint="the service migrates it when it starts; or run `watchtower db upgrade`",
            )
    except BaseException:
        db.dispose()
        raise
    return db


def _on_slack_target() -> ColumnElement[bool]:
    from sqlalchemy import or_

    from watchtower.storage.tables import OutboxRow

    return or_(OutboxRow.target == "slack", OutboxRow.target.like("slack:%"))


def printed_only(loaded: LoadedConfig, cutoff: datetime) -> int:
    """Mention alerts for Slack targets since ``cutoff`` that were printed on the
    console (no ``SLACK_BOT_TOKEN`` in a terminal): "sent", without a Slack message."""
    from sqlalchemy import func, select

    from watchtower.storage.tables import OutboxRow

    db = _feedback_db(loaded)
    try:
        with db.session() as session:
            return session.execute(
                select(func.count(func.distinct(OutboxRow.item_id))).where(
                    OutboxRow.status == "sent",
                    OutboxRow.item_id.is_not(None),
                    _on_slack_target(),
                    OutboxRow.provider_message_id.is_(None),
                    OutboxRow.sent_at >= cutoff,
                )
            ).scalar_one()
    finally:
        db.dispose()


def _alerted(loaded: LoadedConfig, cutoff: datetime) -> Iterator[Mention]:
    """The items alerted on Slack since ``cutoff``, one per item, marked if any alert was.

    Only alerts really posted (a Slack message id, what the reactions are read
    on): without a token, a terminal's daemon prints Slack alerts on the console
    and records them as sent, which nobody can react to.
    """
    from sqlalchemy import select

    from watchtower.storage.tables import AlertFeedbackRow, ItemRow, OutboxRow, SourceRow

    db = _feedback_db(loaded)
    try:
        with db.session() as session:
            rows = session.execute(
                select(OutboxRow.payload, AlertFeedbackRow.not_relevant_at, ItemRow, SourceRow.name)
                .join(ItemRow, ItemRow.id == OutboxRow.item_id)
                .join(SourceRow, SourceRow.id == ItemRow.source_id)
                .outerjoin(AlertFeedbackRow, AlertFeedbackRow.outbox_id == OutboxRow.id)
                .where(
                    OutboxRow.status == "sent",
                    _on_slack_target(),
                    OutboxRow.provider_message_id.is_not(None),
                    OutboxRow.sent_at >= cutoff,
                )
                .order_by(OutboxRow.id)
            ).all()
            by_item: dict[int, Mention] = {}
            for payload, marked_at, item, source in rows:
                payload = payload or {}
                seen = by_item.get(item.id)
                brands = {*(seen.brands if seen else ()), *(payload.get("brands") or [])}
                rules = {*(seen.rules if seen else ()), *(payload.get("rules") or [])}
                by_item[item.id] = Mention(
                    item.id,
                    source,
                    seen.item if seen else _item(item),
                    tuple(sorted(brands)),
                    tuple(sorted(rules)),
                    (seen is not None and seen.marked) or marked_at is not None,
                )
    finally:
        db.dispose()
    yield from by_item.values()


def _item(row: Any) -> Item:
    """The stored item as the matcher takes it (as ``test-rule --stored`` builds it)."""
    return Item(
        guid=row.guid or str(row.id),
        url=row.url or "",
        title=row.title or "",
        text=row.text or "",
        published=row.published_at,
        author=row.author,
        rating=row.rating,
        lang=row.lang,
    )


def _config_line(loaded: LoadedConfig, scope: str, name: str, found: Suggestion) -> str:
    """The TOML line to paste in the brand's or the rule's table."""
    if scope == "brand":
        brand = next(b for b in loaded.config.brands if b.name == name)
        return f"exclude = {_toml_list([*brand.exclude, *found.terms])}"
    rule = next(r for r in loaded.config.rules if r.name == name)
    if rule.query:
        return f"query = {_toml_string(query_excluding(rule.query, found.terms))}"
    return f"exclude = {_toml_list([*rule.exclude, *found.terms])}"


def _check_command(
    loaded: LoadedConfig,
    scope: str,
    name: str,
    mentions: list[Mention],
    window: str,
    config_arg: str | None,
) -> str:
    """``watchtower test-rule`` replaying the stored items once the change is made."""
    config = ["--config", config_arg] if config_arg else []
    if scope == "rule":
        target = [name]
    else:  # the brand's own alerts: a rule that claimed them, else its first term
        claimed = sorted({r for m in mentions for r in m.rules})
        brand = next(b for b in loaded.config.brands if b.name == name)
        target = [claimed[0]] if claimed else ["--query", f'"{brand.terms[0]}"']
    words = ["watchtower", "test-rule", *target, "--stored", "--since", window, *config]
    return shlex.join(words)


def _toml_string(text: str) -> str:
    if "'" not in text and text.isprintable():  # a literal string: no escapes to read
        return f"'{text}'"
    # JSON strings are TOML basic strings (same escapes), accents kept as they are.
    return json.dumps(text, ensure_ascii=False)


def _toml_list(items: list[str]) -> str:
    # Double quotes, as config.example.toml writes lists ("jus d'orange" needs them anyway).
    return "[" + ", ".join(json.dumps(i, ensure_ascii=False) for i in items) + "]"


def _n(count: int, word: str, plural: str = "") -> str:
    """``1 alert``, ``2 alerts``."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _print(reports: list[NoiseReport], since: timedelta, out: TextIO, *, printed: int = 0) -> None:
    window = format_duration(since)
    # Alerts printed on the console were "sent" but carry no reactions: say why
    # they are not counted, rather than let them pass for Slack alerts.
    console = (
        f"{_n(printed, 'alert')} for Slack printed on the console (no SLACK_BOT_TOKEN) "
        f"{'is' if printed == 1 else 'are'} not counted"
    )
    if not reports:
        print(
            f"no alert was posted on Slack in the last {window}: reactions are read on Slack only",
            file=out,
        )
        if printed:
            print(f"({console})", file=out)
        return
    print(f"alerts marked not relevant on Slack (🚫 ❌ 👎), last {window}", file=out)
    if printed:
        print(f"({console})", file=out)
    for report in reports:
        print(
            f"\n{report.scope} {report.name!r}: {_n(report.alerts, 'alert')}, "
            f"{report.not_relevant} not relevant ({report.share:.0%})",
            file=out,
        )
        if report.phrases:
            shown = ", ".join(
                f'"{p.text}" ({p.marked} marked, {_n(p.others, "other")})' for p in report.phrases
            )
            print(f"  over-represented in the marked ones: {shown}", file=out)
        found = report.suggestion
        if found is None:
            if report.not_relevant:
                print("  no exclusion stops a marked alert without stopping others", file=out)
            continue
        if not found.others:
            others = "no other alert"
        elif found.others == 1:
            others = "not the other one"
        else:
            others = f"none of the {found.others} others"
        if found.marked == 1:
            stops = "stops the marked alert"
        elif found.stopped == found.marked:
            stops = f"stops all {found.marked} marked alerts"
        else:
            stops = f"stops {found.stopped} of the {found.marked} marked alerts"
        print(f"  suggestion ({stops}, {others}):", file=out)
        print(f"    {report.config}", file=out)
        print(f"  check it: {report.check}", file=out)
