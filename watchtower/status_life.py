"""What ``watchtower status`` says about the daemon's life, from the database.

Each watchtower process's heartbeat row (:mod:`watchtower.heartbeat`): whether one
polls, when each last finished a round and how it went, a config file it refused;
and under each source, since when it fails and what its last fetch warned about.
Also what ``status`` does when the config file itself is refused (the daemon keeps
running on its last good one): it shows the database's side all the same.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from watchtower.errors import ConfigError
from watchtower.health import ago
from watchtower.logs import kv

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = [
    "INSTANCES_SHOWN",
    "heartbeat_head",
    "instance_lines",
    "instances_report",
    "moment",
    "nobody_polling",
    "refused_config_database",
    "source_lines",
    "source_notes",
]

log = logging.getLogger("watchtower.cli")


def nobody_polling(report: dict[str, Any]) -> bool:
    """Whether there are sources to poll and no watchtower has been seen polling
    recently (a daemon's heartbeat within a few poll ticks, a ``run --once`` within a
    day): ``status`` then exits with :data:`EXIT_FAILURE`, and says so on stderr."""
    to_poll = any(s["state"] not in ("disabled", "removed") for s in report["sources"])
    if report["daemon"]["seen"] is not False or not to_poll:
        return False
    log.error(
        "no watchtower seen polling recently",
        extra=kv(hint="start the service (systemctl start watchtower), or see its log"),
    )
    return True


def refused_config_database(args: argparse.Namespace, refused: ConfigError) -> str:
    """The database of a config file ``load_config`` refused, so that ``status``
    can still show the daemon (running on its last good config) and that refusal.

    ``WATCHTOWER_DATABASE_URL``, else the file's ``[watchtower] database_url`` when
    the file is TOML at all, else the default next to it. Re-raises ``refused``
    when the file is missing, or unparseable without that variable (its database
    cannot be known). Prints the problems on stderr, as ``check`` does.
    """
    import tomllib
    from pathlib import Path

    from watchtower.config import DEFAULT_CONFIG
    from watchtower.config_models import WatchtowerSection, resolve_database_url
    from watchtower.redact import redact_text

    path = Path(args.config or os.environ.get("WATCHTOWER_CONFIG") or DEFAULT_CONFIG)
    url = os.environ.get("WATCHTOWER_DATABASE_URL")
    if url is None and path.is_file():
        try:
            raw = tomllib.loads(path.read_bytes().decode("utf-8", "replace").lstrip("\ufeff"))
        except tomllib.TOMLDecodeError:
            raw = None
        section = raw.get("watchtower") if raw is not None else None
        if raw is not None:
            found = section.get("database_url") if isinstance(section, dict) else None
            default = WatchtowerSection.model_fields["database_url"].default
            url = found if isinstance(found, str) else default
    if url is None or not path.is_file():
        raise refused
    for problem in refused.problems:
        print(redact_text(str(problem)), file=sys.stderr)
    log.warning(
        "config file refused (see above): status shows what the database says",
        extra=kv(config=str(path)),
    )
    return resolve_database_url(url, path.resolve().parent)


# --------------------------------------------------------------------- status


def instances_report(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Each watchtower process recorded in ``daemons`` (:mod:`watchtower.heartbeat`):
    running ones first, then the most recently seen."""
    from watchtower.heartbeat import instance_state
    from watchtower.sanitise import printable
    from watchtower.storage.daemons import daemon_rows

    found = []
    for row in daemon_rows(session):
        found.append(
            {
                "id": row.id,
                "mode": row.mode,
                "state": instance_state(row, now),
                "host": printable(row.host, keep=""),
                "pid": row.pid,
                "version": row.version,
                "config": printable(row.config, keep=""),
                "poll_interval_s": row.poll_interval_s,
                "started_at": row.started_at,
                "seen_at": row.seen_at,
                "stopped_at": row.stopped_at,
                "round_at": row.round_at,
                "round_sources": row.round_sources,
                "round_ok": row.round_ok,
                "round_failed": row.round_failed,
                "config_loaded_at": row.config_loaded_at,
                "config_refused_at": row.config_refused_at,
                "config_refused": printable(row.config_refused, keep="")
                if row.config_refused
                else None,
            }
        )
    found.sort(key=lambda i: i["state"] not in ("running", "ran"))  # stable: seen_at order
    return found


def moment(when: datetime | None, now: datetime, tz: str = "UTC") -> str:
    """``"2026-11-25 15:02 CET (3h)"``: a time in the config's zone, and how long ago."""
    from zoneinfo import ZoneInfo

    if when is None:
        return "never"
    local = when.astimezone(ZoneInfo(tz))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({ago(when, now).removesuffix(' ago')})"


def heartbeat_head(daemon: dict[str, Any], now: datetime, tz: str = "UTC") -> str:
    """What the heartbeats say, in a few words: running, or since when nobody polls."""

    instances = daemon.get("instances")
    if instances is None:
        return "unknown (set [watchtower] http to ask it)"
    running = [i for i in instances if i["state"] == "running"]
    if running:
        latest = max(i["seen_at"] for i in running)
        plural = "s" if len(running) > 1 else ""
        return f"running ({len(running)} instance{plural}, last heartbeat {ago(latest, now)})"
    once = [i for i in instances if i["state"] == "ran"]
    if once:
        return f"not running; `run --once` last polled {ago(once[0]['seen_at'], now)}"
    if not instances:
        return "NOT SEEN: no watchtower has polled this database yet"
    return f"NOT SEEN since {moment(instances[0]['seen_at'], now, tz)}"


#: Instances listed by ``status`` (``--all``: every one; ``--json`` always lists all).
INSTANCES_SHOWN = 5


def instance_lines(report: dict[str, Any], now: datetime, *, every: bool = False) -> list[str]:
    """One line per recorded watchtower process (running ones first), and a line for
    a config it refused and still runs without."""

    tz = report.get("timezone", "UTC")
    instances = report["daemon"].get("instances") or []
    listed = instances if every else instances[:INSTANCES_SHOWN]
    lines = []
    for i in listed:
        who = f"{i['host']} pid {i['pid']}"
        rounds = (
            f"last round with fetches {ago(i['round_at'], now)}: {i['round_sources']} "
            f"source{'s' if i['round_sources'] != 1 else ''}, "
            f"{i['round_ok']} ok, {i['round_failed']} failed"
            if i["round_at"]
            else "no source fetched yet"
        )
        if i["mode"] == "once":
            line = f"run --once on {who} · watchtower {i['version']} · {rounds}"
            if i["state"] != "ran":
                line += f" · NOT SEEN since {moment(i['seen_at'], now, tz)}"
        elif i["state"] == "running":
            line = (
                f"{who} · watchtower {i['version']} · started {moment(i['started_at'], now, tz)}"
                f" · heartbeat {ago(i['seen_at'], now)} · {rounds}"
            )
        elif i["state"] == "stopped":
            line = f"{who} · stopped {moment(i['stopped_at'], now, tz)}"
        else:
            line = (
                f"{who} · NOT SEEN since {moment(i['seen_at'], now, tz)}"
                f" · started {moment(i['started_at'], now, tz)}"
            )
        lines.append(f"  {line}")
        if i["config_refused_at"] and i["state"] in ("running", "not seen"):
            lines.append(
                f"    config: refused at {moment(i['config_refused_at'], now, tz)}: "
                f"{i['config_refused']}; running the config loaded at "
                f"{moment(i['config_loaded_at'], now, tz)}"
            )
    if len(instances) > len(listed):
        lines.append(f"  {len(instances) - len(listed)} more not listed: --all lists them")
    return lines


def source_lines(source: dict[str, Any], now: datetime, tz: str = "UTC") -> list[str]:
    """Under a source: since when it fails, and what its last fetch warned about."""

    lines = []
    if source["state"] == "failing":
        since = source.get("failing_since")
        lines.append(
            f"failing since {moment(since, now, tz)}"
            if since
            else "failing since: unknown (before this watchtower kept it)"
        )
    if source.get("last_warning"):
        lines.append(f"last warning ({ago(source['last_success'], now)}): {source['last_warning']}")
    return lines


def source_notes(report: dict[str, Any], now: datetime) -> list[str]:
    """:func:`source_lines` of every source that has some, named (after the tables)."""
    tz = report.get("timezone", "UTC")
    notes = []
    for s in report["sources"]:
        notes += [f"  {s['name']}: {line}" for line in source_lines(s, now, tz)]
    return notes
