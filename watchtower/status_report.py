"""What ``watchtower status`` knows, as JSON-ready data (datetimes aside).

From the database, read-only: each source's health, the outbox, the paused and
failing targets, the database's size and schema (:mod:`watchtower.status_database`)
and each watchtower process's heartbeat row (:mod:`watchtower.status_daemons`,
which also asks the running daemon's ``/livez``). ``status --json`` prints
this; :mod:`watchtower.status_text` and :func:`watchtower.progress.print_report`
show it to people.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from watchtower.status_daemons import instances_report, running_versions
from watchtower.status_database import database_report

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session

    from watchtower.config import LoadedConfig
    from watchtower.disk_space import StatVfs
    from watchtower.errors import ConfigError

__all__ = [
    "HEARTBEAT_BLOCKED",
    "NOT_POLLED_YET",
    "STATE_ORDER",
    "refused_config",
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
    from watchtower.placeholders import mark_placeholders
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
    mark_placeholders(sources, loaded)  # not polled until their address is edited
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
            "seen": None if instances is None else polled_recently(instances),
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


def polled_recently(instances: list[dict[str, Any]]) -> bool:
    """A daemon runs, or a ``run --once`` ran within a day and no daemon was seen
    after it. ``make once`` to try a config, then the service: once that
    service's daemon dies, the older one-shot run must not vouch for it (status
    would exit 0 for a day while nothing polls)."""
    if any(i["state"] == "running" for i in instances):
        return True
    daemons = [i["seen_at"] for i in instances if i["mode"] != "once" and i["seen_at"]]
    latest = max(daemons, default=None)
    return any(i["state"] == "ran" and (latest is None or i["seen_at"] > latest) for i in instances)
