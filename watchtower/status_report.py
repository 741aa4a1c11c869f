"""What ``watchtower status`` knows, as JSON-ready data (datetimes aside).

From the database, read-only: each source's health, the outbox, the paused and
failing targets, the database's size and schema (for a SQLite file, the free
space of its disk too: :mod:`watchtower.disk_space`, as ``/readyz`` measures
it), and each watchtower process's
heartbeat row (:mod:`watchtower.heartbeat`): whether one polls, when each last
finished a round and how it went, a config file it refused. From the running
daemon itself, its ``/livez`` answer (:func:`daemon_liveness`). ``status
--json`` prints this; :mod:`watchtower.status_text` and
:func:`watchtower.progress.print_report` show it to people.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy.engine
from sqlalchemy import func, select, text

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session

    from watchtower.config import LoadedConfig
    from watchtower.disk_space import StatVfs
    from watchtower.errors import ConfigError
    from watchtower.storage.sqlite_space import Space

__all__ = [
    "HEARTBEAT_BLOCKED",
    "NOT_POLLED_YET",
    "STATE_ORDER",
    "daemon_liveness",
    "database_report",
    "database_size",
    "disk_report",
    "instances_report",
    "refused_config",
    "running_versions",
    "sqlite_space",
    "status_report",
]

#: ``daemon.heartbeat_blocked`` when the database's disk is full: a daemon that
#: still runs cannot record its heartbeat either, so "not seen" proves nothing.
HEARTBEAT_BLOCKED = "heartbeat cannot be written: disk full"

#: The order of ``status``: what needs a look first.
STATE_ORDER = ("failing", "silent", "never checked", "ok", "disabled", "removed")


#: The fields of a source not polled yet, all empty.
NOT_POLLED_YET = (
    "last_error",
    "last_error_at",
    "failing_since",
    "last_warning",
    "put_off_at",
    "last_success",
    "last_attempt",
    "next_check",
    "last_new_item",
)


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
    refused: dict[str, Any] | None = None,
    statvfs: StatVfs = os.statvfs,
) -> dict[str, Any]:
    """Everything ``watchtower status`` shows, as JSON-ready data (datetimes aside).

    Without ``loaded``, what the database alone says (no database line, no
    "removed" sources, no source not polled yet); ``refused``
    (:func:`refused_config`) says why the config file was not loaded and gives
    the zone its times are shown in. On a schema older than 0006 (not migrated
    yet), no heartbeats (``daemon.seen`` is ``None``), no "failing since" and no
    source warning. ``statvfs`` measures the disk of a SQLite file (tests give a
    full one); when it is full, ``daemon.heartbeat_blocked`` says why a daemon
    may be "not seen" and still run (:data:`HEARTBEAT_BLOCKED`)."""
    from watchtower.health import source_health
    from watchtower.poll_deferral import put_off_site
    from watchtower.redact import redact_target, redact_text
    from watchtower.sanitise import printable
    from watchtower.storage import outbox_queries
    from watchtower.storage.tables import OUTBOX_STATUSES, OutboxRow, SourceRow

    configured = {s.name for s in loaded.sources} if loaded else None
    current = _schema_has(schema, "0006")
    columns = [
        SourceRow.name,
        SourceRow.last_attempt_at,
        SourceRow.last_error_at,
        SourceRow.last_item_at,
    ]
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
                # When the last fetch was put off behind other fetches of its site
                # (its warning says so): the note is dated by that, not by a success.
                "put_off_at": row["last_attempt_at"] if put_off_site(warning) else None,
                "last_success": h.last_success,
                "last_attempt": row["last_attempt_at"],
                "next_check": h.next_check if h.enabled else None,
                "last_new_item": row["last_item_at"],
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
        waiting, next_try = outbox_queries.waiting_rows(session, kind=kind)
        paused.append(
            {
                "kind": kind,
                "target": None,
                "since": notice[0] if notice else None,
                "reason": printable(str(notice[1].get("title", "")), keep="") if notice else "",
                "waiting": waiting,
                "next_try": next_try,
            }
        )
    # An Apprise service down for a while (each URL its own service): paused alone.
    for target, told in sorted(outbox_queries.paused_services(session).items()):
        waiting, next_try = outbox_queries.waiting_rows(session, target=target)
        error = session.scalar(
            select(OutboxRow.last_error)
            .where(
                OutboxRow.target == target,
                OutboxRow.status == "pending",
                OutboxRow.last_error.is_not(None),
            )
            .order_by(OutboxRow.id.desc())
            .limit(1)
        )
        paused.append(
            {
                "kind": target.partition(":")[0],
                "target": redact_target(target),
                "since": told,
                "reason": printable(redact_text(error), keep="") if error else "unreachable",
                "waiting": waiting,
                "next_try": next_try,
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
    instances = (
        instances_report(session, now, put_off=_schema_has(schema, "0010")) if current else None
    )
    url = loaded.database_url if loaded else database_url
    database = database_report(session, url, schema, statvfs=statvfs) if url else None
    if loaded:
        zone = loaded.config.watchtower.timezone
    else:
        zone = refused["timezone"] if refused and refused.get("timezone") else "UTC"
    return {
        "now": now,
        "timezone": zone,
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
            # Replicas of different code (a rolling upgrade, or one left behind).
            "versions": None if instances is None else running_versions(instances),
            # Why a heartbeat may be stale while the daemon still runs: on a full
            # disk its write fails too (None: no such reason seen).
            "heartbeat_blocked": HEARTBEAT_BLOCKED
            if database and database.get("disk_full")
            else None,
        },
        "database": database,
        "config": str(loaded.path) if loaded else None,
        "config_refused": refused,
        "sources": sources,
        "outbox": {
            "counts": {status: counts.get(status, 0) for status in OUTBOX_STATUSES},
            "waiting": sum(counts.get(s, 0) for s in ("pending", "sending", "held")),
            "oldest_waiting": outbox_queries.oldest_pending(session),
            "oldest_due": outbox_queries.oldest_deliverable(session),
            "next_release": session.scalar(
                select(func.min(OutboxRow.hold_until)).where(OutboxRow.status == "held")
            ),
        },
        "targets": {"paused": paused, "failed": failed},
    }


def refused_config(path: Path, refused: ConfigError) -> dict[str, Any]:
    """What ``status`` says of a config file that does not validate (a typo after
    an edit): its path, its problems (passwords in URLs hidden) and the zone of
    its times. The file's ``[watchtower] timezone`` (or the default zone when it
    names none) is still read from the raw TOML when only another part is
    invalid; when the TOML does not parse or the zone is unknown, ``timezone`` is
    ``None`` and the times are in UTC, said so (``timezone_problem``)."""
    import tomllib
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from watchtower.config_models import WatchtowerSection
    from watchtower.redact import redact_text

    zone: str | None = None
    problem = None
    try:
        raw = tomllib.loads(path.read_bytes().decode("utf-8", "replace").lstrip("\ufeff"))
    except (OSError, tomllib.TOMLDecodeError):
        problem = "the file is not readable TOML"
    else:
        section = raw.get("watchtower")
        found = section.get("timezone") if isinstance(section, dict) else None
        found = found if found is not None else WatchtowerSection.model_fields["timezone"].default
        try:
            zone = str(ZoneInfo(found)) if isinstance(found, str) else None
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is None:
            problem = "its [watchtower] timezone is not a known zone"
    return {
        "path": str(path),
        "problems": [redact_text(str(p)) for p in refused.problems],
        "timezone": zone,
        "timezone_problem": problem,
    }


def database_report(
    session: Session,
    url: str,
    schema: tuple[str, str] | None = None,
    *,
    statvfs: StatVfs = os.statvfs,
) -> dict[str, Any]:
    """The database line's data: where, which schema, how big; for a SQLite file,
    its WAL and its free pages too (``None`` on PostgreSQL, whose autovacuum
    reuses the space), whether ``watchtower db vacuum`` is worth running, and
    the free space of its disk (:func:`disk_report`)."""
    from watchtower.storage.db import shown
    from watchtower.storage.sqlite_space import worth_vacuuming

    space = sqlite_space(session, url)
    return {
        "url": shown(url),
        "schema": schema[0] if schema else None,
        "latest_schema": schema[1] if schema else None,
        "size_bytes": database_size(session, url),
        "wal_bytes": space.wal if space else None,
        "free_bytes": space.free if space else None,
        "vacuum_advised": worth_vacuuming(space) if space else None,
    } | disk_report(url, statvfs)


def disk_report(url: str, statvfs: StatVfs = os.statvfs) -> dict[str, Any]:
    """The disk holding a SQLite file and its WAL: its folder, the bytes still free
    and whether that is too little to store a poll round (the daemon's writes then
    fail with ``database or disk is full``; ``/readyz`` fails on the same measure).

    All ``None`` on PostgreSQL (the server's disk), or when the disk cannot be
    measured (``disk_folder`` still says where). A full disk is the
    one thing ``status`` can see of a database the daemon cannot write: status
    itself only reads."""
    from watchtower.disk_space import disk_space, sqlite_folder

    folder = sqlite_folder(url)
    found: dict[str, Any] = {"disk_folder": folder, "disk_free_bytes": None, "disk_full": None}
    if folder is None:
        return found
    try:
        disk = disk_space(folder, statvfs)
    except OSError:
        return found
    return found | {"disk_free_bytes": disk.free, "disk_full": disk.full}


def sqlite_space(session: Session, url: str) -> Space | None:
    """The SQLite file's size, its WAL's and its free pages' (``None`` elsewhere).

    Read through the status's own read-only connection (``PRAGMA page_size`` and
    ``freelist_count`` only read) and the file sizes: nothing is written."""
    from watchtower.storage.sqlite_space import Space

    parsed = sqlalchemy.engine.make_url(url)
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not path or path == ":memory:" or not os.path.isfile(path):
        return None
    page_size = int(session.scalar(text("PRAGMA page_size")) or 0)
    free_pages = int(session.scalar(text("PRAGMA freelist_count")) or 0)
    wal = path + "-wal"
    return Space(
        os.path.getsize(path),
        os.path.getsize(wal) if os.path.isfile(wal) else 0,
        page_size * free_pages,
    )


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


def instances_report(
    session: Session, now: datetime, *, put_off: bool = True
) -> list[dict[str, Any]]:
    """Each watchtower process recorded in ``daemons`` (:mod:`watchtower.heartbeat`):
    running ones first, then the most recently seen. Without ``put_off`` (a schema
    before 0010), ``round_put_off`` is 0."""
    from watchtower.heartbeat import instance_state
    from watchtower.sanitise import printable
    from watchtower.storage.daemons import daemon_rows

    found = []
    for row in daemon_rows(session, put_off=put_off):
        found.append(
            {
                "id": row.id,
                "mode": row.mode,
                "state": instance_state(row, now),
                "host": printable(row.host, keep=""),
                "pid": row.pid,
                "version": printable(row.version, keep=""),
                "config": printable(row.config, keep=""),
                "poll_interval_s": row.poll_interval_s,
                "started_at": row.started_at,
                "seen_at": row.seen_at,
                "stopped_at": row.stopped_at,
                "round_at": row.round_at,
                "round_sources": row.round_sources,
                "round_ok": row.round_ok,
                "round_failed": row.round_failed,
                "round_put_off": row.round_put_off if put_off else 0,
                "config_loaded_at": row.config_loaded_at,
                "config_refused_at": row.config_refused_at,
                "config_refused": printable(row.config_refused, keep="")
                if row.config_refused
                else None,
            }
        )
    found.sort(key=lambda i: i["state"] not in ("running", "ran"))  # stable: seen_at order
    return found


def running_versions(instances: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The versions the running daemons run, each with who runs it (``"host pid
    N"``), the most common first: more than one key means replicas of different
    code share the database (a rolling upgrade under way, or one left behind)."""
    found: dict[str, list[str]] = {}
    for i in instances:
        if i["mode"] == "daemon" and i["state"] == "running":
            found.setdefault(i["version"], []).append(f"{i['host']} pid {i['pid']}")
    return dict(sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0])))


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
