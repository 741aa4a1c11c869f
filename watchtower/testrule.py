"""``watchtower test-rule``: try a rule on a text, a file or stored items; sends nothing.

::

    watchtower test-rule --config PATH (RULE_NAME | --query Q)
                         (--text T | --file F | --stored [--since 7d])
                         [--title T] [--source NAME] [--rating N] [--lang CODE]

For a text or a file it prints, for every brand mentioned, whether the rule
fired and why (a text has no source: a rule limited to some sources tries it as
from its first one, and says so; ``--source`` chooses): the brand terms and
query terms found with their surface form and position, and the value of each
top-level clause of the query. With ``--stored`` it replays the items fetched
in the window through the rule and compares with the mentions the rule actually
produced then: how many more or fewer alerts it would have sent. Both build the
matcher as the daemon does (with the sources' ``brands``), so they answer as it
would.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from watchtower.config import LoadedConfig, RuleConfig, load_config
from watchtower.durations import format_duration, parse_duration
from watchtower.errors import ConfigError, ConfigProblem
from watchtower.models import Hit, Item
from watchtower.pipeline.match import Matcher, QuerySyntaxError, parse_query
from watchtower.pipeline.match.engine import EXCLUSION, Stopped, Trace
from watchtower.pipeline.match.query_lint import query_warnings
from watchtower.sanitise import printable

__all__ = ["add_parser", "run"]

QUERY_RULE = "(query)"
DEFAULT_SOURCE = "test-rule"
SHOWN_CHANGES = 20
SHOWN_CLAUSES = 12


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``test-rule`` on the CLI's sub-parsers."""
    p = subparsers.add_parser(
        "test-rule",
        help="show what a rule matches and why, without sending anything",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument(
        "--config", "-c", help="config file (default: $WATCHTOWER_CONFIG or ./watchtower.toml)"
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("rule", nargs="?", metavar="RULE_NAME", help="a rule of the config")
    which.add_argument("--query", "-q", help="a query to try instead of a configured rule")
    data = p.add_mutually_exclusive_group(required=True)
    data.add_argument("--text", "-t", help="the text of an item")
    data.add_argument("--file", "-f", help="a file holding the text of an item ('-': stdin)")
    data.add_argument("--stored", action="store_true", help="replay items from the database")
    p.add_argument("--since", default="7d", help="with --stored: how far back (default 7d)")
    p.add_argument("--title", default="", help="the item's title")
    p.add_argument(
        "--source",
        help="with --text or --file: the source the item came from (default: the rule's "
        "first source when it has `sources`, else none)",
    )
    p.add_argument("--rating", type=_rating, help="the item's rating (reviews): 2, 2.5 or 2,5")
    p.add_argument("--lang", help="the item's language (default: detected)")
    p.set_defaults(func=run)


def _rating(value: str) -> float:
    """``2,5`` as well as ``2.5``: queries accept a decimal comma (``rating:<=2,5``)."""
    try:
        return float(value.strip().replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number such as 2 or 2,5") from None


def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Run the command; ``ConfigError`` (exit 2) for anything the user must fix."""
    try:
        code = _run(args, out)
        out.flush()  # inside the try: a closed pipe is reported here, not at exit
    except BrokenPipeError:
        # ``test-rule … | head -1``: the reader has gone, which is not an error of
        # ours. Point stdout at devnull so the flush at interpreter exit does not
        # raise again (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
        if out is sys.stdout:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError):  # not a real file: nothing will flush to a pipe
                pass
            finally:
                os.close(devnull)
        return 1
    return code


def _run(args: argparse.Namespace, out: TextIO) -> int:
    loaded = load_config(args.config)
    rule = _rule(loaded, args.rule, args.query)
    if args.stored and args.source is not None:
        # Stored items keep the source they were fetched from: pretending another
        # would make the comparison with what the rule produced then meaningless.
        raise _problem(
            "--source",
            "--stored replays each item from its own source; --source is for --text and --file",
        )
    # As the daemon builds it (app.py): a source's ``brands`` mark every item of
    # that source as mentioning them, whether it names them or not.
    matcher = Matcher(
        loaded.config.brands,
        [rule],
        sources=loaded.sources,
        language=loaded.config.watchtower.language,
    )
    print(f"rule {rule.name!r}: " + (f"query {rule.query}" if rule.query else "no query"), file=out)
    for warning in query_warnings(rule.query or ""):
        print(f"warning: {warning}", file=out)
    if args.stored:
        return _replay(loaded, rule, matcher, _since(args.since), out)
    if args.file is not None:
        text = sys.stdin.read() if args.file == "-" else _read(args.file)
    else:
        text = args.text
    source = _source(loaded, rule, args.source, out)
    item = Item(guid="test-rule", title=args.title, text=text, rating=args.rating, lang=args.lang)
    _show(matcher.trace(item, source), item, source, out)
    print("nothing was sent (test-rule never notifies)", file=out)
    return 0


def _source(loaded: LoadedConfig, rule: RuleConfig, given: str | None, out: TextIO) -> str:
    """The source a text is tried as coming from.

    A text typed on the command line comes from no source, and a rule limited to
    some sources never fires on it: the documented ``crise --text "…"`` answered
    "source 'test-rule' is not in the rule's sources". It is tried as from the
    rule's first source instead, and the output says which.
    """
    if given is not None:
        sources = {s.name for s in loaded.sources}
        if given not in sources:
            close = difflib.get_close_matches(given, sorted(sources), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            print(f"note: no source {given!r} in the config{hint}", file=out)
        return given
    if not rule.sources:
        return DEFAULT_SOURCE
    first = rule.sources[0]
    which = (
        "the rule's only source"
        if len(rule.sources) == 1
        else f"the first of the rule's {len(rule.sources)} sources"
    )
    print(f"tried as from source {first!r} ({which}); `--source NAME` to choose", file=out)
    return first


def _n(count: int, word: str, plural: str = "") -> str:
    """``1 item``, ``2 items``."""
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _problem(key: str, message: str) -> ConfigError:
    return ConfigError([ConfigProblem("test-rule", None, key, message)])


def _rule(loaded: LoadedConfig, name: str | None, query: str | None) -> RuleConfig:
    if query is not None:
        try:
            parse_query(query)
        except QuerySyntaxError as exc:
            raise _problem("--query", str(exc)) from None
        return RuleConfig(name=QUERY_RULE, query=query)
    rules = {r.name: r for r in loaded.config.rules}
    if name not in rules:
        close = difflib.get_close_matches(name or "", sorted(rules), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(sorted(rules)) or "none"
        raise _problem("RULE_NAME", f"unknown rule {name!r}{hint} (rules: {known})")
    return rules[name]


def _since(value: str) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise _problem("--since", str(exc)) from None


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _problem("--file", f"cannot read {path}: {exc}") from None


def _position(item: Item, hit: Hit) -> str:
    """``text 12-18 (line 2, col 3)``: offsets are characters of the original field."""
    original = item.title if hit.field == "title" else item.text
    line = original.count("\n", 0, hit.start) + 1
    column = hit.start - (original.rfind("\n", 0, hit.start) + 1) + 1
    return f"{hit.field} {hit.start}-{hit.end} (line {line}, col {column})"


def _stop(item: Item, stop: Stopped) -> str:
    """Which brand hit an exclusion stopped: ``stops brand term 'acme' as 'ACME' at …``.

    A typo hit (``Mutualiss``) is stopped by an exclusion written with the term
    (``Mutualis Corporation``): exclusions read a typo as the term it stands for.
    """
    hit = stop.hit
    line = f"stops brand term {hit.term!r} as {hit.surface!r} at {_position(item, hit)}"
    if stop.typo:
        line += f", a typo the exclusion reads as {hit.term!r}"
    return line


def _show(traces: Sequence[Trace], item: Item, source: str, out: TextIO) -> None:
    if not traces:
        print("no brand mentioned: no rule can fire", file=out)
        return
    for trace in traces:
        verdict = "FIRES" if trace.fired else "does not fire"
        print(f"\nbrand {trace.brand!r}: {verdict} — {trace.reason}", file=out)
        for hit in trace.hits:
            # No words (a query term named "source" has some): the source's ``brands``.
            if hit.clause == "source" and not hit.surface:
                print(f"  mentioned by its source: {source!r} lists it in brands", file=out)
                continue
            what = {"brand": "brand term", EXCLUSION: EXCLUSION}.get(
                hit.clause, f"clause {hit.clause!r}"
            )
            print(f"  {hit.term!r} as {hit.surface!r} at {_position(item, hit)}, {what}", file=out)
            if hit.clause == EXCLUSION:
                for stop in trace.stopped:
                    if stop.exclusion == hit:
                        print(f"    {_stop(item, stop)}", file=out)
        clauses = trace.clauses
        if len(clauses) > SHOWN_CLAUSES:  # a vocabulary: the false ones are noise
            clauses = tuple(c for c in clauses if c[1])
            hidden = len(trace.clauses) - len(clauses)
            print(f"  ({_n(hidden, 'other clause')} false)", file=out)
        for clause, value in clauses:
            print(f"  [{'true ' if value else 'false'}] {clause}", file=out)


@dataclass(frozen=True)
class _Stored:
    id: int
    source: str
    item: Item


def _stored_items(loaded: LoadedConfig, cutoff: datetime) -> Iterator[_Stored]:
    from sqlalchemy import select

    from watchtower.storage.db import Database
    from watchtower.storage.tables import ItemRow, SourceRow

    db = Database(loaded.database_url, readonly=True)
    try:
        with db.session() as session:
            query = (
                select(ItemRow, SourceRow.name)
                .join(SourceRow, ItemRow.source_id == SourceRow.id)
                .where(ItemRow.fetched_at >= cutoff)
                .order_by(ItemRow.id)
                .execution_options(yield_per=500)
            )
            for row, source in session.execute(query):
                item = Item(
                    guid=row.guid or str(row.id),
                    url=row.url or "",
                    title=row.title or "",
                    text=row.text or "",
                    published=row.published_at,
                    author=row.author,
                    rating=row.rating,
                    lang=row.lang,
                )
                yield _Stored(row.id, source, item)
    finally:
        db.dispose()


def _stored_alerts(loaded: LoadedConfig, rule: str, cutoff: datetime) -> set[int]:
    from sqlalchemy import select

    from watchtower.storage.db import Database
    from watchtower.storage.tables import ItemRow, MentionRow

    db = Database(loaded.database_url, readonly=True)
    try:
        with db.session() as session:
            query = (
                select(MentionRow.item_id)
                .join(ItemRow, ItemRow.id == MentionRow.item_id)
                .where(MentionRow.rule == rule, ItemRow.fetched_at >= cutoff)
            )
            return set(session.scalars(query))
    finally:
        db.dispose()


def _replay(
    loaded: LoadedConfig, rule: RuleConfig, matcher: Matcher, window: timedelta, out: TextIO
) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from watchtower.storage.db import Database

    # Read-only, and refused when missing (NoDatabase: exit 1 with where the URL
    # came from): a wrong path must not leave an empty database behind.
    probe = Database(loaded.database_url, readonly=True)
    try:
        probe.existing_revision()
    finally:
        probe.dispose()
    cutoff = datetime.now(UTC) - window
    fired: dict[int, _Stored] = {}
    replayed = mentions = 0
    try:
        for stored in _stored_items(loaded, cutoff):
            replayed += 1
            matches = [m for m in matcher.match(stored.item, stored.source) if m.rule == rule.name]
            if matches:
                fired[stored.id] = stored
                mentions += len(matches)
        before = set() if rule.name == QUERY_RULE else _stored_alerts(loaded, rule.name, cutoff)
    except SQLAlchemyError as exc:
        # The driver's message (``no such table: items``), never the SQL or the URL.
        orig = getattr(exc, "orig", None)
        reason = str(orig) if orig is not None else type(exc).__name__
        raise _problem(
            "--stored", f"cannot read the database ({reason}); run `watchtower db upgrade` first?"
        ) from None
    span = format_duration(window)
    print(
        f"replayed {_n(replayed, 'item')} fetched in the last {span}: the rule fires on "
        f"{_n(len(fired), 'item')} ({_n(mentions, 'brand mention')})",
        file=out,
    )
    if rule.name != QUERY_RULE:
        added, removed = set(fired) - before, before - set(fired)
        print(
            f"it fired on {len(before)} of them when they were fetched: "
            f"{_n(len(added), 'more alert', 'more alerts')}, {len(removed)} fewer",
            file=out,
        )
        for item_id in sorted(added)[:SHOWN_CHANGES]:
            s = fired[item_id]
            # A stored item's title and URL are a remote site's: no terminal
            # controls (``ESC [2J``) nor bidi overrides reach the operator's terminal.
            shown = printable(s.item.title or s.item.text[:80], keep="")
            print(
                f"  + [{printable(s.source, keep='')}] {shown!r} {printable(s.item.url, keep='')}",
                file=out,
            )
        for item_id in sorted(removed)[:SHOWN_CHANGES]:
            print(f"  - item #{item_id} would no longer alert", file=out)
    print("nothing was sent (test-rule never notifies)", file=out)
    return 0
