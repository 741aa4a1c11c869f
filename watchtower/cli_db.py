"""The commands that read or migrate the database without running the daemon:
``status`` (read-only: never creates, migrates or writes), ``db upgrade`` and
``db downgrade``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import urllib.error
import urllib.request
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy.exc
from sqlalchemy import func, select, text

from watchtower.cli import EXIT_CONFIG, EXIT_FAILURE, load_args
from watchtower.errors import ConfigError, SchemaMismatch
from watchtower.logs import kv
from watchtower.status_life import (
    heartbeat_head,
    instance_lines,
    instances_report,
    nobody_polling,
    refused_config_database,
    source_lines,
    source_notes,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from watchtower.config import LoadedConfig

log = logging.getLogger("watchtower.cli")

UPGRADE_HINT = "the service migrates it when it starts; or run `watchtower db upgrade`"


def cmd_status(args: argparse.Namespace) -> int:
    from watchtower.app import utcnow
    from watchtower.storage.db import Database, head_revision

    loaded: LoadedConfig | None = None
    try:
        valid = load_args(args)
    except ConfigError as exc:
        if args.live:
            raise
        # The daemon keeps running on its last good config: what the database
        # says (and that this file was refused) matters most now.
        database_url = refused_config_database(args, exc)
    else:
        if args.live:
            return _live_check(valid)
        loaded, database_url = valid, valid.database_url
    # Read-only: a wrong path or a missing WATCHTOWER_DATABASE_URL must fail, not
    # create an empty, healthy-looking database; and status never migrates.
    db = Database(database_url, readonly=True)
    try:
        revision = db.existing_revision()  # NoDatabase, or SchemaMismatch if newer
        head = head_revision()
        if revision != head:  # not migrated yet (the service not restarted since)
            log.warning(
                f"the database schema {revision} is older than this watchtower (latest {head})",
                extra=kv(hint=UPGRADE_HINT),
            )
        try:
            with db.session() as session:
                report = status_report(
                    session, loaded, utcnow(), schema=(revision, head), database_url=database_url
                )
        except sqlalchemy.exc.DatabaseError as exc:
            if revision == head:
                raise
            raise SchemaMismatch(
                f"the database schema {revision} is older than this watchtower (latest {head}) "
                "and status cannot read it",
                hint=UPGRADE_HINT,
            ) from exc
    finally:
        db.dispose()
    report["daemon"].update(daemon_liveness(loaded.config.watchtower.http if loaded else None))
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False, default=_iso))
    elif sys.stdout.isatty():  # a table for people; stable plain text for scripts
        from watchtower.progress import print_report

        print_report(report, utcnow(), every_source=args.all)
        notes = instance_lines(report, utcnow(), every=args.all) + source_notes(report, utcnow())
        if notes:
            print("\n".join(notes))
    else:
        print(render_report(report, utcnow(), every_source=args.all))
    if nobody_polling(report):
        return EXIT_FAILURE
    return 0 if loaded else EXIT_CONFIG


#: Sources listed one per line up to this many; beyond, only those needing a look
#: (``--all`` lists every one).
SOURCES_SHOWN = 20
#: The order of ``status``: what needs a look first.
STATE_ORDER = ("failing", "silent", "never checked", "ok", "disabled", "removed")
NEEDS_A_LOOK = ("failing", "silent", "never checked")


#: The fields of a source not polled yet, all empty.
NOT_POLLED_YET = (
    "last_error",
    "last_error_at",
    "failing_since",
    "last_warning",
    "last_success",
    "last_attempt",
    "next_check",
)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    raise TypeError(f"not JSON: {type(value).__name__}")


def _schema_has(schema: tuple[str, str] | None, revision: str) -> bool:
    """Whether the database's schema includes ``revision`` (``None``: assume so)."""
    from watchtower.storage.db import revisions

    if schema is None:
        return True
    known = revisions()
    return schema[0] in known and known.index(schema[0]) >= known.index(revision)


def status_report(
    session: Session,
    loaded: LoadedConfig | None,
    now: datetime,
    *,
    schema: tuple[str, str] | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """Everything ``watchtower status`` shows, as JSON-ready data (datetimes aside).

    Without ``loaded``, what the database alone says (no database line, no
    "removed" sources, no source not polled yet). On a schema older than 0006
    (not migrated yet), no heartbeats (``daemon.seen`` is ``None``), no
    "failing since" and no source warning."""
    from watchtower.health import source_health
    from watchtower.redact import redact_target, redact_text
    from watchtower.sanitise import printable
    from watchtower.storage import outbox_queries
    from watchtower.storage.db import shown
    from watchtower.storage.tables import OUTBOX_STATUSES, OutboxRow, SourceRow

    configured = {s.name for s in loaded.sources} if loaded else None
    current = _schema_has(schema, "0006")
    columns = [SourceRow.name, SourceRow.last_attempt_at, SourceRow.last_error_at]
    if current:
        columns += [SourceRow.failing_since, SourceRow.last_warning]
    more: dict[str, dict[str, Any]] = {
        row.name: row._asdict() for row in session.execute(select(*columns))
    }
    sources: list[dict[str, Any]] = []
    for h in source_health(session):
        state = h.state if configured is None or h.name in configured else "removed"
        error = printable(h.last_error, keep="") if h.last_error and h.failures else None
        row = more[h.name]
        warning = row.get("last_warning")
        sources.append(
            {
                "name": h.name,
                "kind": h.kind,
                "state": state,
                "failures": h.failures,
                "last_error": error,
                "last_error_at": row["last_error_at"] if error else None,
                "failing_since": row.get("failing_since") if h.failures else None,
                "last_warning": printable(warning, keep="") if warning else None,
                "last_success": h.last_success,
                "last_attempt": row["last_attempt_at"],
                "next_check": h.next_check if h.enabled else None,
                "items": h.items,
            }
        )
    known = {s["name"] for s in sources}
    for settings in loaded.sources if loaded else []:
        if settings.name not in known:  # in the config, not polled yet (a new source)
            state = "never checked" if settings.enabled else "disabled"
            sources.append(
                {"name": settings.name, "kind": settings.kind, "state": state, "failures": 0}
                | dict.fromkeys(NOT_POLLED_YET)
                | {"items": 0}
            )
    sources.sort(key=lambda s: (STATE_ORDER.index(s["state"]), -s["failures"], s["name"]))

    counts = outbox_queries.outbox_counts(session)
    paused = []
    for kind, key in sorted(outbox_queries.paused_kinds(session).items()):
        notice = session.execute(
            select(OutboxRow.created_at, OutboxRow.payload)
            .where(OutboxRow.dedup_key == key)
            .order_by(OutboxRow.id)
            .limit(1)
        ).first()
        paused.append(
            {
                "kind": kind,
                "since": notice[0] if notice else None,
                "reason": printable(str(notice[1].get("title", "")), keep="") if notice else "",
            }
        )
    failed = [
        {
            "target": redact_target(f.target),
            "failed": f.count,
            "last_error": printable(redact_text(f.last_error or "-"), keep=""),
        }
        for f in outbox_queries.failed_targets(session)
    ]
    instances = instances_report(session, now) if current else None
    url = loaded.database_url if loaded else database_url
    return {
        "now": now,
        "timezone": loaded.config.watchtower.timezone if loaded else "UTC",
        "daemon": {
            "last_fetch": max(
                (s["last_attempt"] for s in sources if s["last_attempt"]), default=None
            ),
            "last_delivery": session.scalar(select(func.max(OutboxRow.sent_at))),
            # None: a schema without heartbeats (not migrated yet): cannot tell.
            "seen": None
            if instances is None
            else any(i["state"] in ("running", "ran") for i in instances),
            "instances": instances,
        },
        "database": {
            "url": shown(url),
            "schema": schema[0] if schema else None,
            "latest_schema": schema[1] if schema else None,
            "size_bytes": database_size(session, url),
        }
        if url
        else None,
        "config": str(loaded.path) if loaded else None,
        "sources": sources,
        "outbox": {
            "counts": {status: counts.get(status, 0) for status in OUTBOX_STATUSES},
            "waiting": sum(counts.get(s, 0) for s in ("pending", "sending", "held")),
            "oldest_waiting": outbox_queries.oldest_pending(session),
            "oldest_due": outbox_queries.oldest_deliverable(session),
        },
        "targets": {"paused": paused, "failed": failed},
    }


def database_size(session: Session, url: str) -> int | None:
    """Bytes on disk: the SQLite file and its WAL; on PostgreSQL, watchtower's tables
    (with their indexes) in the schema it uses. ``None`` when it cannot say."""
    parsed = sqlalchemy.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:":
            return None
        return sum(os.path.getsize(f) for f in (path, path + "-wal") if os.path.isfile(f))
    if parsed.get_backend_name() == "postgresql":
        size = session.scalar(
            text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
            )
        )
        return int(size) if size is not None else None
    return None


def daemon_liveness(address: str | None, timeout: float = 3.0) -> dict[str, Any]:
    """Ask the running daemon's ``/livez`` (``[watchtower] http``) on this machine.

    ``live``: True (200), False (503, or nothing answers), None (no ``http``: the
    database alone cannot tell whether a daemon runs)."""
    if not address:
        return {"live": None, "livez": None, "detail": "no [watchtower] http: cannot ask it"}
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/livez"
    try:
        # No proxy: the daemon is on this machine, whatever http_proxy this shell has.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=timeout) as response:
            body = json.loads(response.read() or b"{}")
            return {"live": True, "livez": url, "detail": "answering", **_tick(body)}
    except urllib.error.HTTPError as exc:  # 503: the poller is stuck
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            body = {}
        return {"live": False, "livez": url, "detail": f"stuck ({exc.code})", **_tick(body)}
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return {"live": False, "livez": url, "detail": f"not answering ({reason})"}


def _tick(body: dict[str, Any]) -> dict[str, Any]:
    tick = body.get("last_tick")
    return {"last_tick": datetime.fromisoformat(tick)} if isinstance(tick, str) else {}


def _live_check(loaded: LoadedConfig) -> int:
    """``status --live``: one line and an exit status, for Docker's HEALTHCHECK."""
    found = daemon_liveness(loaded.config.watchtower.http)
    if found["live"] is None:
        print("status --live needs [watchtower] http in the config", file=sys.stderr)
        return EXIT_CONFIG
    print(f"{'live' if found['live'] else 'NOT LIVE'}: {found['livez']} {found['detail']}")
    return 0 if found["live"] else EXIT_FAILURE


def human_size(size: int | None) -> str:
    if size is None:
        return "size unknown"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def database_line(db: dict[str, Any]) -> str:
    return f"Database: {db['url']} · schema {db['schema']} · {human_size(db['size_bytes'])}"


def daemon_line(daemon: dict[str, Any], now: datetime, tz: str = "UTC") -> str:
    """Is it running? The daemon's own answer when it serves http, else its heartbeats;
    then the database's clues."""
    from watchtower.health import ago

    if daemon["live"] is None:
        head = heartbeat_head(daemon, now, tz)
    else:
        head = (
            "live" if daemon["live"] else "NOT LIVE"
        ) + f": {daemon['livez']} {daemon['detail']}"
        if daemon.get("last_tick"):
            head += f", last tick {ago(daemon['last_tick'], now)}"
    return (
        f"Daemon: {head} · last fetch {ago(daemon['last_fetch'], now)} · "
        f"last delivery {ago(daemon['last_delivery'], now)}"
    )


def shown_sources(
    sources: list[dict[str, Any]], every_source: bool
) -> tuple[list[dict[str, Any]], str]:
    """The sources to list and the header's counts; beyond :data:`SOURCES_SHOWN`,
    only those needing a look."""
    by_state: dict[str, int] = {}
    for s in sources:
        by_state[s["state"]] = by_state.get(s["state"], 0) + 1
    counts = ", ".join(f"{by_state[state]} {state}" for state in STATE_ORDER if state in by_state)
    header = f"{len(sources)} ({counts})" if sources else "none yet: run `watchtower run` once"
    if every_source or len(sources) <= SOURCES_SHOWN:
        return sources, header
    listed = [s for s in sources if s["state"] in NEEDS_A_LOOK]
    return listed, f"{header}; {len(sources) - len(listed)} not listed: --all lists them"


def render_report(report: dict[str, Any], now: datetime, *, every_source: bool = False) -> str:
    """The plain text of ``watchtower status`` (not a terminal: scripts, ``watch``, mail)."""
    from watchtower.health import ago

    tz = report.get("timezone", "UTC")
    lines = [daemon_line(report["daemon"], now, tz)]
    lines += instance_lines(report, now, every=every_source)
    if report["database"]:
        lines.append(database_line(report["database"]))
    listed, header = shown_sources(report["sources"], every_source)
    lines.append(f"Sources: {header}")
    for s in listed:
        line = (
            f"  {s['name']} [{s['kind']}] {s['state']} · last success {ago(s['last_success'], now)}"
            f" · errors {s['failures']} · next check "
            f"{ago(s['next_check'], now) if s['next_check'] else '-'} · items {s['items']}"
        )
        lines.append(line)
        if s["last_error"]:
            lines.append(f"      last error ({ago(s['last_error_at'], now)}): {s['last_error']}")
        lines += [f"      {line}" for line in source_lines(s, now, tz)]
    outbox = report["outbox"]
    summary = ", ".join(f"{status} {count}" for status, count in outbox["counts"].items())
    lines.append(f"Outbox: {summary}")
    if outbox["oldest_waiting"] is not None:
        lines.append(
            f"  {outbox['waiting']} waiting; oldest unsent notification queued "
            f"{ago(outbox['oldest_waiting'], now)}"
        )
    lines += [f"  {line}" for line in target_lines(report["targets"], now)]
    return "\n".join(lines)


def target_lines(targets: dict[str, Any], now: datetime) -> list[str]:
    """Paused target kinds and targets with lost notifications, one line each."""
    from watchtower.health import ago

    lines = [
        f"{p['kind'].capitalize()} paused since {ago(p['since'], now)}"
        f"{' (' + p['reason'] + ')' if p['reason'] else ''}: its notifications wait "
        "(ops were told)"
        for p in targets["paused"]
    ]
    lines += [
        f"failed for {f['target']}: {f['failed']} · last error: {f['last_error']}"
        for f in targets["failed"]
    ]
    return lines


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from watchtower.storage.db import Database

    loaded = load_args(args)
    db = Database(loaded.database_url)
    try:
        before, after = db.upgrade()
    finally:
        db.dispose()
    if before == after:
        print(f"database is up to date (schema {after})")
    elif before is None:
        print(f"database created (schema {after})")
    else:
        print(f"database upgraded from schema {before} to {after}")
    return 0


def cmd_db_downgrade(args: argparse.Namespace) -> int:
    from watchtower.storage.db import Database, revisions

    known = revisions()
    if args.revision not in known:
        print(
            f"unknown schema revision {args.revision!r}: this watchtower knows {', '.join(known)}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    url = load_args(args).database_url
    reader = Database(url, readonly=True)  # a missing database is an error, not created
    try:
        current = reader.existing_revision()
    finally:
        reader.dispose()
    if known.index(args.revision) > known.index(current):
        print(
            f"the database is at schema {current}, older than {args.revision}: "
            "to go forward, use `watchtower db upgrade`",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    if args.revision == current:
        print(f"database is already at schema {current}")
        return 0
    db = Database(url)
    try:
        before = db.downgrade(args.revision)
    finally:
        db.dispose()
    print(
        f"database downgraded from schema {before} to {args.revision}: now install the "
        f"watchtower whose latest schema is {args.revision}, then start the service"
    )
    return 0


def no_database_hint(args: argparse.Namespace) -> str:
    """Where the URL came from, since the likeliest cause is a shell that is not the service's."""
    created = "the daemon creates its database at its first start"
    if os.environ.get("WATCHTOWER_DATABASE_URL"):
        shell = "the URL is WATCHTOWER_DATABASE_URL's, set in this shell"
        return f"{shell}: is it the service's? ({created})"
    try:
        where = f"the database_url of {load_args(args).path}"
    except Exception:  # only for a message: never a second failure
        where = "the config's database_url"
    return (
        f"the URL is {where}: if the service sets WATCHTOWER_DATABASE_URL "
        f"(systemd EnvironmentFile=, docker -e), set it in this shell too; {created}"
    )
